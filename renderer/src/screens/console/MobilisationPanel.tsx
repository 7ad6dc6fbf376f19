import { useCallback, useEffect, useState } from 'react';
import type { MobilisationView } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { formatDrawnAt } from '../../format.ts';
import { OutcomeMessages, downloadFile, formatFull, useAlive } from './shared.tsx';
import type { Outcome } from './shared.tsx';

/** Per Firearm/Taser type: who is armed now, and who could be. Export as CSV, or print. */
export function MobilisationPanel({ queries }: { queries: Queries }) {
  const [view, setView] = useState<MobilisationView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useAlive();
  const { getMobilisation, exportMobilisation } = queries;

  const load = useCallback(async () => {
    const result = await getMobilisation({});
    if (!alive.current) return;
    if (result.ok) {
      setView(result.value);
      setProblem(null);
    } else {
      setProblem(`Could not load the mobilisation lists: ${result.error.message}`);
    }
  }, [getMobilisation, alive]);

  useEffect(() => {
    void load();
  }, [load]);

  async function exportCsv(): Promise<void> {
    setBusy(true);
    setOutcome(null);
    const result = await exportMobilisation({ format: 'csv' });
    if (!alive.current) return;
    setBusy(false);
    if (result.ok) {
      downloadFile(result.value);
      setOutcome({ ok: true, message: `Saved ${result.value.fileName}.` });
    } else {
      setOutcome({ ok: false, message: result.error.message });
    }
  }

  return (
    <div className="console-body">
      <div className="console-toolbar">
        <h2 className="console-panel-title">Mobilisation</h2>
        <div className="console-actions">
          <button type="button" className="btn btn-secondary" onClick={() => void load()}>
            <span aria-hidden="true">⟳ </span>
            Refresh
          </button>
          <button type="button" className="btn btn-primary mob-export" disabled={busy} onClick={() => void exportCsv()}>
            <span aria-hidden="true">⇩ </span>
            Export CSV
          </button>
          <button type="button" className="btn btn-secondary mob-print" disabled={view === null} onClick={() => window.print()}>
            <span aria-hidden="true">⎙ </span>
            Print
          </button>
        </div>
      </div>
      <OutcomeMessages outcome={outcome} problem={problem} />
      {view === null ? <p className="muted">{problem ? 'Not available.' : 'Loading…'}</p> : null}
      {view !== null ? (
        <div className="mob-lists print-area">
          <p className="mob-generated">
            Mobilisation lists, generated <time dateTime={view.generatedAt}>{formatFull(view.generatedAt)}</time>
          </p>
          {view.types.length === 0 ? <p className="muted">No Firearm or Taser types at this site.</p> : null}
          {view.types.map((type) => (
            <section key={type.assetTypeId} className="panel mob-type" aria-labelledby={`mob-type-${type.assetTypeId}`} data-asset-type={type.assetTypeName}>
              <h3 id={`mob-type-${type.assetTypeId}`} className="mob-type-title">
                {type.assetTypeName}
              </h3>
              <div className="mob-columns">
                <div className="mob-column">
                  <h4 className="mob-count">
                    <span aria-hidden="true">● </span>Armed now: {type.armed.length}
                  </h4>
                  {type.armed.length === 0 ? (
                    <p className="muted">Nobody holds one.</p>
                  ) : (
                    <ul className="mob-list" aria-label={`${type.assetTypeName}: armed now`}>
                      {type.armed.map((a) => (
                        <li key={`${a.officerId}:${a.serial}`}>
                          <span className="mob-name">
                            {a.collarNumber} {a.name}
                          </span>
                          <span className="mob-detail">
                            {' '}
                            · {a.serial} · since <time dateTime={a.since}>{formatDrawnAt(a.since)}</time>
                          </span>
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
                <div className="mob-column">
                  <h4 className="mob-count">
                    <span aria-hidden="true">○ </span>Available to deploy: {type.available.length}
                  </h4>
                  {type.available.length === 0 ? (
                    <p className="muted">Nobody else is qualified and free.</p>
                  ) : (
                    <ul className="mob-list" aria-label={`${type.assetTypeName}: available to deploy`}>
                      {type.available.map((a) => (
                        <li key={a.officerId}>
                          <span className="mob-name">
                            {a.collarNumber} {a.name}
                          </span>
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
              </div>
            </section>
          ))}
        </div>
      ) : null}
    </div>
  );
}
