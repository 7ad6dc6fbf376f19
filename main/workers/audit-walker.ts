import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ChainVerdict } from '../core/audit-chain.ts';
import type { ChainWalker } from '../core/ports.ts';

/**
 * The console's whole-chain walks, each in a fresh worker thread over the database file. The
 * worker is electron-vite's audit-chain-worker.mjs beside the built main process, or the source
 * file when running from a checkout (Node strips its types).
 */
export function workerChainWalker(databasePath: string): ChainWalker {
  const built = new URL('./audit-chain-worker.mjs', import.meta.url);
  const script = existsSync(built) ? built : new URL('./audit-chain-worker.ts', import.meta.url);
  return {
    walk: () =>
      new Promise<ChainVerdict>((resolve, reject) => {
        const worker = new Worker(script, {
          workerData: { path: databasePath },
          // No loader flags of the parent's (a test runner's): the worker is plain JavaScript or strippable TypeScript.
          execArgv: [],
          // The walk keeps nothing, so a small heap only makes V8 collect sooner. Measured on a
          // million rows: unbounded, a walk left ~100 MB resident; 32/8 MB leaves the terminal at
          // ~193 MB after a console session and walks at ~330k rows/s; 24/4 MB saves 7 MB and
          // walks a third slower.
          resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
        });
        let verdict: ChainVerdict | null = null;
        worker.once('message', (message: ChainVerdict) => (verdict = message));
        worker.once('error', reject);
        worker.once('exit', (code) => (verdict ? resolve(verdict) : reject(new Error(`the audit chain walk stopped (exit code ${code}) without a verdict`))));
      }),
  };
}
