import { describe, expect, it, vi } from 'vitest';
import type { LinkHealth } from '../../../native-bridges/device-health.ts';
import { createMemoryPair } from '../../../native-bridges/transport/memory-transport.ts';
import { SerialScanner, formatScannerFrame } from '../../../native-bridges/scanner/serial-scanner.ts';
import type { ScanDetail, ScannerFrameLogEntry } from '../../../native-bridges/scanner/serial-scanner.ts';
import { SerialScannerSimulator } from '../../../native-bridges/scanner/serial-scanner-simulator.ts';
import type { ScanDecodeError } from '../../../native-bridges/scanner/serial-codec.ts';

function setup(options: ConstructorParameters<typeof SerialScanner>[1] = {}, simOptions: ConstructorParameters<typeof SerialScannerSimulator>[1] = {}) {
  const [host, device] = createMemoryPair('host', 'scanner');
  const scanner = new SerialScanner(host, options);
  const sim = new SerialScannerSimulator(device, simOptions);
  const codes: string[] = [];
  const details: ScanDetail[] = [];
  const frames: ScannerFrameLogEntry[] = [];
  const healths: LinkHealth[] = [];
  const decodeErrors: ScanDecodeError[] = [];
  scanner.onScan((c) => codes.push(c));
  scanner.onScanDetail((d) => details.push(d));
  scanner.onFrame((f) => frames.push(f));
  scanner.onHealth((h) => healths.push(h));
  scanner.onDecodeError((e) => decodeErrors.push(e));
  return { host, device, scanner, sim, codes, details, frames, healths, decodeErrors };
}

describe('SerialScanner over a memory pair', () => {
  it('reports scans with their symbology, and is online while the transport is open', async () => {
    const { scanner, sim, codes, details } = setup({}, { aim: ']C1', terminator: 'CRLF' });
    expect(scanner.health()).toEqual({ state: 'online', lastError: null });
    await sim.scan('PISTOL-0042');
    await sim.scan('TASER-7');
    await vi.waitFor(() => expect(codes).toEqual(['PISTOL-0042', 'TASER-7']));
    expect(details).toEqual([
      { code: 'PISTOL-0042', symbology: 'code128' },
      { code: 'TASER-7', symbology: 'code128' },
    ]);
  });

  it('suppresses the same code read again within the window, measured from the last read', async () => {
    let now = 0;
    const { sim, codes, frames } = setup({ now: () => now });
    const scanAt = async (at: number, code: string): Promise<void> => {
      now = at;
      await sim.scan(code);
      // Memory delivery is asynchronous; let the host see it before the clock moves on.
      await new Promise((resolve) => setImmediate(resolve));
    };
    await scanAt(0, 'A');
    await scanAt(300, 'A'); // held in front of a presentation scanner
    await scanAt(1200, 'A'); // 900 ms after the last read: still the same hold
    await scanAt(2300, 'A'); // 1100 ms later: a new scan
    await scanAt(2400, 'B');
    await scanAt(2500, 'A'); // a different code came between
    await vi.waitFor(() => expect(codes).toEqual(['A', 'A', 'B', 'A']));
    expect(frames.filter((f) => f.note === 'duplicate, not reported')).toHaveLength(2);
  });

  it('duplicate window 0 reports every read', async () => {
    const { sim, codes } = setup({ duplicateWindowMs: 0 });
    await sim.scan('X1');
    await sim.scan('X1');
    await vi.waitFor(() => expect(codes).toEqual(['X1', 'X1']));
  });

  it('survives fragmented writes and line noise, reporting the noise as decode errors', async () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const { sim, codes, decodeErrors, frames } = setup({ duplicateWindowMs: 0 }, { faults: { fragment: true, garbage: 1 }, random });
    const sent = Array.from({ length: 20 }, (_, i) => `ITEM-${i}`);
    for (const code of sent) await sim.scan(code);
    await vi.waitFor(() => expect(codes).toEqual(sent));
    expect(decodeErrors).toHaveLength(20);
    expect(decodeErrors.every((e) => e.kind === 'non-printable')).toBe(true);
    expect(frames.some((f) => f.note?.startsWith('non-printable') === true)).toBe(true);
  });

  it('sends the Honeywell trigger and logs it', async () => {
    const { scanner, sim, frames } = setup();
    await scanner.trigger(true);
    await vi.waitFor(() => expect(sim.isTriggered).toBe(true));
    await scanner.trigger(false);
    await vi.waitFor(() => expect(sim.isTriggered).toBe(false));
    expect(frames.filter((f) => f.direction === 'tx').map(formatScannerFrame)).toEqual(['>> 16 54 0d', '>> 16 55 0d']);
  });

  it('logs received lines as hex', async () => {
    const { sim, frames } = setup();
    await sim.scan('AB');
    await vi.waitFor(() => expect(frames.map(formatScannerFrame)).toEqual(['<< 41 42 0d']));
  });

  it('goes offline with the error when the far end goes away, and trigger then rejects', async () => {
    const { scanner, sim, healths } = setup();
    await sim.close();
    await vi.waitFor(() => expect(scanner.health().state).toBe('offline'));
    expect(scanner.health().lastError).toMatch(/peer .* closed/);
    expect(healths).toHaveLength(1);
    await expect(scanner.trigger(true)).rejects.toThrow(/closed/);
  });

  it('close() goes offline with no error', async () => {
    const { scanner, healths } = setup();
    await scanner.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(scanner.health()).toEqual({ state: 'offline', lastError: null });
    expect(healths).toEqual([{ state: 'offline', lastError: null }]);
  });

  it('starts offline over a transport that is already closed', async () => {
    const [host] = createMemoryPair('h', 'd');
    await host.close();
    expect(new SerialScanner(host).health().state).toBe('offline');
  });

  it('the simulator drops reads with the noReply fault and delays with delayMs', async () => {
    const { sim, codes } = setup({ duplicateWindowMs: 0 });
    sim.setFaults({ noReply: true });
    await sim.scan('LOST');
    sim.setFaults({ noReply: false, delayMs: 30 });
    const started = Date.now();
    await sim.scan('LATE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    await vi.waitFor(() => expect(codes).toEqual(['LATE']));
  });
});
