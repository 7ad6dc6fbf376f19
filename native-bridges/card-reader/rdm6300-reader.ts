import { Listeners } from '../device-health.ts';
import type { LinkHealth } from '../device-health.ts';
import type { ByteTransport } from '../transport/byte-transport.ts';
import { Rdm6300Decoder } from './rdm6300-codec.ts';
import type { Rdm6300ErrorKind } from './rdm6300-codec.ts';

export const RDM6300_BAUD = 9600;

export interface Rdm6300ReaderOptions {
  /**
   * A card counts as lifted once no frame for it has arrived for this long. The reader repeats
   * every ~100 ms while a card is held (more slowly on some clones), so 500 ms rides out a
   * missed frame or two without reporting the same tap twice. Default 500 ms.
   */
  releaseMs?: number;
}

/** One line of the wire log: every frame and every rejected run of bytes, as hex. */
export interface Rdm6300LogEntry {
  kind: 'frame' | Rdm6300ErrorKind;
  hex: string;
  /** For frames, the card id; repeats are logged too, with `repeat` set. */
  id?: string;
  repeat?: boolean;
}

/**
 * A 125 kHz RDM6300/EM4100 reader on a serial line. The card id it emits is the upper-case
 * hex of all 5 data bytes (version + tag, e.g. "0F00A1B2C3"): the whole of what the card
 * carries, in the same hex form as PC/SC UIDs, 10 digits like the simulated reader accepts.
 * (The decimal tag printed on some fobs is rdm6300PrintedNumber(); enrol from the reader.)
 * One `onCard` per tap: the reader repeats while the card stays, and repeats are dropped
 * until the line has been quiet for `releaseMs`.
 */
export class Rdm6300Reader {
  private readonly transport: ByteTransport;
  private readonly releaseMs: number;
  private readonly decoder = new Rdm6300Decoder();
  private readonly cards = new Listeners<string>();
  private readonly frames = new Listeners<Rdm6300LogEntry>();
  private readonly healthListeners = new Listeners<LinkHealth>();
  private readonly unsubscribers: (() => void)[] = [];
  private current: LinkHealth;
  /** The card in the field now, and when it stops counting as present. */
  private presentId: string | null = null;
  private releaseTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(transport: ByteTransport, options: Rdm6300ReaderOptions = {}) {
    this.transport = transport;
    this.releaseMs = options.releaseMs ?? 500;
    this.current = transport.isOpen ? { state: 'online', lastError: null } : { state: 'offline', lastError: `${transport.name} is not open` };
    this.unsubscribers.push(transport.onData((chunk) => this.handleData(chunk)));
    this.unsubscribers.push(
      transport.onClose((error) => {
        this.stop();
        this.setHealth({ state: 'offline', lastError: error === null ? null : `${transport.name}: ${error.message}` });
      }),
    );
  }

  onCard(listener: (uid: string) => void): () => void {
    return this.cards.add(listener);
  }

  /** Hex log of the line, for the diagnostics page. */
  onFrame(listener: (entry: Rdm6300LogEntry) => void): () => void {
    return this.frames.add(listener);
  }

  health(): LinkHealth {
    return { ...this.current };
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stop();
    await this.transport.close().catch(() => undefined);
    this.setHealth({ state: 'offline', lastError: null });
  }

  private stop(): void {
    this.closed = true;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    if (this.releaseTimer !== null) clearTimeout(this.releaseTimer);
    this.releaseTimer = null;
    this.presentId = null;
  }

  private handleData(chunk: Buffer): void {
    if (this.closed) return;
    for (const event of this.decoder.push(chunk)) {
      if (event.type === 'error') {
        const hex = event.error.bytes.toString('hex').toUpperCase();
        this.frames.emit({ kind: event.error.kind, hex });
        // A bad read at the edge of the field is normal; it marks the line suspect until a good frame.
        this.setHealth({ state: 'degraded', lastError: `${event.error.kind} on ${this.transport.name}: ${hex}` });
        continue;
      }
      const { id, raw } = event.frame;
      const repeat = this.presentId === id;
      this.frames.emit({ kind: 'frame', hex: raw.toString('hex').toUpperCase(), id, repeat });
      this.setHealth({ state: 'online', lastError: null });
      this.presentId = id;
      if (this.releaseTimer !== null) clearTimeout(this.releaseTimer);
      this.releaseTimer = setTimeout(() => {
        this.releaseTimer = null;
        this.presentId = null;
      }, this.releaseMs);
      if (!repeat) this.cards.emit(id);
    }
  }

  private setHealth(next: LinkHealth): void {
    if (next.state === this.current.state && next.lastError === this.current.lastError) return;
    this.current = next;
    this.healthListeners.emit({ ...next });
  }
}
