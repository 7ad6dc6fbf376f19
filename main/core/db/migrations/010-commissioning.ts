import type { Migration } from '../migrations.ts';

/**
 * A live terminal commissioned from nothing: the one-time setup code that lets the first site
 * admin in (only its scrypt hash is kept), personnel and site-register imports with their reports, and
 * leavers (kept, for the history their loans and audit rows point at, but marked as gone).
 */
/** An import's report, one row per file taken (applied, unchanged or rejected). */
const importLog = (table: string): string => `
      CREATE TABLE ${table} (
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
      CREATE INDEX ${table}_by_time ON ${table}(imported_at);`;

export const commissioning: Migration = {
  version: 10,
  name: 'commissioning',
  up(db) {
    db.exec(`
      CREATE TABLE setup_codes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        hash TEXT NOT NULL,
        salt TEXT NOT NULL,
        params TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        used_at TEXT
      );
      ${importLog('personnel_imports')}
      -- The site register (qualifications, asset types with their rules, items and their doors): the same report.
      ${importLog('register_imports')}
      ALTER TABLE officers ADD COLUMN left_on TEXT;
    `);
  },
};
