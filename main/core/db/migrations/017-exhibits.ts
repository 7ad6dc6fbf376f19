import type { Migration } from '../migrations.ts';
import { AUDIT_TRIGGERS } from './008-audit-anchoring.ts';

const CHECKPOINT_TRIGGERS = ['audit_checkpoints_no_update', 'audit_checkpoints_no_delete', 'audit_checkpoints_forward'] as const;

/**
 * Exhibits in an evidential chain (PCD 1698). An officer deposits a sealed exhibit into a door
 * kept for exhibits; only the property store retrieves it (two people for drugs, cash and
 * firearms), checking its seal. Every event is its own row, pointing at the audit row that
 * records it, so an exhibit's continuity record carries the chain's hashes.
 *
 * Each exhibit has a row in `assets` of the type EXHIBIT (made with the first exhibit): the doors, their intents and
 * their sensors already follow assets, so a door holding an exhibit is occupied, opened and
 * reconciled exactly like any other. The type is never drawn (not self-service) and the
 * exhibit statuses are not equipment statuses, so no equipment view counts one.
 */
export const exhibits: Migration = {
  version: 17,
  name: 'exhibits',
  rebuildsTables: true,
  up(db) {
    // A continuity record signs a checkpoint of its own ('export'), so the court copy is anchored
    // however recently its last event happened: the reason list is a CHECK, so the table is rebuilt.
    for (const name of CHECKPOINT_TRIGGERS) db.exec(`DROP TRIGGER ${name}`);
    db.exec(`
      CREATE TABLE audit_checkpoints_new (
        id INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL CHECK (seq >= 1),
        head_hash TEXT NOT NULL,
        at TEXT NOT NULL,
        terminal_id TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('rows', 'interval', 'sign-out', 'start-up', 'export')),
        key_fingerprint TEXT NOT NULL,
        signature TEXT NOT NULL
      );
      INSERT INTO audit_checkpoints_new SELECT * FROM audit_checkpoints;
      DROP TABLE audit_checkpoints;
      ALTER TABLE audit_checkpoints_new RENAME TO audit_checkpoints;
      CREATE INDEX audit_checkpoints_by_seq ON audit_checkpoints(seq);
    `);
    for (const name of CHECKPOINT_TRIGGERS) {
      const sql = AUDIT_TRIGGERS[name];
      if (sql === undefined) throw new Error(`no trigger ${name} in migration 8`);
      db.exec(`${sql};`);
    }
    db.exec(`
      INSERT INTO asset_statuses (status) VALUES ('evidence'), ('evidence-out');
      INSERT INTO intent_kinds (kind, direction) VALUES ('exhibit-deposit', 'in'), ('exhibit-retrieve', 'out');
      INSERT INTO exception_kinds (kind) VALUES ('seal-mismatch'), ('exhibit-dwell');

      CREATE TABLE exhibits (
        id INTEGER PRIMARY KEY,
        -- Officer initials and number, with sub-exhibits: AP/1, AP/1/1.
        reference TEXT NOT NULL CHECK (length(reference) BETWEEN 3 AND 30),
        -- The crime or occurrence number it belongs to.
        occurrence TEXT NOT NULL CHECK (length(occurrence) BETWEEN 1 AND 40),
        parent_id INTEGER REFERENCES exhibits(id),
        seized_by TEXT NOT NULL,
        seized_at TEXT NOT NULL,
        seized_where TEXT NOT NULL,
        description TEXT NOT NULL,
        category TEXT NOT NULL CHECK (category IN ('firearm', 'drugs', 'cash', 'biohazard', 'digital', 'other')),
        bag_type TEXT NOT NULL,
        -- The seal numbers on it now, a JSON array (a reseal replaces one).
        seals TEXT NOT NULL,
        photo_ref TEXT,
        -- For a firearm: who declared it made safe (an armourer or authorised firearms officer).
        made_safe_by INTEGER REFERENCES officers(id),
        asset_id INTEGER NOT NULL UNIQUE REFERENCES assets(id),
        state TEXT NOT NULL CHECK (state IN ('depositing', 'stored', 'retrieved', 'not-deposited')),
        deposited_by INTEGER NOT NULL REFERENCES officers(id),
        stored_at TEXT,
        dwell_alarm_at TEXT,
        -- A retrieval under way: who witnessed it and why, for the event its door's closing records.
        pending_witness_id INTEGER REFERENCES officers(id),
        pending_purpose TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (category <> 'firearm' OR made_safe_by IS NOT NULL),
        UNIQUE (occurrence, reference)
      );
      -- The dwell alarm walks the exhibits stored and not yet alarmed.
      CREATE INDEX exhibits_stored ON exhibits(stored_at) WHERE state = 'stored' AND dwell_alarm_at IS NULL;

      CREATE TABLE exhibit_events (
        id INTEGER PRIMARY KEY,
        exhibit_id INTEGER NOT NULL REFERENCES exhibits(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('deposited', 'retrieved', 'resealed', 'seal-mismatch', 'dwell-alarm')),
        officer_id INTEGER REFERENCES officers(id),
        -- The second property officer, where two were needed.
        witness_id INTEGER REFERENCES officers(id),
        door_number INTEGER,
        -- The seals on it at that moment (JSON array).
        seals TEXT NOT NULL,
        -- Purpose of a retrieval, reason of a reseal (with old and new seal), what a mismatch read.
        detail TEXT,
        -- The CCTV bookmark and evidence lock requested for it, in words.
        footage TEXT,
        -- The audit row that records it: a continuity record carries its hash.
        audit_seq INTEGER NOT NULL
      );
      CREATE INDEX exhibit_events_by_exhibit ON exhibit_events(exhibit_id, id);
      CREATE TRIGGER exhibit_events_no_update BEFORE UPDATE ON exhibit_events
        BEGIN SELECT RAISE(ABORT, 'exhibit_events is append-only'); END;
      CREATE TRIGGER exhibit_events_no_delete BEFORE DELETE ON exhibit_events
        BEGIN SELECT RAISE(ABORT, 'exhibit_events is append-only'); END;
    `);
  },
};
