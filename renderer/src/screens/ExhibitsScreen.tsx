import { useCallback, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { RETRIEVAL_PURPOSES, type ExhibitView, type RetrievalPurpose, type ScreenView } from '../../../preload/contract.ts';
import type { Commands, Queries } from '../commands.ts';
import { ChoiceGroup, type Choice } from '../components/ChoiceGroup.tsx';
import { FormHint } from '../components/FormHint.tsx';
import { OutcomeRegions, type Outcome } from '../components/OutcomeRegions.tsx';
import { PageHead, ScreenMessage } from '../components/PageHead.tsx';
import { TextField } from '../components/TextField.tsx';
import { usePoll } from '../components/hardware/usePoll.ts';
import { formatWhen, plural } from '../format.ts';
import { downloadFile, useAlive } from './console/shared.tsx';

type ExhibitsView = Extract<ScreenView, { kind: 'exhibits' }>;

const REFRESH_MS = 5000;
const PURPOSE_CHOICES: readonly Choice<RetrievalPurpose>[] = RETRIEVAL_PURPOSES.map((p) => ({ value: p, label: p.charAt(0).toUpperCase() + p.slice(1) }));
const STATE_TEXT: Record<ExhibitView['state'], { icon: string; text: string }> = {
  depositing: { icon: '…', text: 'Being deposited' },
  stored: { icon: '●', text: 'Behind its door' },
  retrieved: { icon: '⇱', text: 'Out with the property store' },
  'not-deposited': { icon: '✕', text: 'Not deposited' },
};

/**
 * The property store (PCD 1698): exhibits held and out, each with its chain of custody;
 * retrieval (purpose, then the witness and seal checks), reseal in hand, and the continuity
 * record as a PDF a court copy can be checked against.
 */
export function ExhibitsScreen({ screen, commands, queries }: { screen: ExhibitsView; commands: Commands; queries: Queries }) {
  const [query, setQuery] = useState('');
  const [exhibits, setExhibits] = useState<ExhibitView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const alive = useAlive();
  const loads = useRef(0);
  const { getExhibits, resealExhibit, exportContinuity } = queries;

  const refresh = useCallback(async () => {
    const ticket = ++loads.current;
    const result = await getExhibits({ query: query.trim() });
    if (!alive.current || ticket !== loads.current) return;
    if (!result.ok) return setProblem(`Could not load the exhibits: ${result.error.message}`);
    setProblem(null);
    setExhibits(result.value);
  }, [getExhibits, alive, query]);
  usePoll(refresh, REFRESH_MS);

  async function exportRecord(exhibit: ExhibitView): Promise<void> {
    const result = await exportContinuity({ exhibitId: exhibit.id });
    if (!alive.current) return;
    if (!result.ok) return setOutcome({ ok: false, message: result.error.message });
    downloadFile(result.value);
    setOutcome({ ok: true, message: `Continuity record for ${exhibit.reference} saved as ${result.value.fileName}.` });
  }

  async function reseal(exhibit: ExhibitView, oldSeal: string, newSeal: string, reason: string): Promise<boolean> {
    const result = await resealExhibit({ exhibitId: exhibit.id, oldSeal, newSeal, reason });
    if (!alive.current) return false;
    setOutcome(result.ok ? { ok: true, message: `${exhibit.reference} resealed: ${oldSeal} → ${newSeal}.` } : { ok: false, message: result.error.message });
    await refresh();
    return result.ok;
  }

  const stored = exhibits?.filter((e) => e.state === 'stored').length ?? 0;
  return (
    <div className="screen screen-exhibits">
      <PageHead title="Exhibits" onBack={() => commands.dismiss({})} />
      <ScreenMessage message={screen.message} className="exhibits-message" />
      <OutcomeRegions outcome={outcome} problem={problem} classPrefix="exhibits" />
      <form
        className="refresh-form exhibits-search"
        role="search"
        aria-label="Find an exhibit"
        onSubmit={(event) => {
          event.preventDefault();
          void refresh();
        }}
      >
        <TextField label="Find by reference, occurrence or description" value={query} onChange={setQuery} maxLength={40} upperCase />
        <button type="submit" className="btn btn-secondary">
          Find
        </button>
      </form>
      <h2 id="exhibits-list-title" className="refresh-section-title">
        Exhibits held and out
      </h2>
      <p className="muted">{exhibits === null ? 'Loading…' : `${plural(stored, 'exhibit', 'exhibits')} behind doors, ${plural(exhibits.length - stored, 'exhibit', 'exhibits')} out`}</p>
      {exhibits !== null && exhibits.length > 0 ? (
        <ul className="order-list" aria-labelledby="exhibits-list-title">
          {exhibits.map((exhibit) => (
            <ExhibitItem key={exhibit.id} exhibit={exhibit} commands={commands} onExport={() => void exportRecord(exhibit)} onReseal={(o, n, r) => reseal(exhibit, o, n, r)} />
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function ExhibitItem({ exhibit, commands, onExport, onReseal }: { exhibit: ExhibitView; commands: Commands; onExport: () => void; onReseal: (oldSeal: string, newSeal: string, reason: string) => Promise<boolean> }) {
  const [purpose, setPurpose] = useState<RetrievalPurpose | null>(null);
  const [resealing, setResealing] = useState(false);
  const [oldSeal, setOldSeal] = useState(exhibit.seals[0] ?? '');
  const [newSeal, setNewSeal] = useState('');
  const [reason, setReason] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const state = STATE_TEXT[exhibit.state];
  const name = `exhibit ${exhibit.reference} (${exhibit.occurrence})`;

  function submitReseal(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    if (oldSeal.trim().length < 3 || newSeal.trim().length < 3) return setHint('Give the old seal and the new one.');
    if (reason.trim().length < 3) return setHint('Say why it was opened.');
    setHint(null);
    void onReseal(oldSeal.trim(), newSeal.trim(), reason.trim()).then((done) => done && setResealing(false));
  }

  return (
    <li className="order" data-exhibit-id={exhibit.id}>
      <h3 className="order-title">
        {exhibit.reference} · {exhibit.occurrence} · {exhibit.category}
      </h3>
      <p className="order-state" data-state={exhibit.state}>
        <span aria-hidden="true">{state.icon} </span>
        {state.text}
        {exhibit.doorNumber === null ? '' : `: door ${exhibit.doorNumber}`}
        {exhibit.overdue ? ' · ⚠ past its dwell time' : ''}
        {exhibit.twoPerson ? ' · two property officers to retrieve' : ''}
      </p>
      <p className="order-detail">
        {exhibit.description}. Seals {exhibit.seals.join(', ')}. Deposited by {exhibit.depositedBy}
        {exhibit.storedAt ? ` on ${formatWhen(exhibit.storedAt)}` : ''}.
      </p>
      <ol className="exhibit-events" aria-label={`Chain of custody of ${name}`}>
        {exhibit.events.map((e) => (
          <li key={e.auditSeq}>
            {formatWhen(e.at)}: {e.kind.replace('-', ' ')}
            {e.officer ? ` by ${e.officer}` : ''}
            {e.witness ? `, witnessed by ${e.witness}` : ''}
            {e.detail ? ` (${e.detail})` : ''}
          </li>
        ))}
      </ol>
      {exhibit.state === 'stored' ? (
        <form
          className="refresh-form"
          noValidate
          aria-label={`Retrieve ${name}`}
          onSubmit={(event) => {
            event.preventDefault();
            if (purpose !== null) commands.startExhibitRetrieval({ exhibitId: exhibit.id, purpose });
          }}
        >
          <ChoiceGroup legend="Retrieve it for" choices={PURPOSE_CHOICES} value={purpose} onChange={setPurpose} className="refresh-choices refresh-choices-row" />
          <button type="submit" className="btn btn-primary" disabled={purpose === null}>
            Retrieve it<span className="visually-hidden"> ({name})</span>
          </button>
        </form>
      ) : null}
      {exhibit.state === 'retrieved' && !resealing ? (
        <button type="button" className="btn btn-secondary" onClick={() => setResealing(true)}>
          Record a reseal…<span className="visually-hidden"> ({name})</span>
        </button>
      ) : null}
      {resealing ? (
        <form className="refresh-form" noValidate aria-label={`Reseal ${name}`} onSubmit={submitReseal}>
          <TextField label="Old seal" value={oldSeal} onChange={setOldSeal} maxLength={30} upperCase />
          <TextField label="New seal" value={newSeal} onChange={setNewSeal} maxLength={30} upperCase />
          <TextField label="Why it was opened" value={reason} onChange={setReason} maxLength={300} />
          <FormHint hint={hint} className="refresh-hint" />
          <div className="refresh-actions">
            <button type="submit" className="btn btn-primary">
              Record the reseal
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => setResealing(false)}>
              Cancel<span className="visually-hidden"> the reseal of {name}</span>
            </button>
          </div>
        </form>
      ) : null}
      <button type="button" className="btn btn-secondary" onClick={onExport}>
        Continuity record (PDF)<span className="visually-hidden"> of {name}</span>
      </button>
    </li>
  );
}
