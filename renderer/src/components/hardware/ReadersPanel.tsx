import { TestResult } from './TestResult.tsx';
import type { RunTest, TestOutcome } from './types.ts';

/** Card reader and tag scanner tests: the next card or scan (within 15 s) is shown here. */
export function ReadersPanel({
  results,
  pending,
  runTest,
}: {
  results: Readonly<Record<string, TestOutcome>>;
  pending: ReadonlySet<string>;
  runTest: RunTest;
}) {
  return (
    <section aria-labelledby="hw-readers-title" className="panel">
      <h2 id="hw-readers-title">Readers</h2>
      <p className="hint hw-hint">The next card or tag goes to the test instead of signing in or returning.</p>
      <div className="hw-reader-grid">
        <div className="hw-reader">
          <button
            type="button"
            className="btn btn-secondary"
            disabled={pending.has('read-card')}
            onClick={() => runTest('read-card', { action: 'read-card' }, 'Waiting for a card… (15 s)')}
          >
            Read a test card
          </button>
          <TestResult outcome={results['read-card']} />
        </div>
        <div className="hw-reader">
          <button
            type="button"
            className="btn btn-secondary"
            disabled={pending.has('read-scan')}
            onClick={() => runTest('read-scan', { action: 'read-scan' }, 'Waiting for a scan… (15 s)')}
          >
            Read a test scan
          </button>
          <TestResult outcome={results['read-scan']} />
        </div>
      </div>
    </section>
  );
}
