import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KioskSnapshot, RequestInput, RequestName, ResponseValues, Result } from '../../../preload/contract.ts';
import { startKiosk, type RunningKiosk } from '../../../main/compose.ts';
import { openDatabase } from '../../../main/core/db/database.ts';
import { clockStartingAt } from '../../../main/system-time.ts';
import { Rdm6300Simulator } from '../../../native-bridges/card-reader/rdm6300-simulator.ts';
import { KerongSimulator } from '../../../native-bridges/locker-kerong/simulator.ts';
import { SerialScannerSimulator } from '../../../native-bridges/scanner/serial-scanner-simulator.ts';
import { openPtyPair, type PtyPair } from '../../../native-bridges/sim-args.ts';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import { noonToday, RESOURCES } from '../../helpers/kiosk-harness.ts';
import { seededDb, tempDir } from '../../helpers/temp-db.ts';

/**
 * The swap as a live terminal runs it: the Kerong boards, the 125 kHz card reader and the tag
 * scanner are each a simulator on the far end of a socat pty pair, spoken to through the real
 * serialport binding in the protocols' own bytes, with the kiosk in live mode.
 */

const ALEX_CARD = '04A1B2C3D4';
const OLD_LAPTOP_TAG = 'AKLT190001';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

interface Room {
  dir: string;
  boards: KerongSimulator;
  reader: Rdm6300Simulator;
  scanner: SerialScannerSimulator;
  configPath: string;
}

async function room(): Promise<Room> {
  const t = tempDir('armoury-swap-pty-');
  cleanups.push(t.cleanup);
  const pairs: Record<'bus' | 'card' | 'scan', PtyPair> = {
    bus: await openPtyPair(t.dir, { names: ['busApp', 'busSim'] }),
    card: await openPtyPair(t.dir, { names: ['cardApp', 'cardSim'] }),
    scan: await openPtyPair(t.dir, { names: ['scanApp', 'scanSim'] }),
  };
  for (const pair of Object.values(pairs)) cleanups.push(() => pair.close());
  const boards = new KerongSimulator(await openSerialTransport(pairs.bus.simPath, 19200), { boards: [0], faults: { fragmentWrites: true } });
  const reader = new Rdm6300Simulator(await openSerialTransport(pairs.card.simPath, 9600));
  const scanner = new SerialScannerSimulator(await openSerialTransport(pairs.scan.simPath, 9600));
  cleanups.push(
    () => boards.close().catch(() => {}),
    () => reader.close().catch(() => {}),
    () => scanner.close().catch(() => {}),
  );
  // What the demo database says is behind the doors: doors 1-12 and the new laptops at 15-16.
  for (let lock = 0; lock < 16; lock++) boards.setItemPresent(0, lock, lock < 12 || lock >= 14);
  const config = JSON.parse((await import('node:fs')).readFileSync(join(RESOURCES, 'default-terminal-config.json'), 'utf8')) as Record<string, unknown> & {
    lockerBank: { buses: Record<string, unknown>[] };
  };
  config.lockerBank.buses[0] = { id: 'bus-a', protocol: 'kerong', link: { kind: 'serial', path: pairs.bus.appPath, baudRate: 19200 }, pollIntervalMs: 100, boards: [{ address: 0 }] };
  config.cardReaders = [{ id: 'reader', kind: 'rdm6300', link: { kind: 'serial', path: pairs.card.appPath, baudRate: 9600 } }];
  config.scanners = [{ id: 'scanner', kind: 'serial', link: { kind: 'serial', path: pairs.scan.appPath, baudRate: 9600 } }];
  config.video = { policy: 'off', camera: 'CAM-1', triggers: [] };
  const configPath = join(t.dir, 'terminal-config.json');
  writeFileSync(configPath, JSON.stringify(config));
  (await seededDb(join(t.dir, 'armoury.db'), noonToday())).close();
  return { dir: t.dir, boards, reader, scanner, configPath };
}

interface Live {
  kiosk: RunningKiosk;
  latest(): KioskSnapshot | null;
  call<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>>;
  until(what: string, ok: (s: KioskSnapshot) => boolean): Promise<KioskSnapshot>;
}

async function live(r: Room): Promise<Live> {
  const kiosk = await startKiosk({ dataDir: r.dir, resourcesDir: RESOURCES, demo: false, configPath: r.configPath, clock: clockStartingAt(noonToday()), log: () => {} });
  cleanups.push(() => kiosk.close());
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

async function signInAlex(r: Room, k: Live): Promise<void> {
  await k.until('the bus online', (s) => s.devices.find((d) => d.id === 'bus:bus-a')?.state === 'online');
  await r.reader.tap(ALEX_CARD);
  await k.until('the PIN pad', (s) => s.screen.kind === 'pin');
  const signedIn = await k.call('submitPin', { pin: '1234' });
  if (!signedIn.ok) throw new Error(signedIn.error.message);
}

/** The person in the room at a door: the board's lock and item sensors move as they would. */
function door(r: Room, n: number) {
  const lock = n - 1;
  return {
    open: () => r.boards.getDoor(0, lock).open,
    put: () => r.boards.setItemPresent(0, lock, true),
    take: () => r.boards.setItemPresent(0, lock, false),
    close: () => r.boards.closeDoor(0, lock),
  };
}

async function waitFor(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function rows<T>(dir: string, sql: string): T[] {
  const db = openDatabase(join(dir, 'armoury.db'));
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('device swap over the Kerong bus, card reader and scanner on socat ptys', () => {
  it('opens the new device door only once the deposit door reads closed with the old one in and its tag matched', async () => {
    const r = await room();
    const k = await live(r);
    await signInAlex(r, k);
    const order = k.latest()?.session?.swapOrders[0];
    expect(order?.oldSerial).toBe('LT19-0001');
    expect((await k.call('startSwap', { orderId: order!.orderId })).ok).toBe(true);
    const deposit = door(r, 13);
    const issue = door(r, 15);
    await waitFor('door 13 unlocked', deposit.open);
    await k.until('deposit open', (s) => s.screen.kind === 'swap' && s.screen.step === 'deposit-open');

    await r.scanner.scan(OLD_LAPTOP_TAG);
    await k.until('tag matched', (s) => s.screen.kind === 'swap' && s.screen.tag === 'matched');
    deposit.put();
    await new Promise((resolve) => setTimeout(resolve, 400)); // several polls with the item in and the door open
    expect(issue.open()).toBe(false);
    deposit.close();
    await waitFor('door 15 unlocked', issue.open);
    await k.until('issue open', (s) => s.screen.kind === 'swap' && s.screen.step === 'issue-open');
    issue.take();
    issue.close();
    const done = await k.until('swap done', (s) => s.screen.kind === 'swap-done');
    expect(done.screen).toMatchObject({ oldSerial: 'LT19-0001', newSerial: 'LT26-0001', doorNumber: 15 });

    const actions = rows<{ action: string }>(r.dir, "SELECT action FROM audit_log WHERE action LIKE 'swap%' OR action = 'door.opened' ORDER BY seq").map((x) => x.action);
    expect(actions).toEqual([
      'swap.deposit-intent',
      'door.opened',
      'swap-deposit.item-in',
      'swap-deposit.completed',
      'swap.issue-intent',
      'door.opened',
      'swap-issue.completed',
    ]);
    // One order, one audit trail: both legs name it.
    const orders = rows<{ order: number | null }>(r.dir, "SELECT json_extract(details, '$.order') AS 'order' FROM audit_log WHERE action LIKE 'swap%' OR action = 'door.opened'");
    expect(new Set(orders.map((x) => x.order))).toEqual(new Set([order!.orderId]));
  }, 60_000);

  it('a device that is not the one on the order releases nothing', async () => {
    const r = await room();
    const k = await live(r);
    await signInAlex(r, k);
    await k.call('startSwap', { orderId: k.latest()!.session!.swapOrders[0]!.orderId });
    const deposit = door(r, 13);
    await waitFor('door 13 unlocked', deposit.open);
    await r.scanner.scan('AKLT190002'); // PC 6789's laptop, not Alex's
    await k.until('mismatch', (s) => s.screen.kind === 'swap' && /not your Laptop/.test(s.screen.message ?? ''));
    deposit.put();
    deposit.close();
    await k.until('nothing released', (s) => s.screen.kind === 'problem');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(door(r, 15).open()).toBe(false);
    expect(rows(r.dir, "SELECT kind FROM exceptions WHERE kind = 'swap-mismatch'")).toHaveLength(1);
    expect(rows(r.dir, "SELECT status FROM assets WHERE serial = 'LT19-0001'")).toEqual([{ status: 'on-loan' }]);
  }, 60_000);

  it('a restart between the legs settles the deposit from the sensors, and the officer collects the new device later', async () => {
    const r = await room();
    let k = await live(r);
    await signInAlex(r, k);
    await k.call('startSwap', { orderId: k.latest()!.session!.swapOrders[0]!.orderId });
    const deposit = door(r, 13);
    await waitFor('door 13 unlocked', deposit.open);
    await r.scanner.scan(OLD_LAPTOP_TAG);
    await k.until('tag matched', (s) => s.screen.kind === 'swap' && s.screen.tag === 'matched');
    deposit.put();
    // The terminal goes down with the deposit door open, the tag matched and the laptop inside.
    await k.kiosk.close();
    cleanups = cleanups.filter((c) => c !== cleanups[cleanups.length - 1]);
    deposit.close();
    expect(rows(r.dir, "SELECT kind, state FROM door_intents WHERE kind LIKE 'swap%'")).toEqual([{ kind: 'swap-deposit', state: 'open' }]);

    k = await live(r);
    await k.until('the bus online', (s) => s.devices.find((d) => d.id === 'bus:bus-a')?.state === 'online');
    // Reconciled through the intent table: closed with the item, tag matched before the restart.
    expect(rows(r.dir, "SELECT kind, state FROM door_intents WHERE kind LIKE 'swap%'")).toEqual([{ kind: 'swap-deposit', state: 'completed' }]);
    expect(rows(r.dir, 'SELECT state FROM swap_orders')).toEqual([{ state: 'deposited' }]);
    expect(door(r, 15).open()).toBe(false);

    await signInAlex(r, k);
    const waiting = k.latest()?.session?.swapOrders[0];
    expect(waiting).toMatchObject({ deposited: true });
    expect((await k.call('startSwap', { orderId: waiting!.orderId })).ok).toBe(true);
    const issue = door(r, 15);
    await waitFor('door 15 unlocked', issue.open);
    issue.take();
    issue.close();
    await k.until('swap done', (s) => s.screen.kind === 'swap-done');
    expect(rows(r.dir, "SELECT serial, status FROM assets WHERE serial IN ('LT19-0001', 'LT26-0001') ORDER BY serial")).toEqual([
      { serial: 'LT19-0001', status: 'awaiting-sanitisation' },
      { serial: 'LT26-0001', status: 'on-loan' },
    ]);
  }, 60_000);
});
