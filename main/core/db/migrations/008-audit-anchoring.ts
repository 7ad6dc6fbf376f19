import type { Migration } from '../migrations.ts';

/**
 * The triggers the audit trail's integrity rests on, as the database must hold them: the two
 * append-only triggers migration 1 created, and the ones below. The start-up check and the
 * command-line verifier compare sqlite_master against this list (whitespace aside), so a trigger
 * that was dropped, or replaced by a harmless one of the same name, is caught.
 */
export const AUDIT_TRIGGERS: Readonly<Record<string, string>> = {
  audit_log_no_update: `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
  audit_log_no_delete: `CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
  // A new row must follow the last one: the next seq, linked to the last row's hash (the genesis
  // hash for the first). Two primary-key lookups per insert, no scan.
  audit_log_insert_guard: `CREATE TRIGGER audit_log_insert_guard BEFORE INSERT ON audit_log
        WHEN NEW.seq IS NOT coalesce((SELECT max(seq) FROM audit_log), 0) + 1
          OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '${'0'.repeat(64)}')
        BEGIN SELECT RAISE(ABORT, 'audit_log rows must follow the last row: seq one more, prev_hash its hash'); END`,
  audit_checkpoints_no_update: `CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END`,
  audit_checkpoints_no_delete: `CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END`,
  // Checkpoints only move forward: one that covers fewer rows than the last is refused.
  audit_checkpoints_forward: `CREATE TRIGGER audit_checkpoints_forward BEFORE INSERT ON audit_checkpoints
        WHEN NEW.seq < coalesce((SELECT max(seq) FROM audit_checkpoints), 0)
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints only move forward'); END`,
};

/** The triggers this migration creates (migration 1 made the other two). */
const NEW_TRIGGERS = ['audit_log_insert_guard', 'audit_checkpoints_no_update', 'audit_checkpoints_no_delete', 'audit_checkpoints_forward'] as const;

/**
 * Audit anchoring: signed checkpoints of the chain (each also sent off the terminal), an insert
 * guard so the database itself refuses a row that does not follow the last, and the exception
 * kind raised when the start-up check fails.
 */
export const auditAnchoring: Migration = {
  version: 8,
  name: 'audit anchoring',
  up(db) {
    db.exec(`
      CREATE TABLE audit_checkpoints (
        id INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL CHECK (seq >= 1),
        head_hash TEXT NOT NULL,
        at TEXT NOT NULL,
        terminal_id TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('rows', 'interval', 'sign-out', 'start-up')),
        key_fingerprint TEXT NOT NULL,
        signature TEXT NOT NULL
      );
      CREATE INDEX audit_checkpoints_by_seq ON audit_checkpoints(seq);
      INSERT INTO exception_kinds (kind) VALUES ('audit-check-failed');
    `);
    for (const name of NEW_TRIGGERS) db.exec(`${AUDIT_TRIGGERS[name]};`);
  },
};
