import { FaultyWriter } from '../sim-args.ts';
import type { SimFaults } from '../sim-command.ts';
import type { ByteTransport } from '../transport/byte-transport.ts';
import { encodeRdm6300Frame } from './rdm6300-codec.ts';

export interface Rdm6300SimulatorOptions {
  /** Gap between repeated frames while a card is held. Default 100 ms, like the hardware. */
  intervalMs?: number;
  faults?: Partial<SimFaults>;
  /** Source of randomness for fragments and garbage; inject for reproducible runs. */
  random?: () => number;
}

/**
 * Plays an RDM6300 on the far end of a transport: while a card is held it sends the card's
 * frame every ~100 ms, as the module does, and nothing otherwise (the module is write-only).
 * Faults go through the shared FaultyWriter: `fragment` splits frames into random writes,
 * `garbage` is the probability of random bytes before a frame, `delayMs` holds each frame
 * back; `noReply` sends nothing (a dead antenna).
 */
export class Rdm6300Simulator {
  private readonly transport: ByteTransport;
  private readonly intervalMs: number;
  private readonly writer: FaultyWriter;
  private timer: NodeJS.Timeout | null = null;
  private heldFrame: Buffer | null = null;
  /** A frame still on its way (delayed or fragmented): the next repeat is skipped, not queued. */
  private inFlight: Promise<void> | null = null;
  private disposed = false;
  private readonly unsubscribe: () => void;

  constructor(transport: ByteTransport, options: Rdm6300SimulatorOptions = {}) {
    this.transport = transport;
    this.intervalMs = options.intervalMs ?? 100;
    this.writer = new FaultyWriter(transport, options.faults, options.random);
    this.unsubscribe = transport.onClose(() => this.dispose());
  }

  /** The id of the card on the reader now, if any. */
  get holding(): string | null {
    return this.heldFrame === null ? null : this.heldFrame.subarray(1, 11).toString('ascii');
  }

  setFaults(faults: Partial<SimFaults>): void {
    this.writer.setFaults(faults);
  }

  /** Puts a card (10 hex digits) on the reader and keeps it there until release(). */
  hold(id: string): void {
    if (this.disposed) throw new Error('RDM6300 simulator is closed');
    this.heldFrame = encodeRdm6300Frame(id);
    if (this.timer !== null) clearInterval(this.timer);
    this.send();
    this.timer = setInterval(() => this.send(), this.intervalMs);
  }

  release(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.heldFrame = null;
  }

  /** Holds the card for `holdMs`, then lifts it and waits for a frame still going out. */
  async tap(id: string, holdMs = 300): Promise<void> {
    this.hold(id);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    this.release();
    await this.inFlight;
  }

  /** Stops sending; leaves the transport to its owner. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.release();
    this.writer.stop();
    this.unsubscribe();
  }

  async close(): Promise<void> {
    this.dispose();
    await this.inFlight;
    await this.transport.close().catch(() => undefined);
  }

  private send(): void {
    const frame = this.heldFrame;
    if (frame === null || this.disposed || this.inFlight !== null || this.writer.currentFaults.noReply) return;
    const sending = this.writer.send(() => frame).finally(() => {
      if (this.inFlight === sending) this.inFlight = null;
    });
    this.inFlight = sending;
  }
}
