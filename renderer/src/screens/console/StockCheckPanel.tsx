import { useCallback, useEffect, useRef, useState } from 'react';
import type { RefObject } from 'react';
import type { StockCheckView } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { usePoll } from '../../components/hardware/usePoll.ts';
import { plural } from '../../format.ts';
import { OutcomeMessages, formatFull, useAlive } from './shared.tsx';
import type { Outcome } from './shared.tsx';

const POLL_MS = 1000;

/** Start, scan every item present (scans arrive in main from the scanner), finish, report. */
export function StockCheckPanel({ queries }: { queries: Queries }) {
  const [check, setCheck] = useState<StockCheckView | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useAlive();
  const reportTitle = useRef<HTMLHeadingElement>(null);
  const { getStockCheck, startStockCheck, finishStockCheck } = queries;

  const refresh = useCallback(async () => {
    const result = await getStockCheck({});
    if (!alive.current) return;
    setLoaded(true);
    if (result.ok) {
      setCheck(result.value);
      setProblem(null);
    } else {
      setProblem(`Could not read the stock check: ${result.error.message}`);
    }
  }, [getStockCheck, alive]);

  const running = check !== null && check.finishedAt === null;
  // Read once on arrival (a check may already be running), then every second while one runs.
  useEffect(() => {
    void refresh();
  }, [refresh]);
  usePoll(refresh, POLL_MS, running);

  async function start(): Promise<void> {
    setBusy(true);
    setOutcome(null);
    const result = await startStockCheck({});
    if (!alive.current) return;
    setBusy(false);
    if (result.ok) setCheck(result.value);
    else setOutcome({ ok: false, message: result.error.message });
  }

  async function finish(): Promise<void> {
    setBusy(true);
    setOutcome(null);
    const result = await finishStockCheck({});
    if (!alive.current) return;
    setBusy(false);
    if (result.ok) {
      setCheck(result.value);
      setOutcome({ ok: true, message: `Stock check finished: ${plural(result.value.scanned, 'item', 'items')} scanned.` });
      window.requestAnimationFrame(() => reportTitle.current?.focus());
    } else {
      setOutcome({ ok: false, message: result.error.message });
    }
  }

  return (
    <div className="console-body">
      <h2 className="console-panel-title">Stock check</h2>
      <OutcomeMessages outcome={outcome} problem={problem} />
      {!loaded ? <p className="muted">Loading…</p> : null}

      {check && check.finishedAt !== null ? <StockReport check={check} titleRef={reportTitle} /> : null}

      {loaded && !running ? (
        <div className="panel stock-start">
          <p>
            {check?.finishedAt ? 'Start another check: ' : 'Count everything in the armoury: '}
            start, scan every item present, then finish to see what is missing.
          </p>
          <button type="button" className="btn btn-primary btn-huge stock-start-button" disabled={busy} onClick={() => void start()}>
            <span aria-hidden="true">▶ </span>
            Start stock check
          </button>
        </div>
      ) : null}

      {running && check ? (
        <div className="panel stock-running" data-stock="running">
          <p className="stock-instruction">
            <span aria-hidden="true">⌁ </span>
            Scan every item present
          </p>
          <p className="stock-count" role="status" aria-live="polite">
            <span className="stock-count-number">{check.scanned}</span> {check.scanned === 1 ? 'item' : 'items'} scanned
          </p>
          <p className="muted">Started {formatFull(check.startedAt)}</p>
          <button type="button" className="btn btn-warning btn-huge stock-finish-button" disabled={busy} onClick={() => void finish()}>
            <span aria-hidden="true">■ </span>
            Finish stock check
          </button>
        </div>
      ) : null}

    </div>
  );
}

function StockReport({ check, titleRef }: { check: StockCheckView; titleRef: RefObject<HTMLHeadingElement | null> }) {
  return (
    <section className="stock-report" aria-labelledby="stock-report-title" data-stock="finished">
      <h3 id="stock-report-title" ref={titleRef} tabIndex={-1} className="stock-report-title">
        Report: stock check of {formatFull(check.startedAt)}
      </h3>
      <p className="muted">
        Finished {check.finishedAt ? formatFull(check.finishedAt) : ''} · {plural(check.scanned, 'item', 'items')} scanned
      </p>
      <div className="stock-columns">
        <div className="panel stock-missing">
          <h4 className="stock-list-title">
            <span aria-hidden="true">{check.missing.length > 0 ? '⚠ ' : '✓ '}</span>
            Missing: {check.missing.length}
          </h4>
          {check.missing.length === 0 ? (
            <p className="muted">Everything expected was scanned.</p>
          ) : (
            <ul className="stock-list" aria-label="Missing items">
              {check.missing.map((m) => (
                <li key={m.assetId}>
                  <span className="stock-item">
                    {m.assetTypeName} {m.serial}
                  </span>
                  <span className="muted">
                    {' '}
                    · tag {m.tag} · {m.status}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="panel stock-unexpected">
          <h4 className="stock-list-title">
            <span aria-hidden="true">{check.unexpected.length > 0 ? '⚠ ' : '✓ '}</span>
            Unexpected: {check.unexpected.length}
          </h4>
          {check.unexpected.length === 0 ? (
            <p className="muted">Nothing unexpected was scanned.</p>
          ) : (
            <ul className="stock-list" aria-label="Unexpected scans">
              {check.unexpected.map((u, i) => (
                <li key={`${u.tag}:${i}`}>
                  <span className="stock-item">{u.assetTypeName && u.serial ? `${u.assetTypeName} ${u.serial}` : `Tag ${u.tag}`}</span>
                  <span className="muted"> · {u.why}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}
