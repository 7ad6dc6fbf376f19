import { useState } from 'react';
import type { BankWalkView, HardwareView, Result } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { formatDrawnAt } from '../../format.ts';

const ANSWER_TEXT = { yes: '✓ Opened', no: '✕ Did not open', other: '⇄ A different door opened' } as const;
const OUTCOME_TEXT = { passed: '✓ Every door confirmed', problems: '⚠ Problems found', abandoned: '✕ Cancelled' } as const;

/**
 * The bank as a whole (what its readings say that cannot be true, and why officers see it out of
 * service) and the commissioning walk: the polarity probe, then each door in turn, answered by
 * the admin standing at the bank. Every step is checked and audited in main.
 */
export function BankCommissioningPanel({ view, queries, onChanged }: { view: HardwareView; queries: Queries; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [choosingOther, setChoosingOther] = useState(false);
  const walk = view.bankWalk;
  const running = walk.running;

  async function run(step: () => Promise<Result<BankWalkView>>): Promise<void> {
    setBusy(true);
    setProblem(null);
    const result = await step();
    setBusy(false);
    setChoosingOther(false);
    if (!result.ok) setProblem(result.error.message);
    onChanged();
  }

  const otherDoors = running ? view.doors.map((d) => d.number).filter((n) => n !== running.doorNumber) : [];

  return (
    <section aria-labelledby="hw-commissioning-title" className="panel hw-bank">
      <h2 id="hw-commissioning-title">Bank: {view.bank.name}</h2>
      <p className="hw-bank-state" data-state={view.bank.state}>
        <span aria-hidden="true">{view.bank.state === 'online' ? '✓ ' : '⚠ '}</span>
        {view.bank.state === 'online' ? 'In service' : `Out of service for officers (${view.bank.state})`}
      </p>
      {view.bank.problems.length > 0 ? (
        <ul className="hw-bank-problems" aria-label="What the bank's readings say">
          {view.bank.problems.map((p) => (
            <li key={p} className="message message-warning">
              <span aria-hidden="true">⚠ </span>
              {p}
            </li>
          ))}
        </ul>
      ) : null}
      {view.bank.lastError ? <p className="hw-device-error">Last error: {view.bank.lastError}</p> : null}

      <h3 id="hw-walk-title">Commissioning, door by door</h3>
      {!walk.commissioned ? (
        <p className="message message-warning hw-walk-never">
          <span aria-hidden="true">⚠ </span>
          This bank has never been commissioned: walk every door before go-live.
        </p>
      ) : walk.demo ? (
        <p className="muted">Demo bank: counts as commissioned.</p>
      ) : null}

      <div role="status" aria-live="polite" className="hw-walk-problem">
        {problem ? (
          <p className="message message-warning">
            <span aria-hidden="true">⚠ </span>
            {problem}
          </p>
        ) : null}
      </div>

      {running ? (
        <div className="hw-walk" role="group" aria-labelledby="hw-walk-title">
          {running.finding ? <p className="hw-walk-finding">Polarity probe: {running.finding}</p> : null}
          {running.step === 'polarity' ? (
            <>
              <p className="hw-walk-question">Proposed: {running.proposal}</p>
              <div className="hw-walk-buttons">
                <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void run(() => queries.bankWalkPolarity({ apply: true }))}>
                  Apply this setting
                </button>
                <button type="button" className="btn btn-secondary" disabled={busy} onClick={() => void run(() => queries.bankWalkPolarity({ apply: false }))}>
                  Leave it as it is
                </button>
              </div>
            </>
          ) : null}
          <p className="hw-walk-progress">
            Door {running.doorIndex + 1} of {running.doorCount}
          </p>
          {running.step === 'open' ? (
            <>
              {running.unlocked ? <p>{running.unlocked}</p> : null}
              <button type="button" className="btn btn-primary hw-walk-open" disabled={busy} onClick={() => void run(() => queries.bankWalkOpenDoor({}))}>
                Open door {running.doorNumber}
              </button>
            </>
          ) : null}
          {running.step === 'answer' ? (
            <>
              <p className="hw-walk-question">
                Door {running.doorNumber} is opening: did door {running.doorNumber} open?
              </p>
              <p className="muted">Sensor: {running.unlocked}</p>
              <div className="hw-walk-buttons">
                <button type="button" className="btn btn-primary hw-walk-yes" disabled={busy} onClick={() => void run(() => queries.bankWalkAnswer({ answer: 'yes', otherDoor: null }))}>
                  Yes, door {running.doorNumber} opened
                </button>
                <button type="button" className="btn btn-secondary hw-walk-no" disabled={busy} onClick={() => void run(() => queries.bankWalkAnswer({ answer: 'no', otherDoor: null }))}>
                  No, nothing opened
                </button>
                <button type="button" className="btn btn-secondary hw-walk-other" disabled={busy} onClick={() => setChoosingOther(true)}>
                  A different door opened
                </button>
                <button type="button" className="btn btn-secondary" disabled={busy} onClick={() => void run(() => queries.bankWalkOpenDoor({}))}>
                  Open door {running.doorNumber} again
                </button>
              </div>
              {choosingOther ? (
                <fieldset className="hw-walk-which">
                  <legend>Which door opened?</legend>
                  <div className="hw-walk-doors">
                    {otherDoors.map((n) => (
                      <button key={n} type="button" className="btn btn-secondary hw-walk-door" disabled={busy} onClick={() => void run(() => queries.bankWalkAnswer({ answer: 'other', otherDoor: n }))}>
                        Door {n}
                      </button>
                    ))}
                  </div>
                </fieldset>
              ) : null}
            </>
          ) : null}
          {running.step === 'remap' && running.otherDoor !== null ? (
            <>
              <p className="hw-walk-question">
                Door {running.otherDoor} opened when door {running.doorNumber} was unlocked. Swap the two doors in the layout?
              </p>
              <div className="hw-walk-buttons">
                <button type="button" className="btn btn-primary hw-walk-remap" disabled={busy} onClick={() => void run(() => queries.bankWalkRemap({ apply: true }))}>
                  Swap door {running.doorNumber} and door {running.otherDoor}
                </button>
                <button type="button" className="btn btn-secondary" disabled={busy} onClick={() => void run(() => queries.bankWalkRemap({ apply: false }))}>
                  Leave it as a finding
                </button>
              </div>
            </>
          ) : null}
          <button type="button" className="btn btn-secondary hw-walk-cancel" disabled={busy} onClick={() => void run(() => queries.cancelBankWalk({}))}>
            Cancel the walk
          </button>
        </div>
      ) : (
        <button type="button" className="btn btn-primary hw-walk-start" disabled={busy} onClick={() => void run(() => queries.startBankWalk({}))}>
          Start the commissioning walk
        </button>
      )}

      {walk.last ? (
        <div className="hw-walk-last">
          <h3>Last walk</h3>
          <p>
            Started {formatDrawnAt(walk.last.startedAt)} by {walk.last.startedBy}
            {walk.last.outcome ? ` · ${OUTCOME_TEXT[walk.last.outcome]}` : ' · running'}
            {walk.last.finishedAt ? ` · ended ${formatDrawnAt(walk.last.finishedAt)}` : ''}
          </p>
          {walk.last.finding ? <p className="muted">Polarity: {walk.last.finding}</p> : null}
          {walk.last.doors.length > 0 ? (
            <table className="hw-walk-table">
              <caption className="visually-hidden">Doors answered in the last walk</caption>
              <thead>
                <tr>
                  <th scope="col">Door</th>
                  <th scope="col">Answer</th>
                  <th scope="col">By</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {walk.last.doors.map((d) => (
                  <tr key={d.doorNumber} data-door={d.doorNumber} data-answer={d.answer}>
                    <td>{d.doorNumber}</td>
                    <td>
                      {ANSWER_TEXT[d.answer]}
                      {d.otherDoor !== null ? ` (door ${d.otherDoor})` : ''}
                      {d.remapped ? ' · remapped' : ''}
                    </td>
                    <td>{d.answeredBy}</td>
                    <td>{formatDrawnAt(d.answeredAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
