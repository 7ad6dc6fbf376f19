import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { KioskSnapshot, OfficerAdminView, PersonnelImportRowProblem, ScreenView, SessionView } from '../../../preload/contract.ts';
import type { Commands, Queries } from '../commands.ts';
import { ImportSections } from '../components/ImportReport.tsx';
import { PageHead, ScreenMessage } from '../components/PageHead.tsx';

const PROBLEM_TEXT: Record<PersonnelImportRowProblem['problem'], string> = {
  'missing-field': 'Missing field',
  malformed: 'Malformed',
  'duplicate-row': 'Duplicate row',
  'unknown-role': 'Unknown role',
  'bad-status': 'Unknown status',
  'card-conflict': 'Card conflict',
  'unknown-site': 'Unknown site',
  'last-admin': 'No site admin left',
};

const STATUS_TEXT: Record<OfficerAdminView['status'], string> = {
  active: 'Active',
  suspended: 'Suspended',
  restricted: 'Restricted',
  left: 'Left',
};

/**
 * People, cards and PINs. Site admins import HR's personnel file and enrol cards by tapping
 * them at this terminal; armourers (and admins) reset a PIN, so its officer chooses a new one
 * at their next sign-in. Main checks every role.
 */
export function PeopleScreen({
  screen,
  session,
  enrolling,
  commands,
  queries,
}: {
  screen: Extract<ScreenView, { kind: 'people' }>;
  session: SessionView | null;
  enrolling: KioskSnapshot['enrolling'];
  commands: Commands;
  queries: Queries;
}) {
  const isAdmin = session?.roles.includes('admin') ?? false;
  const [query, setQuery] = useState('');
  const [officers, setOfficers] = useState<OfficerAdminView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const searchId = useId();
  const alive = useRef(true);
  const { listOfficers, resetPin, revokeCard } = queries;

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const load = useCallback(async () => {
    const result = await listOfficers({ query });
    if (!alive.current) return;
    if (result.ok) setOfficers(result.value);
    else setProblem(result.error.message);
  }, [listOfficers, query]);

  // Again whenever main's picture moves (a card enrolled by tapping, an import applied).
  useEffect(() => {
    void load();
  }, [load, screen, enrolling]);

  async function act(run: () => ReturnType<typeof resetPin>, success: string): Promise<void> {
    setProblem(null);
    setDone(null);
    const result = await run();
    if (!alive.current) return;
    if (result.ok) setDone(success);
    else setProblem(result.error.message);
    await load();
  }

  return (
    <div className="screen screen-people">
      <PageHead title="People, cards and PINs" onBack={() => commands.dismiss({})} />
      {enrolling ? (
        <section className="panel enrolment" aria-labelledby="enrolment-title">
          <h2 id="enrolment-title">
            <span aria-hidden="true">▭ </span>
            Tap the card for {enrolling.label} on the reader now
          </h2>
          <div role="alert">
            {enrolling.message ? (
              <p className="message message-error">
                <span aria-hidden="true">✕ </span>
                {enrolling.message}
              </p>
            ) : null}
          </div>
          <button type="button" className="btn btn-secondary" onClick={() => commands.cancelCardEnrolment({})}>
            Stop enrolling
          </button>
        </section>
      ) : null}
      <ScreenMessage message={screen.message} className="people-message" />
      <div role="status" className="people-status">
        {done ? (
          <p className="message message-ok">
            <span aria-hidden="true">✓ </span>
            {done}
          </p>
        ) : null}
      </div>
      <div role="alert" className="people-alert">
        {problem ? (
          <p className="message message-error">
            <span aria-hidden="true">✕ </span>
            {problem}
          </p>
        ) : null}
      </div>

      <section className="panel people-list" aria-labelledby="people-list-title">
        <h2 id="people-list-title">Officers</h2>
        <label htmlFor={searchId} className="field-label">
          Find by collar number or name
        </label>
        <input id={searchId} className="text-input" autoComplete="off" value={query} onChange={(e) => setQuery(e.currentTarget.value)} maxLength={80} />
        {officers === null ? (
          <p className="muted">Loading…</p>
        ) : officers.length === 0 ? (
          <p className="muted">{query ? `Nobody matches "${query}".` : 'No officers yet: import the personnel file from HR below.'}</p>
        ) : (
          <ul className="officer-list" aria-labelledby="people-list-title">
            {officers.map((o) => (
              <li key={o.id} className="officer" data-collar={o.collarNumber}>
                <h3 className="officer-name">
                  {o.collarNumber} {o.name}
                </h3>
                <p className="officer-facts">
                  <span>{STATUS_TEXT[o.status]}</span>
                  <span aria-hidden="true"> · </span>
                  <span className="visually-hidden">, </span>
                  <span>Roles: {o.roles.length > 0 ? o.roles.join(', ') : 'none'}</span>
                  <span aria-hidden="true"> · </span>
                  <span className="visually-hidden">, </span>
                  <span>{o.hasPin ? 'PIN set' : 'No PIN yet: chooses one at first sign-in'}</span>
                  {o.unit ? (
                    <>
                      <span aria-hidden="true"> · </span>
                      <span className="visually-hidden">, </span>
                      <span>{o.unit}</span>
                    </>
                  ) : null}
                </p>
                <ul className="officer-cards" aria-label={`Cards of ${o.collarNumber}`}>
                  {o.cards.length === 0 ? <li className="muted">No card enrolled</li> : null}
                  {o.cards.map((uid) => (
                    <li key={uid}>
                      <span className="card-uid">Card {uid}</span>
                      {isAdmin ? (
                        <button type="button" className="btn btn-secondary" onClick={() => void act(() => revokeCard({ uid }), `Card ${uid} of ${o.collarNumber} is revoked.`)}>
                          Revoke<span className="visually-hidden"> card {uid} of {o.collarNumber}</span>
                        </button>
                      ) : null}
                    </li>
                  ))}
                </ul>
                <div className="officer-actions">
                  {isAdmin && o.status !== 'left' ? (
                    <button type="button" className="btn btn-secondary" onClick={() => commands.startCardEnrolment({ officerId: o.id })}>
                      Enrol a card<span className="visually-hidden"> for {o.collarNumber}</span>
                    </button>
                  ) : null}
                  {o.hasPin ? (
                    <button
                      type="button"
                      className="btn btn-secondary"
                      onClick={() => void act(() => resetPin({ officerId: o.id }), `${o.collarNumber}'s PIN is reset: they choose a new one when they next tap their card.`)}
                    >
                      Reset PIN<span className="visually-hidden"> of {o.collarNumber}</span>
                    </button>
                  ) : null}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>

      {isAdmin ? (
        <ImportSections
          name="personnel"
          title="Import the personnel file from HR"
          hint={
            <>
              Columns collar_number and name, and any of roles (officer, armourer, admin, it; separated by ;), unit, status
              (active, suspended, restricted, left), site (the home site, by its name in the site register) and card_uids
              (separated by ;); or JSON {'{"officers": [...]}'}. A column
              the file leaves out is left as it is; officers not in the file are left alone. Leavers lose their cards, PIN and
              roles. The file must be UTF-8, and if any row has a problem nothing is changed.
            </>
          }
          fileLabel="Personnel file (CSV or JSON)"
          send={queries.importPersonnel}
          list={queries.listPersonnelImports}
          problemText={PROBLEM_TEXT}
          onImported={() => void load()}
        />
      ) : null}
    </div>
  );
}
