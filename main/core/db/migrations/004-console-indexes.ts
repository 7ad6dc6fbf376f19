import type { Migration } from '../migrations.ts';

/**
 * Indexes for the armourer console's read side, so an investigation (one asset's, officer's
 * or door's history) and the live board answer from an index on a year of audit rows and
 * thousands of loans instead of a scan.
 *
 * The two expression indexes are partial (only rows that name an asset or officer in their
 * details): most audit rows name neither, so the indexes stay small and rows that do not
 * name one cost an append nothing. A query must use the exact expression
 * `json_extract(details, '$.asset')` (or `'$.officer'`) for SQLite to use them.
 */
export const consoleIndexes: Migration = {
  version: 4,
  name: 'console indexes',
  up(db) {
    db.exec(`
      -- Asset (asset:ID), door (door:N) and officer (officer:ID) subjects; seq rides along as rowid.
      CREATE INDEX audit_log_by_subject ON audit_log(subject);
      -- What an officer did themselves.
      CREATE INDEX audit_log_by_actor ON audit_log(actor);
      -- Door rows (door.opened, draw.completed, ...) are about door:N but name the asset and officer.
      CREATE INDEX audit_log_by_asset ON audit_log(json_extract(details, '$.asset'))
        WHERE json_extract(details, '$.asset') IS NOT NULL;
      CREATE INDEX audit_log_by_officer ON audit_log(json_extract(details, '$.officer'))
        WHERE json_extract(details, '$.officer') IS NOT NULL;
      -- Time windows, and the dashboard's last seven days (few actions there: filtered as read).
      CREATE INDEX audit_log_by_time ON audit_log(at);

      -- The board, newest draw first, without sorting every open loan.
      CREATE INDEX loans_open_by_drawn ON loans(drawn_at) WHERE returned_at IS NULL;
      -- The dashboard's hourly issues and returns over the last week.
      CREATE INDEX loans_by_drawn ON loans(drawn_at);
      CREATE INDEX loans_by_returned ON loans(returned_at) WHERE returned_at IS NOT NULL;

      -- Mobilisation: everyone holding one qualification, with what decides its validity,
      -- without touching the table (the primary key's officer_id rides along).
      CREATE INDEX officer_qualifications_by_qualification ON officer_qualifications(qualification_id, expires_on, awarded_on);
    `);
  },
};
