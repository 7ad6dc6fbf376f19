import Database from 'better-sqlite3';
import { AuditAnchor, type CheckpointPolicy } from '../../main/core/audit-anchor.ts';
import { rowHash, GENESIS_HASH } from '../../main/core/audit-chain.ts';
import { checkAuditIntegrity } from '../../main/core/audit-integrity.ts';
import { AuditLog, type StoredAuditRow } from '../../main/core/audit.ts';
import { openDatabase, type Db } from '../../main/core/db/database.ts';
import { AUDIT_TRIGGERS } from '../../main/core/db/migrations/008-audit-anchoring.ts';
import { Exceptions } from '../../main/core/exceptions.ts';
import type { CheckpointSink, IntegrityChecker, Signer } from '../../main/core/ports.ts';
import { loadOrCreateTerminalKey } from '../../main/terminal-key.ts';
import { ManualTime } from './manual-time.ts';
import { join } from './temp-db.ts';

/** A real database file with an audit chain and the terminal's anchor over it, as the kiosk builds them. */
export interface AnchoredDb {
  path: string;
  db: Db;
  audit: AuditLog;
  anchor: AuditAnchor;
  signer: Signer;
  time: ManualTime;
  /** Append one row in its own committed transaction, as every writer does. */
  append(subject?: string): number;
}

/** The check the terminal runs at start-up, in process over its own connection. */
export function inProcessChecker(db: Db, signer: Signer): IntegrityChecker {
  return { check: async () => checkAuditIntegrity(db, { publicKeyPem: signer.publicKeyPem, signatures: 'latest' }) };
}

export async function anchoredDb(
  dir: string,
  options: { policy?: CheckpointPolicy; sink?: CheckpointSink | null; start?: Date; terminalId?: string } = {},
): Promise<AnchoredDb> {
  const path = join(dir, 'armoury.db');
  const db = openDatabase(path);
  const audit = new AuditLog(db);
  const time = new ManualTime(options.start ?? '2026-11-21T10:00:00Z');
  const signer = loadOrCreateTerminalKey(dir);
  const policy = options.policy ?? { everyRows: 1_000_000, everyMinutes: 24 * 60 };
  const anchor = new AuditAnchor(db, audit, time, time, new Exceptions(db, audit, time), {
    signer,
    terminalId: () => options.terminalId ?? 'terminal-1',
    policy: () => policy,
    sink: options.sink ?? null,
    checker: inProcessChecker(db, signer),
    log: () => {},
    changed: () => {},
  });
  await anchor.start();
  let n = 0;
  return {
    path,
    db,
    audit,
    anchor,
    signer,
    time,
    append: (subject) => db.transaction(() => audit.append({ actor: 'system', action: 'bank.doors-added', subject: subject ?? `bank:${++n}`, details: { doors: [n] } }, time.now())).immediate(),
  };
}

/**
 * The attacker: the database file opened on its own with better-sqlite3, the guarding triggers
 * dropped, the change made, and (unless told not to) the triggers put back exactly as they were,
 * so only the chain and its checkpoints can give the change away.
 */
export function tamper(path: string, change: (db: Database.Database) => void, options: { restoreTriggers?: boolean } = {}): void {
  const db = new Database(path);
  try {
    for (const name of Object.keys(AUDIT_TRIGGERS)) db.exec(`DROP TRIGGER IF EXISTS ${name}`);
    change(db);
    if (options.restoreTriggers ?? true) for (const sql of Object.values(AUDIT_TRIGGERS)) db.exec(`${sql};`);
  } finally {
    db.close();
  }
}

/** The attacker rewrites one row and recomputes every later hash, so the chain walks clean. */
export function rewriteAndRehash(db: Database.Database, seq: number, subject: string): void {
  db.prepare('UPDATE audit_log SET subject = ? WHERE seq = ?').run(subject, seq);
  const rows = db.prepare('SELECT seq, at, actor, action, subject, details FROM audit_log ORDER BY seq').all() as Omit<StoredAuditRow, 'prevHash' | 'hash'>[];
  let prev = GENESIS_HASH;
  const update = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?');
  for (const r of rows) {
    const h = rowHash(prev, r.seq, r.at, r.actor, r.action, r.subject, r.details);
    update.run(prev, h, r.seq);
    prev = h;
  }
}
