import type Database from 'better-sqlite3';
import { GENESIS, walkChain, type ChainVerdict } from './audit-chain.ts';
import { CHECKPOINT_FORMAT, checkpointSignatureValid, type CheckpointReason, type SignedCheckpoint } from './audit-checkpoint.ts';
import { AUDIT_TRIGGERS } from './db/migrations/008-audit-anchoring.ts';

/**
 * The one check of the audit trail against its anchors, shared by the terminal's start-up check
 * (in the worker thread), the console's full walks and the command-line verifier:
 * - the append-only and insert-guard triggers are there, as the migrations made them;
 * - the chain walks from row 1 with every link and hash intact;
 * - every signed checkpoint's row is there and still has the hash that was signed;
 * - the checkpoints' signatures verify against the terminal's public key.
 * (Plain functions only: the worker and the verifier load this file as it is.)
 */

export interface CheckpointSummary {
  seq: number;
  at: string;
  reason: CheckpointReason;
}

export interface IntegrityVerdict {
  ok: boolean;
  /** The chain walk alone (links and hashes from row 1). */
  chain: ChainVerdict;
  /** The first row known to be broken or missing; null when nothing is, or only a trigger is wrong. */
  firstBrokenSeq: number | null;
  /** Set when the log ends before a signed checkpoint: rows were cut off the end (or all of them). */
  shorterThan: { checkpointSeq: number; lastSeq: number } | null;
  /** Every problem found, in words; empty when ok: those with the rows, then those with the triggers. */
  problems: string[];
  /** The problems with the triggers alone. */
  triggerProblems: string[];
  /** The checkpoint that covers the most rows, from the database or an exported copy. */
  latestCheckpoint: CheckpointSummary | null;
  checkpoints: number;
}

export interface IntegrityOptions {
  /** The terminal's public key (PEM); checkpoint signatures are checked against it. */
  publicKeyPem: string;
  /** Checkpoints from outside the database (an exported JSON-lines copy), checked as the stored ones are. */
  external?: readonly SignedCheckpoint[];
  /**
   * 'all' checks every checkpoint's signature (the verifier); 'latest' only the one covering the
   * most rows (start-up: the others' rows are checked against their hashes, which is what matters
   * for tampering, and a terminal that signs at every sign-out collects many checkpoints).
   */
  signatures: 'all' | 'latest';
  /** The chain's walk when it was already made (in slices, by worker threads); walked here when absent. */
  chain?: ChainVerdict;
}

const normalise = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

/** The integrity triggers that are missing or not as the migrations made them, in words. */
export function triggerProblems(db: Database.Database): string[] {
  const found = new Map(
    (db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as { name: string; sql: string | null }[]).map((t) => [t.name, t.sql ?? '']),
  );
  const problems: string[] = [];
  for (const [name, sql] of Object.entries(AUDIT_TRIGGERS)) {
    const actual = found.get(name);
    if (actual === undefined) problems.push(`the ${name} trigger is missing: someone dropped it`);
    else if (normalise(actual) !== normalise(sql)) problems.push(`the ${name} trigger is not the one the terminal made: it has been replaced`);
  }
  return problems;
}

/** Every checkpoint in the database, oldest first. */
export function storedCheckpoints(db: Database.Database): SignedCheckpoint[] {
  return (
    db
      .prepare('SELECT seq, head_hash AS headHash, at, terminal_id AS terminalId, reason, key_fingerprint AS keyFingerprint, signature FROM audit_checkpoints ORDER BY id')
      .all() as Omit<SignedCheckpoint, 'format'>[]
  ).map((c) => ({ format: CHECKPOINT_FORMAT, ...c }));
}

const describe = (c: SignedCheckpoint): string => `the checkpoint signed ${c.at} (row ${c.seq})`;

/** Check the audit trail of an open database (read-only is enough) against its triggers and checkpoints. */
export function checkAuditIntegrity(db: Database.Database, options: IntegrityOptions): IntegrityVerdict {
  const problems: string[] = [];
  const chain = options.chain ?? walkChain(db, GENESIS);
  let firstBrokenSeq: number | null = null;
  if (!chain.ok) {
    firstBrokenSeq = chain.firstBrokenSeq;
    problems.push(chain.reason);
  }

  const stored = storedCheckpoints(db);
  // Stored and external copies of the same checkpoint are one; different ones at the same seq are both checked.
  const seen = new Set<string>();
  const checkpoints = [...stored, ...(options.external ?? [])]
    .filter((c) => {
      const key = `${c.seq}:${c.headHash}:${c.signature}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.seq - b.seq || a.at.localeCompare(b.at));
  const latest = checkpoints.at(-1) ?? null;

  const lastSeq = (db.prepare('SELECT max(seq) AS n FROM audit_log').get() as { n: number | null }).n ?? 0;
  const hashAt = db.prepare<[number], { hash: string }>('SELECT hash FROM audit_log WHERE seq = ?');
  let shorterThan: IntegrityVerdict['shorterThan'] = null;
  // The last checkpoint whose row still has its signed hash: rows up to it are as they were signed.
  let lastGood = 0;
  let mismatch: SignedCheckpoint | null = null;
  for (const c of checkpoints) {
    if (options.signatures === 'all' || c === latest) {
      if (!checkpointSignatureValid(c, options.publicKeyPem)) problems.push(`${describe(c)} has a bad signature: it was not signed by this terminal's key, or was altered`);
    }
    if (c.seq > lastSeq) {
      shorterThan ??= { checkpointSeq: checkpoints.at(-1)?.seq ?? c.seq, lastSeq };
      continue;
    }
    const row = hashAt.get(c.seq);
    if (row === undefined) continue; // a missing middle row: the chain walk has named it
    if (row.hash === c.headHash) {
      if (mismatch === null) lastGood = c.seq;
    } else {
      mismatch ??= c;
    }
  }
  if (mismatch !== null) {
    const from = lastGood + 1;
    firstBrokenSeq = Math.min(firstBrokenSeq ?? from, from);
    problems.push(
      `rows ${from}–${mismatch.seq} were rewritten: row ${mismatch.seq}'s hash no longer matches ${describe(mismatch)}` +
        (lastGood > 0 ? `, though row ${lastGood} still matches its checkpoint` : ''),
    );
  }
  if (shorterThan !== null) {
    firstBrokenSeq = Math.min(firstBrokenSeq ?? shorterThan.lastSeq + 1, shorterThan.lastSeq + 1);
    problems.push(
      lastSeq === 0
        ? `the audit log is empty, but a signed checkpoint covers rows 1–${shorterThan.checkpointSeq}: every row was deleted`
        : `the chain is shorter than the signed checkpoint: it ends at row ${lastSeq}, but a checkpoint covers rows up to ${shorterThan.checkpointSeq} (rows ${lastSeq + 1}–${shorterThan.checkpointSeq} are gone)`,
    );
  }
  const triggers = triggerProblems(db);
  problems.push(...triggers);
  return {
    ok: problems.length === 0,
    chain,
    firstBrokenSeq,
    shorterThan,
    problems,
    triggerProblems: triggers,
    latestCheckpoint: latest ? { seq: latest.seq, at: latest.at, reason: latest.reason } : null,
    checkpoints: checkpoints.length,
  };
}
