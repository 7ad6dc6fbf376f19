import type { Migration } from '../migrations.ts';

/**
 * Booked kit collected at any hour (PCD 1698). Stores staff (role `stores`) or an armourer, or
 * a system through the terminal's booking endpoint, book an item for an officer; stores stage
 * it behind a door, which is then held for that officer (the item `reserved`); the officer
 * collects it with card and PIN, the competency gate checked again then. A booking not
 * collected by its deadline expires: its item goes back to the pool and its door is flagged
 * for clearing. The `property` role is added now for the exhibits store that follows.
 */
export const bookings: Migration = {
  version: 16,
  name: 'bookings',
  up(db) {
    db.exec(`
      INSERT INTO roles (role) VALUES ('stores'), ('property');
      INSERT INTO asset_statuses (status) VALUES ('reserved');
      INSERT INTO intent_kinds (kind, direction) VALUES ('stage', 'in'), ('booking-collect', 'out');
      INSERT INTO exception_kinds (kind) VALUES ('booking-expired');

      CREATE TABLE bookings (
        id INTEGER PRIMARY KEY,
        -- The booker's own reference (an order, a duty, a ticket): shown wherever the booking is.
        reference TEXT NOT NULL CHECK (length(reference) BETWEEN 1 AND 60),
        -- 'console', or 'endpoint:<system name>' for a booking made through the HTTP endpoint.
        source TEXT NOT NULL,
        -- The endpoint's idempotency key: a retried request finds its booking instead of making a second.
        request_id TEXT UNIQUE CHECK (request_id IS NULL OR length(request_id) BETWEEN 1 AND 100),
        -- Who collects it.
        officer_id INTEGER NOT NULL REFERENCES officers(id),
        -- When collected on someone's behalf: who the kit is for, in words ("PC 4410 J. Doe, new starter").
        on_behalf_of TEXT CHECK (on_behalf_of IS NULL OR length(on_behalf_of) BETWEEN 1 AND 120),
        -- The stores officer or armourer who booked it; NULL for a booking from the endpoint.
        booked_by INTEGER REFERENCES officers(id),
        asset_type_id INTEGER NOT NULL REFERENCES asset_types(id),
        -- A specific item, or NULL for any of the type until stores stage one.
        asset_id INTEGER REFERENCES assets(id),
        priority TEXT NOT NULL CHECK (priority IN ('mobilisation', 'routine')),
        ready_from TEXT NOT NULL,
        deadline TEXT NOT NULL CHECK (deadline > ready_from),
        state TEXT NOT NULL CHECK (state IN ('booked', 'staged', 'collected', 'expired', 'cancelled')),
        -- The door it is staged behind (held for the officer), from staging on.
        door_id INTEGER REFERENCES doors(id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        staged_at TEXT,
        collected_at TEXT,
        -- When the "expiring" notice went out (once per booking).
        expiry_warned_at TEXT,
        -- Why it ended, for cancelled and expired bookings.
        note TEXT,
        CHECK (state <> 'staged' OR (door_id IS NOT NULL AND staged_at IS NOT NULL AND asset_id IS NOT NULL))
      );
      -- One live booking per item: two bookings could otherwise stage the same radio twice.
      CREATE UNIQUE INDEX bookings_one_live_per_asset ON bookings(asset_id) WHERE state IN ('booked', 'staged') AND asset_id IS NOT NULL;
      -- One live booking per door.
      CREATE UNIQUE INDEX bookings_one_live_per_door ON bookings(door_id) WHERE state = 'staged';
      CREATE INDEX bookings_live_by_officer ON bookings(officer_id) WHERE state IN ('booked', 'staged');
      -- The expiry sweep walks the live bookings by deadline.
      CREATE INDEX bookings_live_by_deadline ON bookings(deadline) WHERE state IN ('booked', 'staged');

      ALTER TABLE door_intents ADD COLUMN booking_id INTEGER REFERENCES bookings(id);
    `);
  },
};
