import type { Migration } from '../migrations.ts';

/**
 * The competency gate: versioned release rules per asset type, qualification validity
 * periods, officers' units, training imports with their reports, override reason codes and
 * dual-authorised overrides, and the rule version and override behind every draw.
 */
export const competencyGate: Migration = {
  version: 3,
  name: 'competency gate',
  up(db) {
    db.exec(`
      -- Valid for this many months from the award when a record carries no expiry date.
      ALTER TABLE qualifications ADD COLUMN validity_months INTEGER CHECK (validity_months IS NULL OR validity_months > 0);
      -- Unit (e.g. "TSG", "Lambeth response") for authorisation by unit.
      ALTER TABLE officers ADD COLUMN unit TEXT;

      -- Rules are never edited in place: each change is a new version, so every past
      -- decision can be explained by the version it used.
      CREATE TABLE asset_type_rules (
        id INTEGER PRIMARY KEY,
        asset_type_id INTEGER NOT NULL REFERENCES asset_types(id),
        version INTEGER NOT NULL CHECK (version >= 1),
        rule TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by INTEGER REFERENCES officers(id),
        UNIQUE (asset_type_id, version)
      );

      CREATE TABLE training_imports (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        format TEXT NOT NULL CHECK (format IN ('csv', 'json')),
        status TEXT NOT NULL CHECK (status IN ('applied', 'rejected', 'unchanged')),
        rows INTEGER NOT NULL,
        changed INTEGER NOT NULL,
        report TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        imported_by INTEGER REFERENCES officers(id)
      );
      CREATE INDEX training_imports_by_time ON training_imports(imported_at);
      ALTER TABLE officer_qualifications ADD COLUMN import_id INTEGER REFERENCES training_imports(id);

      CREATE TABLE override_reasons (
        code TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
      );
      INSERT INTO override_reasons (code, label) VALUES
        ('SPONTANEOUS-INCIDENT', 'Spontaneous incident: immediate deployment'),
        ('REFRESHER-BOOKED', 'Refresher passed or booked; record not yet updated'),
        ('RECORD-ERROR', 'Training record known to be wrong'),
        ('AUTHORISED-BY-INSPECTOR', 'Authorised by the duty inspector');

      CREATE TABLE overrides (
        id INTEGER PRIMARY KEY,
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        armourer_id INTEGER NOT NULL REFERENCES officers(id),
        asset_type_id INTEGER NOT NULL REFERENCES asset_types(id),
        reason_code TEXT NOT NULL REFERENCES override_reasons(code),
        note TEXT NOT NULL,
        refusal TEXT NOT NULL,
        rule_version INTEGER,
        created_at TEXT NOT NULL,
        used_by_intent INTEGER REFERENCES door_intents(id),
        CHECK (officer_id != armourer_id)
      );

      ALTER TABLE door_intents ADD COLUMN rule_version INTEGER;
      ALTER TABLE door_intents ADD COLUMN override_id INTEGER REFERENCES overrides(id);
      -- When a loan becomes overdue, fixed at the draw from the rule then in force.
      ALTER TABLE loans ADD COLUMN due_at TEXT;
      CREATE INDEX loans_open_due ON loans(due_at) WHERE returned_at IS NULL;
    `);

    // Every type that exists now gets version 1: the rule its requirements already imply,
    // so a database from before keeps deciding exactly as it did. Written out here rather
    // than with the core's helpers so this migration cannot change when they do.
    // Keys in sorted order: the same canonical JSON the rule store writes.
    const types = db.prepare<[], { id: number }>('SELECT id FROM asset_types ORDER BY id').all();
    const codesOf = db.prepare<[number], { code: string }>(
      `SELECT q.code FROM asset_type_requirements r JOIN qualifications q ON q.id = r.qualification_id
        WHERE r.asset_type_id = ? ORDER BY r.qualification_id`,
    );
    const insert = db.prepare<[number, string, string]>(
      'INSERT INTO asset_type_rules (asset_type_id, version, rule, created_at, created_by) VALUES (?, 1, ?, ?, NULL)',
    );
    // The rule was in force at least since the last recorded event (a migration reads no clock).
    const now = db.prepare<[], { at: string }>("SELECT coalesce(max(at), '1970-01-01T00:00:00.000Z') AS at FROM audit_log").get()?.at ?? '1970-01-01T00:00:00.000Z';
    for (const type of types) {
      const rule = {
        allOf: codesOf.all(type.id).map((r) => r.code),
        anyOf: [],
        graceDays: 0,
        maxLoanHours: null,
        returnBy: null,
        roles: [],
        units: [],
      };
      insert.run(type.id, JSON.stringify(rule), now);
    }
  },
};
