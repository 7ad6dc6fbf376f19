/**
 * Scan-to-unlock latency over real ptys: from the last byte of a tag scan handed to the
 * scanner's pty to the unlock frame arriving at the far end of the locker bus's pty, with
 * an officer signed in and returning an item. Everything between is the product: the
 * serialport binding, the scan decoder, the kiosk, the durable return intent (one fsync),
 * the Kerong driver's bus queue.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KioskSnapshot } from '../../preload/contract.ts';
import { startKiosk } from '../../main/compose.ts';
import { KerongDecoder } from '../../native-bridges/locker-kerong/codec.ts';
import { KerongSimulator } from '../../native-bridges/locker-kerong/simulator.ts';
import { SerialScannerSimulator } from '../../native-bridges/scanner/serial-scanner-simulator.ts';
import { openPtyPair } from '../../native-bridges/sim-args.ts';
import { openPtyEndpoint } from './pty-endpoint.ts';
import { summarize, type Summary } from './stats.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234' }; // demo officer, Taser in date
const UNLOCK = 0x31;

export async function measureScanToUnlock(resourcesDir: string, iterations: number, log: (line: string) => void): Promise<Summary> {
  const dir = mkdtempSync(join(tmpdir(), 'armoury-scan-bench-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const lockerPty = await openPtyPair(dir, { names: ['lockers-app', 'lockers-sim'] });
    cleanups.push(() => lockerPty.close());
    const scannerPty = await openPtyPair(dir, { names: ['scanner-app', 'scanner-sim'] });
    cleanups.push(() => scannerPty.close());

    // The devices' ends stamp when write(2) hands over the scan's last byte and when the unlock
    // frame can be read, on the loop's own thread (pty-endpoint.ts), as the peer-style room does.
    const boardLine = openPtyEndpoint(lockerPty.simPath, () => performance.now());
    const boards = new KerongSimulator(boardLine, { boards: [0] });
    cleanups.push(() => boards.close());
    const scannerLine = openPtyEndpoint(scannerPty.simPath, () => performance.now());
    let lastScanByteAt = 0;
    scannerLine.onWritten((_bytes, at) => (lastScanByteAt = at));
    const scanner = new SerialScannerSimulator(scannerLine);
    cleanups.push(() => scanner.close());

    // The demo site's stock, seeded as the database will say: doors 1-12, and the new laptops in 15-16.
    for (const lock of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16]) boards.setItemPresent(0, lock - 1, true);

    const config = JSON.parse(readFileSync(join(resourcesDir, 'default-terminal-config.json'), 'utf8')) as Record<string, unknown> & {
      lockerBank: { buses: Record<string, unknown>[] };
    };
    config.lockerBank.buses[0] = { ...config.lockerBank.buses[0], link: { kind: 'serial', path: lockerPty.appPath, baudRate: 19200 }, pollIntervalMs: 100 };
    config.scanners = [{ id: 'scanner', kind: 'serial', link: { kind: 'serial', path: scannerPty.appPath, baudRate: 9600 } }];
    const configPath = join(dir, 'terminal-config.json');
    writeFileSync(configPath, JSON.stringify(config));

    const kiosk = await startKiosk({ dataDir: join(dir, 'data'), resourcesDir, demo: true, configPath, log: () => {} });
    cleanups.push(() => kiosk.close());
    await kiosk.auditChecked();
    let latest: KioskSnapshot | null = null;
    const waiters = new Set<() => void>();
    kiosk.service.onSnapshot((s) => {
      latest = s;
      for (const w of [...waiters]) w();
    });
    const first = await kiosk.service.request('getSnapshot', {});
    if (first.ok) latest = first.value;
    const waitFor = (what: string, ok: (s: KioskSnapshot) => boolean, ms = 5000) =>
      new Promise<KioskSnapshot>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`scan-to-unlock bench: timed out waiting for ${what} (screen ${JSON.stringify((latest as KioskSnapshot | null)?.screen)})`));
        }, ms);
        const check = () => {
          if (latest && ok(latest)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(latest);
          }
        };
        waiters.add(check);
        check();
      });
    const call = kiosk.service.request.bind(kiosk.service);
    const must = async <T>(what: string, result: Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>): Promise<T> => {
      const r = await result;
      if (!r.ok) throw new Error(`scan-to-unlock bench: ${what}: ${r.error.message}`);
      return r.value;
    };

    // Stamp the moment an unlock frame reaches the boards' end of the bus.
    const decoder = new KerongDecoder();
    let unlockSeen: ((at: number) => void) | null = null;
    boardLine.onData((chunk) => {
      const at = performance.now();
      for (const event of decoder.push(chunk)) if (event.type === 'frame' && event.frame.cmd === UNLOCK) unlockSeen?.(at);
    });
    const nextUnlock = () =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('scan-to-unlock bench: no unlock frame within 5 s of the scan')), 5000);
        unlockSeen = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
      });

    await waitFor('the bus online', (s) => s.devices.some((d) => d.id === 'bus:bus-a' && d.state === 'online'));
    await waitFor('the scanner online', (s) => s.devices.some((d) => d.id === 'scanner:scanner' && d.state === 'online'));
    await must('tap card', call('demoTapCard', { uid: ALEX.card }));
    await must('PIN', call('submitPin', { pin: ALEX.pin }));
    const home = await waitFor('home', (s) => s.screen.kind === 'home');
    // Alternate two kinds of item, so the same tag is not scanned twice within the
    // scanner's one-second duplicate window (a real officer never returns that fast).
    const kinds = ['Taser 7', 'Body-worn camera'].map((name) => home.session?.drawOptions.find((o) => o.name === name && o.allowed));
    const lastScanOf = new Map<string, number>();

    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      // Untimed: draw a Taser (the door opens, the officer takes it and shuts the door).
      const kind = kinds[i % kinds.length];
      if (!kind) throw new Error('scan-to-unlock bench: the demo officer may not draw a Taser and a camera');
      const drawn = await must('draw', call('startDraw', { assetTypeId: kind.assetTypeId }));
      if (drawn.screen.kind !== 'draw-door-open') throw new Error(`scan-to-unlock bench: draw went to ${drawn.screen.kind}`);
      const drawDoor = drawn.screen.doorNumber;
      boards.setItemPresent(0, drawDoor - 1, false);
      boards.closeDoor(0, drawDoor - 1);
      const done = await waitFor('draw done', (s) => s.screen.kind === 'draw-done');
      const serial = done.screen.kind === 'draw-done' ? done.screen.serial : '';
      const tag = done.demo?.tags.find((t) => t.label.includes(serial))?.tag;
      if (!tag) throw new Error(`scan-to-unlock bench: no tag for ${serial}`);
      await must('dismiss', call('dismiss', {}));

      const wait = (lastScanOf.get(tag) ?? -Infinity) + 1100 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Timed: the scan's last byte leaves for the app; the unlock frame arrives at the boards.
      const unlock = nextUnlock();
      await scanner.scan(tag);
      const sent = lastScanByteAt;
      lastScanOf.set(tag, sent);
      samples.push((await unlock) - sent);

      // Untimed: put the Taser back, shut the door, report it OK.
      const open = await waitFor('return door open', (s) => s.screen.kind === 'return-door-open');
      const returnDoor = open.screen.kind === 'return-door-open' ? open.screen.doorNumber : 0;
      boards.setItemPresent(0, returnDoor - 1, true);
      boards.closeDoor(0, returnDoor - 1);
      await waitFor('condition', (s) => s.screen.kind === 'return-condition');
      await must('condition', call('recordCondition', { condition: 'ok' }));
      await must('dismiss', call('dismiss', {}));
      await must('still here', call('stillHere', {}));
      if ((i + 1) % 25 === 0) log(`  scan-to-unlock: ${i + 1}/${iterations}`);
    }
    return summarize(samples);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
