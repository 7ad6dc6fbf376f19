import { useCallback, useEffect, useId, useRef, useState, type ChangeEvent, type ReactNode } from 'react';
import { MAX_TRAINING_IMPORT_CHARS, type ImportReportView, type Result } from '../../../preload/contract.ts';
import { formatDrawnAt, plural } from '../format.ts';

/** What every import (training records, personnel) reports: the screens differ only in their problem words. */
type ImportStatus = ImportView['status'];
interface ImportProblem {
  row: number;
  problem: string;
  message: string;
}
export type ImportView = ImportReportView<ImportProblem>;

const STATUS: Record<ImportStatus, { icon: string; text: string }> = {
  applied: { icon: '✓', text: 'Applied' },
  rejected: { icon: '✕', text: 'Rejected: nothing changed' },
  unchanged: { icon: '=', text: 'Unchanged' },
};

function StatusText({ status }: { status: ImportStatus }) {
  const s = STATUS[status];
  return (
    <span className={`import-status import-status-${status}`}>
      <span aria-hidden="true">{s.icon} </span>
      {s.text}
    </span>
  );
}

/** The answer to one upload: status, counts and every problem. */
function ImportReport({ view, problemText }: { view: ImportView; problemText: Readonly<Record<string, string>> }) {
  return (
    <div className={`import-report import-report-${view.status}`} data-status={view.status}>
      <h3 className="import-report-title">
        <StatusText status={view.status} />
        <span className="import-report-file"> · {view.fileName}</span>
      </h3>
      <ImportCounts view={view} />
      {view.problems.length > 0 ? <ProblemTable problems={view.problems} problemText={problemText} caption={`Problems in ${view.fileName}`} /> : null}
    </div>
  );
}

function ImportCounts({ view }: { view: ImportView }) {
  return (
    <dl className="import-counts">
      <div>
        <dt>Rows</dt>
        <dd>{view.rows}</dd>
      </div>
      <div>
        <dt>Changed</dt>
        <dd>{view.changed}</dd>
      </div>
      <div>
        <dt>Problems</dt>
        <dd>{view.problems.length}</dd>
      </div>
    </dl>
  );
}

function ProblemTable({ problems, problemText, caption }: { problems: readonly ImportProblem[]; problemText: Readonly<Record<string, string>>; caption: string }) {
  // In file order, whichever check found the problem (parse errors come first from main).
  const sorted = [...problems].sort((a, b) => a.row - b.row);
  return (
    // A long report scrolls inside its box, so the box takes focus: keyboard and switch users
    // must be able to reach and scroll it too.
    <div className="problem-table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table className="problem-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Row</th>
            <th scope="col">Problem</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((p, index) => (
            <tr key={`${index}:${p.row}:${p.problem}`} data-problem={p.problem}>
              <td className="problem-row">{p.row}</td>
              <td className="problem-kind">{problemText[p.problem] ?? p.problem}</td>
              <td>{p.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PastImport({ view, problemText }: { view: ImportView; problemText: Readonly<Record<string, string>> }) {
  const [open, setOpen] = useState(false);
  return (
    <li className={`import import-${view.status}`} data-status={view.status}>
      <div className="import-head">
        <h3 className="import-file">{view.fileName}</h3>
        <StatusText status={view.status} />
      </div>
      <p className="import-meta">
        <span>From {view.source}</span>
        <span aria-hidden="true"> · </span>
        <span className="visually-hidden">, </span>
        <time dateTime={view.importedAt}>{formatDrawnAt(view.importedAt)}</time>
        <span aria-hidden="true"> · </span>
        <span className="visually-hidden">, </span>
        <span>
          {plural(view.rows, 'row', 'rows')}, {view.changed} changed
          {view.problems.length > 0 ? `, ${plural(view.problems.length, 'problem', 'problems')}` : ''}
        </span>
      </p>
      {view.problems.length > 0 ? (
        <details className="import-details" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
          <summary className="btn btn-secondary import-summary">
            {open ? 'Hide' : 'Show'} {plural(view.problems.length, 'problem', 'problems')}
            <span className="visually-hidden"> in {view.fileName}</span>
          </summary>
          <ProblemTable problems={view.problems} problemText={problemText} caption={`Problems in ${view.fileName} (${formatDrawnAt(view.importedAt)})`} />
        </details>
      ) : null}
    </li>
  );
}

/** Base64 of the bytes, in slices so a large file never passes one huge argument list. */
function bytesToBase64(bytes: Uint8Array): string {
  const SLICE = 0x8000;
  let binary = '';
  for (let i = 0; i < bytes.length; i += SLICE) binary += String.fromCharCode(...bytes.subarray(i, i + SLICE));
  return window.btoa(binary);
}

/** The largest file whose base64 the contract accepts (4 characters carry 3 bytes). */
const MAX_FILE_BYTES = Math.floor(MAX_TRAINING_IMPORT_CHARS / 4) * 3;
const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

type Upload<V> = { kind: 'reading'; fileName: string } | { kind: 'done'; view: V } | { kind: 'error'; fileName: string; message: string };

/**
 * An import file chosen, sent and reported on, then the past imports: the training records
 * and personnel screens differ only in their words. Main validates the whole file and applies
 * all of it or nothing.
 */
export function ImportSections<V extends ImportView>({
  name,
  title,
  hint,
  fileLabel,
  send,
  list,
  problemText,
  onImported,
}: {
  /** For class names and ids: "training", "personnel". */
  name: string;
  title: string;
  hint: ReactNode;
  fileLabel: string;
  send: (input: { fileName: string; base64: string }) => Promise<Result<V>>;
  list: (input: Record<string, never>) => Promise<Result<V[]>>;
  problemText: Readonly<Record<string, string>>;
  onImported?: () => void;
}) {
  const [upload, setUpload] = useState<Upload<V> | null>(null);
  const [history, setHistory] = useState<V[] | null>(null);
  const [historyProblem, setHistoryProblem] = useState<string | null>(null);
  const alive = useRef(true);
  const inputId = useId();
  const hintId = useId();
  const uploadTitleId = `${name}-upload-title`;
  const historyTitleId = `${name}-history-title`;

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const loadHistory = useCallback(async () => {
    const result = await list({});
    if (!alive.current) return;
    if (result.ok) {
      setHistory(result.value);
      setHistoryProblem(null);
    } else {
      setHistoryProblem(result.error.message);
    }
  }, [list]);

  useEffect(() => {
    void loadHistory();
  }, [loadHistory]);

  async function onFile(event: ChangeEvent<HTMLInputElement>): Promise<void> {
    const input = event.currentTarget;
    const file = input.files?.[0];
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      input.value = '';
      setUpload({
        kind: 'error',
        fileName: file.name,
        message: `it is ${megabytes(file.size)}, and the most is ${megabytes(MAX_FILE_BYTES)}. Split the export into smaller files and import each.`,
      });
      return;
    }
    setUpload({ kind: 'reading', fileName: file.name });
    let base64: string;
    try {
      // The bytes, not file.text(): that would replace what is not UTF-8 with U+FFFD, and main
      // must see the bytes to refuse such a file as it refuses one in the drop folder.
      base64 = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
    } catch {
      if (alive.current) setUpload({ kind: 'error', fileName: file.name, message: 'The file could not be read.' });
      return;
    } finally {
      // The same file can be chosen again (after fixing it, say).
      input.value = '';
    }
    const result = await send({ fileName: file.name, base64 });
    if (!alive.current) return;
    setUpload(result.ok ? { kind: 'done', view: result.value } : { kind: 'error', fileName: file.name, message: result.error.message });
    if (result.ok && result.value.status === 'applied') onImported?.();
    await loadHistory();
  }

  const rejected = upload?.kind === 'error' || (upload?.kind === 'done' && upload.view.status === 'rejected');
  const report = upload?.kind === 'done' ? <ImportReport view={upload.view} problemText={problemText} /> : null;

  return (
    <>
      <section aria-labelledby={uploadTitleId} className={`panel training-upload ${name}-upload`}>
        <h2 id={uploadTitleId}>{title}</h2>
        <p id={hintId} className="field-hint">
          {hint}
        </p>
        <label htmlFor={inputId} className="field-label">
          {fileLabel}
        </label>
        <input
          id={inputId}
          type="file"
          accept=".csv,.json"
          className="file-input"
          aria-describedby={hintId}
          disabled={upload?.kind === 'reading'}
          onChange={(event) => void onFile(event)}
        />

        <div role="status" className="training-status">
          {upload?.kind === 'reading' ? <p className="muted">Importing {upload.fileName}…</p> : null}
          {!rejected ? report : null}
        </div>
        <div role="alert" className="training-alert">
          {upload?.kind === 'error' ? (
            <p className="message message-error">
              <span aria-hidden="true">✕ </span>
              {upload.fileName} was not imported: {upload.message}
            </p>
          ) : null}
          {rejected ? report : null}
        </div>
      </section>

      <section aria-labelledby={historyTitleId} className={`panel training-history ${name}-history`}>
        <h2 id={historyTitleId}>Past imports</h2>
        {historyProblem ? (
          <p className="message message-warning">
            <span aria-hidden="true">⚠ </span>
            Could not load past imports: {historyProblem}
          </p>
        ) : null}
        {history === null ? (
          historyProblem ? null : <p className="muted">Loading…</p>
        ) : history.length === 0 ? (
          <p className="muted">No imports yet.</p>
        ) : (
          <ul className="import-list" aria-labelledby={historyTitleId}>
            {history.map((view) => (
              <PastImport key={view.id} view={view} problemText={problemText} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
