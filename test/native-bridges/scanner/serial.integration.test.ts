import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import type { ByteTransport } from '../../../native-bridges/transport/byte-transport.ts';
import type { LinkHealth } from '../../../native-bridges/device-health.ts';
import { SerialScanner } from '../../../native-bridges/scanner/serial-scanner.ts';
import type { ScanDetail } from '../../../native-bridges/scanner/serial-scanner.ts';
import { SerialScannerSimulator } from '../../../native-bridges/scanner/serial-scanner-simulator.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPtyPair } from '../../../native-bridges/sim-args.ts';
import type { PtyPair } from '../../../native-bridges/sim-args.ts';

describe('SerialScanner and simulator over a real pty pair (socat) and the real serialport binding', () => {
  let dir: string;
  let pty: PtyPair;
  let hostPort: ByteTransport;
  let scannerPort: ByteTransport;
  let scanner: SerialScanner;
  let sim: SerialScannerSimulator;
  const details: ScanDetail[] = [];
  const healths: LinkHealth[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scanner-pty-'));
    pty = await openPtyPair(dir);
    hostPort = await openSerialTransport(pty.appPath, 9600);
    scannerPort = await openSerialTransport(pty.simPath, 9600);
    scanner = new SerialScanner(hostPort, { duplicateWindowMs: 0 });
    scanner.onScanDetail((d) => details.push(d));
    scanner.onHealth((h) => healths.push(h));
    sim = new SerialScannerSimulator(scannerPort, { aim: ']d2', terminator: 'CRLF', faults: { fragment: true } });
  });

  afterAll(async () => {
    await pty.close();
    await scanner.close().catch(() => undefined);
    await scannerPort.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('decodes fragmented reads sent through a real tty', async () => {
    expect(scanner.health()).toEqual({ state: 'online', lastError: null });
    const sent = Array.from({ length: 25 }, (_, i) => `MP5-SN-${String(i).padStart(4, '0')}`);
    for (const code of sent) await sim.scan(code);
    await vi.waitFor(() => expect(details.map((d) => d.code)).toEqual(sent), { timeout: 5000 });
    expect(details.every((d) => d.symbology === 'datamatrix')).toBe(true);
  });

  it('decodes reads behind line noise', async () => {
    details.length = 0;
    sim.setFaults({ garbage: 1 });
    await sim.scan('AFTER-NOISE');
    await vi.waitFor(() => expect(details.map((d) => d.code)).toEqual(['AFTER-NOISE']), { timeout: 5000 });
    sim.setFaults({ garbage: 0 });
  });

  it('reaches the scanner with the serial trigger', async () => {
    await scanner.trigger(true);
    await vi.waitFor(() => expect(sim.isTriggered).toBe(true), { timeout: 5000 });
    await scanner.trigger(false);
    await vi.waitFor(() => expect(sim.isTriggered).toBe(false), { timeout: 5000 });
  });

  it('when the cable is pulled (socat killed) goes offline with an error, without hanging', async () => {
    const started = Date.now();
    await pty.unplug();
    await vi.waitFor(() => expect(scanner.health().state).toBe('offline'), { timeout: 5000 });
    expect(scanner.health().lastError).toEqual(expect.any(String));
    expect(scanner.health().lastError).not.toBe('');
    expect(healths.at(-1)?.state).toBe('offline');
    expect(hostPort.isOpen).toBe(false);
    await expect(scanner.trigger(true)).rejects.toThrow();
    await expect(scanner.close()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
