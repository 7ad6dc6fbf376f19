import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DoorLayout, LockerBus as LockerBusConfig } from '../../../main/config/terminal-config.ts';
import type { DoorSensors } from '../../../main/core/ports.ts';
import { FrameLog } from '../../../main/devices/frame-log.ts';
import { KerongBus } from '../../../main/devices/kerong-bus.ts';
import { BusOfflineError, type LockerBus } from '../../../main/devices/locker-bus.ts';
import { ModbusBus } from '../../../main/devices/modbus-bus.ts';
import { SupervisedLink } from '../../../main/devices/supervised-link.ts';
import { encodeUnlock, toHex } from '../../../native-bridges/locker-kerong/codec.ts';
import { KerongSimulator } from '../../../native-bridges/locker-kerong/simulator.ts';
import { encodePulseRelay } from '../../../native-bridges/locker-modbus/codec.ts';
import { ModbusRelaySimulator } from '../../../native-bridges/locker-modbus/simulator.ts';
import type { ByteTransport } from '../../../native-bridges/transport/byte-transport.ts';
import { createMemoryPair } from '../../../native-bridges/transport/memory-transport.ts';

type KerongConfig = Extract<LockerBusConfig, { protocol: 'kerong' }>;
type ModbusConfig = Extract<LockerBusConfig, { protocol: 'modbus' }>;
type KerongDoor = Extract<DoorLayout, { board: number }>;
type ModbusDoor = Extract<DoorLayout, { relay: number }>;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A bus on a supervised link to a simulator over a memory pair. The link connects only when
 * `connect` is called, so a test can look at the bus before it has a driver.
 */
function wired<Bus extends LockerBus, Sim extends { dispose(): void }>(
  name: string,
  makeBus: (link: SupervisedLink, frames: FrameLog) => Bus,
  simulate: (boardEnd: ByteTransport) => Sim,
): { bus: Bus; sim: Sim; frames: FrameLog; connect: () => void } {
  const [hostEnd, boardEnd] = createMemoryPair('host', name);
  let plugIn: (transport: ByteTransport) => void = () => undefined;
  const plugged = new Promise<ByteTransport>((resolve) => (plugIn = resolve));
  const frames = new FrameLog();
  const bus = makeBus(new SupervisedLink(name, () => plugged, () => undefined), frames);
  const sim = simulate(boardEnd);
  cleanups.push(() => bus.stop(), () => sim.dispose());
  return { bus, sim, frames, connect: () => plugIn(hostEnd) };
}

function kerongRig(pollIntervalMs = 20) {
  const config: KerongConfig = {
    id: 'bus-k',
    protocol: 'kerong',
    link: { kind: 'simulator' },
    pollIntervalMs,
    boards: [
      { address: 0, lockOpenWhenBitSet: true, itemPresentWhenBitSet: true },
      { address: 1, lockOpenWhenBitSet: true, itemPresentWhenBitSet: true },
    ],
  };
  const doors: KerongDoor[] = [
    { number: 1, bus: 'bus-k', board: 0, lock: 1 },
    { number: 2, bus: 'bus-k', board: 1, lock: 16 },
  ];
  return wired(
    'kerong-boards',
    (link, frames) => new KerongBus(config, doors, link, frames),
    (boardEnd) => new KerongSimulator(boardEnd, { boards: [0, 1] }),
  );
}

function modbusRig(pollIntervalMs = 20) {
  const config: ModbusConfig = {
    id: 'bus-m',
    protocol: 'modbus',
    link: { kind: 'simulator' },
    pollIntervalMs,
    slave: 1,
    pulseMs: 300,
    inputOpenWhenSet: true,
  };
  const doors: ModbusDoor[] = [
    { number: 7, bus: 'bus-m', relay: 1, input: 1 },
    { number: 8, bus: 'bus-m', relay: 3, input: 3 },
  ];
  return wired(
    'relay-board',
    (link, frames) => new ModbusBus(config, doors, link, frames),
    (boardEnd) => new ModbusRelaySimulator(boardEnd),
  );
}

interface Reading {
  at: number;
  doors: DoorSensors[];
}

/** Starts the bus, plugs its link in and waits for the first poll; later readings keep arriving in the array. */
async function connected(rig: { bus: LockerBus; connect: () => void }): Promise<Reading[]> {
  const readings: Reading[] = [];
  rig.bus.onReading((doors) => readings.push({ at: performance.now(), doors }));
  rig.bus.start();
  rig.connect();
  await vi.waitFor(() => expect(readings.length).toBeGreaterThan(0));
  expect(rig.bus.health().state).toBe('online');
  return readings;
}

describe.each([
  ['KerongBus', kerongRig],
  ['ModbusBus', modbusRig],
])('%s before its link connects', (_name, makeRig) => {
  it('refuses unlock, read and status at once with BusOfflineError, and reports itself connecting', async () => {
    const { bus } = makeRig();
    bus.start();
    const door = bus.doorNumbers[0] ?? 0;
    await expect(bus.unlock(door)).rejects.toThrow(BusOfflineError);
    await expect(bus.read()).rejects.toThrow(BusOfflineError);
    await expect(bus.describeStatus()).rejects.toThrow(BusOfflineError);
    await expect(bus.unlock(999)).rejects.toThrow(RangeError);
    expect(bus.health().state).toBe('connecting');
    expect(() => bus.pollFast?.(100, 10)).not.toThrow();
  });
});

describe.each([
  ['KerongBus', kerongRig],
  ['ModbusBus', modbusRig],
])('%s.pollFast', (_name, makeRig) => {
  it('after an unlock sees the door open long before the normal poll would', async () => {
    const rig = makeRig(2_000);
    const { bus } = rig;
    const door = bus.doorNumbers[0] ?? 0;
    const readings = await connected(rig);

    const unlockedAt = performance.now();
    await bus.unlock(door);
    bus.pollFast?.(300, 10);
    const doorOpen = (r: Reading) => r.doors.some((d) => d.doorNumber === door && d.open);
    await vi.waitFor(() => expect(readings.some(doorOpen)).toBe(true), { timeout: 1_000, interval: 5 });
    expect((readings.find(doorOpen)?.at ?? Number.POSITIVE_INFINITY) - unlockedAt).toBeLessThan(200);
  });
});

describe('KerongBus', () => {
  it('maps doors to board and lock, polls readings covering every door, and logs the frames', async () => {
    const rig = kerongRig();
    const { bus, sim, frames } = rig;
    sim.setItemPresent(1, 15, true);
    const readings = await connected(rig);
    expect(readings[0]?.doors).toEqual([
      { doorNumber: 1, open: false, itemPresent: false },
      { doorNumber: 2, open: false, itemPresent: true },
    ]);

    await bus.unlock(2);
    await vi.waitFor(() => expect(sim.getDoor(1, 15).open).toBe(true));
    expect(await bus.read()).toEqual([
      { doorNumber: 1, open: false, itemPresent: false },
      { doorNumber: 2, open: true, itemPresent: true },
    ]);
    expect(await bus.describeStatus()).toBe(
      [
        'board 0: door open 0000000000000000 · item present 0000000000000000 (locks 1→16)',
        'board 1: door open 0000000000000001 · item present 0000000000000001 (locks 1→16)',
      ].join('\n'),
    );
    expect(frames.since(0).some((e) => e.device === 'bus-k' && e.direction === 'tx' && e.hex === toHex(encodeUnlock(1, 15)))).toBe(true);
  });
});

describe('ModbusBus', () => {
  it('releases a door by pulsing its relay and reads it through its input, with no item sensor', async () => {
    const rig = modbusRig();
    const { bus, sim, frames } = rig;
    const readings = await connected(rig);
    expect(readings[0]?.doors).toEqual([
      { doorNumber: 7, open: false, itemPresent: null },
      { doorNumber: 8, open: false, itemPresent: null },
    ]);

    await bus.unlock(8);
    expect(sim.getState().relays[2]).toBe(true);
    expect(await bus.read()).toEqual([
      { doorNumber: 7, open: false, itemPresent: null },
      { doorNumber: 8, open: true, itemPresent: null },
    ]);
    expect(await bus.describeStatus()).toMatch(/^slave 1: inputs 00100000 · relays 00[01]00000 \(1→8\)$/);
    // Relay 3 pulsed for 300 ms: three 100 ms units.
    expect(frames.since(0).some((e) => e.device === 'bus-m' && e.direction === 'tx' && e.hex === toHex(encodePulseRelay(1, 2, 3)))).toBe(true);
  });
});
