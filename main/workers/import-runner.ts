import type { ImportOutcome, ImportRequest } from '../core/imports.ts';
import type { ImportRunner } from '../core/ports.ts';
import { runWorker } from './run-worker.ts';

/**
 * The kiosk's imports, each in a fresh worker thread with its own connection to the database
 * file, so the main thread goes on answering the touchscreen while a large file is read,
 * checked and written.
 *
 * What the main thread still waits on is SQLite's one write lock. A training import checks its
 * file against a snapshot without the lock and takes it only to write (see
 * TrainingImports.plan); the personnel and register imports hold it while they check, as they
 * did in process. While the lock is held, a write of the kiosk's own (a sign-in, a draw) waits
 * for it on the main thread, for at most that long (busy_timeout); reads do not wait (WAL).
 *
 * Imports run one at a time, in the order asked: two at once would only queue on the write
 * lock, and the second could wait past busy_timeout and fail.
 */
export function workerImportRunner(databasePath: string): ImportRunner {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    run(request) {
      const next = queue.then(() => importInWorker(databasePath, request));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}

/**
 * The import's heap is capped, so a runaway file cannot take the terminal's memory (and it goes
 * with the thread). Measured for training files: 100,000 rows (5.9 MB) against 10,000 officers
 * fit in 48 MB of old generation; the largest upload the contract lets through, 300,000 rows
 * (17.9 MB of CSV) or 190,000 as JSON (19.6 MB) against 30,000 officers, needs more than 128 MB
 * and fits in 256 MB. 384 MB leaves room above that.
 */
const IMPORT_HEAP = { maxOldGenerationSizeMb: 384, maxYoungGenerationSizeMb: 32 };

async function importInWorker(path: string, request: ImportRequest): Promise<ImportOutcome> {
  try {
    return await runWorker<ImportOutcome>('import-worker', { path, request }, IMPORT_HEAP);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      throw new Error(`the ${request.kind} import ran out of memory: the file is too large to check at once`, { cause: error });
    }
    throw error;
  }
}
