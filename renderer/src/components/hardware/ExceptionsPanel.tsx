import type { ExceptionView } from '../../../../preload/contract.ts';
import { formatDrawnAt } from '../../format.ts';

const STATE_TEXT: Record<ExceptionView['state'], string> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
};

/** The most recent exceptions (forced doors, doors left open, failed triggers, devices offline). */
export function ExceptionsPanel({ exceptions }: { exceptions: ExceptionView[] }) {
  return (
    <section aria-labelledby="hw-exceptions-title" className="panel">
      <h2 id="hw-exceptions-title">Recent exceptions</h2>
      {exceptions.length === 0 ? (
        <p className="muted">No exceptions recorded.</p>
      ) : (
        <ul className="hw-exceptions">
          {exceptions.map((exception) => (
            <li key={exception.id} className={`hw-exception hw-exception-${exception.state}`}>
              <p className="hw-exception-head">
                <span className="hw-exception-kind">{exception.kind}</span>
                <span className="visually-hidden">, </span>
                <span className="hw-exception-meta">
                  <time dateTime={exception.raisedAt}>{formatDrawnAt(exception.raisedAt)}</time> · {STATE_TEXT[exception.state]}
                </span>
              </p>
              <p className="hw-exception-message">{exception.message}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
