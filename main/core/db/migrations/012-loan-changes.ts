import type { Migration } from '../migrations.ts';

/**
 * A log of which loans changed, written by the database itself, so the console's in-memory
 * board and mobilisation view (main/core/console-read-model.ts) re-read only the loans that
 * changed since it last looked instead of every open loan, whoever wrote: the draw and
 * return transactions, the asset screen, device refresh, another connection.
 *
 * One row per loan: its latest change. AUTOINCREMENT, so a change number is never reused,
 * even when the row that held the highest one is replaced; the triggers delete before they
 * insert, so no insert here can meet a conflict (and a caller's INSERT OR IGNORE, which would
 * override a conflict clause in a trigger body, cannot make one skip a change).
 *
 * An asset's row feeds the view through its open loan (its serial and its type), so a change
 * to those columns logs that loan. Names of officers and types are reference data, which
 * migration 7's generation counter covers.
 */
export const loanChanges: Migration = {
  version: 12,
  name: 'loan changes',
  up(db) {
    db.exec(`
      CREATE TABLE loan_changes (
        change INTEGER PRIMARY KEY AUTOINCREMENT,
        loan_id INTEGER NOT NULL UNIQUE
      );

      CREATE TRIGGER loans_insert_change AFTER INSERT ON loans BEGIN
        DELETE FROM loan_changes WHERE loan_id = NEW.id;
        INSERT INTO loan_changes (loan_id) VALUES (NEW.id);
      END;
      CREATE TRIGGER loans_update_change AFTER UPDATE ON loans BEGIN
        DELETE FROM loan_changes WHERE loan_id IN (OLD.id, NEW.id);
        INSERT INTO loan_changes (loan_id) VALUES (OLD.id);
        INSERT INTO loan_changes (loan_id) SELECT NEW.id WHERE NEW.id IS NOT OLD.id;
      END;
      CREATE TRIGGER loans_delete_change AFTER DELETE ON loans BEGIN
        DELETE FROM loan_changes WHERE loan_id = OLD.id;
        INSERT INTO loan_changes (loan_id) VALUES (OLD.id);
      END;

      -- Only when something the views show or count moved: the ledger rewrites status, door_id
      -- and updated_at on every door event, and the loan row itself says who holds what.
      CREATE TRIGGER assets_update_loan_change AFTER UPDATE OF serial, asset_type_id ON assets
        WHEN OLD.serial IS NOT NEW.serial OR OLD.asset_type_id IS NOT NEW.asset_type_id
      BEGIN
        DELETE FROM loan_changes WHERE loan_id IN (SELECT id FROM loans WHERE asset_id = NEW.id AND returned_at IS NULL);
        INSERT INTO loan_changes (loan_id) SELECT id FROM loans WHERE asset_id = NEW.id AND returned_at IS NULL;
      END;
    `);
  },
};
