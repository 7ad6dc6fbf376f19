import type { Migration } from '../migrations.ts';

/**
 * Every outbox (video events, the C2 feed, audit checkpoints) in the terminal's database. A
 * door's video event is written in the same transaction as its intent, so the one fsync that
 * makes the intent durable makes the event durable too, where a separate outbox file cost a
 * second fsync before the unlock. One row per message (`owner` says whose outbox it is, as one
 * database holds several) and one per message and far end, with its delivery state.
 */
export const outbox: Migration = {
  version: 11,
  name: 'outbox',
  up(db) {
    db.exec(`
      CREATE TABLE outbox_messages (
        -- The order of enqueue: delivery keeps it per far end.
        seq INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        -- The idempotency key far ends de-duplicate on.
        id TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 200),
        topic TEXT NOT NULL,
        at TEXT NOT NULL,
        -- JSON, exactly as the far end will get it.
        payload TEXT NOT NULL,
        enqueued_at TEXT NOT NULL,
        UNIQUE (owner, id)
      );
      CREATE TABLE outbox_deliveries (
        message_seq INTEGER NOT NULL REFERENCES outbox_messages(seq),
        target TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dismissed')),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        error_kind TEXT CHECK (error_kind IN ('unreachable', 'rejected', 'timeout', 'protocol')),
        error_message TEXT,
        CHECK ((error_kind IS NULL) = (error_message IS NULL)),
        PRIMARY KEY (message_seq, target)
      ) WITHOUT ROWID;
      -- What start-up loads: the deliveries still owed.
      CREATE INDEX outbox_deliveries_owed ON outbox_deliveries(message_seq) WHERE status IN ('pending', 'failed');
    `);
  },
};
