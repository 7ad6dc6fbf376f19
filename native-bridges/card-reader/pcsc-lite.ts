import type { PcscBinding, PcscCardHandle, PcscReaderHandle, PcscReaderState, PcscSession, PcscSessionHandlers } from './pcsc-binding.ts';
import {
  MAX_READERS_CONTEXTS,
  PNP_NOTIFICATION,
  SCARD_E_CANCELLED,
  SCARD_E_TIMEOUT,
  SCARD_E_UNKNOWN_READER,
  SCARD_STATE_ATRMATCH,
  SCARD_STATE_CHANGED,
  SCARD_STATE_EMPTY,
  SCARD_STATE_EXCLUSIVE,
  SCARD_STATE_INUSE,
  SCARD_STATE_MUTE,
  SCARD_STATE_PRESENT,
  SCARD_STATE_UNAVAILABLE,
  SCARD_STATE_UNAWARE,
  SCARD_STATE_UNKNOWN,
  SCARD_STATE_UNPOWERED,
  isPcscError,
  loadWinscard,
} from './winscard.ts';
import type { ReaderStateResult, ScardHandle, Winscard } from './winscard.ts';

/**
 * The PcscBinding over pcsc-lite's winscard API (winscard.ts), our own instead of an npm addon.
 *
 * One session is one SCARDCONTEXT and one loop: list the readers, then SCardGetStatusChange on
 * all of them plus the PnP notification entry, on a libuv worker thread (koffi's async call),
 * so the event loop never waits on pcscd. Each wake-up lists the readers again, which is how
 * arrivals and removals are found; the PnP entry only makes the wake-up prompt. Card
 * connections get a context of their own: pcsc-lite holds a context's lock for the whole of a
 * SCardGetStatusChange, so a connect on the monitoring context would wait for the next event.
 *
 * The price of koffi's async calls: while a session runs, one thread of libuv's pool (4 unless
 * UV_THREADPOOL_SIZE says otherwise, shared with fs and crypto) sits in that wait.
 */

export interface PcscLiteOptions {
  /**
   * Longest single SCardGetStatusChange. stop() cancels the wait, so this only bounds how late
   * a reader plugged in during the instant between listing and waiting is noticed (pcsc-lite
   * 1.9 compares reader counts from the start of the call). Default 1000 ms.
   */
  statusTimeoutMs?: number;
}

export interface PcscLiteSession extends PcscSession {
  /** Settles once the loop has ended and its context is released (after stop() or a failure). */
  readonly closed: Promise<void>;
}

const DEFAULT_STATUS_TIMEOUT_MS = 1000;
/** Retry interval for SCardCancel, which is a no-op if it lands before the wait has begun. */
const CANCEL_RETRY_MS = 50;

const FLAG_NAMES: readonly (readonly [number, string])[] = [
  [SCARD_STATE_UNKNOWN, 'UNKNOWN'],
  [SCARD_STATE_UNAVAILABLE, 'UNAVAILABLE'],
  [SCARD_STATE_EMPTY, 'EMPTY'],
  [SCARD_STATE_PRESENT, 'PRESENT'],
  [SCARD_STATE_ATRMATCH, 'ATRMATCH'],
  [SCARD_STATE_EXCLUSIVE, 'EXCLUSIVE'],
  [SCARD_STATE_INUSE, 'INUSE'],
  [SCARD_STATE_MUTE, 'MUTE'],
  [SCARD_STATE_UNPOWERED, 'UNPOWERED'],
];

export function describeReaderState(eventState: number): PcscReaderState {
  const names = FLAG_NAMES.filter(([flag]) => (eventState & flag) !== 0).map(([, name]) => name);
  return {
    present: (eventState & SCARD_STATE_PRESENT) !== 0 && (eventState & SCARD_STATE_UNAVAILABLE) === 0,
    mute: (eventState & SCARD_STATE_MUTE) !== 0,
    text: names.length > 0 ? names.join('|') : 'UNAWARE',
  };
}

/**
 * A listener that throws must not leave the session half-updated, but neither may the error
 * vanish: it is rethrown on its own tick, where Node reports it as uncaught.
 */
function deliver(call: () => void): void {
  try {
    call();
  } catch (error) {
    setImmediate(() => {
      throw error;
    });
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

class LiteReader implements PcscReaderHandle {
  readonly name: string;
  /** Fed back to SCardGetStatusChange as dwCurrentState: the last dwEventState without CHANGED. */
  currentState = SCARD_STATE_UNAWARE;
  /** Passed to onReader: only once its first state is known, so onChange can start with it. */
  reported = false;
  private readonly changeListeners: ((state: PcscReaderState) => void)[] = [];
  private readonly disconnectListeners: (() => void)[] = [];
  private gone = false;
  private readonly winscard: Winscard;

  constructor(winscard: Winscard, name: string) {
    this.winscard = winscard;
    this.name = name;
  }

  onChange(listener: (state: PcscReaderState) => void): void {
    this.changeListeners.push(listener);
  }

  onDisconnect(listener: () => void): void {
    this.disconnectListeners.push(listener);
  }

  connect(): Promise<PcscCardHandle> {
    return connectCard(this.winscard, this.name);
  }

  emitChange(state: PcscReaderState): void {
    if (this.gone) return;
    for (const listener of [...this.changeListeners]) deliver(() => listener(state));
  }

  emitDisconnect(): void {
    if (this.gone) return;
    this.gone = true;
    for (const listener of [...this.disconnectListeners]) deliver(listener);
  }
}

async function connectCard(winscard: Winscard, reader: string): Promise<PcscCardHandle> {
  const context = await winscard.establishContextAsync();
  try {
    const { card, protocol } = await winscard.connect(context, reader);
    return new LiteCard(winscard, context, card, protocol);
  } catch (error) {
    void winscard.releaseContext(context).catch(() => undefined);
    throw error;
  }
}

class LiteCard implements PcscCardHandle {
  private readonly winscard: Winscard;
  private readonly context: ScardHandle;
  private readonly card: ScardHandle;
  private readonly protocol: number;
  /** One call at a time: a second would only wait on pcsc-lite's context lock, holding a worker thread. */
  private queue: Promise<unknown> = Promise.resolve();
  private disconnecting: Promise<void> | null = null;

  constructor(winscard: Winscard, context: ScardHandle, card: ScardHandle, protocol: number) {
    this.winscard = winscard;
    this.context = context;
    this.card = card;
    this.protocol = protocol;
  }

  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.disconnecting !== null) return Promise.reject(new Error('transmit after disconnect'));
    // Copied, so a caller reusing its buffer cannot change what the worker thread sends.
    const command = Uint8Array.from(apdu);
    return this.enqueue(() => this.winscard.transmit(this.card, this.protocol, command));
  }

  disconnect(): Promise<void> {
    this.disconnecting ??= this.enqueue(async () => {
      try {
        await this.winscard.disconnect(this.card);
      } finally {
        await this.winscard.releaseContext(this.context).catch(() => undefined);
      }
    });
    return this.disconnecting;
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

class LiteSession implements PcscLiteSession {
  readonly closed: Promise<void>;
  private readonly winscard: Winscard;
  private readonly context: ScardHandle;
  private readonly handlers: PcscSessionHandlers;
  private readonly statusTimeoutMs: number;
  private readonly readers = new Map<string, LiteReader>();
  private pnpState = SCARD_STATE_UNAWARE;
  private stopped = false;
  private waiting = false;
  /** The SCardCancel in flight, if any: the context must outlive it. */
  private cancelling: Promise<void> | null = null;

  constructor(winscard: Winscard, context: ScardHandle, handlers: PcscSessionHandlers, statusTimeoutMs: number) {
    this.winscard = winscard;
    this.context = context;
    this.handlers = handlers;
    this.statusTimeoutMs = statusTimeoutMs;
    this.closed = this.run();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.dropReaders();
    this.cancelWait();
  }

  private async run(): Promise<void> {
    // Handlers are never called from inside start(): the caller has its session object first.
    await Promise.resolve();
    try {
      while (!this.stopped) {
        const names = await this.winscard.listReaders(this.context);
        if (this.stopped) break;
        this.reconcile(names);
        // pcscd serves at most MAX_READERS_CONTEXTS readers, so when that many are there none
        // can arrive, and the PnP entry would only exceed SCardGetStatusChange's limit.
        const watched = [...this.readers.values()].slice(0, MAX_READERS_CONTEXTS);
        const request = watched.map((r) => ({ reader: r.name, currentState: r.currentState }));
        if (watched.length < MAX_READERS_CONTEXTS) request.push({ reader: PNP_NOTIFICATION, currentState: this.pnpState });
        let results: ReaderStateResult[];
        this.waiting = true;
        try {
          results = await this.winscard.getStatusChange(this.context, this.statusTimeoutMs, request);
        } catch (error) {
          // Timed out, cancelled, or a reader went between listing and waiting: list again.
          if (isPcscError(error, SCARD_E_TIMEOUT, SCARD_E_CANCELLED, SCARD_E_UNKNOWN_READER)) continue;
          throw error;
        } finally {
          this.waiting = false;
        }
        if (this.stopped) break;
        this.apply(watched, results);
      }
    } catch (error) {
      if (!this.stopped) {
        this.stopped = true;
        // The error first: the readers' disconnects that follow belong to a dead session.
        deliver(() => this.handlers.onError(toError(error)));
        this.dropReaders();
      }
    } finally {
      if (this.cancelling !== null) await this.cancelling;
      await this.winscard.releaseContext(this.context).catch(() => undefined);
    }
  }

  private reconcile(names: readonly string[]): void {
    const listed = new Set(names);
    for (const [name, reader] of this.readers) {
      if (listed.has(name)) continue;
      this.readers.delete(name);
      if (reader.reported) reader.emitDisconnect();
    }
    for (const name of names) {
      if (!this.readers.has(name)) this.readers.set(name, new LiteReader(this.winscard, name));
    }
  }

  private apply(watched: readonly LiteReader[], results: readonly ReaderStateResult[]): void {
    const pnp = results[watched.length];
    if (pnp !== undefined) this.pnpState = pnp.eventState & ~SCARD_STATE_CHANGED;
    watched.forEach((reader, i) => {
      const result = results[i];
      if (this.stopped || result === undefined || this.readers.get(reader.name) !== reader) return;
      if ((result.eventState & SCARD_STATE_UNKNOWN) !== 0) {
        // Unplugged: a reader that comes back under the name is a new one.
        this.readers.delete(reader.name);
        if (reader.reported) reader.emitDisconnect();
        return;
      }
      if ((result.eventState & SCARD_STATE_CHANGED) === 0) return;
      reader.currentState = result.eventState & ~SCARD_STATE_CHANGED;
      const state = describeReaderState(result.eventState);
      if (!reader.reported) {
        reader.reported = true;
        deliver(() => this.handlers.onReader(reader));
        if (this.stopped) return;
      }
      reader.emitChange(state);
    });
  }

  private dropReaders(): void {
    const readers = [...this.readers.values()];
    this.readers.clear();
    for (const reader of readers) if (reader.reported) reader.emitDisconnect();
  }

  private cancelWait(): void {
    if (!this.waiting || this.cancelling !== null) return;
    this.cancelling = this.winscard.cancel(this.context).then(
      () => undefined,
      () => undefined,
    );
    void this.cancelling.then(() => {
      this.cancelling = null;
      if (!this.waiting) return;
      setTimeout(() => this.cancelWait(), CANCEL_RETRY_MS).unref();
    });
  }
}

/** A PcscBinding over an already loaded winscard API (tests pass a fake). */
export function createPcscLiteBinding(winscard: Winscard, options: PcscLiteOptions = {}): PcscBinding {
  const statusTimeoutMs = options.statusTimeoutMs ?? DEFAULT_STATUS_TIMEOUT_MS;
  return {
    start(handlers): PcscLiteSession {
      return new LiteSession(winscard, winscard.establishContext(), handlers, statusTimeoutMs);
    },
  };
}

let winscardPromise: Promise<Winscard> | null = null;

/**
 * The PC/SC binding over koffi and libpcsclite.so.1. Rejects when either is missing, so the
 * caller can report the reader offline and try again later (a failed load is not cached).
 */
export function loadPcscLite(options: PcscLiteOptions = {}): Promise<PcscBinding> {
  const loading = (winscardPromise ??= loadWinscard().catch((error: unknown) => {
    winscardPromise = null;
    throw error;
  }));
  return loading.then((winscard) => createPcscLiteBinding(winscard, options));
}
