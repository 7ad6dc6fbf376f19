import type pg from 'pg';
import { connectEstate } from './estate-connection.ts';
import type { StoredAuditRow } from '../core/audit.ts';
import type { EstateLinkOptions } from './estate-link-options.ts';
import { WakeableSleep } from './wakeable-sleep.ts';

/**
 * Publishes this terminal's audit rows and signed checkpoints to the estate's PostgreSQL, in
 * order, over the terminal's own login role (estate/migrations/001-events.sql). The audit log
 * is the outbox: each row was committed with the change it records, so nothing is copied; the
 * estate's reply says how far it holds the chain, and only that reply moves the cursor in
 * `estate_link`. A lost reply, a restart or a cut network means rows are sent again, which the
 * estate skips: nothing is lost and nothing is stored twice. An estate restored from an older
 * backup says it holds less, and the rows it lacks are sent again.
 *
 * The terminal never waits for the estate: publishing runs beside the kiosk and only reads the
 * terminal's database, except to move the cursor.
 */

export interface EstatePublisherOptions extends EstateLinkOptions {
  /** Events per call to the estate; default 500. */
  batchSize?: number;
  /** When caught up, how often to look for new rows and confirm the estate's count; default 1000 ms. */
  idleMs?: number;
}

/** The connection string from the configuration's URL (role, server) and its password. */
export function estateUrl(config: { url: string; password: string }): string {
  const url = new URL(config.url);
  url.password = encodeURIComponent(config.password);
  return url.toString();
}

export type EstateLinkState = 'connecting' | 'publishing' | 'caught-up' | 'offline' | 'refused' | 'stopped';

export interface EstateLinkStatus {
  state: EstateLinkState;
  /** Audit rows the estate does not hold yet. */
  behind: number;
  lastContactAt: string | null;
  /** Why it is offline or refused. */
  message: string | null;
}

interface IngestReply {
  ok: boolean;
  storedThrough: number;
  stored: number;
  refused?: string;
}

interface CheckpointReply {
  ok: boolean;
  wait?: string;
}

/** An audit row as the estate's ingest takes it (estate/migrations/001-events.sql): the row as stored and hashed. */
export type WireEvent = StoredAuditRow;

interface WireCheckpoint {
  id: number;
  seq: number;
  headHash: string;
  at: string;
  reason: string;
  keyFingerprint: string;
  signature: string;
}

function isIngestReply(value: unknown): value is IngestReply {
  return typeof value === 'object' && value !== null && 'ok' in value && 'storedThrough' in value && typeof value.storedThrough === 'number';
}

function isCheckpointReply(value: unknown): value is CheckpointReply {
  return typeof value === 'object' && value !== null && 'ok' in value && typeof value.ok === 'boolean';
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class EstatePublisher {
  private readonly statements;
  private client: pg.Client | null = null;
  private stopped = false;
  private status: EstateLinkStatus;
  private readonly pause: WakeableSleep;
  private running: Promise<void> | null = null;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: EstatePublisherOptions) {
    const { db } = options;
    this.pause = new WakeableSleep(options.scheduler);
    this.batchSize = options.batchSize ?? 500;
    this.idleMs = options.idleMs ?? 1000;
    this.retryMs = options.retryMs ?? 500;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.statements = {
      link: db.prepare<[], { eventsThrough: number; checkpointsThrough: number; lastContactAt: string | null; refused: string | null }>(
        'SELECT events_through AS eventsThrough, checkpoints_through AS checkpointsThrough, last_contact_at AS lastContactAt, refused FROM estate_link WHERE id = 1',
      ),
      events: db.prepare<[number, number], WireEvent>(
        'SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      lastSeq: db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM audit_log'),
      checkpoints: db.prepare<[number], WireCheckpoint>(
        'SELECT id, seq, head_hash AS headHash, at, reason, key_fingerprint AS keyFingerprint, signature FROM audit_checkpoints WHERE id > ? ORDER BY id LIMIT 50',
      ),
      ackEvents: db.prepare<[number, string, string | null]>('UPDATE estate_link SET events_through = ?, last_contact_at = ?, refused = ? WHERE id = 1'),
      ackCheckpoint: db.prepare<[number, string]>('UPDATE estate_link SET checkpoints_through = ?, last_contact_at = ? WHERE id = 1'),
    };
    const link = this.link();
    this.status = { state: link.refused === null ? 'connecting' : 'refused', behind: this.behind(link.eventsThrough), lastContactAt: link.lastContactAt, message: link.refused };
  }

  start(): void {
    this.running ??= this.run();
  }

  /**
   * Look for new rows now (called when the audit log grows) instead of at the next idle tick.
   * Offline, the retry schedule decides when to try again: every snapshot nudges, and a nudge
   * kept from mid-attempt would otherwise make each failed connection retry at once.
   */
  nudge(): void {
    if (this.status.state === 'offline' || this.status.state === 'connecting') return;
    this.pause.wake();
  }

  current(): EstateLinkStatus {
    return { ...this.status, behind: this.behind(this.link().eventsThrough) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pause.wake();
    await this.closeClient();
    await this.running;
    this.setStatus({ ...this.status, state: 'stopped' });
  }

  private setStatus(next: EstateLinkStatus): void {
    const before = this.status.state;
    this.status = next;
    if (next.state !== before) this.options.changed?.();
  }

  private link() {
    const row = this.statements.link.get();
    if (!row) throw new Error('estate_link has no row: the database is not migrated');
    return row;
  }

  private behind(eventsThrough: number): number {
    return Math.max(0, (this.statements.lastSeq.get()?.seq ?? 0) - eventsThrough);
  }

  private async run(): Promise<void> {
    let retry = this.retryMs;
    while (!this.stopped) {
      try {
        const client = await this.connected();
        const moved = await this.publishOnce(client);
        retry = this.retryMs;
        if (this.status.state === 'refused') await this.sleep(this.maxRetryMs);
        else if (!moved) await this.sleep(this.idleMs);
      } catch (error) {
        if (this.stopped) break;
        const why = message(error);
        if (this.status.state !== 'offline') this.options.log(`estate: offline (${why}); events are kept and sent when it answers`);
        this.setStatus({ ...this.status, state: 'offline', message: why });
        await this.closeClient();
        await this.sleep(retry);
        retry = Math.min(retry * 2, this.maxRetryMs);
      }
    }
  }

  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    this.setStatus({ ...this.status, state: 'connecting' });
    this.client = await connectEstate({ url: this.options.url, applicationName: 'armoury-terminal', timeoutMs: this.timeoutMs, lost: (why) => this.options.log(`estate: connection lost (${why})`) });
    return this.client;
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** One exchange: a batch of events (an empty one when caught up, to confirm the estate's count), then checkpoints. True if anything moved. */
  private async publishOnce(client: pg.Client): Promise<boolean> {
    const link = this.link();
    const batch = this.statements.events.all(link.eventsThrough, this.batchSize);
    const result = await client.query<{ reply: unknown }>('SELECT estate.ingest_events($1::jsonb) AS reply', [JSON.stringify(batch)]);
    const reply = result.rows[0]?.reply;
    if (!isIngestReply(reply)) throw new Error(`the estate answered ingest with ${JSON.stringify(reply)}`);
    const at = this.options.now().toISOString();
    this.statements.ackEvents.run(reply.storedThrough, at, reply.ok ? null : (reply.refused ?? 'refused'));
    if (!reply.ok) {
      if (this.status.state !== 'refused') this.options.log(`estate: refused this terminal: ${reply.refused ?? '(no reason given)'}`);
      this.setStatus({ state: 'refused', behind: this.behind(reply.storedThrough), lastContactAt: at, message: reply.refused ?? null });
      return false;
    }
    if (reply.storedThrough < link.eventsThrough) this.options.log(`estate: it holds events up to ${reply.storedThrough}, not ${link.eventsThrough}: sending the rest again`);
    const moved = reply.storedThrough !== link.eventsThrough || (await this.publishCheckpoints(client));
    const behind = this.behind(reply.storedThrough);
    this.setStatus({ state: behind === 0 ? 'caught-up' : 'publishing', behind, lastContactAt: at, message: null });
    return moved;
  }

  private async publishCheckpoints(client: pg.Client): Promise<boolean> {
    let moved = false;
    for (const checkpoint of this.statements.checkpoints.all(this.link().checkpointsThrough)) {
      const { id, ...wire } = checkpoint;
      const result = await client.query<{ reply: unknown }>('SELECT estate.ingest_checkpoint($1::jsonb) AS reply', [JSON.stringify(wire)]);
      const reply = result.rows[0]?.reply;
      if (!isCheckpointReply(reply)) throw new Error(`the estate answered a checkpoint with ${JSON.stringify(reply)}`);
      // Not yet: the events it covers are still on their way.
      if (!reply.ok) break;
      this.statements.ackCheckpoint.run(id, this.options.now().toISOString());
      moved = true;
    }
    return moved;
  }

  private sleep(ms: number): Promise<boolean> {
    return this.stopped ? Promise.resolve(false) : this.pause.sleep(ms);
  }
}
