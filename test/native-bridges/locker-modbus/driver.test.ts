import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPair } from '../../../native-bridges/transport/memory-transport.ts';
import type { ByteTransport } from '../../../native-bridges/transport/byte-transport.ts';
import { ModbusError, ModbusRelayDriver, formatFrameLogEntry } from '../../../native-bridges/locker-modbus/driver.ts';
import type { ModbusFrameLogEntry, ModbusHealth, ModbusRelayDriverOptions } from '../../../native-bridges/locker-modbus/driver.ts';
import { ModbusRelaySimulator } from '../../../native-bridges/locker-modbus/simulator.ts';
import type { ModbusRelaySimulatorOptions, ModbusSimChange } from '../../../native-bridges/locker-modbus/simulator.ts';
import {
  crc16Modbus,
  encodeExceptionResponse,
  encodePulseRelay,
  encodeReadBitsResponse,
  encodeReadCoils,
  encodeReadDiscreteInputs,
  encodeWriteSingleCoil,
} from '../../../native-bridges/locker-modbus/codec.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const openIndexes = (bits: boolean[]): number[] => bits.flatMap((b, i) => (b ? [i] : []));

function rig(
  options: ModbusRelayDriverOptions = {},
  simOptions: ModbusRelaySimulatorOptions = {},
): { driver: ModbusRelayDriver; sim: ModbusRelaySimulator } {
  const [hostEnd, boardEnd] = createMemoryPair('host', 'relay-board');
  const sim = new ModbusRelaySimulator(boardEnd, { faults: { fragment: true }, ...simOptions });
  const driver = new ModbusRelayDriver(hostEnd, { replyTimeoutMs: 100, pollIntervalMs: 10, ...options });
  cleanups.push(async () => {
    await driver.close();
    sim.dispose();
  });
  return { driver, sim };
}

async function expectModbusError(promise: Promise<unknown>, kind: ModbusError['kind']): Promise<ModbusError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a ModbusError of kind ${kind}, but it resolved`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModbusError);
  if (!(error instanceof ModbusError)) throw error;
  expect(error.kind).toBe(kind);
  return error;
}

describe('ModbusRelayDriver over a memory pair with a fragmenting simulator', () => {
  it('pulses a door strike with the documented frame; the door opens and reads back via the inputs', async () => {
    const { driver, sim } = rig();
    const log: ModbusFrameLogEntry[] = [];
    driver.onFrame((entry) => log.push(entry));
    expect(openIndexes(await driver.readInputs())).toEqual([]);

    await driver.pulseRelay(0, 700);

    expect(sim.getState().relays[0]).toBe(true);
    const inputs = await driver.readInputs();
    expect(inputs).toHaveLength(8);
    expect(openIndexes(inputs)).toEqual([0]);
    const tx = log.filter((e) => e.direction === 'tx').map((e) => e.bytes.toString('hex'));
    expect(tx[1]).toBe('010502000007' + '8db0');
    // The echo is logged whole, however the simulator fragmented it.
    expect(log.filter((e) => e.direction === 'rx').map((e) => e.bytes.toString('hex'))).toContain('0105020000078db0');
    expect(formatFrameLogEntry({ direction: 'tx', bytes: hex('01 05 02 00 00 07 8D B0') })).toBe('>> 01 05 02 00 00 07 8d b0');
  });

  it('the board releases the strike after the pulse, but the door stays open until someone shuts it', async () => {
    const { driver, sim } = rig();
    const changes: ModbusSimChange[] = [];
    sim.onChange((c) => changes.push(c));
    await driver.pulseRelay(2, 100);
    expect(openIndexes(await driver.readCoils())).toEqual([2]);
    await vi.waitFor(() => expect(sim.getState().relays[2]).toBe(false));
    expect(openIndexes(await driver.readCoils())).toEqual([]);
    expect(openIndexes(await driver.readInputs())).toEqual([2]);

    sim.closeDoor(2);
    expect(openIndexes(await driver.readInputs())).toEqual([]);
    expect(changes).toEqual([
      { kind: 'relay', index: 2, value: true },
      { kind: 'input', index: 2, value: true },
      { kind: 'relay', index: 2, value: false },
      { kind: 'input', index: 2, value: false },
    ]);
  });

  it('switches a relay on and off and reads the coils back', async () => {
    const { driver, sim } = rig();
    await driver.setRelay(5, true);
    expect(openIndexes(await driver.readCoils())).toEqual([5]);
    await driver.setRelay(5, false);
    expect(openIndexes(await driver.readCoils())).toEqual([]);
    expect(sim.getState().relays.every((r) => !r)).toBe(true);
  });

  it('uses the configured flash-on command byte', async () => {
    const { driver, sim } = rig({ pulseCommand: 0x07 }, { pulseCommand: 0x07 });
    const tx: string[] = [];
    driver.onFrame((e) => {
      if (e.direction === 'tx') tx.push(e.bytes.toString('hex'));
    });
    await driver.pulseRelay(1, 250);
    expect(tx).toEqual([encodePulseRelay(1, 1, 3, 0x07).toString('hex')]);
    expect(sim.getState().inputs[1]).toBe(true);
  });

  it('an exception reply surfaces as a typed ModbusError with the exception and its name', async () => {
    // The site configured 16 relays but the board has 8: relay 11 is an illegal address.
    const { driver } = rig({ relayCount: 16 });
    const error = await expectModbusError(driver.pulseRelay(10, 700), 'exception');
    expect(error.exception).toEqual({ functionCode: 0x05, exceptionCode: 2, name: 'ILLEGAL DATA ADDRESS' });
    expect(error.message).toMatch(/ILLEGAL DATA ADDRESS/);
    // The board answered, so the link is fine.
    expect(driver.getHealth().state).toBe('online');
    await expect(driver.pulseRelay(1, 100)).resolves.toBeUndefined();
  });

  it('reading more inputs than the board has is refused with an exception, not a timeout', async () => {
    const { driver } = rig({ inputCount: 12 });
    const error = await expectModbusError(driver.readInputs(), 'exception');
    expect(error.exception?.functionCode).toBe(0x02);
    expect(error.exception?.name).toBe('ILLEGAL DATA ADDRESS');
  });

  it('rejects with kind "timeout" when the board stays silent, without hanging, and carries on afterwards', async () => {
    const { driver, sim } = rig({ replyTimeoutMs: 50 });
    sim.setFaults({ noReply: true });
    const started = Date.now();
    const error = await expectModbusError(driver.pulseRelay(0, 700), 'timeout');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error.message).toMatch(/no reply within 50 ms/);
    // A silent board still acts, as one with a broken TX line would: "don't know", not "didn't open".
    expect(sim.getState().inputs[0]).toBe(true);
    await expectModbusError(driver.readInputs(), 'timeout');

    sim.setFaults({ noReply: false });
    expect(openIndexes(await driver.readInputs())).toEqual([0]);
  });

  it('copes with garbage before replies and a slow board', async () => {
    let n = 0;
    const { driver } = rig({ replyTimeoutMs: 200 }, { faults: { fragment: true, garbage: 1, delayMs: 5 }, random: () => [0.3, 0.9, 0.05, 0.6, 0.99][n++ % 5] ?? 0 });
    for (let i = 0; i < 10; i++) {
      await driver.pulseRelay(i % 8, 100);
      expect((await driver.readInputs())[i % 8]).toBe(true);
    }
  });

  it('keeps one request outstanding at a time, with a quiet gap between them', async () => {
    const { driver } = rig({ interFrameGapMs: 5 }, { faults: { fragment: true, delayMs: 10 } });
    const log: { entry: ModbusFrameLogEntry; at: number }[] = [];
    driver.onFrame((entry) => log.push({ entry, at: performance.now() }));

    const results = await Promise.all([driver.readInputs(), driver.pulseRelay(3, 100), driver.readCoils(), driver.readInputs()]);

    expect(openIndexes(results[0])).toEqual([]);
    expect(openIndexes(results[2])).toEqual([3]);
    expect(openIndexes(results[3])).toEqual([3]);
    expect(log.map(({ entry }) => `${entry.direction}:${entry.bytes.toString('hex').slice(0, 4)}`)).toEqual([
      'tx:0102',
      'rx:0102',
      'tx:0105',
      'rx:0105',
      'tx:0101',
      'rx:0101',
      'tx:0102',
      'rx:0102',
    ]);
    for (let i = 2; i < log.length; i += 2) {
      const gap = (log[i]?.at ?? 0) - (log[i - 1]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(4);
    }
  });

  it('reports a corrupted reply as kind "protocol"', async () => {
    const [hostEnd, boardEnd] = createMemoryPair('host', 'fake-board');
    boardEnd.onData(() => {
      const reply = encodeReadBitsResponse(1, 0x02, Array.from({ length: 8 }, () => false));
      reply.writeUInt8(reply.readUInt8(reply.length - 1) ^ 0xff, reply.length - 1);
      void boardEnd.write(reply);
    });
    const driver = new ModbusRelayDriver(hostEnd, { replyTimeoutMs: 50 });
    cleanups.push(() => driver.close());
    const log: ModbusFrameLogEntry[] = [];
    driver.onFrame((e) => log.push(e));
    await expectModbusError(driver.readInputs(), 'protocol');
    expect(log.some((e) => e.direction === 'rx' && e.error?.startsWith('bad-crc') === true)).toBe(true);
  });

  it('ignores replies from other slaves and waits for its own', async () => {
    const [hostEnd, boardEnd] = createMemoryPair('host', 'shared-bus');
    boardEnd.onData(() => {
      void boardEnd.write(Buffer.concat([encodeReadBitsResponse(2, 0x02, [true]), encodeReadBitsResponse(1, 0x02, [false, true])]));
    });
    const driver = new ModbusRelayDriver(hostEnd, { replyTimeoutMs: 50, slave: 1, inputCount: 2 });
    cleanups.push(() => driver.close());
    expect(await driver.readInputs()).toEqual([false, true]);
  });

  it('a late echo of an earlier write is not taken as the answer to the next one', async () => {
    const [hostEnd, boardEnd] = createMemoryPair('host', 'slow-board');
    const requests: Buffer[] = [];
    boardEnd.onData((chunk) => {
      requests.push(chunk);
      // Answers the first request only after the driver gave up on it, then goes quiet.
      if (requests.length === 2) void boardEnd.write(requests[0] ?? Buffer.alloc(0));
    });
    const driver = new ModbusRelayDriver(hostEnd, { replyTimeoutMs: 40 });
    cleanups.push(() => driver.close());
    await expectModbusError(driver.setRelay(0, true), 'timeout');
    const error = await expectModbusError(driver.setRelay(1, true), 'protocol');
    expect(error.message).toMatch(/echo mismatch/);
  });

  it('refuses relay indexes and pulse lengths out of range before touching the bus', async () => {
    const { driver } = rig();
    const tx: string[] = [];
    driver.onFrame((e) => tx.push(e.bytes.toString('hex')));
    await expect(driver.pulseRelay(8, 700)).rejects.toThrow(RangeError);
    await expect(driver.pulseRelay(-1, 700)).rejects.toThrow(RangeError);
    await expect(driver.pulseRelay(0, 0)).rejects.toThrow(RangeError);
    await expect(driver.setRelay(1.5, true)).rejects.toThrow(RangeError);
    expect(tx).toEqual([]);
    expect(() => new ModbusRelayDriver(createMemoryPair('a', 'b')[0], { slave: 0 })).toThrow(RangeError);
  });

  it('polls the inputs and emits each reading', async () => {
    const { driver, sim } = rig();
    sim.setInput(6, true);
    const readings: boolean[][] = [];
    driver.onInputs((inputs) => readings.push(inputs));
    driver.startPolling();
    await vi.waitFor(() => expect(readings.length).toBeGreaterThanOrEqual(3));
    sim.setInput(6, false);
    const seen = readings.length;
    await vi.waitFor(() => expect(readings.slice(seen).some((r) => !r[6])).toBe(true));
    driver.stopPolling();
    expect(openIndexes(readings[0] ?? [])).toEqual([6]);
  });

  it('health goes degraded after one failed poll, offline after three, and online again after a good reply', async () => {
    const { driver, sim } = rig({ replyTimeoutMs: 30 });
    const states: ModbusHealth[] = [];
    driver.onHealth((h) => states.push(h));
    expect(driver.getHealth()).toEqual({ state: 'offline', lastError: null }); // nothing heard yet

    driver.startPolling();
    await vi.waitFor(() => expect(driver.getHealth().state).toBe('online'));
    sim.setFaults({ noReply: true });
    await vi.waitFor(() => expect(driver.getHealth().state).toBe('offline'));
    sim.setFaults({ noReply: false });
    await vi.waitFor(() => expect(driver.getHealth().state).toBe('online'));
    driver.stopPolling();

    expect(states.map((h) => h.state)).toEqual(['online', 'degraded', 'offline', 'online']);
    expect(states[1]?.lastError).toMatch(/no reply/);
    expect(states[3]?.lastError).toBeNull();
  });

  it('goes offline at once when the transport closes, failing the request in flight and the queued ones', async () => {
    const { driver, sim } = rig({ replyTimeoutMs: 10_000 });
    await driver.readInputs();
    sim.setFaults({ noReply: true });
    const healths: ModbusHealth[] = [];
    driver.onHealth((h) => healths.push(h));

    const inFlight = driver.pulseRelay(0, 700);
    const queued = driver.readInputs();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await sim.close(); // the far end goes away, like an unplugged adapter

    const error = await expectModbusError(inFlight, 'transport');
    expect(error.message).toMatch(/closed/);
    await expectModbusError(queued, 'transport');
    expect(healths.at(-1)?.state).toBe('offline');
    expect(driver.getHealth().lastError).toMatch(/closed/);
    await expectModbusError(driver.readCoils(), 'transport');
    await expectModbusError(driver.setRelay(0, false), 'transport');
  });

  it('close() rejects pending requests and closes the transport', async () => {
    const [hostEnd] = createMemoryPair('host', 'nobody');
    const driver = new ModbusRelayDriver(hostEnd, { replyTimeoutMs: 10_000 });
    const first = driver.readInputs();
    const second = driver.pulseRelay(0, 100);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await driver.close();
    await expectModbusError(first, 'transport');
    await expectModbusError(second, 'transport');
    expect(hostEnd.isOpen).toBe(false);
    expect(driver.getHealth().state).toBe('offline');
  });
});

describe('ModbusRelaySimulator', () => {
  /** Sends one request from the host end and collects whatever comes back in the next 20 ms. */
  async function exchange(host: ByteTransport, request: Uint8Array): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const off = host.onData((c) => chunks.push(c));
    await host.write(request);
    await new Promise((resolve) => setTimeout(resolve, 20));
    off();
    return Buffer.concat(chunks);
  }

  it('answers the PROTOCOLS.md requests byte for byte', async () => {
    const [host, board] = createMemoryPair('host', 'board');
    const sim = new ModbusRelaySimulator(board);
    cleanups.push(() => sim.close());
    expect(await exchange(host, hex('01 05 00 00 FF 00 8C 3A'))).toEqual(hex('01 05 00 00 FF 00 8C 3A'));
    expect(await exchange(host, hex('01 01 00 00 00 08 3D CC'))).toEqual(encodeReadBitsResponse(1, 0x01, [true, false, false, false, false, false, false, false]));
    expect(await exchange(host, hex('01 05 00 00 00 00 CD CA'))).toEqual(hex('01 05 00 00 00 00 CD CA'));
    expect(await exchange(host, hex('01 02 00 00 00 08 79 CC'))).toEqual(encodeReadBitsResponse(1, 0x02, [true, false, false, false, false, false, false, false]));
    expect(await exchange(host, hex('01 05 02 00 00 07 8D B0'))).toEqual(hex('01 05 02 00 00 07 8D B0'));
    expect(sim.getState().relays[0]).toBe(true);
  });

  it('answers out-of-range addresses with exception 0x02, bad values with 0x03 and unknown functions with 0x01', async () => {
    const [host, board] = createMemoryPair('host', 'board');
    const sim = new ModbusRelaySimulator(board, { relays: 4 });
    cleanups.push(() => sim.close());
    expect(await exchange(host, encodeWriteSingleCoil(1, 4, true))).toEqual(encodeExceptionResponse(1, 0x05, 0x02));
    expect(await exchange(host, encodeReadCoils(1, 2, 3))).toEqual(encodeExceptionResponse(1, 0x01, 0x02));
    expect(await exchange(host, encodeReadDiscreteInputs(1, 0, 5))).toEqual(encodeExceptionResponse(1, 0x02, 0x02));
    expect(await exchange(host, encodePulseRelay(1, 4, 7))).toEqual(encodeExceptionResponse(1, 0x05, 0x02));
    // Write single coil only takes FF 00 or 00 00.
    const odd = Buffer.from([0x01, 0x05, 0x00, 0x00, 0x12, 0x34, 0, 0]);
    const crc = crc16Modbus(odd, 0, 6);
    odd.writeUInt16LE(crc, 6);
    expect(await exchange(host, odd)).toEqual(encodeExceptionResponse(1, 0x05, 0x03));
    // Read holding registers: a function this board doesn't have.
    const readRegisters = Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0, 0]);
    readRegisters.writeUInt16LE(crc16Modbus(readRegisters, 0, 6), 6);
    expect(await exchange(host, readRegisters)).toEqual(encodeExceptionResponse(1, 0x03, 0x01));
    expect(sim.getState().relays.every((r) => !r)).toBe(true);
  });

  it('ignores other slaves and bad CRCs, and acts on broadcasts without answering', async () => {
    const [host, board] = createMemoryPair('host', 'board');
    const sim = new ModbusRelaySimulator(board, { slave: 3 });
    cleanups.push(() => sim.close());
    expect(await exchange(host, encodeWriteSingleCoil(1, 0, true))).toEqual(Buffer.alloc(0));
    const corrupt = encodeWriteSingleCoil(3, 0, true);
    corrupt.writeUInt8(corrupt.readUInt8(6) ^ 1, 6);
    expect(await exchange(host, corrupt)).toEqual(Buffer.alloc(0));
    expect(sim.getState().relays[0]).toBe(false);
    expect(await exchange(host, encodeWriteSingleCoil(0, 1, true))).toEqual(Buffer.alloc(0));
    expect(sim.getState().relays[1]).toBe(true);
    expect(await exchange(host, encodeWriteSingleCoil(3, 2, true))).toEqual(encodeWriteSingleCoil(3, 2, true));
  });

  it('fragments and garbles replies when asked, and the driver still reads them', async () => {
    const [host, board] = createMemoryPair('host', 'board');
    let n = 0;
    const sequence = [0.0, 0.2, 0.5, 0.1, 0.8, 0.3];
    const sim = new ModbusRelaySimulator(board, { faults: { fragment: true, garbage: 1 }, random: () => sequence[n++ % sequence.length] ?? 0 });
    cleanups.push(() => sim.close());
    const chunks: Buffer[] = [];
    host.onData((c) => chunks.push(c));
    await host.write(encodeWriteSingleCoil(1, 0, true));
    await vi.waitFor(() => expect(Buffer.concat(chunks).subarray(-8)).toEqual(encodeWriteSingleCoil(1, 0, true)));
    expect(chunks.length).toBeGreaterThan(2);
    expect(Buffer.concat(chunks).length).toBeGreaterThan(8);
  });

  it('validates its own inputs', () => {
    const [, board] = createMemoryPair('host', 'board');
    const sim = new ModbusRelaySimulator(board, { relays: 2 });
    expect(() => sim.setInput(2, true)).toThrow(RangeError);
    expect(() => sim.closeDoor(-1)).toThrow(RangeError);
    expect(() => new ModbusRelaySimulator(board, { slave: 248 })).toThrow(RangeError);
    sim.dispose();
  });
});
