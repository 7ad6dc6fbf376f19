import type { TestOutcome } from './types.ts';
import { OUTCOME_ICON, outcomeText } from './types.ts';

/** A test's result next to the control that ran it (the screen's status region announces it). */
export function TestResult({ outcome, pre = false }: { outcome: TestOutcome | undefined; pre?: boolean }) {
  if (!outcome) return null;
  const className = `hw-result hw-result-${outcome.state}`;
  if (pre && outcome.state !== 'waiting') {
    return (
      <div className={className}>
        <p className="hw-result-head">
          <span aria-hidden="true">{OUTCOME_ICON[outcome.state]} </span>
          {outcome.state === 'ok' ? 'Board status' : 'Failed'}
        </p>
        <pre className="hw-pre">{outcome.message}</pre>
      </div>
    );
  }
  return (
    <p className={className}>
      <span aria-hidden="true">{OUTCOME_ICON[outcome.state]} </span>
      {outcomeText(outcome)}
    </p>
  );
}
