import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { TimelineQuery, TimelineView } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { ChoiceGroup } from '../../components/ChoiceGroup.tsx';
import type { Choice } from '../../components/ChoiceGroup.tsx';
import { plural } from '../../format.ts';
import { OutcomeMessages, downloadFile, formatFull, localInputToIso, useAlive } from './shared.tsx';
import type { Outcome } from './shared.tsx';
import { FormHint } from '../../components/FormHint.tsx';
import { AuditAnchorStatus } from './AuditAnchorStatus.tsx';

type By = TimelineQuery['by'];

/** A search the board asked for; `nonce` makes the same search run again. */
export interface InvestigationRequest {
  query: TimelineQuery;
  nonce: number;
}

const BY_CHOICES: readonly Choice<By>[] = [
  { value: 'asset', label: 'Asset' },
  { value: 'officer', label: 'Officer' },
  { value: 'door', label: 'Door' },
  { value: 'window', label: 'Time window' },
];

const VALUE_LABEL: Record<Exclude<By, 'window'>, { label: string; hint: string }> = {
  asset: { label: 'Asset serial or tag', hint: 'For example T7-0001.' },
  officer: { label: 'Collar number', hint: 'For example PC 1234.' },
  door: { label: 'Door number', hint: 'For example 3.' },
};

/** The audit trail by asset, officer, door or time window, with the chain's verification. */
export function InvestigationPanel({ queries, request }: { queries: Queries; request: InvestigationRequest | null }) {
  const [by, setBy] = useState<By>(request?.query.by ?? 'officer');
  const [value, setValue] = useState(request?.query.value ?? '');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const [view, setView] = useState<TimelineView | null>(null);
  const [ran, setRan] = useState<TimelineQuery | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const alive = useAlive();
  const loads = useRef(0);
  const resultsTitle = useRef<HTMLHeadingElement>(null);
  const valueId = useId();
  const valueHintId = useId();
  const hintId = useId();
  const fromId = useId();
  const toId = useId();
  const { getTimeline, exportTimeline } = queries;

  const run = useCallback(
    async (query: TimelineQuery, focusResults: boolean) => {
      const ticket = ++loads.current;
      setBusy(true);
      setOutcome(null);
      const result = await getTimeline(query);
      if (!alive.current || ticket !== loads.current) return;
      setBusy(false);
      if (result.ok) {
        setView(result.value);
        setRan(query);
        if (focusResults) window.requestAnimationFrame(() => resultsTitle.current?.focus());
      } else {
        setView(null);
        setRan(null);
        setOutcome({ ok: false, message: result.error.message });
      }
    },
    [getTimeline, alive],
  );

  // The board pressed an officer or an item: fill the form in and search at once.
  const handled = useRef<number | null>(null);
  useEffect(() => {
    if (!request || handled.current === request.nonce) return;
    handled.current = request.nonce;
    setBy(request.query.by);
    setValue(request.query.value);
    setFrom('');
    setTo('');
    setHint(null);
    void run(request.query, true);
  }, [request, run]);

  function submit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    const fromIso = localInputToIso(from);
    const toIso = localInputToIso(to);
    if (by !== 'window' && value.trim() === '') {
      setHint(`Enter the ${VALUE_LABEL[by].label.toLowerCase()}.`);
      return;
    }
    if (by === 'window' && (fromIso === null || toIso === null)) {
      setHint('Choose both a From and a To time for a time window.');
      return;
    }
    if (fromIso !== null && toIso !== null && fromIso > toIso) {
      setHint('From must be before To.');
      return;
    }
    setHint(null);
    void run({ by, value: by === 'window' ? '' : value.trim(), from: fromIso, to: toIso }, true);
  }

  async function exportAs(format: 'csv' | 'pdf'): Promise<void> {
    if (!ran) return;
    setOutcome(null);
    const result = await exportTimeline({ query: ran, format });
    if (!alive.current) return;
    if (result.ok) {
      downloadFile(result.value);
      setOutcome({ ok: true, message: `Saved ${result.value.fileName}.` });
    } else {
      setOutcome({ ok: false, message: result.error.message });
    }
  }

  const valueField = by === 'window' ? null : VALUE_LABEL[by];
  return (
    <div className="console-body">
      <h2 className="console-panel-title">Investigation</h2>
      <form className="panel inv-form" onSubmit={submit} noValidate aria-label="Search the audit trail">
        <ChoiceGroup
          legend="Search by"
          choices={BY_CHOICES}
          value={by}
          onChange={(next) => {
            setBy(next);
            setHint(null);
          }}
          className="choice-row"
        />
        <div className="inv-fields">
          {valueField ? (
            <div className="field inv-value">
              <label htmlFor={valueId} className="field-label">
                {valueField.label}
              </label>
              <p id={valueHintId} className="field-hint">
                {valueField.hint}
              </p>
              <input
                id={valueId}
                className="text-input"
                type="text"
                inputMode={by === 'door' ? 'numeric' : 'text'}
                maxLength={64}
                autoComplete="off"
                aria-describedby={hint ? `${valueHintId} ${hintId}` : valueHintId}
                aria-invalid={hint !== null && value.trim() === '' ? true : undefined}
                value={value}
                onChange={(event) => {
                  setHint(null);
                  setValue(event.target.value);
                }}
              />
            </div>
          ) : null}
          <div className="field">
            <label htmlFor={fromId} className="field-label">
              From{by === 'window' ? '' : ' (optional)'}
            </label>
            <input id={fromId} className="text-input" type="datetime-local" value={from} onChange={(event) => setFrom(event.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={toId} className="field-label">
              To{by === 'window' ? '' : ' (optional)'}
            </label>
            <input id={toId} className="text-input" type="datetime-local" value={to} onChange={(event) => setTo(event.target.value)} />
          </div>
        </div>
        <FormHint hint={hint} className="inv-hint" id={hintId} />
        <div className="console-actions">
          <button type="submit" className="btn btn-primary inv-search" disabled={busy}>
            <span aria-hidden="true">⌕ </span>
            {busy ? 'Searching…' : 'Search'}
          </button>
        </div>
      </form>

      <OutcomeMessages outcome={outcome} />

      <AuditAnchorStatus queries={queries} />

      {view !== null ? (
        <section className="inv-results" aria-labelledby="inv-results-title">
          <div className="console-toolbar">
            <h3 id="inv-results-title" ref={resultsTitle} tabIndex={-1} className="inv-title">
              {view.title}
            </h3>
            <div className="console-actions">
              <button type="button" className="btn btn-secondary inv-export-csv" onClick={() => void exportAs('csv')}>
                <span aria-hidden="true">⇩ </span>
                Export CSV
              </button>
              <button type="button" className="btn btn-secondary inv-export-pdf" onClick={() => void exportAs('pdf')}>
                <span aria-hidden="true">⇩ </span>
                Export PDF
              </button>
            </div>
          </div>
          <ChainBanner view={view} />
          <p className="muted">{plural(view.entries.length, 'entry', 'entries')}</p>
          {view.entries.length === 0 ? (
            <p className="muted">No audit entries match this search.</p>
          ) : (
            <div className="console-table-wrap inv-table-wrap">
              <table className="console-table inv-table">
                <caption className="visually-hidden">Audit entries: {view.title}</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Who</th>
                    <th scope="col">What happened</th>
                  </tr>
                </thead>
                <tbody>
                  {view.entries.map((entry) => (
                    <tr key={entry.seq} data-seq={entry.seq} data-action={entry.action}>
                      <td className="nowrap">
                        <time dateTime={entry.at}>{formatFull(entry.at)}</time>
                      </td>
                      <td>{entry.actor}</td>
                      <td className="inv-summary">{entry.summary}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ) : null}
    </div>
  );
}

function ChainBanner({ view }: { view: TimelineView }) {
  const { chain } = view;
  return chain.ok ? (
    <p className="chain chain-ok" data-chain="ok">
      <span aria-hidden="true" className="chain-icon">
        ✓
      </span>
      Audit chain verified: {plural(chain.rows, 'row', 'rows')}
      <span className="chain-checked"> (checked {formatFull(chain.checkedAt)})</span>
    </p>
  ) : (
    <p className="chain chain-broken" data-chain="broken" role="alert">
      <span aria-hidden="true" className="chain-icon">
        ✕
      </span>
      Audit chain BROKEN at row {chain.firstBrokenSeq ?? '?'}: {chain.reason ?? 'no reason given'}
      <span className="chain-checked"> (checked {formatFull(chain.checkedAt)})</span>
    </p>
  );
}
