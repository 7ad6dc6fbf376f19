import { Listeners, type LinkHealth } from '../device-health.ts';

/**
 * A durable outbox: messages are stored before the caller is told "queued", then delivered to
 * named targets with retries, so an outage of a far end (a VMS, a webhook, a C2 receiver) loses
 * nothing. It doesn't know what it carries. The storage is behind OutboxStore (file-store.ts keeps
 * it in a file), so the delivery logic here assumes no file, path or disk.
 */

/** What the stores can keep and give back unchanged. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

export interface OutboxMessage<P extends Json = Json> {
  /** Idempotency key, 1..200 characters: stable across retries and restarts so far ends can de-duplicate. It also keys the message in the store. */
  id: string;
  /** What the payload is ('video-event', 'c2-document'): lets a target refuse what isn't meant for it, and a store shared by several owners tell them apart. */
  topic: string;
  /** ISO 8601 time the thing happened (not the time it is delivered). */
  at: string;
  /** Opaque to the outbox. A target gets back exactly what was stored: a string body stays the same bytes, even after a restart. */
  payload: P;
}

/**
 * Why one attempt failed.
 * - unreachable: the far end could not be reached or was not ready (refused, reset, 5xx, 408, 429): retry.
 * - rejected: the far end answered and refused this message (4xx, SOAP fault): retrying the same bytes won't help.
 * - timeout: no answer in time; the message may or may not have landed, so retry (far ends de-duplicate).
 * - protocol: an answer we could not understand: retry, but it usually means a misconfigured endpoint.
 */
export type DeliveryErrorKind = 'unreachable' | 'rejected' | 'timeout' | 'protocol';

export class DeliveryError extends Error {
  readonly kind: DeliveryErrorKind;

  constructor(kind: DeliveryErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.kind = kind;
  }
}

/** Anything a target throws that isn't a DeliveryError counts as the far end being unreachable, and is retried. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  return new DeliveryError('unreachable', error instanceof Error ? error.message : String(error), { cause: error });
}

/** One far end. The outbox uses it but doesn't close it: the owner does. */
export interface OutboxTarget<P extends Json = Json> {
  /** Unique per outbox. It keys the delivery state in the store, so keep it stable across restarts. */
  readonly name: string;
  /** One attempt, no retries (the outbox retries). Resolves when the far end has accepted the message, and rejects with a DeliveryError otherwise. */
  send(message: OutboxMessage<P>): Promise<void>;
  /** For the owner's status screens. Delivery doesn't consult it: a target reported offline is still tried. */
  health?(): LinkHealth;
}

// ---------------------------------------------------------------------------------------------
// Storage: a small state-based interface, so the same rows can live in a file, in memory or in
// the terminal's database (one row per message and target) without touching the delivery logic.
// ---------------------------------------------------------------------------------------------

/** dismissed: a permanent failure someone has acknowledged; it stops being listed. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dismissed';

export interface TargetDelivery {
  status: DeliveryStatus;
  /** Attempts as of the last status change (attempts between changes are not written, to spare the store during an outage). */
  attempts: number;
  error: { kind: DeliveryErrorKind; message: string } | null;
}

export interface StoredEntry {
  message: OutboxMessage;
  enqueuedAt: string;
  targets: Record<string, TargetDelivery>;
}

/**
 * All the outbox asks of its storage. The outbox keeps its own copy of the live entries and
 * only reads the store once, at open, so a store needs no cache, no query, no notion of
 * compaction. Each call must be durable when it resolves: that is what "queued" promises the
 * caller.
 */
export interface OutboxStore {
  /** Every entry with a target still pending or failed, in the order first added. */
  load(): Promise<StoredEntry[]>;
  /** For an id already stored, adds the targets it doesn't have yet (and changes nothing else). */
  add(entry: StoredEntry): Promise<void>;
  /** Throws a RangeError for an id it doesn't hold. */
  setStatus(id: string, target: string, delivery: TargetDelivery): Promise<void>;
  close(): Promise<void>;
}

/** Still owed to someone: stores keep these and may forget the rest. */
export function isLive(entry: StoredEntry): boolean {
  return Object.values(entry.targets).some((t) => t.status === 'pending' || t.status === 'failed');
}

/** A deep copy, through JSON, so the copy is exactly what a store would give back after a restart. */
export function cloneEntry(entry: StoredEntry): StoredEntry {
  return JSON.parse(JSON.stringify(entry)) as StoredEntry;
}

/** In memory, for demo mode and tests that don't care about restarts. */
export class MemoryOutboxStore implements OutboxStore {
  private readonly entries = new Map<string, StoredEntry>();
  async load(): Promise<StoredEntry[]> {
    return [...this.entries.values()].filter(isLive).map(cloneEntry);
  }
  async add(entry: StoredEntry): Promise<void> {
    const existing = this.entries.get(entry.message.id);
    if (existing === undefined) this.entries.set(entry.message.id, cloneEntry(entry));
    else for (const [t, d] of Object.entries(entry.targets)) existing.targets[t] ??= { ...d };
  }
  async setStatus(id: string, target: string, delivery: TargetDelivery): Promise<void> {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new RangeError(`outbox has no message ${id}`);
    entry.targets[target] = { ...delivery };
  }
  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------------------------

export interface BackoffOptions {
  /** First retry delay, and the floor of every delay. Default 500 ms. */
  minMs?: number;
  /** Ceiling. Default 60 s. */
  maxMs?: number;
}

/**
 * Delay before retry number `attempt` (1 = after the first failure): the ceiling doubles from
 * minMs up to maxMs, and the delay is drawn uniformly between minMs and that ceiling, so many
 * kiosks that lost the same far end don't all come back at the same instant.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const min = options.minMs ?? 500;
  const max = Math.max(min, options.maxMs ?? 60_000);
  const ceiling = Math.min(max, min * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(min + random() * (ceiling - min));
}

export interface DeliveryFailure<P extends Json = Json> {
  message: OutboxMessage<P>;
  target: string;
  error: DeliveryError;
  /** Attempts so far for this message and target, counting this one. */
  attempts: number;
  /** True when the far end rejected the message: it is recorded as failed and not retried. */
  permanent: boolean;
}

export interface Delivered<P extends Json = Json> {
  message: OutboxMessage<P>;
  target: string;
  attempts: number;
}

export interface FailedDelivery<P extends Json = Json> {
  message: OutboxMessage<P>;
  target: string;
  attempts: number;
  error: TargetDelivery['error'];
}

export interface OutboxOptions<P extends Json = Json> {
  store: OutboxStore;
  /** Their names key the delivery state in the store. */
  targets: readonly OutboxTarget<P>[];
  backoff?: BackoffOptions;
  /** Guard against a target that never settles; counted as a timeout. Default 30 s. */
  attemptTimeoutMs?: number;
  random?: () => number;
}

interface Worker<P extends Json> {
  target: OutboxTarget<P>;
  /** Message ids waiting for this target, oldest first. */
  queue: string[];
  /** Ends an idle wait (new work or close). */
  wake: (() => void) | null;
  /** Ends a back-off wait: only close() does, so enqueues during an outage don't hurry retries. */
  stopSleep: (() => void) | null;
  timer: NodeJS.Timeout | null;
  running: Promise<void>;
}

export interface PendingCounts {
  /** Message-and-target deliveries not yet made (failed ones are not pending; see failures()). */
  deliveries: number;
  /** Messages with at least one delivery pending. */
  messages: number;
  byTarget: Record<string, number>;
}

/** Refuses at enqueue what no far end could take, so a retry loop never meets it. */
function checkedMessage<P extends Json>(message: OutboxMessage<P>): OutboxMessage<P> {
  const { id, topic, at, payload } = message;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new DeliveryError('rejected', 'outbox message id must be 1..200 characters');
  if (typeof topic !== 'string' || topic.length === 0) throw new DeliveryError('rejected', 'outbox message topic must be a non-empty string');
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw new DeliveryError('rejected', `outbox message at must be an ISO time, got ${String(at)}`);
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch (error) {
    throw new DeliveryError('rejected', `outbox message ${id} has a payload that is not JSON`, { cause: error });
  }
  if (text === undefined) throw new DeliveryError('rejected', `outbox message ${id} has no payload`);
  // The stored form: what targets get now is what they would get after a restart.
  return { id, topic, at, payload: JSON.parse(text) as P };
}

/**
 * Each target has its own delivery loop, in enqueue order, one attempt at a time: while a
 * target is down its head message is retried with back-off and the rest wait behind it (order
 * is kept, and hammering a dead target with every queued message helps nobody), while other
 * targets carry on. Delivery is at-least-once: an attempt whose outcome is lost (a timeout, a
 * restart between the far end accepting and the outbox recording it) is sent again with the
 * same id for the far end to de-duplicate.
 * Nothing is dropped silently: every failed attempt is reported to onDeliveryFailure, and a
 * rejected message is recorded as failed, reported as permanent and kept in failures() until
 * retried or dismissed.
 */
export class Outbox<P extends Json = Json> {
  private readonly store: OutboxStore;
  private readonly workers = new Map<string, Worker<P>>();
  private readonly entries = new Map<string, StoredEntry>();
  private readonly backoff: BackoffOptions;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  private readonly failureListeners = new Listeners<DeliveryFailure<P>>();
  private readonly deliveredListeners = new Listeners<Delivered<P>>();
  private readonly storeErrorListeners = new Listeners<Error>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  private constructor(options: OutboxOptions<P>) {
    this.store = options.store;
    this.backoff = options.backoff ?? {};
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
    this.random = options.random ?? Math.random;
    for (const target of options.targets) {
      if (this.workers.has(target.name)) throw new RangeError(`two outbox targets are named ${target.name}; names key the delivery state and must be unique`);
      this.workers.set(target.name, { target, queue: [], wake: null, stopSleep: null, timer: null, running: Promise.resolve() });
    }
  }

  /** Loads what was pending at the last shutdown (or crash) and starts delivering it. */
  static async open<P extends Json = Json>(options: OutboxOptions<P>): Promise<Outbox<P>> {
    const outbox = new Outbox<P>(options);
    for (const entry of await outbox.store.load()) {
      outbox.entries.set(entry.message.id, entry);
      for (const [target, delivery] of Object.entries(entry.targets)) {
        // A pending delivery for a target no longer configured stays in the store and in pending() until it comes back.
        if (delivery.status === 'pending') outbox.workers.get(target)?.queue.push(entry.message.id);
      }
    }
    for (const worker of outbox.workers.values()) worker.running = outbox.run(worker);
    return outbox;
  }

  /**
   * Stores the message for the given targets (default: all) and resolves once the store has it
   * durably. Enqueuing an id again only adds targets it did not have, so a caller retrying its
   * own enqueue does not cause a second delivery.
   */
  async enqueue(message: OutboxMessage<P>, targets?: readonly string[]): Promise<void> {
    if (this.closed) throw new Error('outbox is closed');
    const entry = this.entryFor(message, new Date().toISOString(), targets);
    const existing = this.entries.get(entry.message.id);
    const fresh = Object.entries(entry.targets).filter(([name]) => existing?.targets[name] === undefined);
    if (fresh.length === 0) return;
    const owed: StoredEntry = { ...entry, targets: Object.fromEntries(fresh) };
    await this.store.add(owed);
    // Closed meanwhile: it is stored, and the next open delivers it.
    if (!this.closed) this.adopt(owed);
  }

  /**
   * Takes into the queues a message the store already holds durably because the caller wrote it
   * there in its own transaction (SqliteOutboxStore.stage), so enqueue's own write is skipped.
   * The same rules as enqueue: an id already known only gains the targets it did not have.
   */
  adopt(entry: StoredEntry): void {
    if (this.closed) throw new Error('outbox is closed');
    const existing = this.entries.get(entry.message.id);
    const fresh = Object.keys(entry.targets).filter((name) => existing?.targets[name] === undefined);
    if (fresh.length === 0) return;
    const adopted: StoredEntry = { ...cloneEntry(entry), targets: Object.fromEntries(fresh.map((name) => [name, { ...(entry.targets[name] as TargetDelivery) }])) };
    if (existing === undefined) this.entries.set(adopted.message.id, adopted);
    else Object.assign(existing.targets, adopted.targets);
    for (const name of fresh) {
      if (adopted.targets[name]?.status !== 'pending') continue;
      const worker = this.workers.get(name);
      if (worker === undefined) continue;
      worker.queue.push(adopted.message.id);
      worker.wake?.();
    }
  }

  /** The entry enqueue would store for this message and these targets (default: all): for a caller that stages it itself. */
  entryFor(message: OutboxMessage<P>, enqueuedAt: string, targets?: readonly string[]): StoredEntry {
    const stored = checkedMessage(message);
    const names = [...new Set(targets ?? [...this.workers.keys()])];
    for (const name of names) if (!this.workers.has(name)) throw new RangeError(`no target named ${name} in this outbox`);
    return { message: stored, enqueuedAt, targets: Object.fromEntries(names.map((name) => [name, { status: 'pending', attempts: 0, error: null } satisfies TargetDelivery])) };
  }

  pending(): PendingCounts {
    const byTarget: Record<string, number> = {};
    let deliveries = 0;
    let messages = 0;
    for (const entry of this.entries.values()) {
      let waiting = false;
      for (const [target, delivery] of Object.entries(entry.targets)) {
        if (delivery.status !== 'pending') continue;
        byTarget[target] = (byTarget[target] ?? 0) + 1;
        deliveries++;
        waiting = true;
      }
      if (waiting) messages++;
    }
    return { deliveries, messages, byTarget };
  }

  /** Permanent failures not yet retried or dismissed, including those from before a restart. */
  failures(): FailedDelivery<P>[] {
    const out: FailedDelivery<P>[] = [];
    for (const entry of this.entries.values()) {
      for (const [target, delivery] of Object.entries(entry.targets)) {
        if (delivery.status === 'failed') out.push({ message: this.copy(entry.message), target, attempts: delivery.attempts, error: delivery.error });
      }
    }
    return out;
  }

  /** Puts a failed delivery back in the queue (after someone fixed the far end's configuration). */
  async retry(messageId: string, target: string): Promise<void> {
    const delivery = this.failedDelivery(messageId, target);
    const next: TargetDelivery = { status: 'pending', attempts: delivery.attempts, error: delivery.error };
    await this.store.setStatus(messageId, target, next);
    this.setDelivery(messageId, target, next);
    const worker = this.workers.get(target);
    worker?.queue.push(messageId);
    worker?.wake?.();
  }

  /** Acknowledges a permanent failure (someone raised it and dealt with it); it leaves failures(). */
  async dismiss(messageId: string, target: string): Promise<void> {
    const delivery = this.failedDelivery(messageId, target);
    const next: TargetDelivery = { ...delivery, status: 'dismissed' };
    await this.store.setStatus(messageId, target, next);
    this.setDelivery(messageId, target, next);
  }

  onDeliveryFailure(listener: (failure: DeliveryFailure<P>) => void): () => void {
    return this.failureListeners.add(listener);
  }

  onDelivered(listener: (delivered: Delivered<P>) => void): () => void {
    return this.deliveredListeners.add(listener);
  }

  /** The store refused a status change; delivery carries on from memory, and a restart will re-send (at-least-once). */
  onStoreError(listener: (error: Error) => void): () => void {
    return this.storeErrorListeners.add(listener);
  }

  /** Resolves once no delivery to a configured target is pending. */
  whenIdle(): Promise<void> {
    if (this.queuedCount() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the loops (an attempt in flight is allowed to finish and be recorded), then closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const worker of this.workers.values()) {
      if (worker.timer !== null) clearTimeout(worker.timer);
      worker.wake?.();
      worker.stopSleep?.();
    }
    await Promise.all([...this.workers.values()].map((w) => w.running));
    await this.store.close();
  }

  /**
   * Every message handed out is a fresh copy, so a target or listener that changes it can't
   * change what is stored or what the next target gets. The cast is sound because only this
   * outbox's enqueue (typed P) writes to its store.
   */
  private copy(message: OutboxMessage): OutboxMessage<P> {
    return JSON.parse(JSON.stringify(message)) as OutboxMessage<P>;
  }

  private failedDelivery(messageId: string, target: string): TargetDelivery {
    const delivery = this.entries.get(messageId)?.targets[target];
    if (delivery?.status !== 'failed') throw new RangeError(`no failed delivery of ${messageId} to ${target}`);
    return delivery;
  }

  private setDelivery(messageId: string, target: string, delivery: TargetDelivery): void {
    const entry = this.entries.get(messageId);
    if (entry === undefined) return;
    entry.targets[target] = delivery;
    // Keep memory bounded: a fully settled message is only in the store (until the store drops it).
    if (!isLive(entry)) this.entries.delete(messageId);
  }

  private queuedCount(): number {
    let n = 0;
    for (const worker of this.workers.values()) n += worker.queue.length;
    return n;
  }

  private checkIdle(): void {
    if (this.queuedCount() > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async record(messageId: string, target: string, delivery: TargetDelivery): Promise<void> {
    try {
      await this.store.setStatus(messageId, target, delivery);
    } catch (error) {
      this.storeErrorListeners.emit(error instanceof Error ? error : new Error(String(error)));
    }
    this.setDelivery(messageId, target, delivery);
  }

  private async run(worker: Worker<P>): Promise<void> {
    const name = worker.target.name;
    while (!this.closed) {
      const id = worker.queue[0];
      if (id === undefined) {
        this.checkIdle();
        await new Promise<void>((resolve) => (worker.wake = resolve));
        worker.wake = null;
        continue;
      }
      const entry = this.entries.get(id);
      const delivery = entry?.targets[name];
      if (entry === undefined || delivery?.status !== 'pending') {
        worker.queue.shift();
        continue;
      }
      delivery.attempts++;
      let error: DeliveryError | null = null;
      try {
        await this.attempt(worker.target, this.copy(entry.message));
      } catch (e) {
        error = toDeliveryError(e);
      }
      if (error === null) {
        await this.record(id, name, { status: 'delivered', attempts: delivery.attempts, error: null });
        worker.queue.shift();
        this.deliveredListeners.emit({ message: this.copy(entry.message), target: name, attempts: delivery.attempts });
        continue;
      }
      const permanent = error.kind === 'rejected';
      delivery.error = { kind: error.kind, message: error.message };
      if (permanent) {
        await this.record(id, name, { status: 'failed', attempts: delivery.attempts, error: delivery.error });
        worker.queue.shift();
      }
      this.failureListeners.emit({ message: this.copy(entry.message), target: name, error, attempts: delivery.attempts, permanent });
      if (permanent || this.closed) continue;
      await new Promise<void>((resolve) => {
        worker.stopSleep = resolve;
        worker.timer = setTimeout(resolve, backoffDelay(delivery.attempts, this.backoff, this.random));
      });
      worker.stopSleep = null;
      if (worker.timer !== null) clearTimeout(worker.timer);
      worker.timer = null;
    }
  }

  private attempt(target: OutboxTarget<P>, message: OutboxMessage<P>): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DeliveryError('timeout', `${target.name} did not settle within ${this.attemptTimeoutMs} ms`)),
        this.attemptTimeoutMs,
      );
      target.send(message).then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
