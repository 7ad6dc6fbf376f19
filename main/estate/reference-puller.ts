import type pg from 'pg';
import { connectEstate } from './estate-connection.ts';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../core/db/database.ts';
import type { EstateLinkOptions } from './estate-link-options.ts';
import { WakeableSleep } from './wakeable-sleep.ts';

/**
 * Brings this terminal's reference tables up to the estate's (estate/migrations/002): for each
 * table, the changes after the terminal's cursor, applied generically by column name, all of one
 * pull in one SQLite transaction with the cursors, so a crash leaves either the old data and
 * cursors or the new ones. LISTEN/NOTIFY wakes it when the estate changes anything; a slow
 * poll covers a lost notification. The tables it may write are this terminal's list below,
 * whatever the estate names: never the audit log, loans or anything else the terminal decides.
 *
 * The reference generation's triggers (migration 7) see these writes like any other, so the
 * kiosk's cached decision data is rebuilt after a pull.
 */

/** The reference tables the estate decides, in the order their rows refer to each other. */
export const ESTATE_REFERENCE_TABLES = ['sites', 'officers', 'officer_roles', 'cards', 'qualifications', 'officer_qualifications', 'asset_types', 'asset_type_requirements', 'asset_type_rules'] as const;

export interface ReferencePullerOptions extends EstateLinkOptions {
  /** Changes per query (one query covers every table); default 10,000. */
  batchSize?: number;
  /** Without a notification, how often to look anyway; default 30 s. */
  pollMs?: number;
}

interface Change {
  table_name: string;
  key: Record<string, unknown>;
  data: Record<string, unknown> | null;
  revision: string;
}

type SqlValue = string | number | bigint | null;

function sqlValue(value: unknown): SqlValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return JSON.stringify(value);
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Applies estate rows to the terminal's own tables, by the columns SQLite says each table has. */
export class ReferenceApplier {
  private readonly columns = new Map<string, { all: Set<string>; key: string[] }>();
  /** Upserts and deletes by table and column list: a pull of thousands of rows compiles each once. */
  private readonly statements = new Map<string, Statement>();
  /** Upsert statements by table and column names, as they arrive. */
  private readonly plans = new Map<string, Statement>();
  private readonly cursor;
  private readonly setCursor;
  private readonly synced;

  constructor(private readonly db: Db) {
    for (const table of ESTATE_REFERENCE_TABLES) {
      const info = db.prepare<[], { name: string; pk: number }>(`PRAGMA table_info(${table})`).all();
      if (info.length === 0) throw new Error(`reference table ${table} does not exist here`);
      this.columns.set(table, { all: new Set(info.map((c) => c.name)), key: info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name) });
    }
    this.cursor = db.prepare<[string], { revision: number }>('SELECT revision FROM estate_reference_cursors WHERE table_name = ?');
    this.setCursor = db.prepare<[string, number]>('INSERT INTO estate_reference_cursors (table_name, revision) VALUES (?, ?) ON CONFLICT (table_name) DO UPDATE SET revision = excluded.revision');
    this.synced = db.prepare<[string]>('UPDATE estate_link SET reference_synced_at = ? WHERE id = 1');
  }

  cursorOf(table: string): number {
    return this.cursor.get(table)?.revision ?? 0;
  }

  /**
   * One pull's changes, in one transaction with the cursors. Foreign keys are checked at the
   * commit, so a row may arrive before the row it refers to within the pull; a pull that would
   * leave a dangling reference is rolled back whole and reported.
   */
  apply(changes: readonly Change[], syncedAt: string | null): number {
    return this.db.transaction(() => {
      this.db.pragma('defer_foreign_keys = ON');
      const highest = new Map<string, number>();
      for (const change of changes) {
        const table = this.tableOf(change.table_name);
        if (change.data === null) this.remove(table, change.key);
        else this.upsert(table, change.data);
        highest.set(table, Math.max(highest.get(table) ?? 0, Number(change.revision)));
      }
      for (const [table, revision] of highest) this.setCursor.run(table, revision);
      if (syncedAt !== null) this.synced.run(syncedAt);
      return changes.length;
    })();
  }

  private tableOf(name: string): string {
    if (!(ESTATE_REFERENCE_TABLES as readonly string[]).includes(name)) throw new Error(`the estate sent rows for ${name}, which is not a reference table here`);
    return name;
  }

  private upsert(table: string, data: Record<string, unknown>): void {
    const names = Object.keys(data);
    this.upsertPlan(table, names).run(...names.map((n) => sqlValue(data[n])));
  }

  /**
   * The statement for rows of this table with these columns, checked and compiled once: a pull
   * of thousands of rows with the same columns checks the column names once, not per row.
   */
  private upsertPlan(table: string, names: readonly string[]): Statement {
    const signature = `${table}\u0000${names.join('\u0000')}`;
    const known = this.plans.get(signature);
    if (known !== undefined) return known;
    const shape = this.columns.get(table);
    if (!shape) throw new Error(`no columns known for ${table}`);
    const unknown = names.filter((n) => !shape.all.has(n));
    if (unknown.length > 0) throw new Error(`the estate's ${table} row has columns this terminal's ${table} lacks: ${unknown.join(', ')}`);
    const missingKey = shape.key.filter((k) => !names.includes(k));
    if (missingKey.length > 0) throw new Error(`the estate's ${table} row lacks its key ${missingKey.join(', ')}`);
    const others = names.filter((n) => !shape.key.includes(n));
    // Column names come from PRAGMA table_info, never from the estate's text alone.
    const update = others.length === 0 ? 'NOTHING' : `UPDATE SET ${others.map((n) => `"${n}" = excluded."${n}"`).join(', ')}`;
    const statement = this.statement(
      `INSERT INTO ${table} (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT (${shape.key.map((k) => `"${k}"`).join(', ')}) DO ${update}`,
    );
    this.plans.set(signature, statement);
    return statement;
  }

  private remove(table: string, key: Record<string, unknown>): void {
    const shape = this.columns.get(table);
    if (!shape) throw new Error(`no columns known for ${table}`);
    if (shape.key.some((k) => !(k in key))) throw new Error(`the estate's ${table} deletion lacks its key`);
    this.statement(`DELETE FROM ${table} WHERE ${shape.key.map((k) => `"${k}" = ?`).join(' AND ')}`).run(...shape.key.map((k) => sqlValue(key[k])));
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

export class ReferencePuller {
  private readonly applier: ReferenceApplier;
  private client: pg.Client | null = null;
  private stopped = false;
  private readonly pause: WakeableSleep;
  private running: Promise<void> | null = null;
  private lastError: string | null = null;

  constructor(private readonly options: ReferencePullerOptions) {
    this.applier = new ReferenceApplier(options.db);
    this.pause = new WakeableSleep(options.scheduler);
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Null while pulls succeed; the last failure otherwise. */
  problem(): string | null {
    return this.lastError;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
    await this.running;
  }

  private poke(): void {
    this.pause.wake();
  }

  private async run(): Promise<void> {
    const retryMs = this.options.retryMs ?? 500;
    const maxRetryMs = this.options.maxRetryMs ?? 30_000;
    let retry = retryMs;
    while (!this.stopped) {
      try {
        const client = await this.connected();
        const applied = await this.pullAll(client);
        if (applied > 0 || this.lastError !== null) this.options.changed?.();
        this.lastError = null;
        retry = retryMs;
        await this.sleep(this.options.pollMs ?? 30_000);
      } catch (error) {
        if (this.stopped) break;
        const why = message(error);
        if (this.lastError !== why) {
          this.options.log(`estate: reference data not brought up to date (${why}); the terminal goes on with what it has`);
          this.lastError = why;
          this.options.changed?.();
        }
        const client = this.client;
        this.client = null;
        await client?.end().catch(() => undefined);
        await this.sleep(retry);
        retry = Math.min(retry * 2, maxRetryMs);
      }
    }
  }

  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    this.client = await connectEstate({
      url: this.options.url,
      applicationName: 'armoury-terminal-reference',
      timeoutMs: this.options.timeoutMs ?? 10_000,
      lost: (why) => this.options.log(`estate: reference connection lost (${why})`),
      setUp: ['LISTEN estate_reference'],
      notified: () => this.poke(),
    });
    return this.client;
  }

  /** Every table's changes after its cursor, in batches, until the estate has no more; returns how many were applied. */
  private async pullAll(client: pg.Client): Promise<number> {
    const batchSize = this.options.batchSize ?? 10_000;
    let applied = 0;
    for (;;) {
      // Every table's changes after its own cursor, the oldest first, as one JSON text made of
      // each row's wire form (estate migration 6, made when the row was written): the estate
      // joins strings, and this side parses one value instead of one per row. The batch is the
      // lowest revisions; their order within it does not matter (one row per key, foreign keys
      // checked at the commit, each cursor the highest revision of its table), so the join
      // does not sort them again.
      const cursors = ESTATE_REFERENCE_TABLES.map((table) => this.applier.cursorOf(table));
      const result = await client.query<{ changes: string }>(
        `SELECT '[' || coalesce(string_agg(r.wire, ','), '') || ']' AS changes
           FROM (SELECT r.wire, r.revision
                   FROM estate.reference_rows r JOIN unnest($1::text[], $2::bigint[]) AS c(table_name, revision)
                     ON r.table_name = c.table_name AND r.revision > c.revision
                  ORDER BY r.revision LIMIT $3) r`,
        [ESTATE_REFERENCE_TABLES, cursors, batchSize],
      );
      const wire = JSON.parse(result.rows[0]?.changes ?? '[]') as [string, Record<string, unknown> | null, Record<string, unknown> | null, number][];
      const changes: Change[] = wire.map(([table_name, key, data, revision]) => ({ table_name, key: key ?? {}, data, revision: String(revision) }));
      // A short batch is the last: every change after the cursors was in it.
      const complete = changes.length < batchSize;
      applied += this.applier.apply(changes, complete ? this.options.now().toISOString() : null);
      if (changes.length > 0) this.options.log(`estate: ${changes.length} reference change${changes.length === 1 ? '' : 's'} applied`);
      if (complete) return applied;
    }
  }

  private sleep(ms: number): Promise<boolean> {
    return this.stopped ? Promise.resolve(false) : this.pause.sleep(ms);
  }
}
