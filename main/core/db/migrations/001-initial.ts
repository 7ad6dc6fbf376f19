import type { Migration } from '../migrations.ts';

/**
 * The walking skeleton's schema. Times are ISO-8601 UTC strings, dates are yyyy-mm-dd.
 * Invariants the core relies on are constraints here, not just code:
 * one open loan per asset, one asset per door, one active door intent per door,
 * and an audit log that refuses UPDATE and DELETE.
 */
export const initialSchema: Migration = {
  version: 1,
  name: 'initial schema',
  up(db) {
    db.exec(`
      CREATE TABLE sites (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );

      CREATE TABLE officers (
        id INTEGER PRIMARY KEY,
        collar_number TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'restricted')),
        site_id INTEGER REFERENCES sites(id),
        created_at TEXT NOT NULL
      );

      CREATE TABLE officer_roles (
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        role TEXT NOT NULL CHECK (role IN ('officer', 'armourer', 'admin')),
        PRIMARY KEY (officer_id, role)
      ) WITHOUT ROWID;

      -- One PIN per officer, whichever of their cards is tapped. hash/salt are hex;
      -- params records the KDF settings so they can be raised without breaking old hashes.
      CREATE TABLE pins (
        officer_id INTEGER PRIMARY KEY REFERENCES officers(id),
        hash TEXT NOT NULL,
        salt TEXT NOT NULL,
        params TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE cards (
        uid TEXT PRIMARY KEY,
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        issued_at TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE INDEX cards_by_officer ON cards(officer_id);

      -- Keyed by the tapped UID, known or not, so an unknown card locks out exactly
      -- like a known one and the terminal never reveals which cards exist.
      CREATE TABLE sign_in_failures (
        card_uid TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_failure_at TEXT NOT NULL,
        locked_until TEXT
      );

      CREATE TABLE qualifications (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL
      );

      CREATE TABLE officer_qualifications (
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        qualification_id INTEGER NOT NULL REFERENCES qualifications(id),
        awarded_on TEXT NOT NULL,
        expires_on TEXT,
        source TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (officer_id, qualification_id)
      ) WITHOUT ROWID;

      CREATE TABLE asset_types (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        max_per_officer INTEGER NOT NULL DEFAULT 1 CHECK (max_per_officer >= 1)
      );

      CREATE TABLE asset_type_requirements (
        asset_type_id INTEGER NOT NULL REFERENCES asset_types(id),
        qualification_id INTEGER NOT NULL REFERENCES qualifications(id),
        PRIMARY KEY (asset_type_id, qualification_id)
      ) WITHOUT ROWID;

      CREATE TABLE locker_banks (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        site_id INTEGER REFERENCES sites(id)
      );

      CREATE TABLE doors (
        id INTEGER PRIMARY KEY,
        bank_id INTEGER NOT NULL REFERENCES locker_banks(id),
        number INTEGER NOT NULL CHECK (number >= 1),
        UNIQUE (bank_id, number)
      );

      -- status is the asset's one state; door_id is where it sits (NULL when out of the
      -- lockers). 'issuing' marks an asset behind a door opened for a draw not yet closed.
      CREATE TABLE assets (
        id INTEGER PRIMARY KEY,
        serial TEXT NOT NULL UNIQUE,
        tag TEXT NOT NULL UNIQUE,
        asset_type_id INTEGER NOT NULL REFERENCES asset_types(id),
        status TEXT NOT NULL CHECK (status IN ('available', 'issuing', 'on-loan', 'quarantined', 'maintenance', 'retired')),
        door_id INTEGER UNIQUE REFERENCES doors(id),
        updated_at TEXT NOT NULL
      );
      CREATE INDEX assets_by_type_status ON assets(asset_type_id, status);
      -- What is free to draw, counted on every home screen and draw decision: only the items
      -- sitting in lockers, so the count scans a bank's worth of entries, not the whole fleet.
      -- Covering (status and door_id included), so the count never touches the table.
      CREATE INDEX assets_available_in_locker ON assets(asset_type_id, status, door_id)
        WHERE status = 'available' AND door_id IS NOT NULL;

      -- The durable record of a door about to open, written before the unlock frame.
      CREATE TABLE door_intents (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('draw', 'return')),
        door_id INTEGER NOT NULL REFERENCES doors(id),
        asset_id INTEGER NOT NULL REFERENCES assets(id),
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        loan_id INTEGER REFERENCES loans(id),
        state TEXT NOT NULL CHECK (state IN ('pending', 'open', 'closed', 'completed', 'cancelled', 'failed')),
        outcome TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX door_intents_one_active_per_door ON door_intents(door_id)
        WHERE state IN ('pending', 'open', 'closed');

      CREATE TABLE loans (
        id INTEGER PRIMARY KEY,
        asset_id INTEGER NOT NULL REFERENCES assets(id),
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        drawn_at TEXT NOT NULL,
        returned_at TEXT,
        return_condition TEXT CHECK (return_condition IN ('ok', 'damaged', 'discharged', 'not-recorded')),
        draw_intent_id INTEGER REFERENCES door_intents(id),
        return_intent_id INTEGER REFERENCES door_intents(id)
      );
      CREATE UNIQUE INDEX loans_one_open_per_asset ON loans(asset_id) WHERE returned_at IS NULL;
      CREATE INDEX loans_open_by_officer ON loans(officer_id) WHERE returned_at IS NULL;

      -- Append-only and hash-chained: hash = SHA-256(prev_hash || canonical row content).
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `);
  },
};
