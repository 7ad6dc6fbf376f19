import { Listeners, type LinkHealth } from '../device-health.ts';
import type { ByteTransport } from '../transport/byte-transport.ts';
import { HONEYWELL_TRIGGER_OFF, HONEYWELL_TRIGGER_ON, ScanLineDecoder, toHex } from './serial-codec.ts';
import type { ScanDecodeError, ScanLineDecoderOptions } from './serial-codec.ts';

export interface SerialScannerOptions {
  decoder?: ScanLineDecoderOptions;
  /**
   * A code read again within this many ms of its last read is reported once; default 1000,
   * 0 reports every read. Scanners in presentation mode re-read a tag held in front of
   * them several times a second, and one held tag must not become several issues.
   */
  duplicateWindowMs?: number;
  /** Clock for the duplicate window; inject for tests. */
  now?: () => number;
}

export interface ScanDetail {
  code: string;
  symbology: string | null;
}

export interface ScannerFrameLogEntry {
  direction: 'tx' | 'rx';
  bytes: Buffer;
  /** Set for received lines the decoder rejected, and for reads dropped as duplicates. */
  note?: string;
}

/** Hex for log lines, e.g. "<< 41 42 0d". */
export function formatScannerFrame(entry: ScannerFrameLogEntry): string {
  const arrow = entry.direction === 'tx' ? '>>' : '<<';
  return `${arrow} ${toHex(entry.bytes)}${entry.note === undefined ? '' : ` (${entry.note})`}`;
}

/**
 * A scanner in serial mode over any ByteTransport. It raises the same `scan` event as
 * SimulatedScanner and the HID reader, so the app does not care how a tag was read. Health
 * follows the transport: online while it is open, offline once it closes; reopening is the
 * caller's job (a new transport, a new SerialScanner), as with the other bridges.
 */
export class SerialScanner {
  private readonly transport: ByteTransport;
  private readonly decoder: ScanLineDecoder;
  private readonly duplicateWindowMs: number;
  private readonly now: () => number;
  private readonly scans = new Listeners<string>();
  private readonly details = new Listeners<ScanDetail>();
  private readonly decodeErrors = new Listeners<ScanDecodeError>();
  private readonly frames = new Listeners<ScannerFrameLogEntry>();
  private readonly healthListeners = new Listeners<LinkHealth>();
  private readonly unsubscribers: (() => void)[] = [];
  private current: LinkHealth;
  private lastCode: string | null = null;
  private lastSeenAt = 0;

  constructor(transport: ByteTransport, options: SerialScannerOptions = {}) {
    this.transport = transport;
    this.decoder = new ScanLineDecoder(options.decoder);
    this.duplicateWindowMs = options.duplicateWindowMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.current = transport.isOpen
      ? { state: 'online', lastError: null }
      : { state: 'offline', lastError: `${transport.name} is not open` };
    this.unsubscribers.push(transport.onData((chunk) => this.handleData(chunk)));
    this.unsubscribers.push(
      transport.onClose((error) => {
        this.setHealth({ state: 'offline', lastError: error === null ? null : error.message });
        this.detach();
      }),
    );
  }

  onScan(listener: (code: string) => void): () => void {
    return this.scans.add(listener);
  }

  /** Like onScan, with the symbology when the scanner sends AIM ids. */
  onScanDetail(listener: (scan: ScanDetail) => void): () => void {
    return this.details.add(listener);
  }

  /** Lines dropped as unreadable; a steady stream of them usually means the wrong baud rate. */
  onDecodeError(listener: (error: ScanDecodeError) => void): () => void {
    return this.decodeErrors.add(listener);
  }

  onFrame(listener: (entry: ScannerFrameLogEntry) => void): () => void {
    return this.frames.add(listener);
  }

  health(): LinkHealth {
    return { ...this.current };
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }

  /** Honeywell serial trigger; the scanner must have serial trigger mode enabled. */
  async trigger(on: boolean): Promise<void> {
    const bytes = Buffer.from(on ? HONEYWELL_TRIGGER_ON : HONEYWELL_TRIGGER_OFF);
    this.frames.emit({ direction: 'tx', bytes });
    await this.transport.write(bytes);
  }

  async close(): Promise<void> {
    await this.transport.close();
    // A transport already closed by the far end never calls onClose again.
    this.setHealth({ state: 'offline', lastError: this.current.lastError });
    this.detach();
  }

  private detach(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  private handleData(chunk: Buffer): void {
    for (const event of this.decoder.push(chunk)) {
      if (event.type === 'error') {
        const { kind, bytes, message } = event;
        this.frames.emit({ direction: 'rx', bytes, note: `${kind}: ${message}` });
        this.decodeErrors.emit({ kind, bytes, message });
        continue;
      }
      const at = this.now();
      const duplicate = event.code === this.lastCode && at - this.lastSeenAt < this.duplicateWindowMs;
      // Measured from the last read, not the last report, so a tag left in front of a
      // presentation scanner stays one scan however long it stays there.
      this.lastCode = event.code;
      this.lastSeenAt = at;
      this.frames.emit({ direction: 'rx', bytes: event.raw, ...(duplicate ? { note: 'duplicate, not reported' } : {}) });
      if (duplicate) continue;
      this.details.emit({ code: event.code, symbology: event.symbology });
      this.scans.emit(event.code);
    }
  }

  private setHealth(next: LinkHealth): void {
    if (next.state === this.current.state && next.lastError === this.current.lastError) return;
    this.current = next;
    this.healthListeners.emit({ ...next });
  }
}
