import { Listeners } from '../device-health.ts';
import type { LinkHealth } from '../device-health.ts';
import { GET_DATA_UID, parseUidResponse } from './apdu.ts';
import { pcscErrorText } from './pcsc-binding.ts';
import type { PcscBinding, PcscCardHandle, PcscReaderHandle, PcscReaderState, PcscSession } from './pcsc-binding.ts';
import { loadPcscLite } from './pcsc-lite.ts';

export interface PcscCardReaderOptions {
  /**
   * Watch only readers whose PC/SC name contains this text (e.g. "ACR122U"); every reader
   * when absent. Names carry an index suffix (" 00 00") that can change on replug, hence
   * "contains" rather than equality.
   */
  readerName?: string;
  /** How long to wait before trying pcscd (or the binding) again after a failure. Default 2000 ms. */
  retryMs?: number;
  /** Upper bound for connecting to a card and for one APDU, so a wedged reader cannot hang us. Default 3000 ms. */
  timeoutMs?: number;
  /** How long after connecting to pcscd the readers have to show up before "no reader" is reported. Default 1000 ms. */
  readerGraceMs?: number;
  /** The PC/SC binding; libpcsclite through koffi unless a test supplies a fake. */
  binding?: () => Promise<PcscBinding>;
}

interface WatchedReader {
  handle: PcscReaderHandle;
  /** The card now in the field has been read (or failed to read): wait for it to leave. */
  cardHandled: boolean;
}

/**
 * A PC/SC contactless reader (warrant cards are ISO 14443). On every card put on a watched
 * reader it connects, sends GET DATA `FF CA 00 00 00`, and raises `onCard` with the UID in
 * upper-case hex, once per tap however long the card stays. Failures never throw out of it:
 * pcscd down, no reader or a missing binding make it offline (and it keeps retrying), a card
 * that cannot be read makes it degraded until the next good read.
 */
export class PcscCardReader {
  private readonly cards = new Listeners<string>();
  private readonly healthListeners = new Listeners<LinkHealth>();
  private readonly readerFilter: string | null;
  private readonly retryMs: number;
  private readonly timeoutMs: number;
  private readonly readerGraceMs: number;
  private readonly loadBinding: () => Promise<PcscBinding>;
  private readonly readers = new Map<string, WatchedReader>();
  private bindingPromise: Promise<PcscBinding> | null = null;
  private session: PcscSession | null = null;
  /** Bumped whenever a session is abandoned, so its late callbacks are ignored. */
  private generation = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private readersSettled = false;
  private serviceError: string | null = null;
  private readError: string | null = null;
  private closed = false;
  private current: LinkHealth = { state: 'connecting', lastError: null };

  constructor(options: PcscCardReaderOptions = {}) {
    this.readerFilter = options.readerName ?? null;
    this.retryMs = options.retryMs ?? 2000;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.readerGraceMs = options.readerGraceMs ?? 1000;
    this.loadBinding = options.binding ?? (() => loadPcscLite());
    // Asynchronous on purpose: listeners attached right after construction see every event.
    setImmediate(() => void this.connect());
  }

  onCard(listener: (uid: string) => void): () => void {
    return this.cards.add(listener);
  }

  health(): LinkHealth {
    return { ...this.current };
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }

  /** Names of the readers being watched now, for diagnostics. */
  readerNames(): string[] {
    return [...this.readers.keys()];
  }

  /** Stops watching and releases pcscd. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    this.dropSession();
    this.update();
  }

  private async connect(): Promise<void> {
    this.retryTimer = null;
    if (this.closed) return;
    let binding: PcscBinding;
    try {
      this.bindingPromise ??= this.loadBinding();
      binding = await this.bindingPromise;
    } catch (error) {
      // Not cached: a library installed later is picked up on the next try.
      this.bindingPromise = null;
      this.fail(`PC/SC binding did not load (libpcsclite1 and koffi installed?): ${pcscErrorText(error)}`);
      return;
    }
    if (this.closed) return;
    const generation = ++this.generation;
    try {
      this.session = binding.start({
        onReader: (reader) => {
          if (generation === this.generation) this.addReader(reader);
        },
        onError: (error) => {
          if (generation === this.generation) this.lostService(`lost pcscd: ${pcscErrorText(error)}`);
        },
      });
    } catch (error) {
      this.fail(`pcscd not reachable (is pcscd running?): ${pcscErrorText(error)}`);
      return;
    }
    this.serviceError = null;
    this.readersSettled = false;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null;
      this.readersSettled = true;
      this.update();
    }, this.readerGraceMs);
    this.update();
  }

  private fail(reason: string): void {
    this.serviceError = reason;
    this.update();
    if (this.closed || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    // A retry alone should not keep a process alive that has nothing else to do.
    this.retryTimer.unref();
  }

  private lostService(reason: string): void {
    this.dropSession();
    this.fail(reason);
  }

  private dropSession(): void {
    this.generation++;
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    const session = this.session;
    this.session = null;
    this.readers.clear();
    session?.stop();
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.graceTimer = null;
  }

  private addReader(handle: PcscReaderHandle): void {
    if (this.readerFilter !== null && !handle.name.includes(this.readerFilter)) return;
    const entry: WatchedReader = { handle, cardHandled: false };
    const generation = this.generation;
    this.readers.set(handle.name, entry);
    handle.onChange((state) => {
      if (generation === this.generation && this.readers.get(handle.name) === entry) this.readerChanged(entry, state);
    });
    handle.onDisconnect(() => {
      if (this.readers.get(handle.name) !== entry) return;
      this.readers.delete(handle.name);
      this.update();
    });
    this.update();
  }

  private readerChanged(entry: WatchedReader, state: PcscReaderState): void {
    if (!state.present) {
      // The card left: the next one (or the same one again) is a new tap.
      entry.cardHandled = false;
      return;
    }
    // pcscd reports several changes while one card sits there (in use by us, powered down
    // again afterwards): one read per stay in the field.
    if (entry.cardHandled) return;
    entry.cardHandled = true;
    if (state.mute) {
      this.readFailed(`${entry.handle.name}: card did not answer to reset (mute)`);
      return;
    }
    void this.readCard(entry);
  }

  private async readCard(entry: WatchedReader): Promise<void> {
    const generation = this.generation;
    const name = entry.handle.name;
    let card: PcscCardHandle | null = null;
    try {
      card = await settleWithin(entry.handle.connect(), this.timeoutMs, `connecting to the card in ${name}`, (late) => {
        void late.disconnect().catch(() => undefined);
      });
      const response = await settleWithin(card.transmit(Uint8Array.from(GET_DATA_UID)), this.timeoutMs, `GET DATA on ${name}`);
      const result = parseUidResponse(response);
      if (this.closed || generation !== this.generation) return;
      if (!result.ok) {
        this.readFailed(`${name}: ${result.error}`);
        return;
      }
      this.readError = null;
      this.update();
      this.cards.emit(result.uid);
    } catch (error) {
      if (this.closed || generation !== this.generation) return;
      this.readFailed(`${name}: ${pcscErrorText(error)}`);
    } finally {
      // Leave the card for anyone else; a failure to let go is not worth reporting.
      if (card !== null) void settleWithin(card.disconnect(), this.timeoutMs, 'disconnect').catch(() => undefined);
    }
  }

  private readFailed(reason: string): void {
    this.readError = reason;
    this.update();
  }

  private compute(): LinkHealth {
    if (this.closed) return { state: 'offline', lastError: null };
    if (this.serviceError !== null) return { state: 'offline', lastError: this.serviceError };
    if (this.session === null) return { state: 'connecting', lastError: null };
    if (this.readers.size === 0) {
      if (!this.readersSettled) return { state: 'connecting', lastError: null };
      const which = this.readerFilter === null ? 'PC/SC reader' : `PC/SC reader matching "${this.readerFilter}"`;
      return { state: 'offline', lastError: `no ${which} connected` };
    }
    if (this.readError !== null) return { state: 'degraded', lastError: this.readError };
    return { state: 'online', lastError: null };
  }

  private update(): void {
    const next = this.compute();
    if (next.state === this.current.state && next.lastError === this.current.lastError) return;
    this.current = next;
    this.healthListeners.emit({ ...next });
  }
}

/**
 * Resolves or rejects like `promise`, but rejects after `ms` if it has not settled. A value
 * that turns up late goes to `onLate` (to release a card connection nobody waits for any more).
 */
function settleWithin<T>(promise: Promise<T>, ms: number, what: string, onLate?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`${what} took longer than ${ms} ms`));
    }, ms);
    promise.then(
      (value) => {
        if (timedOut) {
          onLate?.(value);
          return;
        }
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (timedOut) return;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
