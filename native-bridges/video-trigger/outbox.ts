import { mkdir, open, readFile, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Listeners } from '../device-health.ts';
import { TriggerError, assertVideoEvent, toTriggerError, type TriggerErrorKind, type VideoEvent, type VideoTrigger } from './trigger.ts';

// ---------------------------------------------------------------------------------------------
// Storage: a small state-based interface, so the app can later keep the same rows in its
// database (one row per event and target) without touching the delivery logic.
// ---------------------------------------------------------------------------------------------

/** dismissed: a permanent failure someone has acknowledged; it stops being listed. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dismissed';

export interface TargetDelivery {
  status: DeliveryStatus;
  /** Attempts as of the last status change (attempts between changes are not written, to spare the disk during an outage). */
  attempts: number;
  error: { kind: TriggerErrorKind; message: string } | null;
}

export interface StoredEntry {
  event: VideoEvent;
  enqueuedAt: string;
  targets: Record<string, TargetDelivery>;
}

export interface OutboxStore {
  /** Every entry with a target still pending or failed, in the order first added. */
  load(): Promise<StoredEntry[]>;
  /** Durable when it resolves. For an id already stored, adds the targets it doesn't have yet. */
  add(entry: StoredEntry): Promise<void>;
  /** Durable when it resolves. */
  setStatus(id: string, target: string, delivery: TargetDelivery): Promise<void>;
  close(): Promise<void>;
}

type LogRecord = { op: 'add'; entry: StoredEntry } | { op: 'set'; id: string; target: string; delivery: TargetDelivery; at: string };

function isLive(entry: StoredEntry): boolean {
  return Object.values(entry.targets).some((t) => t.status === 'pending' || t.status === 'failed');
}

function cloneEntry(entry: StoredEntry): StoredEntry {
  return JSON.parse(JSON.stringify(entry)) as StoredEntry;
}

export interface FileOutboxStoreOptions {
  /** Rewrite the log once this many records were appended since the last rewrite and most are dead. Default 1000. */
  compactAfter?: number;
}

/**
 * The outbox on disk: one append-only JSON-lines file, `outbox.jsonl`, in the given directory.
 * Each add and status change is one line, written with O_APPEND and fdatasync'd before the call
 * resolves, so once `enqueue` returns the event survives a power cut. A torn last line (power
 * lost mid-write, before the caller was told "stored") is skipped on load. The file is rewritten
 * with only the live entries (to a temp file, fsync, rename, fsync of the directory) on open and
 * when it has grown mostly dead, so it stays small without ever being edited in place.
 * Chosen over a file per event because one fsync'd append per change is cheaper and atomic
 * renames of many small files are harder to reason about on Windows.
 */
export class FileOutboxStore implements OutboxStore {
  /** Lines that did not parse on the last load (a torn final write, or corruption). */
  corruptLines = 0;
  private readonly dir: string;
  private readonly path: string;
  private readonly compactAfter: number;
  private readonly entries = new Map<string, StoredEntry>();
  private handle: FileHandle | null = null;
  private appendedSinceCompact = 0;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, options: FileOutboxStoreOptions) {
    this.dir = dir;
    this.path = join(dir, 'outbox.jsonl');
    this.compactAfter = options.compactAfter ?? 1000;
  }

  static async open(dir: string, options: FileOutboxStoreOptions = {}): Promise<FileOutboxStore> {
    const store = new FileOutboxStore(dir, options);
    await mkdir(dir, { recursive: true });
    await store.replay();
    await store.compact();
    return store;
  }

  get file(): string {
    return this.path;
  }

  async load(): Promise<StoredEntry[]> {
    return [...this.entries.values()].filter(isLive).map(cloneEntry);
  }

  add(entry: StoredEntry): Promise<void> {
    return this.serialise(async () => {
      const existing = this.entries.get(entry.event.id);
      if (existing === undefined) {
        await this.append({ op: 'add', entry });
        this.entries.set(entry.event.id, cloneEntry(entry));
        return;
      }
      for (const [target, delivery] of Object.entries(entry.targets)) {
        if (existing.targets[target] !== undefined) continue;
        await this.append({ op: 'set', id: entry.event.id, target, delivery, at: new Date().toISOString() });
        existing.targets[target] = { ...delivery };
      }
    });
  }

  setStatus(id: string, target: string, delivery: TargetDelivery): Promise<void> {
    return this.serialise(async () => {
      const entry = this.entries.get(id);
      if (entry === undefined) throw new RangeError(`outbox has no event ${id}`);
      await this.append({ op: 'set', id, target, delivery, at: new Date().toISOString() });
      entry.targets[target] = { ...delivery };
      if (this.appendedSinceCompact >= this.compactAfter && this.liveCount() * 2 < this.appendedSinceCompact) await this.compact();
    });
  }

  close(): Promise<void> {
    return this.serialise(async () => {
      const handle = this.handle;
      this.handle = null;
      await handle?.close();
    });
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private liveCount(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (isLive(entry)) n++;
    return n;
  }

  private async append(record: LogRecord): Promise<void> {
    if (this.handle === null) throw new Error('outbox store is closed');
    await this.handle.write(`${JSON.stringify(record)}\n`);
    await this.handle.datasync();
    this.appendedSinceCompact++;
  }

  private async replay(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    this.corruptLines = 0;
    for (const line of text.split('\n')) {
      if (line.trim().length === 0) continue;
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        this.corruptLines++;
        continue;
      }
      if (record.op === 'add' && typeof record.entry?.event?.id === 'string') {
        const existing = this.entries.get(record.entry.event.id);
        if (existing === undefined) this.entries.set(record.entry.event.id, record.entry);
        else Object.assign(existing.targets, { ...record.entry.targets, ...existing.targets });
      } else if (record.op === 'set' && typeof record.id === 'string') {
        const entry = this.entries.get(record.id);
        if (entry !== undefined) entry.targets[record.target] = record.delivery;
      } else {
        this.corruptLines++;
      }
    }
  }

  /** Rewrites the log with only the live entries; the rename makes it all-or-nothing. */
  private async compact(): Promise<void> {
    for (const [id, entry] of this.entries) if (!isLive(entry)) this.entries.delete(id);
    const text = [...this.entries.values()].map((entry) => `${JSON.stringify({ op: 'add', entry } satisfies LogRecord)}\n`).join('');
    const temp = `${this.path}.tmp`;
    const tempHandle = await open(temp, 'w');
    try {
      await tempHandle.write(text);
      await tempHandle.sync();
    } finally {
      await tempHandle.close();
    }
    await this.handle?.close();
    this.handle = null;
    await rename(temp, this.path);
    await syncDirectory(this.dir);
    this.handle = await open(this.path, 'a');
    this.appendedSinceCompact = 0;
  }
}

/** Makes a rename durable; not possible (nor needed, NTFS journals it) on Windows. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** In memory, for demo mode and tests that don't care about restarts. */
export class MemoryOutboxStore implements OutboxStore {
  private readonly entries = new Map<string, StoredEntry>();
  async load(): Promise<StoredEntry[]> {
    return [...this.entries.values()].filter(isLive).map(cloneEntry);
  }
  async add(entry: StoredEntry): Promise<void> {
    const existing = this.entries.get(entry.event.id);
    if (existing === undefined) this.entries.set(entry.event.id, cloneEntry(entry));
    else for (const [t, d] of Object.entries(entry.targets)) existing.targets[t] ??= { ...d };
  }
  async setStatus(id: string, target: string, delivery: TargetDelivery): Promise<void> {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new RangeError(`outbox has no event ${id}`);
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
 * kiosks that lost the same VMS don't all come back at the same instant.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const min = options.minMs ?? 500;
  const max = Math.max(min, options.maxMs ?? 60_000);
  const ceiling = Math.min(max, min * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(min + random() * (ceiling - min));
}

export interface DeliveryFailure {
  event: VideoEvent;
  target: string;
  error: TriggerError;
  /** Attempts so far for this event and target, counting this one. */
  attempts: number;
  /** True when the far end rejected the event: it is recorded as failed and not retried. */
  permanent: boolean;
}

export interface Delivered {
  event: VideoEvent;
  target: string;
  attempts: number;
}

export interface OutboxOptions {
  store: OutboxStore;
  /** The targets; their names key the delivery state on disk. The outbox uses them but does not close them. */
  triggers: readonly VideoTrigger[];
  backoff?: BackoffOptions;
  /** Guard against a trigger that never settles; counted as a timeout. Default 30 s. */
  attemptTimeoutMs?: number;
  random?: () => number;
}

interface Worker {
  trigger: VideoTrigger;
  /** Event ids waiting for this target, oldest first. */
  queue: string[];
  /** Ends an idle wait (new work or close). */
  wake: (() => void) | null;
  /** Ends a back-off wait: only close() does, so enqueues during an outage don't hurry retries. */
  stopSleep: (() => void) | null;
  timer: NodeJS.Timeout | null;
  running: Promise<void>;
}

export interface PendingCounts {
  /** Event-and-target deliveries not yet made (failed ones are not pending; see failures()). */
  deliveries: number;
  /** Events with at least one delivery pending. */
  events: number;
  byTarget: Record<string, number>;
}

/**
 * A durable outbox in front of the video triggers, so an outage of the VMS, webhook or camera
 * loses no event. Each target has its own delivery loop, in enqueue order, one attempt at a
 * time: while a target is down its head event is retried with back-off and the rest wait
 * behind it (order is kept, and hammering a dead target with every queued event helps nobody),
 * while other targets carry on. Delivery is at-least-once: an attempt whose outcome is lost
 * (a timeout, a restart between the far end accepting and the outbox recording it) is sent
 * again with the same idempotency key for the far end to de-duplicate.
 * Nothing is dropped silently: every failed attempt is reported to onDeliveryFailure, and a
 * rejected event is recorded as failed, reported as permanent and kept in failures() until
 * retried or dismissed.
 */
export class Outbox {
  private readonly store: OutboxStore;
  private readonly workers = new Map<string, Worker>();
  private readonly entries = new Map<string, StoredEntry>();
  private readonly backoff: BackoffOptions;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  private readonly failureListeners = new Listeners<DeliveryFailure>();
  private readonly deliveredListeners = new Listeners<Delivered>();
  private readonly storeErrorListeners = new Listeners<Error>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  private constructor(options: OutboxOptions) {
    this.store = options.store;
    this.backoff = options.backoff ?? {};
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
    this.random = options.random ?? Math.random;
    for (const trigger of options.triggers) {
      if (this.workers.has(trigger.name)) throw new RangeError(`two video triggers are named ${trigger.name}; names key the outbox and must be unique`);
      this.workers.set(trigger.name, { trigger, queue: [], wake: null, stopSleep: null, timer: null, running: Promise.resolve() });
    }
  }

  /** Loads what was pending at the last shutdown (or crash) and starts delivering it. */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const outbox = new Outbox(options);
    for (const entry of await outbox.store.load()) {
      outbox.entries.set(entry.event.id, entry);
      for (const [target, delivery] of Object.entries(entry.targets)) {
        // A pending delivery for a target no longer configured stays on disk and in pending() until it comes back.
        if (delivery.status === 'pending') outbox.workers.get(target)?.queue.push(entry.event.id);
      }
    }
    for (const worker of outbox.workers.values()) worker.running = outbox.run(worker);
    return outbox;
  }

  /**
   * Stores the event for the given targets (default: all) and resolves once it is on disk.
   * Enqueuing an id again only adds targets it did not have, so a caller retrying its own
   * enqueue does not cause a second bookmark.
   */
  async enqueue(event: VideoEvent, targets?: readonly string[]): Promise<void> {
    if (this.closed) throw new Error('outbox is closed');
    assertVideoEvent(event);
    const names = [...new Set(targets ?? [...this.workers.keys()])];
    for (const name of names) if (!this.workers.has(name)) throw new RangeError(`no video trigger named ${name}`);
    const existing = this.entries.get(event.id);
    const fresh = names.filter((name) => existing?.targets[name] === undefined);
    if (fresh.length === 0) return;
    const entry: StoredEntry = {
      event: { ...event },
      enqueuedAt: new Date().toISOString(),
      targets: Object.fromEntries(fresh.map((name) => [name, { status: 'pending', attempts: 0, error: null } satisfies TargetDelivery])),
    };
    await this.store.add(entry);
    if (existing === undefined) this.entries.set(event.id, entry);
    else Object.assign(existing.targets, entry.targets);
    for (const name of fresh) {
      const worker = this.workers.get(name);
      if (worker === undefined) continue;
      worker.queue.push(event.id);
      worker.wake?.();
    }
  }

  pending(): PendingCounts {
    const byTarget: Record<string, number> = {};
    let deliveries = 0;
    let events = 0;
    for (const entry of this.entries.values()) {
      let waiting = false;
      for (const [target, delivery] of Object.entries(entry.targets)) {
        if (delivery.status !== 'pending') continue;
        byTarget[target] = (byTarget[target] ?? 0) + 1;
        deliveries++;
        waiting = true;
      }
      if (waiting) events++;
    }
    return { deliveries, events, byTarget };
  }

  /** Permanent failures not yet retried or dismissed, including those from before a restart. */
  failures(): { event: VideoEvent; target: string; attempts: number; error: TargetDelivery['error'] }[] {
    const out: { event: VideoEvent; target: string; attempts: number; error: TargetDelivery['error'] }[] = [];
    for (const entry of this.entries.values()) {
      for (const [target, delivery] of Object.entries(entry.targets)) {
        if (delivery.status === 'failed') out.push({ event: { ...entry.event }, target, attempts: delivery.attempts, error: delivery.error });
      }
    }
    return out;
  }

  /** Puts a failed delivery back in the queue (after someone fixed the far end's configuration). */
  async retry(eventId: string, target: string): Promise<void> {
    const delivery = this.failedDelivery(eventId, target);
    const next: TargetDelivery = { status: 'pending', attempts: delivery.attempts, error: delivery.error };
    await this.store.setStatus(eventId, target, next);
    this.setDelivery(eventId, target, next);
    const worker = this.workers.get(target);
    worker?.queue.push(eventId);
    worker?.wake?.();
  }

  /** Acknowledges a permanent failure (someone raised it and dealt with it); it leaves failures(). */
  async dismiss(eventId: string, target: string): Promise<void> {
    const delivery = this.failedDelivery(eventId, target);
    const next: TargetDelivery = { ...delivery, status: 'dismissed' };
    await this.store.setStatus(eventId, target, next);
    this.setDelivery(eventId, target, next);
  }

  onDeliveryFailure(listener: (failure: DeliveryFailure) => void): () => void {
    return this.failureListeners.add(listener);
  }

  onDelivered(listener: (delivered: Delivered) => void): () => void {
    return this.deliveredListeners.add(listener);
  }

  /** The disk refused a status change; delivery carries on from memory, and a restart will re-send (at-least-once). */
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

  private failedDelivery(eventId: string, target: string): TargetDelivery {
    const delivery = this.entries.get(eventId)?.targets[target];
    if (delivery?.status !== 'failed') throw new RangeError(`no failed delivery of ${eventId} to ${target}`);
    return delivery;
  }

  private setDelivery(eventId: string, target: string, delivery: TargetDelivery): void {
    const entry = this.entries.get(eventId);
    if (entry === undefined) return;
    entry.targets[target] = delivery;
    // Keep memory bounded: a fully settled event is only on disk until the next compaction.
    if (!isLive(entry)) this.entries.delete(eventId);
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

  private async record(eventId: string, target: string, delivery: TargetDelivery): Promise<void> {
    try {
      await this.store.setStatus(eventId, target, delivery);
    } catch (error) {
      this.storeErrorListeners.emit(error instanceof Error ? error : new Error(String(error)));
    }
    this.setDelivery(eventId, target, delivery);
  }

  private async run(worker: Worker): Promise<void> {
    const name = worker.trigger.name;
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
      let error: TriggerError | null = null;
      try {
        await this.attempt(worker.trigger, entry.event);
      } catch (e) {
        error = toTriggerError(e);
      }
      if (error === null) {
        await this.record(id, name, { status: 'delivered', attempts: delivery.attempts, error: null });
        worker.queue.shift();
        this.deliveredListeners.emit({ event: { ...entry.event }, target: name, attempts: delivery.attempts });
        continue;
      }
      const permanent = error.kind === 'rejected';
      delivery.error = { kind: error.kind, message: error.message };
      if (permanent) {
        await this.record(id, name, { status: 'failed', attempts: delivery.attempts, error: delivery.error });
        worker.queue.shift();
      }
      this.failureListeners.emit({ event: { ...entry.event }, target: name, error, attempts: delivery.attempts, permanent });
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

  private attempt(trigger: VideoTrigger, event: VideoEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TriggerError('timeout', `${trigger.name} did not settle within ${this.attemptTimeoutMs} ms`)),
        this.attemptTimeoutMs,
      );
      trigger.send({ ...event }).then(
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
