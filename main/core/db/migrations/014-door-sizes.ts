import type { Migration } from '../migrations.ts';

/**
 * What each door can take: its size class (S, M, L, XL) and what it may hold (anything,
 * weapons only, equipment only, or exhibits only), and the smallest door each asset type fits.
 * An item going in takes the smallest free door that fits it and may hold it (door-choice.ts).
 * Every door is M and holds anything, and every type fits S, until the layout says otherwise:
 * a terminal that says nothing chooses doors exactly as before.
 */
export const doorSizes: Migration = {
  version: 14,
  name: 'door sizes',
  up(db) {
    db.exec(`
      ALTER TABLE doors ADD COLUMN size_class TEXT NOT NULL DEFAULT 'M' CHECK (size_class IN ('S', 'M', 'L', 'XL'));
      ALTER TABLE doors ADD COLUMN holds TEXT NOT NULL DEFAULT 'any' CHECK (holds IN ('any', 'weapons', 'equipment', 'exhibits'));
      -- The classes in size order, for the chooser's walk (text order is not size order).
      ALTER TABLE doors ADD COLUMN size_rank INTEGER GENERATED ALWAYS AS (CASE size_class WHEN 'S' THEN 1 WHEN 'M' THEN 2 WHEN 'L' THEN 3 ELSE 4 END) VIRTUAL;
      ALTER TABLE asset_types ADD COLUMN size_class TEXT NOT NULL DEFAULT 'S' CHECK (size_class IN ('S', 'M', 'L', 'XL'));
      -- The chooser's walk: a bank's doors of one purpose, smallest first, then by number.
      CREATE INDEX doors_by_fit ON doors (bank_id, holds, size_rank, number);
    `);
  },
};
