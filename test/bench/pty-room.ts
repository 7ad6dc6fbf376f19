/**
 * The room the in-process latency benchmarks run in: the demo terminal with its Kerong board and
 * tag scanner each a simulator at the far end of a pty pair, spoken to through the real
 * serialport binding. The devices' ends stamp when the scan's last byte is handed over and when
 * an unlock frame can be read, on the loop's own thread (pty-endpoint.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KioskSnapshot, RequestInput, RequestName, ResponseValues, Result } from '../../preload/contract.ts';
import { startKiosk } from '../../main/compose.ts';
import { KerongDecoder } from '../../native-bridges/locker-kerong/codec.ts';
import { KerongSimulator } from '../../native-bridges/locker-kerong/simulator.ts';
import { SerialScannerSimulator } from '../../native-bridges/scanner/serial-scanner-simulator.ts';
import { openPtyPair } from '../../native-bridges/sim-args.ts';
import { openPtyEndpoint } from './pty-endpoint.ts';

const UNLOCK = 0x31;

export interface PtyRoom {
  boards: KerongSimulator;
  scanner: SerialScannerSimulator;
  /** When write(2) handed over the last scan's final byte (performance.now()). */
  lastScanByteAt(): number;
  /** Resolves when the next unlock frame reaches the boards' end of the bus (performance.now()). */
  nextUnlock(): Promise<number>;
  /** A request whose failure ends the benchmark, saying which step failed. */
  must<M extends RequestName>(method: M, input: RequestInput<M>): Promise<ResponseValues[M]>;
  waitFor(what: string, ok: (s: KioskSnapshot) => boolean, ms?: number): Promise<KioskSnapshot>;
  /** Tap a demo card and enter its PIN; resolves with the moment the PIN was accepted. */
  signIn(card: string, pin: string): Promise<number>;
  close(): Promise<void>;
}

export async function ptyRoom(resourcesDir: string, label: string): Promise<PtyRoom> {
  const dir = mkdtempSync(join(tmpdir(), `armoury-${label}-bench-`));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const lockerPty = await openPtyPair(dir, { names: ['lockers-app', 'lockers-sim'] });
    cleanups.push(() => lockerPty.close());
    const scannerPty = await openPtyPair(dir, { names: ['scanner-app', 'scanner-sim'] });
    cleanups.push(() => scannerPty.close());
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
          reject(new Error(`${label} bench: timed out waiting for ${what} (screen ${JSON.stringify((latest as KioskSnapshot | null)?.screen)})`));
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
    const must = async <M extends RequestName>(method: M, input: RequestInput<M>): Promise<ResponseValues[M]> => {
      const r: Result<ResponseValues[M]> = await kiosk.service.request(method, input);
      if (!r.ok) throw new Error(`${label} bench: ${method}: ${r.error.message}`);
      return r.value;
    };

    const decoder = new KerongDecoder();
    let unlockSeen: ((at: number) => void) | null = null;
    boardLine.onData((chunk) => {
      const at = performance.now();
      for (const event of decoder.push(chunk)) if (event.type === 'frame' && event.frame.cmd === UNLOCK) unlockSeen?.(at);
    });
    const nextUnlock = () =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${label} bench: no unlock frame within 5 s`)), 5000);
        unlockSeen = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
      });

    await waitFor('the bus online', (s) => s.devices.some((d) => d.id === 'bus:bus-a' && d.state === 'online'));
    await waitFor('the scanner online', (s) => s.devices.some((d) => d.id === 'scanner:scanner' && d.state === 'online'));
    const signIn = async (card: string, pin: string): Promise<number> => {
      await must('demoTapCard', { uid: card });
      await must('submitPin', { pin });
      const accepted = performance.now();
      await waitFor('home', (s) => s.screen.kind === 'home');
      return accepted;
    };
    return { boards, scanner, lastScanByteAt: () => lastScanByteAt, nextUnlock, must, waitFor, signIn, close };
  } catch (error) {
    await close();
    throw error;
  }
}
