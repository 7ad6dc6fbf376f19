import { validUntil } from '../../validity.ts';
import type { Migration } from '../migrations.ts';

/**
 * Journeys beyond draw and return, and the device refresh (PCD 977).
 *
 * - Lists that grow with features (roles, asset statuses, door intent kinds, exception kinds)
 *   become small lookup tables referenced by foreign key instead of CHECK constraints, so a
 *   later feature adds a value with one INSERT rather than rebuilding the table. The rows are
 *   the same lists as the contract's unions (a test keeps the two equal).
 * - Door intents gain the swap order they serve and when their item's tag was verified.
 * - Asset types say whether officers draw them themselves or receive them by order.
 * - Qualification records store the last day they are valid, computed by the one rule in
 *   validity.ts, which every reader then uses.
 * - Swap orders, sanitisation records and disposals.
 */
export const journeysAndDeviceRefresh: Migration = {
  version: 6,
  name: 'journeys and device refresh',
  rebuildsTables: true,
  up(db) {
    db.exec(`
      CREATE TABLE roles (role TEXT PRIMARY KEY) WITHOUT ROWID;
      INSERT INTO roles (role) VALUES ('officer'), ('armourer'), ('admin'), ('it');

      CREATE TABLE asset_statuses (status TEXT PRIMARY KEY) WITHOUT ROWID;
      INSERT INTO asset_statuses (status) VALUES ('available'), ('issuing'), ('on-loan'), ('quarantined'), ('maintenance'), ('retired'),
        ('awaiting-sanitisation'), ('sanitised'), ('disposed');

      -- direction: whether the item comes out of the locker (out) or goes into it (in).
      CREATE TABLE intent_kinds (kind TEXT PRIMARY KEY, direction TEXT NOT NULL CHECK (direction IN ('in', 'out'))) WITHOUT ROWID;
      INSERT INTO intent_kinds (kind, direction) VALUES ('draw', 'out'), ('return', 'in'), ('swap-deposit', 'in'), ('swap-issue', 'out'), ('collect', 'out');

      CREATE TABLE exception_kinds (kind TEXT PRIMARY KEY) WITHOUT ROWID;
      INSERT INTO exception_kinds (kind) VALUES ('forced-door'), ('door-left-open'), ('video-trigger-failed'), ('device-offline'), ('override-used'),
        ('overdue'), ('quarantine'), ('wrong-item'), ('swap-mismatch');

      CREATE TABLE officer_roles_new (
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        role TEXT NOT NULL REFERENCES roles(role),
        PRIMARY KEY (officer_id, role)
      ) WITHOUT ROWID;
      INSERT INTO officer_roles_new SELECT officer_id, role FROM officer_roles;
      DROP TABLE officer_roles;
      ALTER TABLE officer_roles_new RENAME TO officer_roles;

      CREATE TABLE assets_new (
        id INTEGER PRIMARY KEY,
        serial TEXT NOT NULL UNIQUE,
        tag TEXT NOT NULL UNIQUE,
        asset_type_id INTEGER NOT NULL REFERENCES asset_types(id),
        status TEXT NOT NULL REFERENCES asset_statuses(status),
        door_id INTEGER UNIQUE REFERENCES doors(id),
        updated_at TEXT NOT NULL
      );
      INSERT INTO assets_new SELECT id, serial, tag, asset_type_id, status, door_id, updated_at FROM assets;
      DROP TABLE assets;
      ALTER TABLE assets_new RENAME TO assets;
      CREATE INDEX assets_by_type_status ON assets(asset_type_id, status);
      CREATE INDEX assets_available_in_locker ON assets(asset_type_id, status, door_id)
        WHERE status = 'available' AND door_id IS NOT NULL;

      CREATE TABLE swap_orders (
        id INTEGER PRIMARY KEY,
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        old_asset_id INTEGER NOT NULL REFERENCES assets(id),
        -- A specific device, or NULL for any available device of new_asset_type_id.
        new_asset_id INTEGER REFERENCES assets(id),
        new_asset_type_id INTEGER NOT NULL REFERENCES asset_types(id),
        expires_on TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'deposited', 'completed', 'cancelled', 'expired')),
        note TEXT,
        created_at TEXT NOT NULL,
        created_by INTEGER NOT NULL REFERENCES officers(id),
        updated_at TEXT NOT NULL
      );
      -- One live order per old device: two orders could otherwise release two new ones for it.
      CREATE UNIQUE INDEX swap_orders_one_live_per_old_asset ON swap_orders(old_asset_id) WHERE state IN ('open', 'deposited');
      CREATE INDEX swap_orders_live_by_officer ON swap_orders(officer_id) WHERE state IN ('open', 'deposited');

      CREATE TABLE door_intents_new (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL REFERENCES intent_kinds(kind),
        door_id INTEGER NOT NULL REFERENCES doors(id),
        asset_id INTEGER NOT NULL REFERENCES assets(id),
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        loan_id INTEGER REFERENCES loans(id),
        state TEXT NOT NULL CHECK (state IN ('pending', 'open', 'closed', 'completed', 'cancelled', 'failed')),
        outcome TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        rule_version INTEGER,
        override_id INTEGER REFERENCES overrides(id),
        swap_order_id INTEGER REFERENCES swap_orders(id),
        -- When the item's own tag was scanned and matched this intent's asset (swap deposits).
        verified_at TEXT
      );
      INSERT INTO door_intents_new (id, kind, door_id, asset_id, officer_id, loan_id, state, outcome, created_at, updated_at, rule_version, override_id)
        SELECT id, kind, door_id, asset_id, officer_id, loan_id, state, outcome, created_at, updated_at, rule_version, override_id FROM door_intents;
      DROP TABLE door_intents;
      ALTER TABLE door_intents_new RENAME TO door_intents;
      CREATE UNIQUE INDEX door_intents_one_active_per_door ON door_intents(door_id) WHERE state IN ('pending', 'open', 'closed');

      CREATE TABLE exceptions_new (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL REFERENCES exception_kinds(kind),
        subject TEXT NOT NULL,
        message TEXT NOT NULL,
        details TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
        raised_at TEXT NOT NULL,
        acknowledged_by INTEGER REFERENCES officers(id),
        acknowledged_at TEXT,
        resolved_by INTEGER REFERENCES officers(id),
        resolved_at TEXT,
        resolution_note TEXT
      );
      INSERT INTO exceptions_new SELECT * FROM exceptions;
      DROP TABLE exceptions;
      ALTER TABLE exceptions_new RENAME TO exceptions;
      CREATE INDEX exceptions_open ON exceptions(kind, subject) WHERE state != 'resolved';
      CREATE INDEX exceptions_by_time ON exceptions(raised_at);

      -- 0: issued only through an order (a swap, later a reservation), never drawn from the home screen.
      ALTER TABLE asset_types ADD COLUMN self_service INTEGER NOT NULL DEFAULT 1 CHECK (self_service IN (0, 1));

      ALTER TABLE officer_qualifications ADD COLUMN valid_until TEXT;
      DROP INDEX officer_qualifications_by_qualification;
      CREATE INDEX officer_qualifications_valid ON officer_qualifications(qualification_id, valid_until);

      -- NIST SP 800-88 methods; a failed verification is kept (the device must be done again).
      CREATE TABLE sanitisation_records (
        id INTEGER PRIMARY KEY,
        asset_id INTEGER NOT NULL REFERENCES assets(id),
        method TEXT NOT NULL CHECK (method IN ('clear', 'purge', 'destroy')),
        tool TEXT NOT NULL,
        operator TEXT NOT NULL,
        verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
        certificate_id TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by INTEGER NOT NULL REFERENCES officers(id)
      );
      CREATE INDEX sanitisation_by_asset ON sanitisation_records(asset_id);

      CREATE TABLE disposals (
        id INTEGER PRIMARY KEY,
        asset_id INTEGER NOT NULL REFERENCES assets(id),
        outcome TEXT NOT NULL CHECK (outcome IN ('redeploy', 'recycle', 'destroy', 'donate')),
        receiving_organisation TEXT,
        certificate TEXT,
        recorded_at TEXT NOT NULL,
        recorded_by INTEGER NOT NULL REFERENCES officers(id)
      );
      CREATE INDEX disposals_by_asset ON disposals(asset_id);
    `);
    const records = db.prepare<[], { officerId: number; qualificationId: number; awardedOn: string; expiresOn: string | null; validityMonths: number | null }>(
      `SELECT oq.officer_id AS officerId, oq.qualification_id AS qualificationId, oq.awarded_on AS awardedOn, oq.expires_on AS expiresOn,
              q.validity_months AS validityMonths
         FROM officer_qualifications oq JOIN qualifications q ON q.id = oq.qualification_id`,
    );
    const set = db.prepare<[string | null, number, number]>('UPDATE officer_qualifications SET valid_until = ? WHERE officer_id = ? AND qualification_id = ?');
    for (const r of records.all()) set.run(validUntil(r.awardedOn, r.expiresOn, r.validityMonths), r.officerId, r.qualificationId);
  },
};
