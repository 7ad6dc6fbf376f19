import type { Migration } from '../migrations.ts';

/**
 * Stock checks: an armourer scans every item in the room, and what was scanned is compared
 * with what the database says should be there. At most one check runs at a time, because
 * while one runs every scan at the terminal is counted by it instead of being taken as a
 * return; the partial unique index makes that a constraint, not just a check in code.
 */
export const stockChecks: Migration = {
  version: 5,
  name: 'stock checks',
  up(db) {
    db.exec(`
      CREATE TABLE stock_checks (
        id INTEGER PRIMARY KEY,
        started_by INTEGER NOT NULL REFERENCES officers(id),
        started_at TEXT NOT NULL,
        finished_by INTEGER REFERENCES officers(id),
        finished_at TEXT,
        CHECK ((finished_by IS NULL) = (finished_at IS NULL))
      );
      -- Every running check has the same key (1), so a second one cannot be inserted.
      CREATE UNIQUE INDEX stock_checks_one_running ON stock_checks((finished_at IS NULL)) WHERE finished_at IS NULL;

      -- Tags as scanned, known or not: an unknown tag in the room is itself a finding.
      CREATE TABLE stock_check_scans (
        check_id INTEGER NOT NULL REFERENCES stock_checks(id),
        tag TEXT NOT NULL,
        scanned_at TEXT NOT NULL,
        PRIMARY KEY (check_id, tag)
      ) WITHOUT ROWID;
    `);
  },
};
