import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LinkHealth } from '../../../native-bridges/device-health.ts';
import { PcscCardReader } from '../../../native-bridges/card-reader/pcsc-reader.ts';
import type {
  PcscBinding,
  PcscCardHandle,
  PcscReaderHandle,
  PcscReaderState,
  PcscSessionHandlers,
} from '../../../native-bridges/card-reader/pcsc-binding.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** A reader whose card answers `answer` (or hangs / fails) to whatever is sent. */
class FakeReader implements PcscReaderHandle {
  readonly name: string;
  answer: () => Promise<Uint8Array> = () => Promise.resolve(hex('04 A1 B2 C3 D4 90 00'));
  connectError: Error | null = null;
  hangConnect = false;
  readonly sent: string[] = [];
  connects = 0;
  disconnects = 0;
  private changeListeners: ((state: PcscReaderState) => void)[] = [];
  private disconnectListeners: (() => void)[] = [];

  constructor(name: string) {
    this.name = name;
  }
  onChange(listener: (state: PcscReaderState) => void): void {
    this.changeListeners.push(listener);
  }
  onDisconnect(listener: () => void): void {
    this.disconnectListeners.push(listener);
  }
  connect(): Promise<PcscCardHandle> {
    this.connects++;
    if (this.hangConnect) return new Promise(() => undefined);
    if (this.connectError !== null) return Promise.reject(this.connectError);
    return Promise.resolve({
      transmit: (apdu) => {
        this.sent.push(Buffer.from(apdu).toString('hex').toUpperCase());
        return this.answer();
      },
      disconnect: () => {
        this.disconnects++;
        return Promise.resolve();
      },
    });
  }
  state(present: boolean, mute = false): void {
    for (const l of this.changeListeners) l({ present, mute, text: present ? 'PRESENT' : 'EMPTY' });
  }
  unplug(): void {
    for (const l of this.disconnectListeners) l();
  }
}

/** pcscd as the reader sees it: up or down, with readers that come and go. */
class FakePcsc {
  up = true;
  starts = 0;
  stops = 0;
  handlers: PcscSessionHandlers | null = null;
  readonly initialReaders: FakeReader[] = [];

  binding = (): Promise<PcscBinding> =>
    Promise.resolve({
      start: (handlers) => {
        this.starts++;
        if (!this.up) throw Object.assign(new Error('[ NoService ] - Error in native function'), { code: 'NoService' });
        this.handlers = handlers;
        const readers = [...this.initialReaders];
        setImmediate(() => {
          for (const r of readers) {
            handlers.onReader(r);
            r.state(false);
          }
        });
        return { stop: () => void this.stops++ };
      },
    });

  plug(reader: FakeReader): void {
    this.handlers?.onReader(reader);
  }
  die(): void {
    this.up = false;
    this.handlers?.onError(Object.assign(new Error('Reader monitoring loop failed.'), { code: 'CommError' }));
  }
}

describe('PcscCardReader against a fake PC/SC binding', () => {
  const opened: PcscCardReader[] = [];
  afterEach(async () => {
    for (const r of opened.splice(0)) await r.close();
  });

  function open(pcsc: FakePcsc, options: { readerName?: string; timeoutMs?: number } = {}) {
    const reader = new PcscCardReader({ binding: pcsc.binding, retryMs: 50, readerGraceMs: 50, ...options });
    opened.push(reader);
    const cards: string[] = [];
    const healths: LinkHealth[] = [];
    reader.onCard((uid) => cards.push(uid));
    reader.onHealth((h) => healths.push(h));
    return { reader, cards, healths };
  }

  it('reads the UID with GET DATA on insert, once per stay, and again after the card leaves', async () => {
    const pcsc = new FakePcsc();
    const r0 = new FakeReader('ACS ACR122U 00 00');
    pcsc.initialReaders.push(r0);
    const { reader, cards } = open(pcsc);
    expect(reader.health().state).toBe('connecting');
    await vi.waitFor(() => expect(reader.health()).toEqual({ state: 'online', lastError: null }));
    expect(reader.readerNames()).toEqual(['ACS ACR122U 00 00']);

    r0.state(true);
    await vi.waitFor(() => expect(cards).toEqual(['04A1B2C3D4']));
    expect(r0.sent).toEqual(['FFCA000000']);
    // pcscd reports more changes while the card stays (in use, powered down): no second read.
    r0.state(true);
    r0.state(true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(cards).toHaveLength(1);
    expect(r0.connects).toBe(1);
    expect(r0.disconnects).toBe(1);

    r0.state(false);
    r0.state(true);
    await vi.waitFor(() => expect(cards).toEqual(['04A1B2C3D4', '04A1B2C3D4']));
  });

  it('a status word error makes it degraded with the SW, the next good read online again', async () => {
    const pcsc = new FakePcsc();
    const r0 = new FakeReader('R 00');
    pcsc.initialReaders.push(r0);
    const { reader, cards } = open(pcsc);
    await vi.waitFor(() => expect(reader.health().state).toBe('online'));
    r0.answer = () => Promise.resolve(hex('6A 81'));
    r0.state(true);
    await vi.waitFor(() => expect(reader.health().state).toBe('degraded'));
    expect(reader.health().lastError).toMatch(/R 00: GET DATA failed with SW 6A81/);
    expect(cards).toEqual([]);
    r0.answer = () => Promise.resolve(hex('11 22 33 44 90 00'));
    r0.state(false);
    r0.state(true);
    await vi.waitFor(() => expect(cards).toEqual(['11223344']));
    expect(reader.health()).toEqual({ state: 'online', lastError: null });
  });

  it('transmit or connect failures and a mute card are degraded, never thrown', async () => {
    const pcsc = new FakePcsc();
    const r0 = new FakeReader('R 00');
    pcsc.initialReaders.push(r0);
    const { reader } = open(pcsc);
    await vi.waitFor(() => expect(reader.health().state).toBe('online'));
    r0.answer = () => Promise.reject(Object.assign(new Error('card removed'), { code: 'RemovedCard' }));
    r0.state(true);
    await vi.waitFor(() => expect(reader.health().lastError).toContain('RemovedCard'));
    r0.state(false);
    r0.connectError = new Error('sharing violation');
    r0.state(true);
    await vi.waitFor(() => expect(reader.health().lastError).toContain('sharing violation'));
    r0.state(false);
    r0.state(true, true);
    await vi.waitFor(() => expect(reader.health().lastError).toContain('mute'));
    expect(reader.health().state).toBe('degraded');
  });

  it('a card that never answers times out instead of hanging', async () => {
    const pcsc = new FakePcsc();
    const r0 = new FakeReader('R 00');
    pcsc.initialReaders.push(r0);
    const { reader, cards } = open(pcsc, { timeoutMs: 100 });
    await vi.waitFor(() => expect(reader.health().state).toBe('online'));
    r0.answer = () => new Promise(() => undefined);
    r0.state(true);
    await vi.waitFor(() => expect(reader.health().lastError).toMatch(/GET DATA on R 00 took longer than 100 ms/));
    r0.state(false);
    r0.hangConnect = true;
    r0.state(true);
    await vi.waitFor(() => expect(reader.health().lastError).toMatch(/connecting to the card in R 00 took longer/));
    expect(cards).toEqual([]);
  });

  it('watches only readers whose name contains readerName, and says so when none is there', async () => {
    const pcsc = new FakePcsc();
    const other = new FakeReader('Virtual PCD 00 00');
    pcsc.initialReaders.push(other);
    const { reader, cards } = open(pcsc, { readerName: 'ACR122U' });
    await vi.waitFor(() => expect(reader.health().state).toBe('offline'));
    expect(reader.health().lastError).toBe('no PC/SC reader matching "ACR122U" connected');
    other.state(true);
    const mine = new FakeReader('ACS ACR122U PICC Interface 01 00');
    pcsc.plug(mine);
    await vi.waitFor(() => expect(reader.health().state).toBe('online'));
    mine.state(true);
    await vi.waitFor(() => expect(cards).toEqual(['04A1B2C3D4']));
    expect(other.connects).toBe(0);
    mine.unplug();
    await vi.waitFor(() => expect(reader.health().state).toBe('offline'));
  });

  it('pcscd down at start: offline with the reason, then online once it comes up', async () => {
    const pcsc = new FakePcsc();
    pcsc.up = false;
    pcsc.initialReaders.push(new FakeReader('R 00'));
    const { reader } = open(pcsc);
    await vi.waitFor(() => expect(reader.health().state).toBe('offline'));
    expect(reader.health().lastError).toMatch(/pcscd not reachable.*NoService/);
    pcsc.up = true;
    await vi.waitFor(() => expect(reader.health().state).toBe('online'));
    expect(pcsc.starts).toBeGreaterThanOrEqual(2);
  });

  it('pcscd dying mid-run: offline, the dead session stopped, a new one once it is back', async () => {
    const pcsc = new FakePcsc();
    const r0 = new FakeReader('R 00');
    pcsc.initialReaders.push(r0);
    const { reader, cards, healths } = open(pcsc);
    await vi.waitFor(() => expect(reader.health().state).toBe('online'));
    pcsc.die();
    expect(reader.health().state).toBe('offline');
    expect(reader.health().lastError).toMatch(/lost pcscd.*CommError/);
    expect(pcsc.stops).toBe(1);
    // Events from the dead session's reader are ignored.
    r0.state(true);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(cards).toEqual([]);
    pcsc.up = true;
    await vi.waitFor(() => expect(reader.health().state).toBe('online'));
    // Offline is reported again as the reason changes (lost, then not reachable on retry);
    // connecting while the new session waits for its readers.
    const states = healths.map((h) => h.state).filter((state, i, all) => state !== all[i - 1]);
    expect(states).toEqual(['online', 'offline', 'connecting', 'online']);
  });

  it('a binding that will not load is offline with the reason, never a throw', async () => {
    const reader = new PcscCardReader({
      binding: () => Promise.reject(new Error('libpcsclite.so.1: cannot open shared object file')),
      retryMs: 1000,
    });
    opened.push(reader);
    await vi.waitFor(() => expect(reader.health().state).toBe('offline'));
    expect(reader.health().lastError).toMatch(/binding did not load.*libpcsclite\.so\.1/);
  });

  it('close() stops the session, is idempotent, and nothing is emitted after it', async () => {
    const pcsc = new FakePcsc();
    const r0 = new FakeReader('R 00');
    pcsc.initialReaders.push(r0);
    const { reader, cards } = open(pcsc);
    await vi.waitFor(() => expect(reader.health().state).toBe('online'));
    let release: (bytes: Uint8Array) => void = () => undefined;
    r0.answer = () => new Promise((resolve) => (release = resolve));
    r0.state(true);
    await vi.waitFor(() => expect(r0.sent).toHaveLength(1));
    await reader.close();
    await reader.close();
    release(hex('04 A1 B2 C3 90 00'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cards).toEqual([]);
    expect(pcsc.stops).toBe(1);
    expect(reader.health()).toEqual({ state: 'offline', lastError: null });
  });
});
