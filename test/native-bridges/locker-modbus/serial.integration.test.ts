import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import type { ByteTransport } from '../../../native-bridges/transport/byte-transport.ts';
import { openPtyPair } from '../../../native-bridges/sim-args.ts';
import type { PtyPair } from '../../../native-bridges/sim-args.ts';
import { ModbusError, ModbusRelayDriver } from '../../../native-bridges/locker-modbus/driver.ts';
import type { ModbusHealth } from '../../../native-bridges/locker-modbus/driver.ts';
import { ModbusRelaySimulator } from '../../../native-bridges/locker-modbus/simulator.ts';

interface Rig {
  pty: PtyPair;
  hostPort: ByteTransport;
  boardPort: ByteTransport;
  driver: ModbusRelayDriver;
  sim: ModbusRelaySimulator;
  hostCloseErrors: (Error | null)[];
}

/** A socat pty pair, the real serialport binding on both ends, the driver on one and the simulator on the other. */
async function plugIn(dir: string): Promise<Rig> {
  const pty = await openPtyPair(dir);
  const hostPort = await openSerialTransport(pty.appPath, 9600);
  const boardPort = await openSerialTransport(pty.simPath, 9600);
  const hostCloseErrors: (Error | null)[] = [];
  hostPort.onClose((error) => hostCloseErrors.push(error));
  const sim = new ModbusRelaySimulator(boardPort, { faults: { fragment: true } });
  const driver = new ModbusRelayDriver(hostPort, { replyTimeoutMs: 300, pollIntervalMs: 20 });
  return { pty, hostPort, boardPort, driver, sim, hostCloseErrors };
}

async function unplugAll(rig: Rig): Promise<void> {
  await rig.driver.close().catch(() => undefined);
  await rig.sim.close().catch(() => undefined);
  await rig.pty.close();
}

describe('Modbus driver and simulator over a real pty pair (socat) and the real serialport binding', () => {
  let dir: string;
  let first: Rig;
  let second: Rig | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modbus-pty-'));
    first = await plugIn(dir);
  });

  afterAll(async () => {
    await unplugAll(first);
    if (second !== null) await unplugAll(second);
    rmSync(dir, { recursive: true, force: true });
  });

  it('pulses a door strike and reads the door open through the inputs', async () => {
    const { driver, sim } = first;
    expect((await driver.readInputs()).some((open) => open)).toBe(false);
    await driver.pulseRelay(3, 700);
    expect(sim.getState().relays[3]).toBe(true);
    const inputs = await driver.readInputs();
    expect(inputs.flatMap((open, i) => (open ? [i] : []))).toEqual([3]);
    expect((await driver.readCoils())[3]).toBe(true);
  });

  it('polls and reports online', async () => {
    first.driver.startPolling();
    await vi.waitFor(() => expect(first.driver.getHealth().state).toBe('online'));
  });

  it('when the cable is pulled (socat killed) the port closes with an error, the request in flight rejects and health goes offline', async () => {
    const { driver, sim, pty, hostPort, hostCloseErrors } = first;
    const healths: ModbusHealth[] = [];
    driver.onHealth((h) => healths.push(h));
    driver.stopPolling();
    // Silent board, so the request below is still waiting when the line dies.
    sim.setFaults({ noReply: true });
    const inFlight = driver.pulseRelay(0, 700).then(
      () => null,
      (e: unknown) => e,
    );
    const queued = driver.readInputs().then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 30));

    await pty.unplug();

    for (const error of [await inFlight, await queued]) {
      expect(error).toBeInstanceOf(ModbusError);
      // Either the close or a failed read gets there first; both are the transport, not a timeout.
      expect(error instanceof ModbusError ? error.kind : null).toBe('transport');
    }
    await vi.waitFor(() => expect(hostCloseErrors).toHaveLength(1));
    expect(hostCloseErrors[0]).toBeInstanceOf(Error);
    expect(hostPort.isOpen).toBe(false);
    expect(driver.getHealth().state).toBe('offline');
    expect(healths.at(-1)?.state).toBe('offline');

    const later = await driver.readInputs().then(
      () => null,
      (e: unknown) => e,
    );
    expect(later instanceof ModbusError ? later.kind : null).toBe('transport');
  });

  it('after replugging (a new pty pair, transport and driver) everything works again', async () => {
    // The dead driver stays dead: reconnecting is the composition root's job, with new objects.
    await unplugAll(first);
    second = await plugIn(dir);
    const { driver, sim } = second;
    await driver.pulseRelay(1, 100);
    expect((await driver.readInputs())[1]).toBe(true);
    sim.closeDoor(1);
    expect((await driver.readInputs())[1]).toBe(false);
    expect(driver.getHealth()).toEqual({ state: 'online', lastError: null });
  });
});
