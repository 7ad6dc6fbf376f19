import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MobilisationView } from '../../preload/contract.ts';
import type { LinkHealth } from '../../native-bridges/device-health.ts';
import { readFileIfExists, writeFileAtomic } from '../../native-bridges/outbox/durable-file.ts';
import { DeliveryError, Outbox, type BackoffOptions, type OutboxMessage, type OutboxTarget } from '../../native-bridges/outbox/outbox.ts';
import { SignedWebhook } from '../../native-bridges/video-trigger/webhook.ts';
import { SECRET_MASK, type TerminalConfig } from '../config/terminal-config.ts';
import type { SqliteOutboxStore } from './sqlite-outbox-store.ts';

/**
 * The command-and-control (C2) feed: the armed/available picture of this terminal, published
 * as versioned JSON on every change (docs/c2-feed.md is the contract, resources/c2-feed.schema.json
 * its exact shape), so C2 systems take it as it is instead of someone re-keying the board.
 */

/** Bumped per docs/c2-feed.md: minor for additive changes, major for anything a consumer could trip on. */
export const C2_SCHEMA_VERSION = '1.1';

export type C2FeedConfig = TerminalConfig['c2Feed'];

export interface C2ArmedOfficer {
  collarNumber: string;
  name: string;
  serial: string;
  /** ISO 8601 (UTC) time the item was drawn. */
  since: string;
  /** Estate documents only (1.1): the estate site where it was drawn. */
  site?: string;
}

export interface C2AvailableOfficer {
  collarNumber: string;
  name: string;
  /** Estate documents only (1.1): the officer's home site. */
  site?: string;
}

/** What a picture is made from: a terminal's mobilisation view, or the estate's (whose people carry a site). */
export interface C2Source {
  types: readonly (Pick<MobilisationView['types'][number], 'assetTypeName' | 'category'> & {
    armed: readonly (MobilisationView['types'][number]['armed'][number] & { site?: string })[];
    available: readonly (MobilisationView['types'][number]['available'][number] & { site?: string })[];
  })[];
}

export interface C2TypePicture {
  assetType: string;
  category: string;
  armedCount: number;
  availableCount: number;
  armed: C2ArmedOfficer[];
  available: C2AvailableOfficer[];
}

export interface C2Totals {
  /** Distinct officers holding at least one counted item. */
  armed: number;
  /** Distinct officers holding none who could draw at least one counted type now. */
  available: number;
}

export interface C2Document {
  schemaVersion: typeof C2_SCHEMA_VERSION;
  terminalId: string;
  terminalName: string;
  /** Per terminal, strictly increasing across restarts (gaps allowed): C2 keeps the highest it has seen. */
  sequence: number;
  generatedAt: string;
  types: C2TypePicture[];
  totals: C2Totals;
}

/** The part of a document that says something about the room: what decides whether a change is published. */
export type C2Picture = Pick<C2Document, 'types' | 'totals'>;

const byCollar = (a: { collarNumber: string }, b: { collarNumber: string }): number => a.collarNumber.localeCompare(b.collarNumber, 'en', { numeric: true });

function isoTime(value: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new RangeError(`"${value}" is not a time`);
  return time.toISOString();
}

/**
 * The room's picture from the console's read model. Only collar number and display name leave
 * the terminal (no internal ids, units, qualifications, and nothing about officers who are not
 * available, whose reasons may be medical or disciplinary): see "Privacy" in docs/c2-feed.md.
 * People are sorted by collar number so a reordering in the read model is not a change.
 */
export function c2Picture(view: C2Source): C2Picture {
  const armedOfficers = new Set<number>();
  const availableOfficers = new Set<number>();
  const types = view.types.map((t): C2TypePicture => {
    for (const a of t.armed) armedOfficers.add(a.officerId);
    for (const a of t.available) availableOfficers.add(a.officerId);
    const armed = t.armed
      .map((a) => ({ collarNumber: a.collarNumber, name: a.name, serial: a.serial, since: isoTime(a.since), ...(a.site === undefined ? {} : { site: a.site }) }))
      .sort((a, b) => byCollar(a, b) || a.serial.localeCompare(b.serial));
    const available = t.available.map((a) => ({ collarNumber: a.collarNumber, name: a.name, ...(a.site === undefined ? {} : { site: a.site }) })).sort(byCollar);
    return { assetType: t.assetTypeName, category: t.category, armedCount: armed.length, availableCount: available.length, armed, available };
  });
  // Distinct officers: someone with a Taser who could also draw a firearm is one armed officer, not one of each.
  const available = [...availableOfficers].filter((id) => !armedOfficers.has(id)).length;
  return { types, totals: { armed: armedOfficers.size, available } };
}

export function buildC2Document(
  picture: C2Picture,
  meta: { terminalId: string; terminalName: string; sequence: number; generatedAt: Date },
): C2Document {
  // Keys in a fixed order: the same picture always gives the same bytes.
  return {
    schemaVersion: C2_SCHEMA_VERSION,
    terminalId: meta.terminalId,
    terminalName: meta.terminalName,
    sequence: meta.sequence,
    generatedAt: meta.generatedAt.toISOString(),
    types: picture.types,
    totals: picture.totals,
  };
}

// ---------------------------------------------------------------------------------------------
// Transport: the documents go through the generic outbox, so the feed gets durable, ordered,
// retried delivery. Each message carries the exact body to POST, so a retry, even after a
// restart, sends the same bytes with the same signature.
// ---------------------------------------------------------------------------------------------

/** The outbox message kind of a C2 document; the target refuses anything else rather than POST it. */
const C2_DOCUMENT_TOPIC = 'c2-document';
/** Outbox delivery state is keyed by target name: constant, so a changed URL still gets what is queued. */
const TARGET_NAME = 'c2-webhook';

export function idempotencyKey(terminalId: string, sequence: number): string {
  return `${terminalId}:${sequence}`;
}

function c2Message(id: string, at: string, body: string): OutboxMessage<string> {
  return { id, topic: C2_DOCUMENT_TOPIC, at, payload: body };
}

/**
 * A document queued before the outbox was generic rode in a fake video event, marked by
 * `asset`, with the body in `camera`. Reading those lets a backlog from before the upgrade
 * still be delivered, byte for byte.
 */
function legacyC2Message(event: unknown): OutboxMessage<string> | null {
  if (typeof event !== 'object' || event === null) return null;
  const { id, asset, camera, at } = event as Record<string, unknown>;
  if (asset !== 'c2-feed' || typeof id !== 'string' || typeof camera !== 'string' || typeof at !== 'string') return null;
  return c2Message(id, at, camera);
}

export interface C2WebhookTargetOptions {
  url: string;
  secret: string;
  timeoutMs?: number;
  /** Extra CA certificates (PEM) for a force's private CA. */
  ca?: string | Buffer;
  now?: () => Date;
}

/**
 * POSTs one queued C2 document, signed like the video webhook (HMAC-SHA256 over the raw body),
 * with its idempotency key. One attempt per send: the outbox retries.
 */
export class C2WebhookTarget implements OutboxTarget<string> {
  readonly name = TARGET_NAME;
  private readonly link: SignedWebhook;

  constructor(options: C2WebhookTargetOptions) {
    // Before the link's own checks: the mask is shorter than a secret may be, and this says why.
    if (options.secret === SECRET_MASK) throw new RangeError('C2 webhook secret is still masked; enter the shared secret again');
    this.link = new SignedWebhook({ url: options.url, secret: options.secret, timeoutMs: options.timeoutMs ?? 10_000, ca: options.ca, now: options.now, label: 'C2 webhook' });
  }

  get origin(): string {
    return this.link.url.origin;
  }

  health(): LinkHealth {
    return this.link.health();
  }

  async send(message: OutboxMessage<string>): Promise<void> {
    if (message.topic !== C2_DOCUMENT_TOPIC) throw new DeliveryError('rejected', `outbox message ${message.id} is not a C2 document`);
    await this.link.post(message.id, message.payload);
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

const STATE_FILE = 'c2-feed-state.json';
const OUTBOX_DIR = 'outbox';

/**
 * The last sequence used. Missing: a new terminal, start at 0. Unreadable (it is written
 * atomically, so only outside interference gets here): the time in milliseconds, which is
 * larger than any sequence a terminal reaches by publishing, so C2 never sees one go back.
 */
async function readSequence(path: string, now: Date, log: (line: string) => void): Promise<number> {
  const text = await readFileIfExists(path);
  if (text === null) return 0;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'sequence' in parsed && Number.isSafeInteger(parsed.sequence) && (parsed.sequence as number) >= 0) {
      return parsed.sequence as number;
    }
  } catch {
    // fall through to the recovery below
  }
  log(`c2 feed: ${path} is unreadable; continuing the sequence from the clock (${now.getTime()}) so it still only goes up`);
  return now.getTime();
}

// ---------------------------------------------------------------------------------------------
// The feed
// ---------------------------------------------------------------------------------------------

export interface C2FeedOptions {
  terminalName: string;
  /** Holds the sequence state file (and, before this release, the webhook outbox); keep it on the kiosk's own disk. */
  stateDir: string;
  /** The webhook's outbox, in the terminal's database. */
  store: SqliteOutboxStore;
  /** The current picture (the console's mobilisation view). Read after the debounce, never during a change. */
  picture: () => MobilisationView;
  log: (line: string) => void;
  /** Changes within this window are published as one document. Default 250 ms. */
  debounceMs?: number;
  /** Webhook retry back-off. Default 1 s doubling to 60 s. */
  backoff?: BackoffOptions;
  /** Webhook whole-exchange timeout. Default 10 s. */
  timeoutMs?: number;
  ca?: string | Buffer;
  now?: () => Date;
}

export interface C2FeedStatus {
  enabled: boolean;
  /** The last sequence used (0 before the first publish on a new terminal). */
  sequence: number;
  /** Documents queued for the webhook and not yet accepted. */
  pending: number;
  /** Webhook link health; null without a webhook. */
  webhook: LinkHealth | null;
  /** The last failure building, saving or writing a document (webhook failures are in `webhook`); null once one succeeds. */
  lastError: string | null;
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 60_000;

export class C2Feed {
  private debounce: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;
  private lastError: string | null = null;
  private tail: Promise<void> = Promise.resolve();
  /** Picture of the last document published in this run; null forces the first one after start. */
  private lastPicture: string | null = null;
  private last: C2Document | null = null;
  /** The newest document not yet in the file (the file only ever needs the newest). */
  private fileBody: string | null = null;
  private stopped = false;

  private constructor(
    private readonly config: C2FeedConfig,
    private readonly options: C2FeedOptions,
    private sequence: number,
    private readonly outbox: Outbox<string> | null,
    private readonly webhook: C2WebhookTarget | null,
  ) {
    outbox?.onDeliveryFailure((failure) => {
      // Every attempt of a long outage would flood the log: the first, the third, then every tenth.
      if (failure.permanent || failure.attempts === 1 || failure.attempts === 3 || failure.attempts % 10 === 0) {
        options.log(
          `c2 feed: document ${failure.message.id} to ${webhook?.origin ?? '?'}: attempt ${failure.attempts} failed (${failure.permanent ? 'refused, not retried' : 'retrying'}): ${failure.error.message}`,
        );
      }
    });
    outbox?.onDelivered((d) => {
      if (d.attempts > 1) options.log(`c2 feed: document ${d.message.id} delivered after ${d.attempts} attempts`);
    });
    outbox?.onStoreError((error) => options.log(`c2 feed outbox: ${error.message}`));
  }

  /**
   * Opens the state and outbox and schedules the first publish (so C2 has a fresh picture after
   * every start, and anything lost in a crash is re-sent). With neither a webhook nor a file it
   * does nothing and touches no disk. Rejects only if the state folder cannot be used.
   */
  static async start(config: C2FeedConfig, options: C2FeedOptions): Promise<C2Feed> {
    let webhook: C2WebhookTarget | null = null;
    if (config.webhook !== null) {
      try {
        webhook = new C2WebhookTarget({ url: config.webhook.url, secret: config.webhook.secret, timeoutMs: options.timeoutMs, ca: options.ca, now: options.now });
      } catch (error) {
        // A bad webhook must not take the file output (or the kiosk) down with it.
        options.log(`c2 feed: webhook not started: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (webhook === null && config.file === null) return new C2Feed(config, options, 0, null, null);
    let outbox: Outbox<string> | null = null;
    try {
      await mkdir(options.stateDir, { recursive: true });
      let sequence = await readSequence(join(options.stateDir, STATE_FILE), (options.now ?? (() => new Date()))(), options.log);
      if (webhook !== null) {
        const store = options.store;
        const moved = await store.adoptFile(join(options.stateDir, OUTBOX_DIR), { legacy: legacyC2Message });
        if (moved > 0) options.log(`c2 feed: ${moved} document(s) still owed moved from the outbox file into the database`);
        // Belt and braces: a queued document is never numbered at or above by a new one.
        for (const entry of await store.load()) sequence = Math.max(sequence, sequenceOf(entry.message.id, config.terminalId));
        outbox = await Outbox.open({ store, targets: [webhook], backoff: options.backoff ?? { minMs: 1000, maxMs: 60_000 } });
      }
      const feed = new C2Feed(config, options, sequence, outbox, webhook);
      feed.changed();
      return feed;
    } catch (error) {
      await outbox?.close();
      await webhook?.close();
      throw error;
    }
  }

  get enabled(): boolean {
    return this.webhook !== null || this.config.file !== null;
  }

  /** Something in the picture may have changed. Cheap and safe to call often: changes are coalesced, and an unchanged picture is not published. */
  changed(): void {
    if (this.stopped || !this.enabled || this.debounce !== null) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.flush();
    }, this.options.debounceMs ?? 250);
  }

  /** Publishes at once (if the picture differs from the last published); resolves once queued and written. Never rejects. */
  publishNow(): Promise<void> {
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.debounce = null;
    if (this.stopped || !this.enabled) return this.tail;
    return this.flush();
  }

  /** The last document published in this run. */
  lastDocument(): C2Document | null {
    return this.last;
  }

  status(): C2FeedStatus {
    return {
      enabled: this.enabled,
      sequence: this.sequence,
      pending: this.outbox?.pending().deliveries ?? 0,
      webhook: this.webhook?.health() ?? null,
      lastError: this.lastError,
    };
  }

  /** Resolves once everything queued has reached the webhook (tests, orderly shutdown). */
  whenDelivered(): Promise<void> {
    return this.outbox?.whenIdle() ?? Promise.resolve();
  }

  /** Publishes a change still in its debounce window, then closes. Queued documents stay on disk for the next start. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.debounce !== null) await this.publishNow();
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    await this.tail;
    // Webhook first: it aborts an attempt stuck on a dead receiver, which the outbox would otherwise
    // wait out (up to the timeout); the document stays queued and is re-sent, same key, next start.
    await this.webhook?.close();
    await this.outbox?.close();
  }

  private flush(): Promise<void> {
    this.tail = this.tail.then(() => this.publish());
    return this.tail;
  }

  /** One publish attempt; never throws (a failure is logged and retried). */
  private async publish(): Promise<void> {
    if (this.stopped) return;
    let picture: C2Picture;
    try {
      picture = c2Picture(this.options.picture());
    } catch (error) {
      return this.failed('reading the armed/available picture', error);
    }
    const key = JSON.stringify(picture);
    if (key !== this.lastPicture) {
      const sequence = this.sequence + 1;
      try {
        // Saved before anything is sent: a sequence number is never used twice, even after a power cut.
        await writeFileAtomic(join(this.options.stateDir, STATE_FILE), `${JSON.stringify({ sequence })}\n`, { mode: 0o600, syncDir: 'required' });
      } catch (error) {
        return this.failed('saving the sequence number', error);
      }
      this.sequence = sequence;
      const document = buildC2Document(picture, {
        terminalId: this.config.terminalId,
        terminalName: this.options.terminalName,
        sequence,
        generatedAt: (this.options.now ?? (() => new Date()))(),
      });
      const body = JSON.stringify(document);
      if (this.outbox !== null) {
        try {
          await this.outbox.enqueue(c2Message(idempotencyKey(document.terminalId, document.sequence), document.generatedAt, body));
        } catch (error) {
          // Not marked published, so the retry queues the picture again (under a new sequence).
          return this.failed(`queueing document ${sequence} for the webhook`, error);
        }
      }
      this.lastPicture = key;
      this.last = document;
      if (this.config.file !== null) this.fileBody = body;
    }
    if (this.fileBody !== null && this.config.file !== null) {
      try {
        // Group-readable so a C2 reader account in the kiosk's group can read it; nobody else (it names officers).
        await writeFileAtomic(this.config.file, this.fileBody, { mode: 0o640, syncDir: 'best-effort' });
        this.fileBody = null;
      } catch (error) {
        return this.failed(`writing ${this.config.file}`, error);
      }
    }
    if (this.failures > 0) this.options.log('c2 feed: publishing again');
    this.failures = 0;
    this.lastError = null;
  }

  private failed(what: string, error: unknown): void {
    const message = `${what} failed: ${error instanceof Error ? error.message : String(error)}`;
    this.lastError = message;
    this.failures++;
    if (this.stopped || this.retry !== null) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures - 1, 10));
    this.options.log(`c2 feed: ${message}; trying again in ${Math.round(delay / 1000)} s`);
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.flush();
    }, delay);
  }
}

function sequenceOf(id: string, terminalId: string): number {
  const prefix = `${terminalId}:`;
  if (!id.startsWith(prefix)) return 0;
  const n = Number(id.slice(prefix.length));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
