/** What an action on a screen came to, shown to the person who pressed it. */
export type Outcome = { ok: true; message: string } | { ok: false; message: string };

/**
 * A polite status region for successes and an alert region for failures and problems,
 * always rendered (empty when quiet) so screen readers announce what appears in them.
 */
export function OutcomeRegions({ outcome, problem, classPrefix }: { outcome: Outcome | null; problem: string | null; classPrefix: string }) {
  return (
    <>
      <div role="status" className={`${classPrefix}-status`}>
        {outcome?.ok ? (
          <p className="message message-ok">
            <span aria-hidden="true">✓ </span>
            {outcome.message}
          </p>
        ) : null}
      </div>
      <div role="alert" className={`${classPrefix}-alert`}>
        {outcome && !outcome.ok ? (
          <p className="message message-error">
            <span aria-hidden="true">✕ </span>
            {outcome.message}
          </p>
        ) : null}
        {problem ? (
          <p className="message message-warning">
            <span aria-hidden="true">⚠ </span>
            {problem}
          </p>
        ) : null}
      </div>
    </>
  );
}
