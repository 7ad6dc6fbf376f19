import type { HardwareView } from '../../../../preload/contract.ts';
import { TestResult } from './TestResult.tsx';
import type { RunTest, TestOutcome } from './types.ts';

type DoorReading = HardwareView['doors'][number];

/** Per bus: its protocol, a board-status test, and a grid of its doors with "Open door N". */
export function LockerBankPanel({
  buses,
  doors,
  results,
  pending,
  runTest,
}: {
  buses: HardwareView['buses'];
  doors: HardwareView['doors'];
  results: Readonly<Record<string, TestOutcome>>;
  pending: ReadonlySet<string>;
  runTest: RunTest;
}) {
  const readings = new Map(doors.map((door) => [door.number, door]));
  return (
    <section aria-labelledby="hw-bank-title" className="panel">
      <h2 id="hw-bank-title">Locker bank</h2>
      {buses.length === 0 ? (
        <p className="muted">No locker bus is configured.</p>
      ) : (
        <div className="hw-buses">
          {buses.map((bus) => {
            const statusKey = `board-status:${bus.id}`;
            const titleId = `hw-bus-${bus.id}`;
            return (
              <section key={bus.id} aria-labelledby={titleId} className="hw-bus">
                <div className="hw-bus-head">
                  <h3 id={titleId}>
                    Bus {bus.id} <span className="hw-bus-protocol">({bus.protocol})</span>
                  </h3>
                  <button
                    type="button"
                    className="btn btn-secondary"
                    disabled={pending.has(statusKey)}
                    onClick={() => runTest(statusKey, { action: 'board-status', busId: bus.id }, `Reading the status of bus ${bus.id}…`)}
                  >
                    Read board status
                  </button>
                </div>
                <TestResult outcome={results[statusKey]} pre />
                <ul className="hw-door-grid" aria-label={`Doors on bus ${bus.id}`}>
                  {bus.doorNumbers.map((n) => (
                    <Door
                      key={n}
                      number={n}
                      reading={readings.get(n)}
                      busy={pending.has(`open-door:${n}`)}
                      onOpen={() => runTest(`open-door:${n}`, { action: 'open-door', doorNumber: n }, `Opening door ${n}…`)}
                    />
                  ))}
                </ul>
              </section>
            );
          })}
        </div>
      )}
    </section>
  );
}

function Door({ number, reading, busy, onOpen }: { number: number; reading: DoorReading | undefined; busy: boolean; onOpen: () => void }) {
  const state = reading === undefined ? 'unknown' : reading.open ? 'open' : 'closed';
  const item =
    reading === undefined || reading.itemPresent === null
      ? reading === undefined
        ? null
        : 'No item sensor'
      : reading.itemPresent
        ? 'Item inside'
        : 'Empty';
  return (
    <li className={`hw-door hw-door-${state}`} data-door={number} data-state={state}>
      <p className="hw-door-number">
        Door {number}
        <span className="visually-hidden">: </span>
      </p>
      <p className="hw-door-state">
        <span aria-hidden="true">{state === 'open' ? '○ ' : state === 'closed' ? '● ' : '? '}</span>
        {state === 'open' ? 'Open' : state === 'closed' ? 'Closed' : 'No reading'}
      </p>
      <p className="hw-door-item">
        {item ?? ' '}
      </p>
      <button type="button" className="btn btn-secondary btn-door" disabled={busy} onClick={onOpen}>
        Open door {number}
      </button>
    </li>
  );
}
