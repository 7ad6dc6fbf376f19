import type { Migration } from '../migrations.ts';

/**
 * Several named banks at one terminal (PCD 1698): each door may say which physical bank it is
 * in ("Stores lockers", "Exhibit lockers"), on whichever bus drives it (Kerong or Modbus). The
 * terminal still numbers its doors once; the bank's name is shown beside the door number so a
 * person at a room of banks knows where to look. NULL: the terminal's one bank.
 */
export const doorBanks: Migration = {
  version: 19,
  name: 'door banks',
  up(db) {
    db.exec(`
      ALTER TABLE doors ADD COLUMN bank_label TEXT CHECK (bank_label IS NULL OR length(bank_label) BETWEEN 1 AND 40);
      -- Every snapshot asks for the named banks: with none named it reads nothing.
      CREATE INDEX doors_in_named_banks ON doors(bank_id, bank_label) WHERE bank_label IS NOT NULL;
    `);
  },
};
