import type { ByteTransport } from '../transport/byte-transport.ts';
import {
  KerongDecoder,
  encodeStatusQuery,
  encodeUnlock,
  isStatusReply,
  parseStatusReply,
  toHex,
} from './codec.ts';
import type { BoardStatus, KerongFrame, KerongPolarity } from './codec.ts';

export type KerongErrorKind = 'timeout' | 'transport' | 'protocol';

export class KerongError extends Error {
  readonly kind: KerongErrorKind;
  readonly board: number | null;

  constructor(kind: KerongErrorKind, message: string, options: { board?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KerongError';
    this.kind = kind;
    this.board = options.board ?? null;
  }
}

export interface KerongBoardConfig {
  address: number;
  polarity: KerongPolarity;
}

export interface KerongDriverOptions {
  boards: KerongBoardConfig[];
  /** Measured from the start of the write, so a write that never drains also times out. */
  replyTimeoutMs?: number;
  /** Idle time between poll cycles (one cycle reads every configured board once). */
  pollIntervalMs?: number;
  /**
   * Bus held quiet after an unlock before the next request. The board may or may not
   * answer an unlock; if it does, our next query must not talk over it on half-duplex RS-485.
   */
  postUnlockGapMs?: number;
}

export type KerongHealthState = 'online' | 'degraded' | 'offline';

export interface KerongBoardHealth {
  address: number;
  state: KerongHealthState;
  lastError: string | null;
}

export interface KerongHealth {
  /** The worst of the boards' states: one silent board is worth a warning on the hardware screen. */
  state: KerongHealthState;
  lastError: string | null;
  boards: KerongBoardHealth[];
}

export interface KerongFrameLogEntry {
  direction: 'tx' | 'rx';
  bytes: Buffer;
  /** Set for received bytes the decoder rejected (bad checksum, garbage…). */
  error?: string;
}

const DEGRADED_AFTER_FAILURES = 1;
const OFFLINE_AFTER_FAILURES = 3;
const STATE_RANK: Record<KerongHealthState, number> = { online: 0, degraded: 1, offline: 2 };

interface PendingRequest {
  board: number;
  matches: (frame: KerongFrame) => boolean;
  /** Set when a corrupt frame arrived while waiting, so a timeout can be reported as 'protocol'. */
  corruption: string | null;
  resolve: (frame: KerongFrame) => void;
  reject: (error: KerongError) => void;
}

interface BoardState {
  config: KerongBoardConfig;
  consecutiveFailures: number;
  health: KerongBoardHealth;
}

type Listener<T> = (value: T) => void;

/**
 * Talks to the Kerong boards on one RS-485 bus. Only one request is ever outstanding,
 * because every board shares the wire and a second query would collide with a reply.
 * Owns the transport: close() closes it.
 */
export class KerongDriver {
  private readonly transport: ByteTransport;
  private readonly boards = new Map<number, BoardState>();
  private readonly replyTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly postUnlockGapMs: number;
  private readonly decoder = new KerongDecoder();
  private readonly unsubscribers: (() => void)[] = [];

  private readonly statusListeners = new Set<Listener<BoardStatus>>();
  private readonly healthListeners = new Set<Listener<KerongHealth>>();
  private readonly frameListeners = new Set<Listener<KerongFrameLogEntry>>();

  /** Tail of the request queue; it never rejects, so one failed request can't block the rest. */
  private queueTail: Promise<void> = Promise.resolve();
  private pending: PendingRequest | null = null;
  private closedReason: string | null = null;

  private polling = false;
  private pollGeneration = 0;
  private pollTimer: NodeJS.Timeout | null = null;
  private wakePoller: (() => void) | null = null;
  private lastEmittedHealth: string;

  constructor(transport: ByteTransport, options: KerongDriverOptions) {
    this.transport = transport;
    this.replyTimeoutMs = options.replyTimeoutMs ?? 300;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.postUnlockGapMs = options.postUnlockGapMs ?? 50;
    for (const config of options.boards) {
      encodeStatusQuery(config.address); // validates the address, throwing RangeError
      if (this.boards.has(config.address)) throw new RangeError(`Kerong board ${config.address} configured twice`);
      this.boards.set(config.address, {
        config: { address: config.address, polarity: { ...config.polarity } },
        consecutiveFailures: 0,
        // Not heard from yet: claiming "online" before any reply would mislead the hardware screen.
        health: { address: config.address, state: 'offline', lastError: null },
      });
    }
    this.lastEmittedHealth = JSON.stringify(this.getHealth());

    this.unsubscribers.push(transport.onData((chunk) => this.handleData(chunk)));
    this.unsubscribers.push(
      transport.onClose((error) => this.handleClosed(error ? `${transport.name} closed: ${error.message}` : `${transport.name} closed`)),
    );
    if (!transport.isOpen) this.handleClosed(`${transport.name} is not open`);
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  onStatus(listener: Listener<BoardStatus>): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onHealth(listener: Listener<KerongHealth>): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  onFrame(listener: Listener<KerongFrameLogEntry>): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  getHealth(): KerongHealth {
    const boards = [...this.boards.values()].map((b) => ({ ...b.health }));
    let worst: KerongBoardHealth | undefined;
    for (const board of boards) {
      if (worst === undefined || STATE_RANK[board.state] > STATE_RANK[worst.state]) worst = board;
    }
    const state: KerongHealthState = this.closedReason !== null ? 'offline' : (worst?.state ?? 'online');
    const lastError = this.closedReason ?? worst?.lastError ?? null;
    return { state, lastError, boards };
  }

  /**
   * Reads one board. Every successful read is also passed to onStatus listeners, so the
   * UI stays current whether the read came from polling or a button.
   */
  readStatus(board: number): Promise<BoardStatus> {
    const state = this.boards.get(board);
    if (state === undefined) return Promise.reject(new RangeError(`Kerong board ${board} is not configured`));
    return this.enqueue(async () => {
      try {
        const frame = await this.transact(
          board,
          encodeStatusQuery(board),
          (f) => isStatusReply(f) && f.addr >> 4 === board,
        );
        const status = parseStatusReply(frame, state.config.polarity);
        this.recordSuccess(state);
        this.emit(this.statusListeners, status);
        return status;
      } catch (error) {
        const kerongError = toKerongError(error, board);
        this.recordFailure(state, kerongError);
        throw kerongError;
      }
    });
  }

  /**
   * Sends the unlock and resolves once it is on the wire. Boards often don't answer an
   * unlock, so success here only means "sent": use unlockAndConfirm to know the door opened.
   */
  unlock(board: number, lockIndex: number): Promise<void> {
    if (!this.boards.has(board)) return Promise.reject(new RangeError(`Kerong board ${board} is not configured`));
    let bytes: Buffer;
    try {
      bytes = encodeUnlock(board, lockIndex);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const sent = this.enqueue(async () => {
      this.assertOpen(board);
      try {
        await this.writeFrame(bytes);
      } catch (error) {
        throw toKerongError(error, board);
      }
    });
    this.queueTail = this.queueTail.then(() => delay(this.postUnlockGapMs));
    return sent;
  }

  /**
   * Unlocks, waits for the door to spring, then reads the board. Resolves false if the
   * door still reads closed; rejects with KerongError if the board can't be read, so
   * "didn't open" and "don't know" are never confused.
   */
  async unlockAndConfirm(board: number, lockIndex: number, confirmAfterMs = 500): Promise<boolean> {
    await this.unlock(board, lockIndex);
    await delay(confirmAfterMs);
    const status = await this.readStatus(board);
    return status.doorOpen[lockIndex] === true;
  }

  startPolling(): void {
    if (this.polling || this.isClosed) return;
    this.polling = true;
    const generation = ++this.pollGeneration;
    void this.pollLoop(generation);
  }

  stopPolling(): void {
    this.polling = false;
    this.pollGeneration++;
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.wakePoller?.();
    this.wakePoller = null;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.stopPolling();
    this.handleClosed('driver closed');
    await this.transport.close();
  }

  private async pollLoop(generation: number): Promise<void> {
    const active = (): boolean => this.polling && this.pollGeneration === generation && !this.isClosed;
    while (active()) {
      for (const address of this.boards.keys()) {
        if (!active()) return;
        // Failures are already recorded in health; the loop just carries on.
        await this.readStatus(address).catch(() => undefined);
      }
      if (!active()) return;
      await new Promise<void>((resolve) => {
        this.wakePoller = resolve;
        this.pollTimer = setTimeout(resolve, this.pollIntervalMs);
      });
      this.pollTimer = null;
      this.wakePoller = null;
    }
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queueTail.then(job);
    this.queueTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private assertOpen(board: number): void {
    if (this.closedReason !== null) throw new KerongError('transport', this.closedReason, { board });
  }

  private transact(board: number, request: Buffer, matches: (frame: KerongFrame) => boolean): Promise<KerongFrame> {
    this.assertOpen(board);
    return new Promise<KerongFrame>((resolve, reject) => {
      let settled = false;
      const finish = (): void => {
        settled = true;
        clearTimeout(timer);
        if (this.pending === entry) this.pending = null;
      };
      const entry: PendingRequest = {
        board,
        matches,
        corruption: null,
        resolve: (frame) => {
          if (settled) return;
          finish();
          resolve(frame);
        },
        reject: (error) => {
          if (settled) return;
          finish();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        entry.reject(
          entry.corruption === null
            ? new KerongError('timeout', `Kerong board ${board}: no reply within ${this.replyTimeoutMs} ms`, { board })
            : new KerongError('protocol', `Kerong board ${board}: no valid reply, ${entry.corruption}`, { board }),
        );
      }, this.replyTimeoutMs);
      // Registered before writing: on a fast link the reply can beat the write's drain.
      this.pending = entry;
      this.writeFrame(request).catch((error: unknown) => {
        entry.reject(toKerongError(error, board));
      });
    });
  }

  private async writeFrame(bytes: Buffer): Promise<void> {
    this.emit(this.frameListeners, { direction: 'tx', bytes: Buffer.from(bytes) });
    await this.transport.write(bytes);
  }

  private handleData(chunk: Buffer): void {
    for (const event of this.decoder.push(chunk)) {
      if (event.type === 'frame') {
        this.emit(this.frameListeners, { direction: 'rx', bytes: event.frame.raw });
        // Our own requests echo back on some RS-485 adapters; matchers ignore them by command.
        if (this.pending?.matches(event.frame) === true) this.pending.resolve(event.frame);
        continue;
      }
      const { error } = event;
      this.emit(this.frameListeners, { direction: 'rx', bytes: error.bytes, error: `${error.kind}: ${error.message}` });
      // A stray STX from line noise can make a false frame just before the real reply, so a
      // corrupt frame doesn't fail the request at once; it only explains a timeout that follows.
      if (error.kind !== 'garbage' && this.pending !== null) this.pending.corruption = error.message;
    }
  }

  private handleClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.stopPolling();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.pending?.reject(new KerongError('transport', reason, { board: this.pending.board }));
    for (const state of this.boards.values()) {
      state.health = { address: state.config.address, state: 'offline', lastError: reason };
    }
    this.emitHealthIfChanged();
  }

  private recordSuccess(state: BoardState): void {
    state.consecutiveFailures = 0;
    state.health = { address: state.config.address, state: 'online', lastError: null };
    this.emitHealthIfChanged();
  }

  private recordFailure(state: BoardState, error: KerongError): void {
    if (this.closedReason !== null) return;
    state.consecutiveFailures++;
    const failures = state.consecutiveFailures;
    const healthState: KerongHealthState =
      failures >= OFFLINE_AFTER_FAILURES ? 'offline' : failures >= DEGRADED_AFTER_FAILURES ? 'degraded' : 'online';
    state.health = { address: state.config.address, state: healthState, lastError: error.message };
    this.emitHealthIfChanged();
  }

  private emitHealthIfChanged(): void {
    const health = this.getHealth();
    const key = JSON.stringify(health);
    if (key === this.lastEmittedHealth) return;
    this.lastEmittedHealth = key;
    this.emit(this.healthListeners, health);
  }

  /** A throwing listener must not wedge the request queue; its error still surfaces. */
  private emit<T>(listeners: Set<Listener<T>>, value: T): void {
    for (const listener of [...listeners]) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

function toKerongError(error: unknown, board: number): KerongError {
  if (error instanceof KerongError) return error;
  if (error instanceof RangeError) {
    return new KerongError('protocol', `Kerong board ${board}: ${error.message}`, { board, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new KerongError('transport', `Kerong board ${board}: ${message}`, { board, cause: error });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Hex for log lines, e.g. "02 00 30 03 35". */
export function formatFrameLogEntry(entry: KerongFrameLogEntry): string {
  const arrow = entry.direction === 'tx' ? '>>' : '<<';
  return `${arrow} ${toHex(entry.bytes)}${entry.error === undefined ? '' : ` (${entry.error})`}`;
}

export type { BoardStatus, KerongPolarity };
