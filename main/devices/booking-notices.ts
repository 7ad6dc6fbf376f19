import { DeliveryError, Outbox, type BackoffOptions, type OutboxMessage, type OutboxTarget, type StoredEntry } from '../../native-bridges/outbox/outbox.ts';
import { SignedWebhook } from '../../native-bridges/video-trigger/webhook.ts';
import { SECRET_MASK, type BookingsConfig } from '../config/terminal-config.ts';
import type { Db } from '../core/db/database.ts';
import type { BookingNotice, BookingNotices } from '../core/ports.ts';
import { SqliteOutboxStore } from './sqlite-outbox-store.ts';

/**
 * The booking webhook (docs/bookings.md): whoever books kit is told when it is ready behind its
 * door, when it is about to expire, when it expired and when it was collected. Each notice is
 * written to a durable outbox in the transaction of the change it announces (as the video
 * events are), so it is sent exactly when that change committed, and an outage of the receiver
 * loses nothing: delivery is retried with back-off, and failures are logged.
 */

/** The outbox message kind of a notice; the target refuses anything else rather than POST it. */
const NOTICE_TOPIC = 'booking-notice';
/** Keys the delivery state in the outbox: constant, so a changed URL still gets what is queued. */
const TARGET_NAME = 'booking-webhook';
/** Keeps these notices apart from the video, C2 and checkpoint messages in the shared outbox tables. */
export const BOOKING_OUTBOX_OWNER = 'bookings';

/**
 * Stable per booking and event (the core announces each event of a booking at most once), and
 * prefixed by the terminal's id, so a receiver de-duplicates retries and several terminals'
 * bookings never share an id.
 */
export function noticeId(terminalId: string, notice: Pick<BookingNotice, 'booking' | 'event'>): string {
  return `${terminalId}:booking-${notice.booking}-${notice.event}`;
}

/** The JSON body, keys in a fixed order, so a notice always gives the same bytes (and signature). */
export function noticeBody(id: string, terminalName: string, at: Date, notice: BookingNotice): string {
  const { event, booking, requestId, reference, officer, onBehalfOf, item, serial, door, readyFrom, deadline, priority } = notice;
  return JSON.stringify({
    id,
    event,
    terminal: terminalName,
    at: at.toISOString(),
    booking: { id: booking, requestId, reference, officer, onBehalfOf, item, serial, door, readyFrom, deadline, priority },
  });
}

/** POSTs one queued notice, signed as every webhook here is. One attempt per send: the outbox retries. */
class BookingWebhookTarget implements OutboxTarget<string> {
  readonly name = TARGET_NAME;
  private readonly link: SignedWebhook;

  constructor(endpoint: NonNullable<BookingsConfig['notifyWebhook']>, timeoutMs: number, ca: string | Buffer | undefined) {
    // Before the link's own checks: the mask is shorter than a secret may be, and this says why.
    if (endpoint.secret === SECRET_MASK) throw new RangeError('booking webhook secret is still masked; enter the shared secret again');
    this.link = new SignedWebhook({ url: endpoint.url, secret: endpoint.secret, timeoutMs, ca, label: 'booking webhook' });
  }

  get origin(): string {
    return this.link.url.origin;
  }

  async send(message: OutboxMessage<string>): Promise<void> {
    if (message.topic !== NOTICE_TOPIC) throw new DeliveryError('rejected', `outbox message ${message.id} is not a booking notice`);
    await this.link.post(message.id, message.payload);
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

export interface BookingNoticeOptions {
  /** The terminal's database: notices are written in the core's own transactions. */
  db: Db;
  /** c2Feed.terminalId, the terminal's one stable id: it prefixes every notice id. */
  terminalId: string;
  terminalName: string;
  log: (line: string) => void;
  /** Retry back-off. Default 1 s doubling to 60 s. */
  backoff?: BackoffOptions;
  /** Whole-exchange timeout of one POST. Default 10 s. */
  timeoutMs?: number;
  /** Extra CA certificates (PEM) for a force's private CA. */
  ca?: string | Buffer;
}

export class BookingNoticeWebhook implements BookingNotices {
  /** Staged in a transaction still open (or just ended): handed to the outbox once it is known to have committed. */
  private staged: StoredEntry[] = [];
  private stopped = false;

  private constructor(
    private readonly options: BookingNoticeOptions,
    /**
     * Writes the notices. Not the outbox's own store: Outbox.close() closes that one, and a
     * notice staged while this service is being replaced (a saved configuration) must still be
     * written, for the next one to load and deliver.
     */
    private readonly stagingStore: SqliteOutboxStore,
    private readonly outbox: Outbox<string> | null,
    private readonly webhook: BookingWebhookTarget | null,
  ) {
    outbox?.onDeliveryFailure((failure) => {
      // Every attempt of a long outage would flood the log: the first, the third, then every tenth.
      if (failure.permanent || failure.attempts === 1 || failure.attempts === 3 || failure.attempts % 10 === 0) {
        options.log(
          `booking notices: ${failure.message.id} to ${webhook?.origin ?? '?'}: attempt ${failure.attempts} failed (${failure.permanent ? 'refused, not retried' : 'retrying'}): ${failure.error.message}`,
        );
      }
    });
    outbox?.onDelivered((d) => {
      if (d.attempts > 1) options.log(`booking notices: ${d.message.id} delivered after ${d.attempts} attempts`);
    });
    outbox?.onStoreError((error) => options.log(`booking notices outbox: ${error.message}`));
  }

  /**
   * Opens the outbox (delivering what an earlier run still owed). Without a webhook it does
   * nothing, and notices are not written at all. A webhook that cannot be used (a masked secret)
   * is logged and left off rather than stopping the terminal.
   */
  static async start(endpoint: BookingsConfig['notifyWebhook'], options: BookingNoticeOptions): Promise<BookingNoticeWebhook> {
    const stagingStore = new SqliteOutboxStore(options.db, BOOKING_OUTBOX_OWNER);
    let webhook: BookingWebhookTarget | null = null;
    if (endpoint !== null) {
      try {
        webhook = new BookingWebhookTarget(endpoint, options.timeoutMs ?? 10_000, options.ca);
      } catch (error) {
        options.log(`booking notices: webhook not started: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (webhook === null) return new BookingNoticeWebhook(options, stagingStore, null, null);
    try {
      const outbox = await Outbox.open({ store: new SqliteOutboxStore(options.db, BOOKING_OUTBOX_OWNER), targets: [webhook], backoff: options.backoff ?? { minMs: 1000, maxMs: 60_000 } });
      return new BookingNoticeWebhook(options, stagingStore, outbox, webhook);
    } catch (error) {
      await webhook.close();
      throw error;
    }
  }

  /**
   * Writes the notice in the caller's open transaction (the change it announces), so it is
   * durable when that commits and gone if it rolls back; a failure to write it fails the change
   * too, so a notice is never silently missing. Delivery starts on the next turn, once the
   * transaction has ended and only if it committed.
   */
  stage(notice: BookingNotice, at: Date): void {
    const outbox = this.outbox;
    if (outbox === null) return;
    const id = noticeId(this.options.terminalId, notice);
    const entry = outbox.entryFor({ id, topic: NOTICE_TOPIC, at: at.toISOString(), payload: noticeBody(id, this.options.terminalName, at, notice) }, at.toISOString());
    this.stagingStore.stage(entry);
    // Stopped: it is in the store, and the next start (or the service replacing this one) delivers it.
    if (this.stopped) return;
    if (this.staged.push(entry) === 1) setImmediate(() => this.adoptStaged(outbox));
  }

  /** Notices queued and not yet accepted by the receiver. */
  pending(): number {
    return this.outbox?.pending().deliveries ?? 0;
  }

  /** Resolves once everything queued has reached the receiver (tests, orderly shutdown). */
  whenDelivered(): Promise<void> {
    return this.outbox?.whenIdle() ?? Promise.resolve();
  }

  /** Queued notices stay in the database for the next start. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Webhook first: it aborts an attempt stuck on a dead receiver, which the outbox would otherwise wait out.
    await this.webhook?.close();
    await this.outbox?.close();
  }

  /** better-sqlite3 transactions are synchronous, so by the next turn each staging one has committed or rolled back. */
  private adoptStaged(outbox: Outbox<string>): void {
    const staged = this.staged;
    this.staged = [];
    // Stopped meanwhile: what committed is in the store, and whoever opens it next delivers it.
    if (this.stopped) return;
    for (const entry of staged) if (this.stagingStore.holds(entry.message.id)) outbox.adopt(entry);
  }
}
