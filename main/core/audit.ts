import type { AuditAction, AuditDetails, ExhibitAuditAction, ExhibitDetails, IntentAuditAction, IntentDetails } from './audit-actions.ts';
import { GENESIS, GENESIS_HASH, rowHash, walkChain, type ChainVerdict } from './audit-chain.ts';
import type { Db } from './db/database.ts';

export { GENESIS_HASH, type ChainVerdict } from './audit-chain.ts';
export type { AuditAction, IntentAuditAction } from './audit-actions.ts';

/** Who did it: an officer ("officer:12") or the terminal itself ("system"). */
export type AuditActor = `officer:${number}` | 'system';

/** One row to append: an action from the typed list, with exactly the details that action carries. */
export type AuditEntry = {
  [A in AuditAction]: { actor: AuditActor; action: A; subject: string; details: AuditDetails[A] };
}[AuditAction];
/**
 * A door intent's transition row: every such action carries IntentDetails. Said once for them
 * all, as the compiler cannot match an object to a union of that many members.
 */
export interface IntentAuditEntry {
  actor: AuditActor;
  action: IntentAuditAction;
  subject: string;
  details: IntentDetails;
}
/** An exhibit's chain-of-custody row: every such action carries ExhibitDetails (as IntentAuditEntry). */
export interface ExhibitAuditEntry {
  actor: AuditActor;
  action: ExhibitAuditAction;
  subject: string;
  details: ExhibitDetails;
}
/** One stored row, exactly as hashed: what a checkpoint anchors and what the estate's ingest takes. */
export interface StoredAuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: string;
  prevHash: string;
  hash: string;
}

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

/**
 * Append-only, hash-chained audit log. `append` must run inside the caller's transaction
 * so a state change and its audit row commit or roll back together.
 */
export class AuditLog {
  private readonly lastRow;
  private readonly insert;
  private readonly anchorRow;
  private appended: ((seq: number, action: AuditAction) => void) | null = null;

  constructor(private readonly db: Db) {
    this.lastRow = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.insert = db.prepare(
      'INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.anchorRow = db.prepare<[number], StoredAuditRow>(
      'SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log WHERE seq = ?',
    );
  }

  append(entry: AuditEntry | IntentAuditEntry | ExhibitAuditEntry, at: Date): number {
    if (!this.db.inTransaction) throw new Error('audit rows are written inside the transaction of the change they record');
    const last = this.lastRow.get();
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const iso = at.toISOString();
    const details = canonicalJson(entry.details);
    const digest = rowHash(prevHash, seq, iso, entry.actor, entry.action, entry.subject, details);
    this.insert.run(seq, iso, entry.actor, entry.action, entry.subject, details, prevHash, digest);
    this.appended?.(seq, entry.action);
    return seq;
  }

  /**
   * Told of every row appended, inside the writer's transaction (so it must only note, never
   * write): the checkpoint policy counts rows and sees sign-outs with it. One listener.
   */
  onAppend(listener: (seq: number, action: AuditAction) => void): void {
    this.appended = listener;
  }

  /** Walk the whole chain; names the first row whose link or content does not match. */
  verify(): ChainVerdict {
    return walkChain(this.db, GENESIS);
  }

  /**
   * Continue a good verdict over the rows appended since `trusted` (its last row is checked
   * again first, so an edit to it is caught too): the console's cheap check between full walks.
   */
  verifyAfter(trusted: { lastSeq: number; lastHash: string; rows: number }): ChainVerdict {
    if (trusted.lastSeq > 0) {
      const anchor = this.anchorRow.get(trusted.lastSeq);
      if (!anchor) return { ok: false, rows: trusted.rows - 1, firstBrokenSeq: trusted.lastSeq, reason: `row ${trusted.lastSeq} is missing` };
      const { seq, at, actor, action, subject, details, prevHash, hash: stored } = anchor;
      if (stored !== trusted.lastHash || rowHash(prevHash, seq, at, actor, action, subject, details) !== stored) {
        return { ok: false, rows: trusted.rows - 1, firstBrokenSeq: seq, reason: `row ${seq} content does not match its hash (altered)` };
      }
    }
    return walkChain(this.db, { seq: trusted.lastSeq, hash: trusted.lastHash }, { rowsBefore: trusted.rows });
  }
}
