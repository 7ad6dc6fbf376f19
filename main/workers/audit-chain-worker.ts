import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { joinSlices, sliceBounds, walkSlice, type ChainVerdict } from '../core/audit-chain.ts';
import { parseCheckpoint, type SignedCheckpoint } from '../core/audit-checkpoint.ts';
import { checkAuditIntegrity } from '../core/audit-integrity.ts';
import { walkInWorker, type ChainWalkRequest, type SliceRequest } from './audit-walker.ts';
import { yieldToMainThread } from './run-worker.ts';

/**
 * Walks the audit chain on its own read-only connection (WAL lets it read while main writes)
 * and posts the verdict. It runs in a worker thread so a million-row walk neither blocks main
 * nor leaves its garbage in main's heap: the thread and its heap go when it ends.
 *
 * A whole walk is split into slices by seq, each walked by its own thread at once (this one
 * and helpers it starts with this same file): each row stores its previous row's hash, so a
 * slice needs only the row before it to start from, and the slices' verdicts join into the one
 * a walk from row 1 would give (see joinSlices). With a public key it then runs the rest of the
 * integrity check (triggers, signed checkpoints, and the exported copy of the checkpoints when
 * that file can be read) against the joined walk.
 */
const request = workerData as ChainWalkRequest | SliceRequest;
yieldToMainThread();

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

async function walkWhole(db: Database.Database, request: ChainWalkRequest): Promise<ChainVerdict> {
  const lastSeq = db.prepare<[], { n: number | null }>('SELECT max(seq) AS n FROM audit_log').get()?.n ?? 0;
  const slices = lastSeq >= request.sliceFromRows ? Math.max(1, request.slices) : 1;
  const bounds = sliceBounds(lastSeq, slices);
  // The helpers start first, so their slices are walked while this thread walks the first.
  const helpers = bounds.slice(1).map((after, i) => walkInWorker<ChainVerdict>({ path: request.path, after, upTo: bounds[i + 2] ?? null }));
  // A failed helper is awaited below; until then its rejection must not count as unhandled.
  for (const helper of helpers) helper.catch(() => undefined);
  const first = walkSlice(db, 0, bounds[1] ?? null);
  return joinSlices([first, ...(await Promise.all(helpers))]);
}

const db = new Database(request.path, { readonly: true, fileMustExist: true });
try {
  if ('after' in request) {
    parentPort?.postMessage(walkSlice(db, request.after, request.upTo));
  } else {
    const chain = await walkWhole(db, request);
    const { integrity } = request;
    if (!integrity) parentPort?.postMessage(chain);
    else {
      const external = integrity.external ?? exportedCheckpoints(integrity.checkpointsFile);
      parentPort?.postMessage(checkAuditIntegrity(db, { publicKeyPem: integrity.publicKeyPem, external, signatures: integrity.signatures, chain }));
    }
  }
} finally {
  db.close();
}
