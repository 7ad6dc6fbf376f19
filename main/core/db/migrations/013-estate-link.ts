import type { Migration } from '../migrations.ts';

/**
 * How far the estate has acknowledged this terminal's audit log and signed checkpoints. The
 * audit log is itself the durable, ordered outbox of the terminal's events (each row is
 * committed with the change it records), so publishing needs only the estate's word on what it
 * holds: `events_through` is the highest seq the estate says it stored, `checkpoints_through`
 * the highest audit_checkpoints.id it took. Both move only on the estate's reply. Reference
 * data flows the other way: each table's cursor is the estate's last change applied here.
 */
export const estateLink: Migration = {
  version: 13,
  name: 'estate link',
  up(db) {
    db.exec(`
      CREATE TABLE estate_link (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        events_through INTEGER NOT NULL DEFAULT 0 CHECK (events_through >= 0),
        checkpoints_through INTEGER NOT NULL DEFAULT 0 CHECK (checkpoints_through >= 0),
        -- The last time the estate answered, and its refusal if it refused this terminal.
        last_contact_at TEXT,
        refused TEXT,
        -- The last time every reference table was brought up to the estate's latest (how old this terminal's reference data is).
        reference_synced_at TEXT
      );
      INSERT INTO estate_link (id) VALUES (1);
      -- Per reference table, the estate's latest change this terminal has applied.
      CREATE TABLE estate_reference_cursors (
        table_name TEXT PRIMARY KEY,
        revision INTEGER NOT NULL CHECK (revision >= 0)
      );
    `);
  },
};
