import { hash } from 'node:crypto';

/**
 * The audit chain's one hash rule and one verifier, shared by the log itself, the console's
 * incremental checks and the worker thread that walks the whole chain off the main thread.
 * (Plain functions only: the worker loads this file as it is.)
 */

export const GENESIS_HASH = '0'.repeat(64);

/** One stored row, in column order: seq, at, actor, action, subject, details, prev_hash, hash. */
export type ChainRow = [number, string, string, string, string, string, string, string];

export const CHAIN_COLUMNS = 'seq, at, actor, action, subject, details, prev_hash, hash';

export type ChainVerdict =
  | { ok: true; rows: number; lastSeq: number; lastHash: string }
  | { ok: false; rows: number; firstBrokenSeq: number; reason: string };

/** SHA-256 over the previous row's hash and this row's canonical content. */
export function rowHash(prevHash: string, seq: number, at: string, actor: string, action: string, subject: string, details: string): string {
  // One-shot hash(): no Hash object per row, which is most of the verifier's time.
  return hash('sha256', `${prevHash}\n${seq}\n${at}\n${actor}\n${action}\n${subject}\n${details}`, 'hex');
}

/**
 * Walk rows (in seq order) that should follow `after` (the last row already trusted, or seq 0
 * and the genesis hash); names the first row whose position, link or content is wrong.
 * `rowsBefore` is how many rows were trusted already, so the count covers the whole chain.
 */
export function walkChain(rows: Iterable<ChainRow>, after: { seq: number; hash: string }, rowsBefore = 0): ChainVerdict {
  let expectedPrev = after.hash;
  let expectedSeq = after.seq + 1;
  let count = rowsBefore;
  for (const [seq, at, actor, action, subject, details, prevHash, stored] of rows) {
    let reason: string | null = null;
    if (seq !== expectedSeq) reason = `row ${seq} follows row ${expectedSeq - 1}: rows are missing`;
    else if (prevHash !== expectedPrev) reason = `row ${seq} does not link to the hash of row ${seq - 1}`;
    else if (rowHash(prevHash, seq, at, actor, action, subject, details) !== stored) reason = `row ${seq} content does not match its hash (altered)`;
    if (reason !== null) return { ok: false, rows: count, firstBrokenSeq: seq, reason };
    expectedPrev = stored;
    expectedSeq = seq + 1;
    count++;
  }
  return { ok: true, rows: count, lastSeq: expectedSeq - 1, lastHash: expectedPrev };
}
