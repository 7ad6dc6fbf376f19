import type { ByteTransport } from './byte-transport.ts';
import { IsolatedListeners } from './isolated-listeners.ts';

/**
 * What a protocol's streaming decoder reports. An error of kind 'garbage' is bytes outside
 * any frame; any other kind is a frame that arrived damaged (bad checksum, bad terminator…).
 */
export type DecodeEvent<F> =
  | { type: 'frame'; frame: F }
  | { type: 'error'; error: { kind: string; bytes: Buffer; message: string } };

export interface FrameDecoder<F> {
  push(chunk: Uint8Array): DecodeEvent<F>[];
}

/** A decoded frame, with the bytes it was decoded from for the frame log. */
export interface RawFrame {
  raw: Buffer;
}

export interface BusFrameLogEntry {
  direction: 'tx' | 'rx';
  bytes: Buffer;
  /** Set for received bytes the decoder rejected (bad checksum, garbage, a partial frame cut off by silence…). */
  error?: string;
}

export type BusFailureKind = 'timeout' | 'protocol' | 'transport';

/** Why an exchange failed; the driver turns it into its own error class. */
export interface BusFailure {
  kind: BusFailureKind;
  /** Without the device's name, which only the driver knows how to put. */
  message: string;
  cause?: unknown;
}

/**
 * What a waiting request makes of a decoded frame:
 * - null: not an answer to it (an echo of our own request, another device's reply): keep waiting;
 * - reply: the answer;
 * - refused: an answer that says no (the device heard us, so the link is fine, but the request fails);
 * - suspect: shaped like the answer but wrong (a late reply to an earlier request, the wrong
 *   size): keep waiting, and if nothing better comes the timeout becomes a protocol error.
 */
export type ReplyVerdict<T, E> = null | { reply: T } | { refused: E } | { suspect: string };

export interface SendSpec<E> {
  bytes: Buffer;
  fail: (failure: BusFailure) => E;
  /** How long the bus stays quiet after this exchange before the next request is written. */
  holdQuietMs?: number;
  /**
   * Goes ahead of every queued request that is not urgent (never ahead of the one on the wire:
   * the bus is half-duplex): an unlock someone is standing at the door for does not wait
   * behind a poll cycle's reads.
   */
  urgent?: boolean;
}

export interface RequestSpec<F, T, E> extends SendSpec<E> {
  interpret: (frame: F) => ReplyVerdict<T, E>;
}

export interface RequestBusOptions<F> {
  decoder: FrameDecoder<F>;
  /** Measured from the start of the write, so a write that never drains also times out. */
  replyTimeoutMs: number;
  /** Least quiet time since the last byte either way before a request is written. Default 0. */
  interFrameGapMs?: number;
  /**
   * For protocols where silence ends a frame (Modbus RTU): drops the partial frame the decoder
   * holds and returns its bytes. Called whenever the line is known to have gone quiet: before
   * each request, and when a reply times out.
   */
  dropPartialFrame?: () => Buffer;
}

interface WaitingRequest<F> {
  offer(frame: F): void;
  noteCorruption(note: string): void;
  fail(failure: BusFailure): void;
}

/**
 * One half-duplex serial bus: every device on it shares the wire, so only one request is
 * ever outstanding, and a second would collide with a reply. Requests run in the order
 * they were made, urgent ones first. Owns the transport: close() closes it.
 */
export class RequestBus<F extends RawFrame> {
  private readonly transport: ByteTransport;
  private readonly decoder: FrameDecoder<F>;
  private readonly replyTimeoutMs: number;
  private readonly interFrameGapMs: number;
  private readonly takePartialFrame: (() => Buffer) | null;
  private readonly frameListeners = new IsolatedListeners<BusFrameLogEntry>();
  private readonly closeListeners = new IsolatedListeners<string>();
  private readonly unsubscribers: (() => void)[] = [];

  /** Requests waiting for the wire, urgent ones first; each job settles its caller and never rejects, so one failed request can't block the rest. */
  private readonly queue: { urgent: boolean; run: () => Promise<void> }[] = [];
  private draining = false;
  private waiting: WaitingRequest<F> | null = null;
  private closedReason: string | null = null;
  /** performance.now() of the last byte seen either way, or of the end of the last exchange. */
  private lastBusActivity = Number.NEGATIVE_INFINITY;

  constructor(transport: ByteTransport, options: RequestBusOptions<F>) {
    this.transport = transport;
    this.decoder = options.decoder;
    this.replyTimeoutMs = options.replyTimeoutMs;
    this.interFrameGapMs = options.interFrameGapMs ?? 0;
    this.takePartialFrame = options.dropPartialFrame ?? null;
    if (!(this.replyTimeoutMs > 0)) throw new RangeError(`replyTimeoutMs must be positive, got ${this.replyTimeoutMs}`);
    if (!(this.interFrameGapMs >= 0)) throw new RangeError(`interFrameGapMs must be >= 0, got ${this.interFrameGapMs}`);

    this.unsubscribers.push(transport.onData((chunk) => this.handleData(chunk)));
    this.unsubscribers.push(
      transport.onClose((error) => this.handleClosed(error ? `${transport.name} closed: ${error.message}` : `${transport.name} closed`)),
    );
    if (!transport.isOpen) this.handleClosed(`${transport.name} is not open`);
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  onFrame(listener: (entry: BusFrameLogEntry) => void): () => void {
    return this.frameListeners.add(listener);
  }

  /** Called once with the reason the bus closed, and at once if it already has. */
  onClose(listener: (reason: string) => void): () => void {
    if (this.closedReason !== null) {
      listener(this.closedReason);
      return () => undefined;
    }
    return this.closeListeners.add(listener);
  }

  /** Queues a request and resolves with the first frame its `interpret` takes as the reply. */
  request<T, E>(spec: RequestSpec<F, T, E>): Promise<T> {
    return this.enqueue(async () => {
      await this.waitForQuietBus();
      return this.exchange(spec);
    }, spec);
  }

  /** Queues a command the device may not answer; resolves once the bytes are written. */
  send<E>(spec: SendSpec<E>): Promise<void> {
    return this.enqueue(async () => {
      await this.waitForQuietBus();
      this.assertOpen(spec);
      this.discardPartialFrame();
      try {
        await this.write(spec.bytes);
      } catch (error) {
        throw spec.fail(this.writeFailure(error));
      }
    }, spec);
  }

  /** Rejects the request in flight and every queued one, then closes the transport. */
  async close(reason: string): Promise<void> {
    if (this.closedReason !== null) return;
    this.handleClosed(reason);
    await this.transport.close();
  }

  private enqueue<T>(job: () => Promise<T>, options: { holdQuietMs?: number; urgent?: boolean }): Promise<T> {
    const holdQuietMs = options.holdQuietMs ?? 0;
    const urgent = options.urgent === true;
    return new Promise<T>((resolve, reject) => {
      const run = async (): Promise<void> => {
        await job().then(resolve, reject);
        if (holdQuietMs > 0) await delay(holdQuietMs);
      };
      const firstOrdinary = urgent ? this.queue.findIndex((queued) => !queued.urgent) : -1;
      if (firstOrdinary === -1) this.queue.push({ urgent, run });
      else this.queue.splice(firstOrdinary, 0, { urgent, run });
      void this.drain();
    });
  }

  /** One job at a time, in queue order, until the queue is empty. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) await next.run();
    } finally {
      this.draining = false;
    }
  }

  private async waitForQuietBus(): Promise<void> {
    const wait = this.lastBusActivity + this.interFrameGapMs - performance.now();
    if (wait > 0) await delay(Math.ceil(wait));
  }

  private exchange<T, E>(spec: RequestSpec<F, T, E>): Promise<T> {
    this.assertOpen(spec);
    // The bus has been quiet since the last exchange, so anything held is a dead fragment.
    this.discardPartialFrame();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let corruption: string | null = null;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        if (this.waiting === waiting) this.waiting = null;
        this.lastBusActivity = performance.now();
        return true;
      };
      const rejectWith = (error: E): void => {
        if (settle()) reject(error);
      };
      const waiting: WaitingRequest<F> = {
        offer: (frame) => {
          if (settled) return;
          let verdict: ReplyVerdict<T, E>;
          try {
            verdict = spec.interpret(frame);
          } catch (error) {
            rejectWith(spec.fail({ kind: 'protocol', message: errorMessage(error), cause: error }));
            return;
          }
          if (verdict === null) return;
          if ('suspect' in verdict) corruption = verdict.suspect;
          else if ('refused' in verdict) rejectWith(verdict.refused);
          else if (settle()) resolve(verdict.reply);
        },
        noteCorruption: (note) => {
          corruption = note;
        },
        fail: (failure) => rejectWith(spec.fail(failure)),
      };
      const timer = setTimeout(() => {
        // Silence ends a frame on some protocols: a partial reply held now will never complete.
        this.discardPartialFrame();
        waiting.fail(
          corruption === null
            ? { kind: 'timeout', message: `no reply within ${this.replyTimeoutMs} ms` }
            : { kind: 'protocol', message: `no valid reply, ${corruption}` },
        );
      }, this.replyTimeoutMs);
      // Registered before writing: on a fast link the reply can beat the write's drain.
      this.waiting = waiting;
      this.write(spec.bytes).catch((error: unknown) => waiting.fail(this.writeFailure(error)));
    });
  }

  private async write(bytes: Buffer): Promise<void> {
    this.frameListeners.emit({ direction: 'tx', bytes: Buffer.from(bytes) });
    await this.transport.write(bytes);
    this.lastBusActivity = performance.now();
  }

  private assertOpen<E>(spec: SendSpec<E>): void {
    if (this.closedReason !== null) throw spec.fail({ kind: 'transport', message: this.closedReason });
  }

  /** A write that fails because the line went away is reported as the line going away. */
  private writeFailure(error: unknown): BusFailure {
    if (this.closedReason !== null) return { kind: 'transport', message: this.closedReason, cause: error };
    return { kind: 'transport', message: errorMessage(error), cause: error };
  }

  private discardPartialFrame(): void {
    const dropped = this.takePartialFrame?.();
    if (dropped !== undefined && dropped.length > 0) {
      this.frameListeners.emit({ direction: 'rx', bytes: dropped, error: 'partial frame cut off by silence' });
    }
  }

  private handleData(chunk: Buffer): void {
    this.lastBusActivity = performance.now();
    for (const event of this.decoder.push(chunk)) {
      if (event.type === 'frame') {
        this.frameListeners.emit({ direction: 'rx', bytes: event.frame.raw });
        this.waiting?.offer(event.frame);
        continue;
      }
      const { error } = event;
      this.frameListeners.emit({ direction: 'rx', bytes: error.bytes, error: `${error.kind}: ${error.message}` });
      // Line noise can fake a frame start just before the real reply, so a damaged frame doesn't
      // fail the request at once; it only explains a timeout that follows. Garbage says nothing
      // about the reply at all.
      if (error.kind !== 'garbage') this.waiting?.noteCorruption(error.message);
    }
  }

  private handleClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.waiting?.fail({ kind: 'transport', message: reason });
    this.closeListeners.emit(reason);
  }
}

/** Hex for log lines, e.g. ">> 02 00 30 03 35" or "<< 01 05 … (bad-crc: …)". */
export function formatFrameLogEntry(entry: BusFrameLogEntry): string {
  const arrow = entry.direction === 'tx' ? '>>' : '<<';
  const hex = entry.bytes.toString('hex').replace(/(..)(?!$)/g, '$1 ');
  return `${arrow} ${hex}${entry.error === undefined ? '' : ` (${entry.error})`}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
