import { afterEach, describe, expect, it, vi } from 'vitest';
import { KerongDriver } from '../../../native-bridges/locker-kerong/driver.ts';
import { KerongSimulator } from '../../../native-bridges/locker-kerong/simulator.ts';
import { ModbusRelayDriver } from '../../../native-bridges/locker-modbus/driver.ts';
import { ModbusRelaySimulator } from '../../../native-bridges/locker-modbus/simulator.ts';
import { createMemoryPair } from '../../../native-bridges/transport/memory-transport.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface PolledDriver {
  startPolling(): void;
  stopPolling(): void;
  pollFast(forMs: number, intervalMs: number): void;
}

/** One driver on a simulated board: how to release a door and hear each read. */
interface Setup {
  driver: PolledDriver;
  release(): Promise<void>;
  /** Called with every read the driver makes, true once it shows the released door open. */
  onRead(listener: (doorOpen: boolean) => void): void;
}

const polarity = { lockOpenWhenBitSet: true, itemPresentWhenBitSet: true };

function closedAfterTest<D extends { close(): Promise<void> }>(driver: D, sim: { dispose(): void }): D {
  cleanups.push(async () => {
    await driver.close();
    sim.dispose();
  });
  return driver;
}

function kerong(pollIntervalMs: number): Setup {
  const [hostEnd, boardEnd] = createMemoryPair('host', 'boards');
  const sim = new KerongSimulator(boardEnd, { boards: [0, 1], polarity, faults: { fragmentWrites: true } });
  const boards = [0, 1].map((address) => ({ address, polarity }));
  const driver = closedAfterTest(new KerongDriver(hostEnd, { boards, replyTimeoutMs: 100, pollIntervalMs, postUnlockGapMs: 5 }), sim);
  return {
    driver,
    release: () => driver.unlock(1, 4),
    onRead: (listener) => driver.onStatus((status) => listener(status.board === 1 && status.doorOpen[4] === true)),
  };
}

function modbus(pollIntervalMs: number): Setup {
  const [hostEnd, boardEnd] = createMemoryPair('host', 'relay-board');
  const sim = new ModbusRelaySimulator(boardEnd, { faults: { fragment: true } });
  const driver = closedAfterTest(new ModbusRelayDriver(hostEnd, { replyTimeoutMs: 100, pollIntervalMs }), sim);
  return {
    driver,
    release: () => driver.pulseRelay(2, 700),
    onRead: (listener) => driver.onInputs((inputs) => listener(inputs[2] === true)),
  };
}

describe.each([
  ['KerongDriver', kerong],
  ['ModbusRelayDriver', modbus],
])('%s.pollFast', (_name, setUp) => {
  it('sees a door open within tens of milliseconds of its release, then polls at the normal pace again', async () => {
    // A slow normal pace, so only the fast window can explain a prompt sighting.
    const { driver, release, onRead } = setUp(2_000);
    const reads: { at: number; doorOpen: boolean }[] = [];
    onRead((doorOpen) => reads.push({ at: performance.now(), doorOpen }));
    driver.startPolling();
    await vi.waitFor(() => expect(reads.length).toBeGreaterThan(0));
    await sleep(20); // the first cycle is over, and the loop is in its long pause

    const releasedAt = performance.now();
    await release();
    driver.pollFast(200, 10);
    await vi.waitFor(() => expect(reads.some((r) => r.doorOpen)).toBe(true), { timeout: 1_000, interval: 5 });
    expect((reads.find((r) => r.doorOpen)?.at ?? Number.POSITIVE_INFINITY) - releasedAt).toBeLessThan(150);

    await sleep(300); // the window is over
    const afterWindow = reads.length;
    await sleep(500);
    expect(reads.length).toBe(afterWindow);
    driver.stopPolling();
  });
});
