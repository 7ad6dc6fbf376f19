import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Statement } from 'better-sqlite3';
import type { FileOutboxStoreOptions } from '../../native-bridges/outbox/file-store.ts';
import { FileOutboxStore } from '../../native-bridges/outbox/file-store.ts';
import type { Json, OutboxStore, StoredEntry, TargetDelivery } from '../../native-bridges/outbox/outbox.ts';
import type { Db } from '../core/db/database.ts';

interface MessageRow {
  seq: number;
  id: string;
  topic: string;
  at: string;
  payload: string;
  enqueuedAt: string;
}

interface DeliveryRow {
  seq: number;
  target: string;
  status: TargetDelivery['status'];
  attempts: number;
  errorKind: NonNullable<TargetDelivery['error']>['kind'] | null;
  errorMessage: string | null;
}

/**
 * One outbox's messages in the terminal's database (tables from migration 11), so a message
 * can be written inside the caller's own transaction: a door's video event commits with its
 * intent, in the intent's one fsync. `owner` keeps the video, C2 and checkpoint outboxes apart
 * in the shared tables. Delivered messages stay as a record of what was sent.
 *
 * The OutboxStore calls are synchronous underneath (better-sqlite3); each is its own
 * transaction, except stage(), which joins whatever transaction is open.
 */
export class SqliteOutboxStore implements OutboxStore {
  private readonly sql: {
    insertMessage: Statement<[string, string, string, string, string, string]>;
    seqOf: Statement<[string, string], { seq: number }>;
    insertDelivery: Statement<[number, string, string, number, string | null, string | null]>;
    setDelivery: Statement<[string, number, string | null, string | null, number, string]>;
    owedMessages: Statement<[string], MessageRow>;
    owedDeliveries: Statement<[string], DeliveryRow>;
  };
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly owner: string,
  ) {
    this.sql = {
      insertMessage: db.prepare('INSERT INTO outbox_messages (owner, id, topic, at, payload, enqueued_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (owner, id) DO NOTHING'),
      seqOf: db.prepare('SELECT seq FROM outbox_messages WHERE owner = ? AND id = ?'),
      insertDelivery: db.prepare(
        'INSERT INTO outbox_deliveries (message_seq, target, status, attempts, error_kind, error_message) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_seq, target) DO NOTHING',
      ),
      setDelivery: db.prepare(
        `UPDATE outbox_deliveries SET status = ?, attempts = ?, error_kind = ?, error_message = ?
          WHERE message_seq = ? AND target = ?`,
      ),
      owedMessages: db.prepare(
        `SELECT m.seq, m.id, m.topic, m.at, m.payload, m.enqueued_at AS enqueuedAt FROM outbox_messages m
          WHERE m.owner = ? AND m.seq IN (SELECT message_seq FROM outbox_deliveries WHERE status IN ('pending', 'failed'))
          ORDER BY m.seq`,
      ),
      owedDeliveries: db.prepare(
        `SELECT d.message_seq AS seq, d.target, d.status, d.attempts, d.error_kind AS errorKind, d.error_message AS errorMessage
           FROM outbox_deliveries d JOIN outbox_messages m ON m.seq = d.message_seq
          WHERE m.owner = ? AND d.message_seq IN (SELECT message_seq FROM outbox_deliveries WHERE status IN ('pending', 'failed'))`,
      ),
    };
  }

  /**
   * Writes the entry in the caller's open transaction (or on its own, if none is open): it is
   * durable exactly when that transaction commits, and gone if it rolls back. An id already
   * held only gains the targets it lacks. The outbox learns of it through `Outbox.adopt`.
   */
  stage(entry: StoredEntry): void {
    if (this.closed) throw new Error(`the ${this.owner} outbox store is closed`);
    const { id, topic, at, payload } = entry.message;
    const inserted = this.sql.insertMessage.run(this.owner, id, topic, at, JSON.stringify(payload), entry.enqueuedAt);
    const seq = inserted.changes === 1 ? Number(inserted.lastInsertRowid) : this.seq(id);
    if (seq === null) throw new Error(`outbox message ${id} was not stored`);
    for (const [target, d] of Object.entries(entry.targets)) this.sql.insertDelivery.run(seq, target, d.status, d.attempts, d.error?.kind ?? null, d.error?.message ?? null);
  }

  /** Whether a message with this id is stored: after a staging transaction, whether it committed. */
  holds(id: string): boolean {
    return this.seq(id) !== null;
  }

  async load(): Promise<StoredEntry[]> {
    const entries = new Map<number, StoredEntry>();
    for (const m of this.sql.owedMessages.all(this.owner)) {
      entries.set(m.seq, { message: { id: m.id, topic: m.topic, at: m.at, payload: JSON.parse(m.payload) as Json }, enqueuedAt: m.enqueuedAt, targets: {} });
    }
    for (const d of this.sql.owedDeliveries.all(this.owner)) {
      const entry = entries.get(d.seq);
      if (entry) entry.targets[d.target] = { status: d.status, attempts: d.attempts, error: d.errorKind === null ? null : { kind: d.errorKind, message: d.errorMessage ?? '' } };
    }
    return [...entries.values()];
  }

  async add(entry: StoredEntry): Promise<void> {
    this.db.transaction(() => this.stage(entry)).immediate();
  }

  async setStatus(id: string, target: string, delivery: TargetDelivery): Promise<void> {
    if (this.closed) throw new Error(`the ${this.owner} outbox store is closed`);
    const seq = this.seq(id);
    const changed = seq === null ? 0 : this.sql.setDelivery.run(delivery.status, delivery.attempts, delivery.error?.kind ?? null, delivery.error?.message ?? null, seq, target).changes;
    if (changed === 0) throw new RangeError(`outbox has no message ${id} for ${target}`);
  }

  /** The database belongs to the terminal: closing the store only stops its use. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * Moves what an outbox file from an earlier release still owed into this store, once: the
   * entries are added in one transaction, then the file is renamed aside so a restart does not
   * add them again (an id already here is not added twice either way).
   */
  async adoptFile(dir: string, options: FileOutboxStoreOptions = {}): Promise<number> {
    if (!existsSync(join(dir, 'outbox.jsonl'))) return 0;
    const file = await FileOutboxStore.open(dir, options);
    const owed = await file.load();
    await file.close();
    this.db.transaction(() => owed.forEach((entry) => this.stage(entry))).immediate();
    renameSync(file.file, `${file.file}.moved-to-database`);
    return owed.length;
  }

  private seq(id: string): number | null {
    return this.sql.seqOf.get(this.owner, id)?.seq ?? null;
  }
}
