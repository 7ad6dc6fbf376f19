import { hash } from 'node:crypto';
import type { Db } from './db/database.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** Who did it: an officer ("officer:12") or the terminal itself ("system"). */
export type AuditActor = `officer:${number}` | 'system';

export interface AuditEntry {
  actor: AuditActor;
  action: string; // "draw.intent", "auth.locked", ...
  subject: string; // "asset:5", "door:3", "card:…"
  details: Record<string, unknown>;
}

export type ChainVerdict =
  | { ok: true; rows: number; lastHash: string }
  | { ok: false; rows: number; firstBrokenSeq: number; reason: string };

/** JSON with object keys sorted, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
      return sorted;
    }
    return v;
  });
}

function rowHash(prevHash: string, seq: number, at: string, actor: string, action: string, subject: string, details: string): string {
  // One-shot hash(): no Hash object per row, which is most of the verifier's time.
  return hash('sha256', `${prevHash}\n${seq}\n${at}\n${actor}\n${action}\n${subject}\n${details}`, 'hex');
}

/**
 * Append-only, hash-chained audit log. `append` must run inside the caller's transaction
 * so a state change and its audit row commit or roll back together.
 */
export class AuditLog {
  private readonly lastRow;
  private readonly insert;

  constructor(private readonly db: Db) {
    this.lastRow = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.insert = db.prepare(
      'INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  append(entry: AuditEntry, at: Date): number {
    if (!this.db.inTransaction) throw new Error('audit rows are written inside the transaction of the change they record');
    const last = this.lastRow.get();
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const iso = at.toISOString();
    const details = canonicalJson(entry.details);
    const digest = rowHash(prevHash, seq, iso, entry.actor, entry.action, entry.subject, details);
    this.insert.run(seq, iso, entry.actor, entry.action, entry.subject, details, prevHash, digest);
    return seq;
  }

  /** Walk the whole chain; names the first row whose link or content does not match. */
  verify(): ChainVerdict {
    const rows = this.db
      .prepare('SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_log ORDER BY seq')
      .raw()
      .iterate() as IterableIterator<[number, string, string, string, string, string, string, string]>;
    let expectedPrev = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    for (const [seq, at, actor, action, subject, details, prevHash, rowHashStored] of rows) {
      let reason: string | null = null;
      if (seq !== expectedSeq) reason = `row ${seq} follows row ${expectedSeq - 1}: rows are missing`;
      else if (prevHash !== expectedPrev) reason = `row ${seq} does not link to the hash of row ${seq - 1}`;
      else if (rowHash(prevHash, seq, at, actor, action, subject, details) !== rowHashStored) reason = `row ${seq} content does not match its hash (altered)`;
      if (reason !== null) {
        rows.return?.();
        return { ok: false, rows: count, firstBrokenSeq: seq, reason };
      }
      expectedPrev = rowHashStored;
      expectedSeq = seq + 1;
      count++;
    }
    return { ok: true, rows: count, lastHash: expectedPrev };
  }
}
