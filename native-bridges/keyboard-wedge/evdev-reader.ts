import { close as closeFd, constants, createReadStream, open as openFd } from 'node:fs';
import type { Readable } from 'node:stream';
import { Listeners, type LinkHealth } from '../device-health.ts';
import { EvdevKeyDecoder, inputEventSize } from './evdev-codec.ts';
import type { EvdevCodecOptions, EvdevScanErrorKind } from './evdev-codec.ts';
import type { GrabControl } from './grab-control.ts';

/** The file calls the reader makes; swapped in tests to play an unplug (ENODEV). */
export interface EvdevReaderFs {
  open(path: string): Promise<number>;
  createReadStream(fd: number, highWaterMark: number): Readable;
  close(fd: number): void;
}

const nodeFs: EvdevReaderFs = {
  open: (path) =>
    new Promise((resolve, reject) => {
      openFd(path, constants.O_RDONLY, (error, fd) => (error ? reject(error) : resolve(fd)));
    }),
  // autoClose: the stream owns the fd from here on, and closes it once any read in flight returns.
  createReadStream: (fd, highWaterMark) => createReadStream('', { fd, autoClose: true, highWaterMark }),
  close: (fd) => closeFd(fd, () => undefined),
};

export interface EvdevKeyboardReaderOptions {
  /** Stable path from configuration, e.g. /dev/input/by-id/usb-Honeywell_…-event-kbd. */
  path: string;
  codec?: EvdevCodecOptions;
  /** Exclusive grab; without one the desktop sees the keys too unless udev hides the device. */
  grab?: GrabControl;
  fs?: EvdevReaderFs;
}

export interface EvdevDecodeError {
  kind: EvdevScanErrorKind;
  message: string;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = Reflect.get(error, 'code');
    // ENODEV is what every read returns once the device is unplugged.
    if (code === 'ENODEV') return `device unplugged (ENODEV): ${error.message}`;
    return error.message;
  }
  return String(error);
}

/**
 * A keyboard-mode scanner or wedge card reader, read in the main process from its evdev
 * node. It raises the same `scan` event as SimulatedScanner and SerialScanner. Health:
 * connecting → online (degraded if the exclusive grab failed) → offline on open failure,
 * unplug (ENODEV) or end of stream. Reconnecting is the caller's: call open() again, usually
 * when udev says the device is back.
 *
 * Reads go through fs.createReadStream, which blocks one libuv threadpool thread for as long
 * as the device is open (evdev nodes can't be polled from Node): one thread per reader.
 */
export class EvdevKeyboardReader {
  readonly path: string;
  private readonly codecOptions: EvdevCodecOptions;
  private readonly grabControl: GrabControl | undefined;
  private readonly fs: EvdevReaderFs;
  private readonly scans = new Listeners<string>();
  private readonly decodeErrors = new Listeners<EvdevDecodeError>();
  private readonly healthListeners = new Listeners<LinkHealth>();
  private current: LinkHealth = { state: 'connecting', lastError: null };
  private fd: number | null = null;
  private stream: Readable | null = null;
  private grabbed = false;
  /** Bumped on every open and close so events from a stream we let go of are ignored. */
  private generation = 0;

  constructor(options: EvdevKeyboardReaderOptions) {
    this.path = options.path;
    this.codecOptions = { ...options.codec };
    this.grabControl = options.grab;
    this.fs = options.fs ?? nodeFs;
  }

  onScan(listener: (code: string) => void): () => void {
    return this.scans.add(listener);
  }

  onDecodeError(listener: (error: EvdevDecodeError) => void): () => void {
    return this.decodeErrors.add(listener);
  }

  health(): LinkHealth {
    return { ...this.current };
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }

  get isOpen(): boolean {
    return this.stream !== null;
  }

  /** Opens the node and starts reading. Rejects (and goes offline) if it can't be opened. */
  async open(): Promise<void> {
    if (this.stream !== null) return;
    const generation = ++this.generation;
    this.setHealth({ state: 'connecting', lastError: null });
    let fd: number;
    try {
      fd = await this.fs.open(this.path);
    } catch (error) {
      if (generation === this.generation) this.setHealth({ state: 'offline', lastError: `cannot open ${this.path}: ${describeError(error)}` });
      throw error;
    }
    if (generation !== this.generation) {
      // close() was called while the open was in flight.
      this.fs.close(fd);
      return;
    }
    this.fd = fd;
    let grabError: string | null = null;
    if (this.grabControl !== undefined) {
      try {
        this.grabControl.grab(fd);
        this.grabbed = true;
      } catch (error) {
        grabError = `exclusive grab failed, so the desktop sees this device's keys too: ${describeError(error)}`;
      }
    }
    const decoder = new EvdevKeyDecoder(this.codecOptions);
    // A whole number of records per read, which is what the evdev read() call wants.
    const stream = this.fs.createReadStream(fd, inputEventSize(this.codecOptions.timevalBytes) * 64);
    this.stream = stream;
    stream.on('data', (chunk: Buffer | string) => {
      if (generation !== this.generation || typeof chunk === 'string') return;
      for (const event of decoder.push(chunk)) {
        if (event.type === 'scan') this.scans.emit(event.code);
        else this.decodeErrors.emit({ kind: event.kind, message: event.message });
      }
    });
    stream.on('error', (error: Error) => this.lost(generation, describeError(error)));
    stream.on('end', () => this.lost(generation, `${this.path} closed (end of stream)`));
    this.setHealth(grabError === null ? { state: 'online', lastError: null } : { state: 'degraded', lastError: grabError });
  }

  /** Stops reading and releases the grab; the reader can be opened again. */
  async close(): Promise<void> {
    this.generation++;
    this.release();
    const stream = this.stream;
    this.stream = null;
    this.fd = null;
    // Not waiting for the stream's 'close': a read blocked on a silent device holds the fd
    // until the next key, and shutting down must not wait for someone to scan.
    stream?.destroy();
    this.setHealth({ state: 'offline', lastError: this.current.state === 'offline' ? this.current.lastError : null });
  }

  private lost(generation: number, message: string): void {
    if (generation !== this.generation) return;
    this.generation++;
    const stream = this.stream;
    this.stream = null;
    // The kernel drops the grab with the device; releasing would only fail.
    this.grabbed = false;
    this.fd = null;
    stream?.destroy();
    this.setHealth({ state: 'offline', lastError: message });
  }

  private release(): void {
    if (!this.grabbed || this.fd === null || this.grabControl === undefined) return;
    this.grabbed = false;
    try {
      this.grabControl.release(this.fd);
    } catch {
      // Closing the fd drops the grab anyway.
    }
  }

  private setHealth(next: LinkHealth): void {
    if (next.state === this.current.state && next.lastError === this.current.lastError) return;
    this.current = next;
    this.healthListeners.emit({ ...next });
  }
}
