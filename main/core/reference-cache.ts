import type { Db } from './db/database.ts';

/**
 * Values read from reference data (people, qualification records, types and rules), kept while
 * the database's reference generation stands still. Migration 7's triggers bump it on every
 * write to those tables from any writer, so one cheap read tells whether anything cached may be
 * stale; when it moved, everything is dropped and read afresh. The draw decision is the hot
 * path this serves: an officer's standing is read for their home screen, then again for the
 * draw a moment later.
 */
/**
 * Write many rows of one reference table (an import) inside the caller's transaction, bumping
 * the reference generation once for all of them instead of once per row: a trigger run per row
 * made a 100,000-row import half as slow again. The table's generation triggers are lifted and
 * put back, from their own stored definitions, within the same transaction, so no other writer
 * or reader ever sees the table without them.
 */
export function bulkReferenceWrite<T>(db: Db, table: string, write: () => T): T {
  if (!db.inTransaction) throw new Error('a bulk reference write runs inside the transaction of the change it is part of');
  const triggers = db
    .prepare<[string], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND name GLOB '*_generation'")
    .all(table);
  for (const trigger of triggers) db.exec(`DROP TRIGGER "${trigger.name}"`);
  const result = write();
  for (const trigger of triggers) db.exec(trigger.sql);
  db.prepare('UPDATE reference_generation SET n = n + 1 WHERE id = 1').run();
  return result;
}

export class ReferenceCache {
  private readonly generationRow;
  private generation = -1;
  private readonly entries = new Map<string, unknown>();
  /** An officer's standing per entry: a busy shift's worth of people, not the whole force. */
  private static readonly LIMIT = 512;

  constructor(db: Db) {
    this.generationRow = db.prepare<[], { n: number }>('SELECT n FROM reference_generation WHERE id = 1');
  }

  /** The cached value for `key`, or `read()`'s (kept for next time). Call refresh() first, once per use. */
  get<T>(key: string, read: () => T): T {
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = read();
    if (this.entries.size >= ReferenceCache.LIMIT) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, value);
    return value;
  }

  /** Drop everything if reference data changed since the last look. */
  refresh(): void {
    const now = this.generationRow.get()?.n ?? 0;
    if (now === this.generation) return;
    this.generation = now;
    this.entries.clear();
  }
}
