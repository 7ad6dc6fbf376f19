import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPair } from '../../../native-bridges/transport/memory-transport.ts';
import type { ByteTransport } from '../../../native-bridges/transport/byte-transport.ts';
import type { LinkHealth } from '../../../native-bridges/device-health.ts';
import { encodeRdm6300Frame } from '../../../native-bridges/card-reader/rdm6300-codec.ts';
import { Rdm6300Reader } from '../../../native-bridges/card-reader/rdm6300-reader.ts';
import type { Rdm6300LogEntry } from '../../../native-bridges/card-reader/rdm6300-reader.ts';
import { Rdm6300Simulator } from '../../../native-bridges/card-reader/rdm6300-simulator.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Rdm6300Reader over an in-memory line', () => {
  let host: ByteTransport;
  let device: ByteTransport;
  let reader: Rdm6300Reader;
  const cards: string[] = [];
  const healths: LinkHealth[] = [];
  const log: Rdm6300LogEntry[] = [];

  function setUp(releaseMs = 150): void {
    [host, device] = createMemoryPair('host', 'rdm6300');
    reader = new Rdm6300Reader(host, { releaseMs });
    cards.length = 0;
    healths.length = 0;
    log.length = 0;
    reader.onCard((uid) => cards.push(uid));
    reader.onHealth((h) => healths.push(h));
    reader.onFrame((entry) => log.push(entry));
  }

  afterEach(async () => {
    await reader.close();
    await device.close().catch(() => undefined);
  });

  it('starts online and emits a card once however many repeats arrive while it is held', async () => {
    setUp();
    expect(reader.health()).toEqual({ state: 'online', lastError: null });
    const frame = encodeRdm6300Frame('0F00A1B2C3');
    for (let i = 0; i < 5; i++) {
      await device.write(frame);
      await sleep(20);
    }
    expect(cards).toEqual(['0F00A1B2C3']);
    expect(log.map((e) => e.repeat)).toEqual([false, true, true, true, true]);
    expect(log[0]).toEqual({ kind: 'frame', hex: frame.toString('hex').toUpperCase(), id: '0F00A1B2C3', repeat: false });
  });

  it('emits the same card again once the line has been quiet for releaseMs', async () => {
    setUp(100);
    const frame = encodeRdm6300Frame('0F00A1B2C3');
    await device.write(frame);
    await sleep(50);
    await device.write(frame);
    expect(cards).toHaveLength(1);
    await sleep(180);
    await device.write(frame);
    await vi.waitFor(() => expect(cards).toEqual(['0F00A1B2C3', '0F00A1B2C3']));
  });

  it('emits a different card straight away even while the first is still "present"', async () => {
    setUp(1000);
    await device.write(Buffer.concat([encodeRdm6300Frame('0F00A1B2C3'), encodeRdm6300Frame('62E3086CED'), encodeRdm6300Frame('0F00A1B2C3')]));
    await vi.waitFor(() => expect(cards).toEqual(['0F00A1B2C3', '62E3086CED', '0F00A1B2C3']));
  });

  it('goes degraded on a bad frame, logs its bytes, and back online on the next good one', async () => {
    setUp();
    const bad = Buffer.from('\x020F00A1B2C3DE\x03', 'latin1');
    await device.write(bad);
    await vi.waitFor(() => expect(reader.health().state).toBe('degraded'));
    expect(reader.health().lastError).toContain('checksum');
    expect(log.at(-1)).toMatchObject({ kind: 'checksum', hex: bad.toString('hex').toUpperCase() });
    expect(cards).toEqual([]);
    await device.write(encodeRdm6300Frame('0F00A1B2C3'));
    await vi.waitFor(() => expect(cards).toEqual(['0F00A1B2C3']));
    expect(reader.health()).toEqual({ state: 'online', lastError: null });
    expect(healths.map((h) => h.state)).toEqual(['degraded', 'online']);
  });

  it('goes offline with the error when the line drops, and stops emitting', async () => {
    setUp();
    await device.close();
    await vi.waitFor(() => expect(reader.health().state).toBe('offline'));
    expect(reader.health().lastError).toContain('closed');
  });

  it('close() goes offline without an error and is idempotent', async () => {
    setUp();
    await reader.close();
    await reader.close();
    expect(reader.health()).toEqual({ state: 'offline', lastError: null });
    expect(host.isOpen).toBe(false);
  });

  it('a fragmented, noisy simulator still yields exactly one card per tap', async () => {
    setUp(200);
    let seed = 7;
    const random = (): number => {
      seed = (seed * 48271) % 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const sim = new Rdm6300Simulator(device, { intervalMs: 30, faults: { fragment: true, garbage: 0.5 }, random });
    await sim.tap('62E3086CED', 200);
    await sleep(300);
    await sim.tap('62E3086CED', 200);
    await vi.waitFor(() => expect(cards).toEqual(['62E3086CED', '62E3086CED']));
    expect(log.filter((e) => e.kind === 'frame').length).toBeGreaterThanOrEqual(4);
    sim.dispose();
  });

  it('the simulator sends nothing with noReply, and the reader emits nothing', async () => {
    setUp();
    const sim = new Rdm6300Simulator(device, { intervalMs: 20, faults: { noReply: true } });
    expect(sim.holding).toBeNull();
    sim.hold('0F00A1B2C3');
    expect(sim.holding).toBe('0F00A1B2C3');
    await sleep(100);
    sim.release();
    expect(log).toEqual([]);
    expect(cards).toEqual([]);
    sim.dispose();
    expect(() => sim.hold('0F00A1B2C3')).toThrow(/closed/);
  });
});
