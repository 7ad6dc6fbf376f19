import type { Migration } from '../migrations.ts';

/**
 * Sensor plausibility and commissioning the bank door by door.
 * - Two exception kinds: a bank whose readings cannot be true (every door open at rest, a door
 *   open before its unlock, every item sensor the wrong way round), and one door whose item
 *   sensor disagrees with the record.
 * - The commissioning walk: one row per walk (who, when, how it ended, the polarity it found)
 *   and one per door answered (did the door that was unlocked open, or a different one), so the
 *   bank's commissioning is a record, not a memory. At most one walk runs per bank.
 */
export const sensorPlausibility: Migration = {
  version: 9,
  name: 'sensor plausibility',
  up(db) {
    db.exec(`
      INSERT INTO exception_kinds (kind) VALUES ('sensor-implausible'), ('sensor-mismatch');

      CREATE TABLE bank_walks (
        id INTEGER PRIMARY KEY,
        bank_id INTEGER NOT NULL REFERENCES locker_banks(id),
        started_by INTEGER NOT NULL REFERENCES officers(id),
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT CHECK (outcome IN ('passed', 'problems', 'abandoned')),
        -- What the polarity probe saw and what was done about it, in words.
        polarity_finding TEXT,
        CHECK ((finished_at IS NULL) = (outcome IS NULL))
      );
      CREATE UNIQUE INDEX bank_walks_one_running ON bank_walks(bank_id) WHERE finished_at IS NULL;

      CREATE TABLE bank_walk_doors (
        walk_id INTEGER NOT NULL REFERENCES bank_walks(id),
        door_number INTEGER NOT NULL CHECK (door_number >= 1),
        answer TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'other')),
        other_door INTEGER CHECK ((answer = 'other') = (other_door IS NOT NULL)),
        -- Set when the door's mapping was swapped with other_door's after this answer.
        remapped INTEGER NOT NULL DEFAULT 0 CHECK (remapped IN (0, 1)),
        answered_by INTEGER NOT NULL REFERENCES officers(id),
        answered_at TEXT NOT NULL,
        PRIMARY KEY (walk_id, door_number)
      ) WITHOUT ROWID;
    `);
  },
};
