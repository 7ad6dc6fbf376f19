import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { CHAIN_COLUMNS, GENESIS_HASH, walkChain, type ChainRow } from '../core/audit-chain.ts';

/**
 * Walks the whole audit chain on its own read-only connection (WAL lets it read while main
 * writes) and posts the verdict. It runs in a worker thread so a million-row walk neither
 * blocks main nor leaves its garbage in main's heap: the thread and its heap go when it ends.
 */
const { path } = workerData as { path: string };
const db = new Database(path, { readonly: true, fileMustExist: true });
try {
  const rows = db.prepare(`SELECT ${CHAIN_COLUMNS} FROM audit_log ORDER BY seq`).raw().iterate() as IterableIterator<ChainRow>;
  parentPort?.postMessage(walkChain(rows, { seq: 0, hash: GENESIS_HASH }));
} finally {
  db.close();
}
