import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';
import type { ByteTransport } from './byte-transport.ts';
import { LoopThreadBinding } from './loop-thread-binding.ts';

/**
 * Opens a real serial port (USB-serial adapter, RS-485 dongle, or a pty in tests).
 * RTS/DTR are deliberately left alone: `set()` fails on pseudo-terminals, and the
 * RS-485 adapters we target switch direction in hardware.
 */
export async function openSerialTransport(path: string, baudRate: number): Promise<ByteTransport> {
  // On Linux the bytes move on the loop's own thread (see loop-thread-binding.ts); elsewhere the stock binding.
  const port = process.platform === 'linux' ? new SerialPortStream({ binding: LoopThreadBinding, path, baudRate, autoOpen: false }) : new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((error) => (error ? reject(error) : resolve()));
  });
  return new SerialTransport(path, port);
}

class SerialTransport implements ByteTransport {
  readonly name: string;
  private readonly port: SerialPortStream;
  private closed = false;
  private closeRequested = false;
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly closeListeners = new Set<(error: Error | null) => void>();

  constructor(name: string, port: SerialPortStream) {
    this.name = name;
    this.port = port;
    port.on('data', (chunk: Buffer) => {
      for (const listener of [...this.dataListeners]) listener(chunk);
    });
    // serialport emits 'close' with a DisconnectedError when the device vanishes.
    port.on('close', (error: Error | null | undefined) => {
      this.finish(error ?? (this.closeRequested ? null : new Error(`${name} closed unexpectedly`)));
    });
    // Without a listener a stream 'error' would crash the process; a port that errors is unusable.
    port.on('error', (error: Error) => {
      const firstFailure = !this.closed;
      this.finish(error);
      // Only once: a close that itself fails emits 'error' again.
      if (firstFailure && port.isOpen) port.close();
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.port.isOpen;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.reject(new Error(`${this.name} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(data), (writeError) => {
        if (writeError) {
          reject(writeError);
          return;
        }
        // Drain so "resolved" means the OS has taken the bytes, which is what lets a
        // driver start its reply timeout from the right moment.
        this.port.drain((drainError) => (drainError ? reject(drainError) : resolve()));
      });
    });
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  onClose(listener: (error: Error | null) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): Promise<void> {
    if (this.closed || !this.port.isOpen) {
      this.finish(null);
      return Promise.resolve();
    }
    this.closeRequested = true;
    return new Promise<void>((resolve) => {
      this.port.close((error) => {
        // A port that fails to close is gone either way; report it, don't strand the caller.
        this.finish(error ?? null);
        resolve();
      });
    });
  }

  private finish(error: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    this.dataListeners.clear();
    for (const listener of listeners) listener(error);
  }
}
