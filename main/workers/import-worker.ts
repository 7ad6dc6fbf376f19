import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../core/db/database.ts';
import { runImport, type ImportRequest } from '../core/imports.ts';
import { yieldToMainThread } from './run-worker.ts';

/**
 * One import on a connection of its own, off the kiosk's main thread (see import-runner.ts):
 * the file is decoded, parsed and checked here, and written here in its one transaction.
 */
const { path, request } = workerData as { path: string; request: ImportRequest };
yieldToMainThread();

const db = openDatabase(path);
try {
  parentPort?.postMessage(await runImport(db, request));
} finally {
  db.close();
}
