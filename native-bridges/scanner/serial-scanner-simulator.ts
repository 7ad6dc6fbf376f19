import { NO_FAULTS } from '../sim-command.ts';
import type { SimFaults } from '../sim-command.ts';
import type { ByteTransport } from '../transport/byte-transport.ts';
import { HONEYWELL_TRIGGER_OFF, HONEYWELL_TRIGGER_ON, encodeScan } from './serial-codec.ts';
import type { ScanTerminator } from './serial-codec.ts';

export interface SerialScannerSimulatorOptions {
  terminator?: ScanTerminator;
  /** AIM id sent ahead of every code, e.g. ']C1'. */
  aim?: string;
  prefix?: string;
  suffix?: string;
  faults?: Partial<SimFaults>;
  /** Source of randomness for faults; inject for reproducible runs. */
  random?: () => number;
}

/**
 * Plays a serial-mode scanner on the far end of a transport: `scan()` sends the bytes the
 * scanner would for one read. It also listens for the Honeywell serial trigger so a test
 * can see the host asked for a read.
 */
export class SerialScannerSimulator {
  private readonly transport: ByteTransport;
  private readonly options: SerialScannerSimulatorOptions;
  private readonly random: () => number;
  private faults: SimFaults;
  /** Keeps reads whole and in order even when each is written as several fragments. */
  private writeTail: Promise<void> = Promise.resolve();
  private received: number[] = [];
  private triggered = false;
  private readonly triggerListeners = new Set<(on: boolean) => void>();
  private readonly unsubscribe: () => void;

  constructor(transport: ByteTransport, options: SerialScannerSimulatorOptions = {}) {
    this.transport = transport;
    this.options = { ...options };
    this.random = options.random ?? Math.random;
    this.faults = { ...NO_FAULTS, ...options.faults };
    // Validate once up front so a bad AIM id or prefix fails at start, not on the first scan.
    encodeScan('', this.options);
    this.unsubscribe = transport.onData((chunk) => this.handleData(chunk));
  }

  setFaults(faults: Partial<SimFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  /** Whether the host's last serial trigger command was "on". */
  get isTriggered(): boolean {
    return this.triggered;
  }

  onTrigger(listener: (on: boolean) => void): () => void {
    this.triggerListeners.add(listener);
    return () => this.triggerListeners.delete(listener);
  }

  /**
   * Sends one read. Resolves once its bytes are written (or dropped by the noReply fault);
   * rejects if the transport is closed, so a CLI can report a dead port.
   */
  scan(code: string): Promise<void> {
    const bytes = encodeScan(code, this.options);
    const faults = { ...this.faults };
    const run = async (): Promise<void> => {
      if (faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
      // A read the scanner missed: nothing goes on the wire.
      if (faults.noReply) return;
      if (faults.garbage > 0 && this.random() < faults.garbage) {
        for (const piece of this.pieces(this.garbage(), faults.fragment)) await this.transport.write(piece);
      }
      for (const piece of this.pieces(bytes, faults.fragment)) await this.transport.write(piece);
    };
    const result = this.writeTail.then(run);
    // The queue goes on after a failed write; the caller still hears about it through `result`.
    this.writeTail = result.catch(() => undefined);
    return result;
  }

  dispose(): void {
    this.unsubscribe();
  }

  async close(): Promise<void> {
    this.dispose();
    await this.transport.close();
  }

  /**
   * Line noise as the UART frames it: a few random non-terminator bytes ending in CR, so the
   * host sees one bad line and the read after it survives, which is what a glitch between
   * reads looks like on a real cable.
   */
  private garbage(): Buffer {
    const length = 1 + Math.floor(this.random() * 8);
    const bytes: number[] = [];
    for (let i = 0; i < length; i++) {
      let byte = Math.floor(this.random() * 256) & 0xff;
      if (byte === 0x0d || byte === 0x0a) byte = 0x00;
      bytes.push(byte);
    }
    // At least one control byte so the line can never pass as a code.
    bytes[0] = 0x00;
    bytes.push(0x0d);
    return Buffer.from(bytes);
  }

  private pieces(bytes: Buffer, fragment: boolean): Buffer[] {
    if (!fragment) return [bytes];
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      const remaining = bytes.length - offset;
      const size = 1 + Math.min(remaining - 1, Math.floor(this.random() * remaining));
      out.push(bytes.subarray(offset, offset + size));
      offset += size;
    }
    return out;
  }

  private handleData(chunk: Buffer): void {
    // Only the trigger commands matter; keep a short tail so one split across reads is seen.
    this.received.push(...chunk);
    for (;;) {
      const end = this.received.indexOf(0x0d);
      if (end < 0) break;
      const command = this.received.slice(0, end + 1);
      this.received = this.received.slice(end + 1);
      const tail = command.slice(-3);
      if (equal(tail, HONEYWELL_TRIGGER_ON)) this.setTriggered(true);
      else if (equal(tail, HONEYWELL_TRIGGER_OFF)) this.setTriggered(false);
    }
    if (this.received.length > 16) this.received = this.received.slice(-16);
  }

  private setTriggered(on: boolean): void {
    this.triggered = on;
    for (const listener of [...this.triggerListeners]) listener(on);
  }
}

function equal(a: readonly number[], b: Readonly<Uint8Array>): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
