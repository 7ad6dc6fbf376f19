import type { Migration } from '../migrations.ts';

/** The tables a draw decision reads that change only when reference data does. */
const REFERENCE_TABLES = ['officers', 'officer_roles', 'officer_qualifications', 'qualifications', 'asset_types', 'asset_type_requirements', 'asset_type_rules'] as const;

/**
 * A counter the database itself bumps on every insert, update or delete of the reference data
 * a draw decision reads (people, roles, qualification records, types and their rules), whoever
 * writes it: an import, the rules screen, a later estate sync, or another connection. The core
 * caches those inputs for as long as the counter stands still, so a decision never uses a
 * stale record and no writer has to remember to invalidate anything.
 *
 * A bulk writer (a 100,000-row import) lifts a table's triggers for the length of its own
 * transaction and bumps the counter once (see bulkReferenceWrite in reference-cache.ts).
 */
export const referenceGeneration: Migration = {
  version: 7,
  name: 'reference generation',
  up(db) {
    db.exec(`
      CREATE TABLE reference_generation (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
      INSERT INTO reference_generation (id, n) VALUES (1, 0);
    `);
    for (const table of REFERENCE_TABLES) {
      for (const event of ['INSERT', 'UPDATE', 'DELETE'] as const) {
        db.exec(`CREATE TRIGGER ${table}_${event.toLowerCase()}_generation AFTER ${event} ON ${table}
                   BEGIN UPDATE reference_generation SET n = n + 1 WHERE id = 1; END;`);
      }
    }
  },
};
