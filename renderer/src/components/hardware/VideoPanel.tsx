import type { HardwareView } from '../../../../preload/contract.ts';
import { TestResult } from './TestResult.tsx';
import type { RunTest, TestOutcome } from './types.ts';

const POLICY_TEXT: Record<HardwareView['videoPolicy'], string> = {
  required: 'Required: no door is released while a trigger is down.',
  'best-effort': 'Best effort: doors are released and an exception is raised if a trigger fails.',
  off: 'Off: no recording is triggered.',
};

/** The video policy and a test button per trigger. */
export function VideoPanel({
  policy,
  triggers,
  results,
  pending,
  runTest,
}: {
  policy: HardwareView['videoPolicy'];
  triggers: HardwareView['triggers'];
  results: Readonly<Record<string, TestOutcome>>;
  pending: ReadonlySet<string>;
  runTest: RunTest;
}) {
  return (
    <section aria-labelledby="hw-video-title" className="panel">
      <h2 id="hw-video-title">Video</h2>
      <p>
        <span className="hw-label">Policy: </span>
        {POLICY_TEXT[policy]}
      </p>
      {triggers.length === 0 ? (
        <p className="muted hw-gap">No video triggers are configured.</p>
      ) : (
        <ul className="hw-triggers">
          {triggers.map((trigger) => {
            const key = `trigger-video:${trigger.id}`;
            return (
              <li key={trigger.id} className="hw-trigger">
                <div className="hw-trigger-line">
                  <span>
                    {trigger.id} <span className="muted">({trigger.kind})</span>
                  </span>
                  <button
                    type="button"
                    className="btn btn-secondary"
                    disabled={pending.has(key)}
                    onClick={() => runTest(key, { action: 'trigger-video', triggerId: trigger.id }, `Triggering ${trigger.id}…`)}
                  >
                    Trigger {trigger.id}
                  </button>
                </div>
                <TestResult outcome={results[key]} />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
