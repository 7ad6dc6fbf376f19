/**
 * The estate's C2 feed: the estate-wide mobilisation picture, published once for the whole
 * estate in the terminals' documented C2 format (docs/c2-feed.md, schema 1.1: every person
 * carries the estate site), POSTed signed to one webhook whenever the picture changes.
 *
 * A document is the whole picture, so only the newest matters: the feed keeps no queue. It
 * wakes when holdings or reference data change (LISTEN), and every `pollMs` anyway (a
 * qualification lapses at midnight with no write); a picture the same as the last one
 * delivered is not sent. The sequence and what was last delivered are in estate.c2_feed, so the
 * sequence only goes up across restarts and a restart does not resend an unchanged picture.
 * A failed delivery is retried with back-off, each time with the picture as it is by then.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { connectEstate } from '../main/estate/estate-connection.ts';
import { buildC2Document, c2Picture, idempotencyKey, type C2Document } from '../main/devices/c2-feed.ts';
import type { Scheduler } from '../main/core/ports.ts';
import { WakeableSleep } from '../main/estate/wakeable-sleep.ts';
import { SignedWebhook } from '../native-bridges/video-trigger/webhook.ts';
import { TriggerError } from '../native-bridges/video-trigger/trigger.ts';
import { EstateMobilisation } from './mobilisation.ts';

export interface EstateC2FeedOptions {
  /** A connection string for a role that may become estate_c2 (the administrator's, locally). */
  databaseUrl: string;
  webhook: { url: string; secret: string };
  /** The id C2 keys the estate's documents by (the document's terminalId): as a terminal's c2Feed.terminalId. */
  estateId: string;
  estateName: string;
  log: (line: string) => void;
  scheduler: Scheduler;
  now?: () => Date;
  /** Without a change, how often to look again; default 10 s. */
  pollMs?: number;
  /** Changes within this long are one document; default 250 ms. */
  coalesceMs?: number;
  /** First retry after a failed delivery; doubles up to maxRetryMs (default 1 s and 60 s). */
  retryMs?: number;
  maxRetryMs?: number;
  timeoutMs?: number;
}

export type PublishOutcome = { state: 'sent'; document: C2Document } | { state: 'unchanged' } | { state: 'refused'; reason: string };

const ESTATE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class EstateC2Feed {
  private readonly link: SignedWebhook;
  private readonly mobilisation = new EstateMobilisation();
  private readonly now: () => Date;
  private client: pg.Client | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private readonly pause: WakeableSleep;
  private looks = 0;
  private problem: string | null = null;

  constructor(private readonly options: EstateC2FeedOptions) {
    if (!ESTATE_ID.test(options.estateId)) throw new RangeError(`estate id "${options.estateId}" must be letters, digits, ".", "_" or "-", up to 64, as a terminal's C2 id`);
    this.link = new SignedWebhook({ url: options.webhook.url, secret: options.webhook.secret, timeoutMs: options.timeoutMs ?? 10_000, label: 'estate C2 webhook' });
    this.now = options.now ?? (() => new Date());
    this.pause = new WakeableSleep(options.scheduler);
  }

  /** How many looks the running feed has finished, and the last failure (null once one succeeds). */
  status(): { looks: number; problem: string | null } {
    return { looks: this.looks, problem: this.problem };
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pause.wake();
    await this.running;
    await this.link.close();
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  /**
   * One look: the picture now, sent if it differs from the last one delivered. A refusal (4xx)
   * is recorded as delivered, so the same picture is not sent again; any other failure throws.
   */
  async publishOnce(): Promise<PublishOutcome> {
    const client = await this.connected();
    const now = this.now();
    const picture = c2Picture(await this.mobilisation.picture(client, now));
    const digest = sha256(JSON.stringify(picture));
    const state = await client.query<{ delivered_sha256: string | null }>('SELECT delivered_sha256 FROM estate.c2_feed WHERE id = 1');
    if (state.rows[0]?.delivered_sha256 === digest) return { state: 'unchanged' };
    // The number is taken (committed) before the document is sent, so it is never used twice.
    const next = await client.query<{ sequence: string }>('UPDATE estate.c2_feed SET sequence = sequence + 1 WHERE id = 1 RETURNING sequence');
    const sequence = Number(next.rows[0]?.sequence);
    const document = buildC2Document(picture, { terminalId: this.options.estateId, terminalName: this.options.estateName, sequence, generatedAt: now });
    try {
      await this.link.post(idempotencyKey(this.options.estateId, sequence), JSON.stringify(document));
    } catch (error) {
      const refused = error instanceof TriggerError && error.kind === 'rejected';
      await client.query('UPDATE estate.c2_feed SET last_error = $1, delivered_sha256 = CASE WHEN $2 THEN $3 ELSE delivered_sha256 END WHERE id = 1', [message(error), refused, digest]);
      if (refused) return { state: 'refused', reason: message(error) };
      throw error;
    }
    await client.query('UPDATE estate.c2_feed SET delivered_sha256 = $1, delivered_at = now(), last_error = NULL WHERE id = 1', [digest]);
    return { state: 'sent', document };
  }

  private async run(): Promise<void> {
    const retryMs = this.options.retryMs ?? 1000;
    const maxRetryMs = this.options.maxRetryMs ?? 60_000;
    let retry = retryMs;
    while (!this.stopped) {
      try {
        const outcome = await this.publishOnce();
        if (outcome.state === 'sent') this.options.log(`estate C2: document ${outcome.document.sequence} delivered (${outcome.document.totals.armed} armed, ${outcome.document.totals.available} available)`);
        if (outcome.state === 'refused') this.options.log(`estate C2: the receiver refused the document (${outcome.reason}); the next change is sent`);
        this.problem = null;
        this.looks++;
        retry = retryMs;
        if (await this.sleep(this.options.pollMs ?? 10_000)) await this.sleep(this.options.coalesceMs ?? 250);
      } catch (error) {
        if (this.stopped) break;
        const why = message(error);
        if (why !== this.problem) this.options.log(`estate C2: not delivered (${why}); retrying with the picture as it is then`);
        this.problem = why;
        await this.client?.end().catch(() => undefined);
        this.client = null;
        await this.sleep(retry);
        retry = Math.min(retry * 2, maxRetryMs);
      }
    }
  }

  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    this.client = await connectEstate({
      url: this.options.databaseUrl,
      applicationName: 'armoury-estate-c2',
      timeoutMs: this.options.timeoutMs ?? 10_000,
      lost: (why) => this.options.log(`estate C2: database connection lost (${why})`),
      setUp: ['SET ROLE estate_c2', 'LISTEN estate_holdings', 'LISTEN estate_reference'],
      notified: () => this.pause.wake(),
    });
    return this.client;
  }

  /** Waits `ms` or until woken; true when woken by a change. */
  private sleep(ms: number): Promise<boolean> {
    return this.stopped ? Promise.resolve(false) : this.pause.sleep(ms);
  }
}
