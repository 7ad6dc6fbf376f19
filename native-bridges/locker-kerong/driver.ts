import { setTimeout as delay } from 'node:timers/promises';
import type { ByteTransport } from '../transport/byte-transport.ts';
import { IsolatedListeners } from '../transport/isolated-listeners.ts';
import { PolledBusDriver } from '../transport/polled-bus-driver.ts';
import type { BusFailure, BusFrameLogEntry } from '../transport/request-bus.ts';
import { KerongDecoder, encodeStatusQuery, encodeUnlock, isStatusReply, parseStatusReply } from './codec.ts';
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

export type KerongFrameLogEntry = BusFrameLogEntry;

/**
 * Talks to the Kerong boards on one RS-485 bus; the request bus underneath keeps one request
 * outstanding at a time. Health is judged per board. Owns the transport: close() closes it.
 */
export class KerongDriver extends PolledBusDriver<KerongFrame, number, KerongHealth> {
  private readonly polarities: ReadonlyMap<number, KerongPolarity>;
  private readonly postUnlockGapMs: number;
  private readonly statusListeners = new IsolatedListeners<BoardStatus>();

  constructor(transport: ByteTransport, options: KerongDriverOptions) {
    const polarities = new Map<number, KerongPolarity>();
    for (const config of options.boards) {
      encodeStatusQuery(config.address); // validates the address, throwing RangeError
      if (polarities.has(config.address)) throw new RangeError(`Kerong board ${config.address} configured twice`);
      polarities.set(config.address, { ...config.polarity });
    }
    super(transport, {
      decoder: new KerongDecoder(),
      replyTimeoutMs: options.replyTimeoutMs ?? 300,
      pollIntervalMs: options.pollIntervalMs ?? 250,
      healthParts: [...polarities.keys()],
    });
    this.polarities = polarities;
    this.postUnlockGapMs = options.postUnlockGapMs ?? 50;
  }

  onStatus(listener: (status: BoardStatus) => void): () => void {
    return this.statusListeners.add(listener);
  }

  getHealth(): KerongHealth {
    return { ...this.health.overall(), boards: this.health.byPart().map(([address, health]) => ({ address, ...health })) };
  }

  /**
   * Reads one board. Every successful read is also passed to onStatus listeners, so the
   * UI stays current whether the read came from polling or a button.
   */
  readStatus(board: number): Promise<BoardStatus> {
    const polarity = this.polarities.get(board);
    if (polarity === undefined) return Promise.reject(new RangeError(`Kerong board ${board} is not configured`));
    const exchange = this.bus.request<BoardStatus, KerongError>({
      bytes: encodeStatusQuery(board),
      // Our own requests echo back on some RS-485 adapters; they are not status replies.
      interpret: (frame) => (isStatusReply(frame) && frame.addr >> 4 === board ? { reply: parseStatusReply(frame, polarity) } : null),
      fail: (failure) => kerongError(failure, board),
    });
    return this.health.track(board, exchange).then((status) => {
      this.statusListeners.emit(status);
      return status;
    });
  }

  /**
   * Sends the unlock and resolves once it is on the wire. Boards often don't answer an
   * unlock, so success here only means "sent": use unlockAndConfirm to know the door opened.
   */
  unlock(board: number, lockIndex: number): Promise<void> {
    if (!this.polarities.has(board)) return Promise.reject(new RangeError(`Kerong board ${board} is not configured`));
    let bytes: Buffer;
    try {
      bytes = encodeUnlock(board, lockIndex);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.bus.send({ bytes, fail: (failure) => kerongError(failure, board), holdQuietMs: this.postUnlockGapMs, urgent: true });
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

  protected pollCycle(): (() => Promise<BoardStatus>)[] {
    return [...this.polarities.keys()].map((board) => () => this.readStatus(board));
  }
}

function kerongError(failure: BusFailure, board: number): KerongError {
  return new KerongError(failure.kind, `Kerong board ${board}: ${failure.message}`, { board, cause: failure.cause });
}

export { formatFrameLogEntry } from '../transport/request-bus.ts';
export type { BoardStatus, KerongPolarity };
