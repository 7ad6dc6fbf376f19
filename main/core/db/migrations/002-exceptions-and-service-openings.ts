import type { Migration } from '../migrations.ts';

/**
 * Exceptions (what an armourer must look at: a forced door, a door left open, a failed
 * video trigger, a device offline) and service openings (a door opened from the hardware
 * screen, with its own durable intent so no door ever opens unrecorded).
 */
export const exceptionsAndServiceOpenings: Migration = {
  version: 2,
  name: 'exceptions and service openings',
  up(db) {
    db.exec(`
      CREATE TABLE exceptions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('forced-door', 'door-left-open', 'video-trigger-failed', 'device-offline', 'override-used', 'overdue', 'quarantine', 'wrong-item')),
        subject TEXT NOT NULL,
        message TEXT NOT NULL,
        details TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
        raised_at TEXT NOT NULL,
        acknowledged_by INTEGER REFERENCES officers(id),
        acknowledged_at TEXT,
        resolved_by INTEGER REFERENCES officers(id),
        resolved_at TEXT,
        resolution_note TEXT
      );
      CREATE INDEX exceptions_open ON exceptions(kind, subject) WHERE state != 'resolved';
      CREATE INDEX exceptions_by_time ON exceptions(raised_at);

      CREATE TABLE service_openings (
        id INTEGER PRIMARY KEY,
        door_id INTEGER NOT NULL REFERENCES doors(id),
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        reason TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'open', 'closed', 'failed')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX service_openings_one_active_per_door ON service_openings(door_id) WHERE state IN ('pending', 'open');
    `);
  },
};
