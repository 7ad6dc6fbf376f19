import type { Migration } from '../migrations.ts';

/**
 * Pooled stock (PCD 1698): PPE and uniform by size are counted, not serialised. A pooled type's
 * units wait in the store as a count; a booking of some of them takes them from the store as
 * one pack (an `assets` row with a quantity), which then goes through the doors like any item:
 * staged, collected, returned to any free door that fits, drawn again from there. Stock levels
 * are the store's count plus the packs', and a type below its threshold raises a low-stock
 * exception once until it is restocked.
 */
export const pooledStock: Migration = {
  version: 18,
  name: 'pooled stock',
  up(db) {
    db.exec(`
      ALTER TABLE asset_types ADD COLUMN pooled INTEGER NOT NULL DEFAULT 0 CHECK (pooled IN (0, 1));
      -- Stock on hand (store and lockers) below this raises a low-stock exception; NULL: no alert.
      ALTER TABLE asset_types ADD COLUMN low_stock_below INTEGER CHECK (low_stock_below IS NULL OR low_stock_below >= 1);
      -- How many units a pack holds (1 for every serialised item).
      ALTER TABLE assets ADD COLUMN quantity INTEGER NOT NULL DEFAULT 1 CHECK (quantity >= 1);
      ALTER TABLE bookings ADD COLUMN quantity INTEGER NOT NULL DEFAULT 1 CHECK (quantity BETWEEN 1 AND 100);
      CREATE TABLE pool_stock (
        asset_type_id INTEGER PRIMARY KEY REFERENCES asset_types(id),
        in_store INTEGER NOT NULL DEFAULT 0 CHECK (in_store >= 0),
        -- When the low-stock exception was raised; cleared when the stock is back above the threshold.
        low_raised_at TEXT
      );
      INSERT INTO exception_kinds (kind) VALUES ('low-stock');
    `);
  },
};
