import { afterEach, describe, expect, it, vi } from 'vitest';
import { pcscErrorText } from '../../../native-bridges/card-reader/pcsc-binding.ts';
import type { PcscReaderHandle, PcscReaderState } from '../../../native-bridges/card-reader/pcsc-binding.ts';
import { createPcscLiteBinding, describeReaderState } from '../../../native-bridges/card-reader/pcsc-lite.ts';
import type { PcscLiteSession } from '../../../native-bridges/card-reader/pcsc-lite.ts';
import {
  MAX_READERS_CONTEXTS,
  PNP_NOTIFICATION,
  PcscError,
  SCARD_E_CANCELLED,
  SCARD_E_NO_SERVICE,
  SCARD_E_SHARING_VIOLATION,
  SCARD_E_TIMEOUT,
  SCARD_E_UNKNOWN_READER,
  SCARD_F_COMM_ERROR,
  SCARD_PROTOCOL_T1,
  SCARD_STATE_CHANGED,
  SCARD_STATE_EMPTY,
  SCARD_STATE_MUTE,
  SCARD_STATE_PRESENT,
  SCARD_STATE_UNAVAILABLE,
  SCARD_STATE_UNKNOWN,
  loadWinscard,
  parseMultiString,
} from '../../../native-bridges/card-reader/winscard.ts';
import type { ConnectedCard, ReaderStateRequest, ReaderStateResult, ScardHandle, Winscard } from '../../../native-bridges/card-reader/winscard.ts';

interface FakeReader {
  present: boolean;
  mute: boolean;
  /** pcsc-lite's event counter, in the high word of dwEventState. */
  events: number;
}

interface Waiter {
  context: ScardHandle;
  states: readonly ReaderStateRequest[];
  readerCountAtStart: number;
  resolve: (results: ReaderStateResult[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * pcscd and libpcsclite as the session sees them, modelled on pcsc-lite 1.9's
 * SCardGetStatusChange: it returns at once when a state differs from dwCurrentState, or when
 * the PnP entry sees the reader count change, else waits for an event, the timeout or SCardCancel.
 */
class FakeWinscard implements Winscard {
  up = true;
  readonly readers = new Map<string, FakeReader>();
  readonly openContexts = new Set<ScardHandle>();
  readonly released: ScardHandle[] = [];
  readonly requests: string[][] = [];
  readonly transmits: { card: ScardHandle; protocol: number; apdu: string }[] = [];
  readonly connects: { context: ScardHandle; reader: string }[] = [];
  readonly disconnects: ScardHandle[] = [];
  connectError: PcscError | null = null;
  /** SCardCancel is a no-op before the wait has begun; this many cancels land too early. */
  earlyCancels = 0;
  answer = Buffer.from('04A1B2C3D49000', 'hex');
  private nextHandle = 100;
  private waiters: Waiter[] = [];

  establishContext(): ScardHandle {
    if (!this.up) throw new PcscError('SCardEstablishContext', SCARD_E_NO_SERVICE);
    const context = this.nextHandle++;
    this.openContexts.add(context);
    return context;
  }
  establishContextAsync(): Promise<ScardHandle> {
    try {
      return Promise.resolve(this.establishContext());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  releaseContext(context: ScardHandle): Promise<void> {
    this.openContexts.delete(context);
    this.released.push(context);
    return this.up ? Promise.resolve() : Promise.reject(new PcscError('SCardReleaseContext', SCARD_E_NO_SERVICE));
  }
  listReaders(): Promise<string[]> {
    if (!this.up) return Promise.reject(new PcscError('SCardListReaders', SCARD_E_NO_SERVICE));
    return Promise.resolve([...this.readers.keys()]);
  }
  getStatusChange(context: ScardHandle, timeoutMs: number, states: readonly ReaderStateRequest[]): Promise<ReaderStateResult[]> {
    this.requests.push(states.map((s) => s.reader));
    if (!this.up) return Promise.reject(new PcscError('SCardGetStatusChange', SCARD_F_COMM_ERROR));
    if (states.length > MAX_READERS_CONTEXTS) return Promise.reject(new PcscError('SCardGetStatusChange', 0x80100004));
    if (states.some((s) => s.reader !== PNP_NOTIFICATION && !this.readers.has(s.reader))) {
      return Promise.reject(new PcscError('SCardGetStatusChange', SCARD_E_UNKNOWN_READER));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        context,
        states,
        readerCountAtStart: this.readers.size,
        resolve,
        reject,
        timer: setTimeout(() => this.finish(waiter, new PcscError('SCardGetStatusChange', SCARD_E_TIMEOUT)), timeoutMs),
      };
      this.waiters.push(waiter);
      this.evaluate(waiter);
    });
  }
  cancel(context: ScardHandle): Promise<void> {
    if (this.earlyCancels > 0) {
      this.earlyCancels--;
      return Promise.resolve();
    }
    for (const waiter of this.waiters.filter((w) => w.context === context)) this.finish(waiter, new PcscError('SCardGetStatusChange', SCARD_E_CANCELLED));
    return Promise.resolve();
  }
  connect(context: ScardHandle, reader: string): Promise<ConnectedCard> {
    this.connects.push({ context, reader });
    if (this.connectError !== null) return Promise.reject(this.connectError);
    return Promise.resolve({ card: this.nextHandle++, protocol: SCARD_PROTOCOL_T1 });
  }
  transmit(card: ScardHandle, protocol: number, apdu: Uint8Array): Promise<Uint8Array> {
    this.transmits.push({ card, protocol, apdu: Buffer.from(apdu).toString('hex').toUpperCase() });
    return Promise.resolve(Uint8Array.from(this.answer));
  }
  disconnect(card: ScardHandle): Promise<void> {
    this.disconnects.push(card);
    return Promise.resolve();
  }

  /** Whether a SCardGetStatusChange is blocked now. */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }
  plug(name: string, present = false): void {
    this.readers.set(name, { present, mute: false, events: 0 });
    this.poke();
  }
  unplug(name: string): void {
    this.readers.delete(name);
    this.poke();
  }
  setCard(name: string, present: boolean, mute = false): void {
    const reader = this.readers.get(name);
    if (reader === undefined) throw new Error(`no reader ${name}`);
    reader.present = present;
    reader.mute = mute;
    reader.events++;
    this.poke();
  }
  die(): void {
    this.up = false;
    for (const waiter of [...this.waiters]) this.finish(waiter, new PcscError('SCardGetStatusChange', SCARD_F_COMM_ERROR));
  }

  private eventState(name: string): number {
    const reader = this.readers.get(name);
    if (reader === undefined) return SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE;
    return (reader.present ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY) | (reader.mute ? SCARD_STATE_MUTE : 0) | (reader.events << 16);
  }
  private poke(): void {
    for (const waiter of [...this.waiters]) this.evaluate(waiter);
  }
  private evaluate(waiter: Waiter): void {
    let changed = false;
    const results = waiter.states.map((s): ReaderStateResult => {
      if (s.reader === PNP_NOTIFICATION) {
        const pnpChanged = this.readers.size !== waiter.readerCountAtStart;
        changed ||= pnpChanged;
        return { reader: s.reader, eventState: pnpChanged ? SCARD_STATE_CHANGED : 0, atr: new Uint8Array(0) };
      }
      let eventState = this.eventState(s.reader);
      if (eventState !== (s.currentState & ~SCARD_STATE_CHANGED)) {
        eventState |= SCARD_STATE_CHANGED;
        changed = true;
      }
      return { reader: s.reader, eventState, atr: new Uint8Array(0) };
    });
    if (changed) this.finish(waiter, results);
  }
  private finish(waiter: Waiter, outcome: ReaderStateResult[] | Error): void {
    if (!this.waiters.includes(waiter)) return;
    this.waiters = this.waiters.filter((w) => w !== waiter);
    clearTimeout(waiter.timer);
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }
}

interface Recorded {
  session: PcscLiteSession;
  handles: PcscReaderHandle[];
  events: string[];
  errors: Error[];
}

describe('the pcsc-lite binding against a fake winscard', () => {
  const sessions: PcscLiteSession[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) {
      s.stop();
      await s.closed;
    }
  });

  function start(fake: FakeWinscard, statusTimeoutMs = 60_000): Recorded {
    const handles: PcscReaderHandle[] = [];
    const events: string[] = [];
    const errors: Error[] = [];
    const session = createPcscLiteBinding(fake, { statusTimeoutMs }).start({
      onReader(reader) {
        handles.push(reader);
        events.push(`reader ${reader.name}`);
        reader.onChange((state: PcscReaderState) => events.push(`${reader.name} ${state.text}`));
        reader.onDisconnect(() => events.push(`gone ${reader.name}`));
      },
      onError(error) {
        errors.push(error);
        events.push(`error ${pcscErrorText(error)}`);
      },
    }) as PcscLiteSession;
    sessions.push(session);
    return { session, handles, events, errors };
  }

  it('reports the readers there at start, each with its state first, then every change', async () => {
    const fake = new FakeWinscard();
    fake.plug('R0');
    fake.plug('R1', true);
    const { events } = start(fake);
    // Nothing from inside start(): the caller has its session before any callback.
    expect(events).toEqual([]);
    await vi.waitFor(() => expect(events).toEqual(['reader R0', 'R0 EMPTY', 'reader R1', 'R1 PRESENT']));
    await vi.waitFor(() => expect(fake.waiting).toBe(true));
    fake.setCard('R0', true);
    await vi.waitFor(() => expect(events.slice(4)).toEqual(['R0 PRESENT']));
    fake.setCard('R0', true, true);
    fake.setCard('R1', false);
    await vi.waitFor(() => expect(events.slice(5)).toEqual(['R0 PRESENT|MUTE', 'R1 EMPTY']));
  });

  it('a reader plugged in later is reported at once through the PnP entry, not at the timeout', async () => {
    const fake = new FakeWinscard();
    const { events } = start(fake);
    await vi.waitFor(() => expect(fake.waiting).toBe(true));
    // No reader: the wait is on the PnP entry alone, not an error.
    expect(fake.requests.at(-1)).toEqual([PNP_NOTIFICATION]);
    fake.plug('ACS ACR122U 00 00');
    await vi.waitFor(() => expect(events).toEqual(['reader ACS ACR122U 00 00', 'ACS ACR122U 00 00 EMPTY']), { timeout: 500 });
    await vi.waitFor(() => expect(fake.requests.at(-1)).toEqual(['ACS ACR122U 00 00', PNP_NOTIFICATION]));
  });

  it('an unplugged reader is disconnected; plugged again, it is a new handle with its state first', async () => {
    const fake = new FakeWinscard();
    fake.plug('R0');
    fake.plug('R1');
    const { events, handles } = start(fake);
    await vi.waitFor(() => expect(handles).toHaveLength(2));
    await vi.waitFor(() => expect(fake.waiting).toBe(true));
    fake.unplug('R0');
    await vi.waitFor(() => expect(events).toContain('gone R0'));
    fake.plug('R0', true);
    await vi.waitFor(() => expect(handles).toHaveLength(3));
    expect(handles[2]).not.toBe(handles[0]);
    expect(events.slice(4)).toEqual(['gone R0', 'reader R0', 'R0 PRESENT']);
    // R1 was never touched.
    expect(events.filter((e) => e.includes('R1'))).toEqual(['reader R1', 'R1 EMPTY']);
  });

  it('a reader that went between listing and waiting (SCARD_E_UNKNOWN_READER) just means listing again', async () => {
    const fake = new FakeWinscard();
    fake.plug('R0');
    const realList = fake.listReaders.bind(fake);
    let raced = false;
    fake.listReaders = async () => {
      const names = await realList();
      if (!raced && names.includes('R0')) {
        raced = true;
        fake.readers.delete('R0');
      }
      return names;
    };
    const { events, errors } = start(fake);
    await vi.waitFor(() => expect(fake.waiting).toBe(true));
    expect(errors).toEqual([]);
    expect(events).toEqual([]);
    fake.plug('R0');
    await vi.waitFor(() => expect(events).toEqual(['reader R0', 'R0 EMPTY']));
  });

  it('stop() cancels the wait at once, releases the context and disconnects the readers; nothing after it', async () => {
    const fake = new FakeWinscard();
    fake.plug('R0');
    const { session, events } = start(fake, 60_000);
    await vi.waitFor(() => expect(fake.waiting).toBe(true));
    const monitoring = [...fake.openContexts];
    const t0 = Date.now();
    session.stop();
    session.stop();
    expect(events).toEqual(['reader R0', 'R0 EMPTY', 'gone R0']);
    await session.closed;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(fake.released).toEqual(monitoring);
    expect(fake.openContexts.size).toBe(0);
    fake.plug('R1');
    fake.setCard('R0', true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(['reader R0', 'R0 EMPTY', 'gone R0']);
  });

  it('a cancel that lands before the wait has begun is tried again', async () => {
    const fake = new FakeWinscard();
    fake.earlyCancels = 2;
    const { session } = start(fake, 60_000);
    await vi.waitFor(() => expect(fake.waiting).toBe(true));
    const t0 = Date.now();
    session.stop();
    await session.closed;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(fake.waiting).toBe(false);
  });

  it('without stop(), a quiet wait ends at the timeout and the readers are listed again', async () => {
    const fake = new FakeWinscard();
    fake.plug('R0');
    const { handles } = start(fake, 30);
    await vi.waitFor(() => expect(handles).toHaveLength(1));
    await vi.waitFor(() => expect(fake.requests.length).toBeGreaterThanOrEqual(4));
    // The reader's state is fed back, so a timeout is not taken for a change.
    expect(handles).toHaveLength(1);
  });

  it('the link to pcscd failing: onError once with the PC/SC code, then the session is dead', async () => {
    const fake = new FakeWinscard();
    fake.plug('R0');
    const { session, events, errors } = start(fake);
    await vi.waitFor(() => expect(fake.waiting).toBe(true));
    fake.die();
    await session.closed;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SCARD_F_COMM_ERROR' });
    // The error first: the disconnects that follow belong to a dead session.
    expect(events).toEqual(['reader R0', 'R0 EMPTY', 'error SCardGetStatusChange: an internal communications error has been detected (SCARD_F_COMM_ERROR)', 'gone R0']);
    expect(fake.openContexts.size).toBe(0);
    fake.up = true;
    fake.plug('R1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toHaveLength(4);
    // stop() on a dead session is not an error.
    expect(() => session.stop()).not.toThrow();
  });

  it('start() throws SCARD_E_NO_SERVICE when pcscd is not running', () => {
    const fake = new FakeWinscard();
    fake.up = false;
    const binding = createPcscLiteBinding(fake);
    expect(() => binding.start({ onReader: () => undefined, onError: () => undefined })).toThrow(
      expect.objectContaining({ code: 'SCARD_E_NO_SERVICE', message: expect.stringMatching(/pcscd\) is not running/) }),
    );
  });

  it('connect() uses a context of its own, transmits with the card protocol, and disconnect releases it', async () => {
    const fake = new FakeWinscard();
    fake.plug('R0', true);
    const { handles } = start(fake);
    await vi.waitFor(() => expect(handles).toHaveLength(1));
    const [monitoring] = [...fake.openContexts];
    const card = await handles[0]!.connect();
    expect(fake.connects).toHaveLength(1);
    const connectContext = fake.connects[0]!.context;
    expect(connectContext).not.toBe(monitoring);
    expect(fake.openContexts.has(connectContext)).toBe(true);
    expect(Buffer.from(await card.transmit(Uint8Array.of(0xff, 0xca, 0, 0, 0))).toString('hex')).toBe('04a1b2c3d49000');
    expect(fake.transmits).toEqual([{ card: expect.anything(), protocol: SCARD_PROTOCOL_T1, apdu: 'FFCA000000' }]);
    await card.disconnect();
    await card.disconnect();
    expect(fake.disconnects).toHaveLength(1);
    expect(fake.openContexts.has(connectContext)).toBe(false);
    await expect(card.transmit(Uint8Array.of(0))).rejects.toThrow(/after disconnect/);
  });

  it('a connect that fails rejects with the PC/SC code and releases its context', async () => {
    const fake = new FakeWinscard();
    fake.plug('R0', true);
    const { handles } = start(fake);
    await vi.waitFor(() => expect(handles).toHaveLength(1));
    fake.connectError = new PcscError('SCardConnect', SCARD_E_SHARING_VIOLATION);
    const failure = await handles[0]!.connect().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'SCARD_E_SHARING_VIOLATION' });
    expect(pcscErrorText(failure)).toMatch(/SCardConnect: .*\(SCARD_E_SHARING_VIOLATION\)/);
    await vi.waitFor(() => expect(fake.openContexts.size).toBe(1));
  });

  it(`with ${MAX_READERS_CONTEXTS} readers it leaves out the PnP entry, which would exceed pcsc-lite's limit`, async () => {
    const fake = new FakeWinscard();
    for (let i = 0; i < MAX_READERS_CONTEXTS; i++) fake.plug(`R${i}`);
    const { handles, errors } = start(fake);
    await vi.waitFor(() => expect(handles).toHaveLength(MAX_READERS_CONTEXTS));
    await vi.waitFor(() => expect(fake.waiting).toBe(true));
    expect(fake.requests.at(-1)).toHaveLength(MAX_READERS_CONTEXTS);
    expect(fake.requests.at(-1)).not.toContain(PNP_NOTIFICATION);
    expect(errors).toEqual([]);
  });
});

describe('pcsc-lite state and error decoding', () => {
  it('present only with a card that is available; mute and the flag names for logs', () => {
    expect(describeReaderState(SCARD_STATE_EMPTY | SCARD_STATE_CHANGED)).toEqual({ present: false, mute: false, text: 'EMPTY' });
    expect(describeReaderState(SCARD_STATE_PRESENT | (3 << 16))).toEqual({ present: true, mute: false, text: 'PRESENT' });
    expect(describeReaderState(SCARD_STATE_PRESENT | SCARD_STATE_MUTE)).toEqual({ present: true, mute: true, text: 'PRESENT|MUTE' });
    expect(describeReaderState(SCARD_STATE_PRESENT | SCARD_STATE_UNAVAILABLE).present).toBe(false);
    expect(describeReaderState(0).text).toBe('UNAWARE');
  });

  it('PcscError names the code from pcsclite.h, or its hex when unknown', () => {
    const known = new PcscError('SCardEstablishContext', SCARD_E_NO_SERVICE);
    expect(known).toBeInstanceOf(Error);
    expect(known.code).toBe('SCARD_E_NO_SERVICE');
    expect(known.rv).toBe(0x8010001d);
    expect(pcscErrorText(known)).toBe('SCardEstablishContext: the smart card resource manager (pcscd) is not running (SCARD_E_NO_SERVICE)');
    expect(new PcscError('SCardTransmit', 0x80100069).code).toBe('SCARD_W_REMOVED_CARD');
    expect(new PcscError('SCardFoo', 0x801000ff).code).toBe('0x801000FF');
  });

  it('a missing client library makes the load reject, not throw at import time', async () => {
    await expect(loadWinscard('libpcsclite-not-installed.so.1')).rejects.toThrow(/libpcsclite-not-installed/);
  });

  it('parses the NUL-separated, NUL-ended reader list', () => {
    const bytes = Buffer.from('Reader A 00 00\0Reader B 00 01\0\0', 'latin1');
    expect(parseMultiString(bytes, bytes.length)).toEqual(['Reader A 00 00', 'Reader B 00 01']);
    expect(parseMultiString(Buffer.from('\0'), 1)).toEqual([]);
  });
});
