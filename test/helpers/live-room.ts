import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KioskSnapshot, RequestInput, RequestName, ResponseValues, Result } from '../../preload/contract.ts';
import { startKiosk, type RunningKiosk } from '../../main/compose.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { clockStartingAt } from '../../main/system-time.ts';
import { Rdm6300Simulator } from '../../native-bridges/card-reader/rdm6300-simulator.ts';
import type { KerongPolarity } from '../../native-bridges/locker-kerong/codec.ts';
import { KerongSimulator } from '../../native-bridges/locker-kerong/simulator.ts';
import { SerialScannerSimulator } from '../../native-bridges/scanner/serial-scanner-simulator.ts';
import { openPtyPair, type PtyPair } from '../../native-bridges/sim-args.ts';
import { openSerialTransport } from '../../native-bridges/transport/serial-transport.ts';
import { noonToday, RESOURCES } from './kiosk-harness.ts';
import { seededDb, tempDir } from './temp-db.ts';

/**
 * A live terminal's room for integration tests: the Kerong boards, the 125 kHz card reader and
 * the tag scanner are each a simulator on the far end of a socat pty pair, spoken to through the
 * real serialport binding in the protocols' own bytes, with the kiosk in live mode over the
 * seeded demo database.
 */

export type Cleanups = (() => Promise<void> | void)[];

export interface Room {
  dir: string;
  boards: KerongSimulator;
  reader: Rdm6300Simulator;
  scanner: SerialScannerSimulator;
  configPath: string;
  /** The socat pairs, to pull a cable out mid-test. */
  pairs: Record<'bus' | 'card' | 'scan', PtyPair>;
}

export interface RoomOptions {
  /** How the simulated board reports its bits (the hardware's truth, whatever the configuration says). */
  boardPolarity?: KerongPolarity;
  /** Board addresses the simulator answers on (board 0 only unless given). */
  boards?: number[];
  /** Changes to the configuration before the kiosk reads it (the layout, a display name). */
  configure?: (config: LiveConfig) => void;
}

export type LiveConfig = Record<string, unknown> & {
  lockerBank: Record<string, unknown> & { buses: Record<string, unknown>[]; doors: Record<string, unknown>[] };
};

export async function room(cleanups: Cleanups, options: RoomOptions = {}): Promise<Room> {
  const t = tempDir('armoury-live-pty-');
  cleanups.push(t.cleanup);
  const pairs: Record<'bus' | 'card' | 'scan', PtyPair> = {
    bus: await openPtyPair(t.dir, { names: ['busApp', 'busSim'] }),
    card: await openPtyPair(t.dir, { names: ['cardApp', 'cardSim'] }),
    scan: await openPtyPair(t.dir, { names: ['scanApp', 'scanSim'] }),
  };
  for (const pair of Object.values(pairs)) cleanups.push(() => pair.close());
  const boards = new KerongSimulator(await openSerialTransport(pairs.bus.simPath, 19200), { boards: options.boards ?? [0], faults: { fragmentWrites: true }, polarity: options.boardPolarity });
  const reader = new Rdm6300Simulator(await openSerialTransport(pairs.card.simPath, 9600));
  const scanner = new SerialScannerSimulator(await openSerialTransport(pairs.scan.simPath, 9600));
  cleanups.push(
    () => boards.close().catch(() => {}),
    () => reader.close().catch(() => {}),
    () => scanner.close().catch(() => {}),
  );
  // What the demo database says is behind the doors: doors 1-12 and the new laptops at 15-16.
  for (let lock = 0; lock < 16; lock++) boards.setItemPresent(0, lock, lock < 12 || lock >= 14);
  const config = JSON.parse(readFileSync(join(RESOURCES, 'default-terminal-config.json'), 'utf8')) as LiveConfig;
  config.lockerBank.buses[0] = { id: 'bus-a', protocol: 'kerong', link: { kind: 'serial', path: pairs.bus.appPath, baudRate: 19200 }, pollIntervalMs: 100, boards: [{ address: 0 }] };
  config.cardReaders = [{ id: 'reader', kind: 'rdm6300', link: { kind: 'serial', path: pairs.card.appPath, baudRate: 9600 } }];
  config.scanners = [{ id: 'scanner', kind: 'serial', link: { kind: 'serial', path: pairs.scan.appPath, baudRate: 9600 } }];
  config.video = { policy: 'off', camera: 'CAM-1', triggers: [] };
  options.configure?.(config);
  const configPath = join(t.dir, 'terminal-config.json');
  writeFileSync(configPath, JSON.stringify(config));
  (await seededDb(join(t.dir, 'armoury.db'), noonToday())).close();
  return { dir: t.dir, boards, reader, scanner, configPath, pairs };
}

export interface Live {
  kiosk: RunningKiosk;
  latest(): KioskSnapshot | null;
  call<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>>;
  until(what: string, ok: (s: KioskSnapshot) => boolean): Promise<KioskSnapshot>;
}

/** The kiosk in live mode over the room; its clock runs from `clockFrom` (noon today, when the demo site was seeded, unless given). */
export async function live(r: Room, cleanups: Cleanups, clockFrom: Date = noonToday()): Promise<Live> {
  const kiosk = await startKiosk({ dataDir: r.dir, resourcesDir: RESOURCES, demo: false, configPath: r.configPath, clock: clockStartingAt(clockFrom), log: () => {} });
  cleanups.push(() => kiosk.close());
  // Nothing is released until the audit trail's start-up check (a worker thread) has passed; on a
  // loaded machine it can outlast a sign-in, which then met "still being checked" by chance.
  await kiosk.auditChecked();
  let latest: KioskSnapshot | null = null;
  kiosk.service.onSnapshot((s) => (latest = s));
  return {
    kiosk,
    latest: () => latest,
    call: (method, input) => kiosk.service.request(method, input),
    async until(what, ok) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const current = latest;
        if (current && ok(current)) return current;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last screen ${JSON.stringify(latest?.screen)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/** Tap a card on the pty reader and enter its PIN, once the bus has answered. */
export async function signIn(r: Room, k: Live, card: string, pin: string): Promise<void> {
  await k.until('the bus online', (s) => s.devices.find((d) => d.id === 'bus:bus-a')?.state !== 'connecting');
  await r.reader.tap(card);
  await k.until('the PIN pad', (s) => s.screen.kind === 'pin');
  const signedIn = await k.call('submitPin', { pin });
  if (!signedIn.ok) throw new Error(signedIn.error.message);
}

/** The person in the room at a door: the board's lock and item sensors move as they would. */
export function door(r: Room, n: number) {
  const lock = n - 1;
  return {
    open: () => r.boards.getDoor(0, lock).open,
    put: () => r.boards.setItemPresent(0, lock, true),
    take: () => r.boards.setItemPresent(0, lock, false),
    close: () => r.boards.closeDoor(0, lock),
    force: () => r.boards.openDoor(0, lock),
  };
}

export async function waitFor(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function rows<T>(dir: string, sql: string): T[] {
  const db = openDatabase(join(dir, 'armoury.db'));
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}
