import type { ByteTransport } from './byte-transport.ts';

/**
 * Two ends of an in-memory wire, for demo mode and tests. Delivery is always
 * asynchronous so code that only ever ran against memory does not come to rely on
 * a reply arriving inside its own write call, which a real port never does.
 */
export function createMemoryPair(nameA: string, nameB: string): [ByteTransport, ByteTransport] {
  const a = new MemoryEnd(`memory:${nameA}`);
  const b = new MemoryEnd(`memory:${nameB}`);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryEnd implements ByteTransport {
  readonly name: string;
  peer: MemoryEnd | null = null;
  private open = true;
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly closeListeners = new Set<(error: Error | null) => void>();

  constructor(name: string) {
    this.name = name;
  }

  get isOpen(): boolean {
    return this.open;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.open) return Promise.reject(new Error(`${this.name} is closed`));
    // Copy now: the caller may reuse its buffer before delivery.
    const copy = Buffer.from(data);
    const peer = this.peer;
    return new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        if (!this.open || peer === null || !peer.open) {
          reject(new Error(`${this.name} closed before the bytes were delivered`));
          return;
        }
        peer.deliver(copy);
        resolve();
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

  async close(): Promise<void> {
    if (!this.open) return;
    this.shutDown(null);
    // The far end did not ask to close, so it hears about it as an error, like an unplugged cable.
    this.peer?.shutDown(new Error(`${this.peer.name}: peer ${this.name} closed`));
  }

  private deliver(chunk: Buffer): void {
    for (const listener of [...this.dataListeners]) listener(chunk);
  }

  private shutDown(error: Error | null): void {
    if (!this.open) return;
    this.open = false;
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    this.dataListeners.clear();
    // Asynchronous like data, so listeners never run inside the caller's close().
    setImmediate(() => {
      for (const listener of listeners) listener(error);
    });
  }
}
