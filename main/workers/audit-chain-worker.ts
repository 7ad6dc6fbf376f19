import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { CHAIN_COLUMNS, GENESIS_HASH, walkChain, type ChainRow } from '../core/audit-chain.ts';
import { parseCheckpoint, type SignedCheckpoint } from '../core/audit-checkpoint.ts';
import { checkAuditIntegrity } from '../core/audit-integrity.ts';

/**
 * Walks the whole audit chain on its own read-only connection (WAL lets it read while main
 * writes) and posts the verdict. It runs in a worker thread so a million-row walk neither
 * blocks main nor leaves its garbage in main's heap: the thread and its heap go when it ends.
 * With a public key it runs the whole integrity check (triggers, chain, signed checkpoints,
 * and the exported copy of the checkpoints when that file can be read).
 */
const { path, publicKeyPem, checkpointsFile } = workerData as { path: string; publicKeyPem?: string; checkpointsFile?: string | null };

/** The exported checkpoints this terminal can still read (another volume may be unmounted: then none). */
function exportedCheckpoints(file: string | null | undefined): SignedCheckpoint[] {
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: SignedCheckpoint[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parsed = parseCheckpoint(line);
    if (typeof parsed !== 'string') out.push(parsed);
  }
  return out;
}

const db = new Database(path, { readonly: true, fileMustExist: true });
try {
  if (publicKeyPem) {
    parentPort?.postMessage(checkAuditIntegrity(db, { publicKeyPem, external: exportedCheckpoints(checkpointsFile), signatures: 'latest' }));
  } else {
    const rows = db.prepare(`SELECT ${CHAIN_COLUMNS} FROM audit_log ORDER BY seq`).raw().iterate() as IterableIterator<ChainRow>;
    parentPort?.postMessage(walkChain(rows, { seq: 0, hash: GENESIS_HASH }));
  }
} finally {
  db.close();
}
