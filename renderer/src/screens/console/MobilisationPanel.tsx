import { useCallback, useEffect, useState } from 'react';
import type { EstateScopeView, MobilisationView } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { formatDrawnAt } from '../../format.ts';
import { OutcomeMessages, downloadFile, formatFull, useAlive } from './shared.tsx';
import type { Outcome } from './shared.tsx';

type Scope = 'terminal' | 'estate';

/**
 * Per Firearm/Taser type: who is armed now, and who could be. Export as CSV, or print. A
 * terminal connected to an estate also shows the whole estate's picture (its estate scope).
 */
export function MobilisationPanel({ queries }: { queries: Queries }) {
  const [view, setView] = useState<MobilisationView | null>(null);
  const [estate, setEstate] = useState<EstateScopeView | null>(null);
  const [scope, setScope] = useState<Scope>('terminal');
  const [problem, setProblem] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useAlive();
  const { getMobilisation, getEstateMobilisation, exportMobilisation } = queries;

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

  const loadEstate = useCallback(async () => {
    const result = await getEstateMobilisation({});
    if (!alive.current) return;
    setEstate(result.ok ? result.value : { state: 'unavailable', message: result.error.message });
  }, [getEstateMobilisation, alive]);

  useEffect(() => {
    void load();
    // Also tells whether there is an estate at all: with none, the scope switch is not shown.
    void loadEstate();
  }, [load, loadEstate]);

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
          {estate !== null && estate.state !== 'off' ? (
            <div className="mob-scope" role="group" aria-label="Show">
              {(['terminal', 'estate'] as const).map((s) => (
                <button key={s} type="button" className={`btn ${scope === s ? 'btn-primary' : 'btn-secondary'}`} aria-pressed={scope === s} onClick={() => setScope(s)}>
                  {scope === s ? <span aria-hidden="true">✓ </span> : null}
                  {s === 'terminal' ? 'This terminal' : 'Whole estate'}
                </button>
              ))}
            </div>
          ) : null}
          <button type="button" className="btn btn-secondary" onClick={() => void (scope === 'estate' ? loadEstate() : load())}>
            <span aria-hidden="true">⟳ </span>
            Refresh
          </button>
          {scope === 'terminal' ? (
            <>
              <button type="button" className="btn btn-primary mob-export" disabled={busy} onClick={() => void exportCsv()}>
                <span aria-hidden="true">⇩ </span>
                Export CSV
              </button>
              <button type="button" className="btn btn-secondary mob-print" disabled={view === null} onClick={() => window.print()}>
                <span aria-hidden="true">⎙ </span>
                Print
              </button>
            </>
          ) : null}
        </div>
      </div>
      {scope === 'estate' ? <EstateScope view={estate} /> : <TerminalScope view={view} problem={problem} outcome={outcome} />}
    </div>
  );
}

/** The estate's picture: per site and type, with the estate's totals, and any one site's officers on request. */
function EstateScope({ view }: { view: EstateScopeView | null }) {
  const [site, setSite] = useState<string | null>(null);
  if (view === null) return <p className="muted">Loading…</p>;
  if (view.state === 'off') return <p className="muted">This terminal is not connected to an estate.</p>;
  if (view.state === 'unavailable') return <OutcomeMessages outcome={null} problem={view.message} />;
  const { picture } = view;
  const shown = picture.sites.find((s) => s.siteId === site) ?? null;
  return (
    <div className="mob-lists">
      <p className="mob-generated">
        The whole estate, as the estate database held it at <time dateTime={picture.generatedAt}>{formatFull(picture.generatedAt)}</time>. Armed officers count where they drew; available officers at their home site.
      </p>
      {picture.types
        .filter((t) => t.problem !== null)
        .map((t) => (
          <p key={t.assetTypeId} className="muted" role="note">
            <strong>Not counted:</strong> {t.problem}.
          </p>
        ))}
      {picture.types.length === 0 ? (
        <p className="muted">The estate has no Firearm or Taser types.</p>
      ) : (
        <div className="console-table-wrap">
          <table className="console-table mob-estate-table">
            <caption>Estate mobilisation per site and type</caption>
            <thead>
              <tr>
                <th scope="col">Site</th>
                {picture.types.map((t) => (
                  <th key={t.assetTypeId} scope="col">
                    {t.assetTypeName}: armed / available
                  </th>
                ))}
                <th scope="col">Officers armed / available</th>
                <th scope="col">Officers</th>
              </tr>
            </thead>
            <tbody>
              {picture.sites.map((s) => (
                <tr key={s.siteId}>
                  <th scope="row">{s.siteName}</th>
                  {s.byType.map((c) => (
                    <td key={c.assetTypeName}>
                      {c.armed} / {c.available}
                    </td>
                  ))}
                  <td>
                    {s.armed} / {s.available}
                  </td>
                  <td>
                    <button type="button" className="btn btn-secondary" aria-pressed={site === s.siteId} onClick={() => setSite(site === s.siteId ? null : s.siteId)}>
                      {site === s.siteId ? 'Hide' : 'Show'} <span className="visually-hidden">officers at {s.siteName}</span>
                    </button>
                  </td>
                </tr>
              ))}
              <tr className="mob-estate-total">
                <th scope="row">Whole estate</th>
                {picture.types.map((t) => (
                  <td key={t.assetTypeId}>
                    {t.armed.length} / {t.available.length}
                  </td>
                ))}
                <td>
                  {picture.totals.armed} / {picture.totals.available}
                </td>
                <td />
              </tr>
            </tbody>
          </table>
        </div>
      )}
      {shown !== null
        ? picture.types.map((type) => (
            <TypeLists
              key={type.assetTypeId}
              idPrefix={`mob-estate-${type.assetTypeId}`}
              title={`${type.assetTypeName} at ${shown.siteName}`}
              armed={type.armed.filter((a) => a.site === shown.siteId)}
              available={type.available.filter((a) => a.site === shown.siteId)}
            />
          ))
        : null}
    </div>
  );
}

/** This terminal's own lists. */
function TerminalScope({ view, problem, outcome }: { view: MobilisationView | null; problem: string | null; outcome: Outcome | null }) {
  return (
    <>
      <OutcomeMessages outcome={outcome} problem={problem} />
      {view === null ? <p className="muted">{problem ? 'Not available.' : 'Loading…'}</p> : null}
      {view !== null ? (
        <div className="mob-lists print-area">
          <p className="mob-generated">
            Mobilisation lists, generated <time dateTime={view.generatedAt}>{formatFull(view.generatedAt)}</time>
          </p>
          {view.types.length === 0 ? <p className="muted">No Firearm or Taser types at this site.</p> : null}
          {view.types.map((type) => (
            <TypeLists key={type.assetTypeId} idPrefix={`mob-type-${type.assetTypeId}`} title={type.assetTypeName} assetType={type.assetTypeName} armed={type.armed} available={type.available} />
          ))}
        </div>
      ) : null}
    </>
  );
}

interface TypeListsProps {
  idPrefix: string;
  title: string;
  assetType?: string;
  armed: MobilisationView['types'][number]['armed'];
  available: MobilisationView['types'][number]['available'];
}

/** One type's two lists: armed now, and available to deploy. */
function TypeLists({ idPrefix, title, assetType, armed, available }: TypeListsProps) {
  return (
    <section className="panel mob-type" aria-labelledby={idPrefix} data-asset-type={assetType}>
      <h3 id={idPrefix} className="mob-type-title">
        {title}
      </h3>
      <div className="mob-columns">
        <div className="mob-column">
          <h4 className="mob-count">
            <span aria-hidden="true">● </span>Armed now: {armed.length}
          </h4>
          {armed.length === 0 ? (
            <p className="muted">Nobody holds one.</p>
          ) : (
            <ul className="mob-list" aria-label={`${title}: armed now`}>
              {armed.map((a) => (
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
            <span aria-hidden="true">○ </span>Available to deploy: {available.length}
          </h4>
          {available.length === 0 ? (
            <p className="muted">Nobody else is qualified and free.</p>
          ) : (
            <ul className="mob-list" aria-label={`${title}: available to deploy`}>
              {available.map((a) => (
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
  );
}
