import type { Migration } from '../migrations.ts';

/**
 * Ammunition stock (PCD 994): lots (calibre, duty or training, manufacturer, lot number,
 * expiry) with the rounds of each in the store, a ledger of every movement (received, issued,
 * returned, expended, transferred, destroyed, adjusted with a reason) each pointing at its audit
 * row, and the rounds each officer holds of each lot now, kept with the ledger in one
 * transaction, so a recall lists the holders of a lot with one indexed read.
 */
export const ammunition: Migration = {
  version: 20,
  name: 'ammunition',
  up(db) {
    db.exec(`
      CREATE TABLE ammo_lots (
        id INTEGER PRIMARY KEY,
        calibre TEXT NOT NULL CHECK (length(calibre) BETWEEN 1 AND 40),
        kind TEXT NOT NULL CHECK (kind IN ('duty', 'training')),
        manufacturer TEXT NOT NULL CHECK (length(manufacturer) BETWEEN 1 AND 80),
        lot_number TEXT NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 60),
        -- The last day it may be issued (yyyy-mm-dd); NULL: no expiry.
        expires_on TEXT,
        in_store INTEGER NOT NULL DEFAULT 0 CHECK (in_store >= 0),
        recalled_at TEXT,
        recalled_by INTEGER REFERENCES officers(id),
        recall_reason TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (manufacturer, lot_number)
      );
      -- Issue picks the lot that expires first among those in date and not recalled.
      CREATE INDEX ammo_lots_for_issue ON ammo_lots(calibre, kind, expires_on) WHERE recalled_at IS NULL;

      CREATE TABLE ammo_ledger (
        id INTEGER PRIMARY KEY,
        lot_id INTEGER NOT NULL REFERENCES ammo_lots(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('received', 'issued', 'returned', 'expended', 'transferred', 'destroyed', 'adjusted')),
        -- Rounds: always positive; the kind says which way they moved.
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        -- For an adjustment: whether the count went up or down.
        direction INTEGER NOT NULL DEFAULT 0 CHECK (direction IN (-1, 0, 1)),
        -- Who recorded it, and for issued, returned and expended rounds: the officer holding them.
        recorded_by INTEGER REFERENCES officers(id),
        holder_id INTEGER REFERENCES officers(id),
        reason TEXT,
        audit_seq INTEGER NOT NULL
      );
      CREATE INDEX ammo_ledger_by_lot ON ammo_ledger(lot_id, id);
      CREATE TRIGGER ammo_ledger_no_update BEFORE UPDATE ON ammo_ledger BEGIN SELECT RAISE(ABORT, 'ammo_ledger is append-only'); END;
      CREATE TRIGGER ammo_ledger_no_delete BEFORE DELETE ON ammo_ledger BEGIN SELECT RAISE(ABORT, 'ammo_ledger is append-only'); END;

      CREATE TABLE ammo_holdings (
        lot_id INTEGER NOT NULL REFERENCES ammo_lots(id),
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        PRIMARY KEY (lot_id, officer_id)
      ) WITHOUT ROWID;
      CREATE INDEX ammo_holdings_held ON ammo_holdings(lot_id, officer_id) WHERE quantity > 0;
    `);
  },
};
