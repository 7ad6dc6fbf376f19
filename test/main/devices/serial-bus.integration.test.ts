import { afterEach, describe, expect, it } from 'vitest';
import { checkTerminalConfig, type TerminalConfig } from '../../../main/config/terminal-config.ts';
import { openDatabase } from '../../../main/core/db/database.ts';
import { SqliteOutboxStore } from '../../../main/devices/sqlite-outbox-store.ts';
import { DeviceManager } from '../../../main/devices/device-manager.ts';
import { KerongSimulator } from '../../../native-bridges/locker-kerong/simulator.ts';
import { openPtyPair, type PtyPair } from '../../../native-bridges/sim-args.ts';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import { tempDir } from '../../helpers/temp-db.ts';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function config(path: string): TerminalConfig {
  const checked = checkTerminalConfig({
    schemaVersion: 2,
    terminalName: 'pty test',
    policy: {},
    lockerBank: {
      name: 'Locker bank A',
      buses: [{ id: 'bus-a', protocol: 'kerong', link: { kind: 'serial', path, baudRate: 19200 }, pollIntervalMs: 100, boards: [{ address: 0 }] }],
      doors: [{ number: 1, bus: 'bus-a', board: 0, lock: 1 }, { number: 2, bus: 'bus-a', board: 0, lock: 2 }],
    },
    cardReaders: [{ id: 'reader', kind: 'simulator' }],
    scanners: [],
  });
  if (!checked.ok) throw new Error(checked.problems.join('\n'));
  return checked.config;
}

/** Simulated boards on the pty's far end, through the real serialport binding. */
async function boardsOn(pair: PtyPair): Promise<KerongSimulator> {
  const simulator = new KerongSimulator(await openSerialTransport(pair.simPath, 19200), { boards: [0], faults: { fragmentWrites: true } });
  cleanups.push(() => simulator.close().catch(() => {}));
  return simulator;
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a Kerong bus on a real serial line (socat pty pair)', () => {
  it('comes online, goes offline when unplugged without hanging, and heals when plugged back in', async () => {
    const t = tempDir('armoury-pty-');
    cleanups.push(t.cleanup);
    let pair = await openPtyPair(t.dir);
    cleanups.push(() => pair.close());
    const simulator = await boardsOn(pair);
    simulator.setItemPresent(0, 1, true);

    const db = openDatabase(`${t.dir}/armoury.db`);
    cleanups.push(() => void db.close());
    const manager = new DeviceManager({ log: () => {}, stockedDoors: () => new Set(), videoOutbox: () => new SqliteOutboxStore(db, 'video'), legacyOutboxDir: `${t.dir}/outbox` });
    cleanups.push(() => manager.stop());
    await manager.start(config(pair.appPath));
    const bus = () => manager.list().find((d) => d.id === 'bus:bus-a');
    await until('online', () => bus()?.state === 'online');
    expect(await manager.lockers.readDoors()).toEqual([
      { doorNumber: 1, open: false, itemPresent: false },
      { doorNumber: 2, open: false, itemPresent: true },
    ]);

    await pair.unplug();
    await until('offline', () => bus()?.state === 'offline');
    expect(bus()?.lastError).toBeTruthy();
    // A draw now would be refused at once: the bank answers, it does not hang.
    const started = Date.now();
    await expect(manager.lockers.unlock(1)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);

    pair = await openPtyPair(t.dir); // the same device path comes back
    const replugged = await boardsOn(pair);
    await until('online again', () => bus()?.state === 'online', 20_000);
    await manager.lockers.unlock(2);
    await until('door 2 open', () => replugged.getDoor(0, 1).open);
  }, 40_000);
});
