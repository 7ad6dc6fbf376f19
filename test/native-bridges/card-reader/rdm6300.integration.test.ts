import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPtyPair } from '../../../native-bridges/sim-args.ts';
import type { PtyPair } from '../../../native-bridges/sim-args.ts';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import type { LinkHealth } from '../../../native-bridges/device-health.ts';
import { RDM6300_BAUD, Rdm6300Reader } from '../../../native-bridges/card-reader/rdm6300-reader.ts';
import type { Rdm6300LogEntry } from '../../../native-bridges/card-reader/rdm6300-reader.ts';
import { Rdm6300Simulator } from '../../../native-bridges/card-reader/rdm6300-simulator.ts';

describe('RDM6300 reader and simulator over a real pty pair (socat) and the real serialport binding', () => {
  let dir: string;
  let pty: PtyPair;
  let reader: Rdm6300Reader;
  let sim: Rdm6300Simulator;
  const cards: string[] = [];
  const healths: LinkHealth[] = [];
  const log: Rdm6300LogEntry[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdm6300-pty-'));
    pty = await openPtyPair(dir);
    const app = await openSerialTransport(pty.appPath, RDM6300_BAUD);
    const device = await openSerialTransport(pty.simPath, RDM6300_BAUD);
    reader = new Rdm6300Reader(app, { releaseMs: 300 });
    reader.onCard((uid) => cards.push(uid));
    reader.onHealth((h) => healths.push(h));
    reader.onFrame((entry) => log.push(entry));
    // Every frame in random 1..n byte writes, as a USB-serial adapter delivers them.
    sim = new Rdm6300Simulator(device, { intervalMs: 50, faults: { fragment: true } });
  });

  afterAll(async () => {
    await sim.close().catch(() => undefined);
    await reader.close().catch(() => undefined);
    await pty.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a card held for a while is emitted once, from fragmented repeated frames', async () => {
    await sim.tap('0F00A1B2C3', 400);
    await vi.waitFor(() => expect(cards).toEqual(['0F00A1B2C3']), { timeout: 5000 });
    // It really did repeat: several frames on the wire, all but the first marked as repeats.
    const frames = log.filter((e) => e.kind === 'frame');
    expect(frames.length).toBeGreaterThanOrEqual(4);
    expect(frames.slice(1).every((e) => e.repeat === true)).toBe(true);
    expect(reader.health()).toEqual({ state: 'online', lastError: null });
  });

  it('lifting the card and tapping again emits again; a second card straight after too', async () => {
    await new Promise((resolve) => setTimeout(resolve, 900)); // well past releaseMs, even on a loaded machine
    await sim.tap('0F00A1B2C3', 150);
    await sim.tap('62E3086CED', 150);
    await vi.waitFor(() => expect(cards).toEqual(['0F00A1B2C3', '0F00A1B2C3', '62E3086CED']), { timeout: 5000 });
  });

  it('garbage on the line marks it degraded until the next good frame', async () => {
    sim.setFaults({ garbage: 1 });
    await new Promise((resolve) => setTimeout(resolve, 900)); // well past releaseMs, even on a loaded machine
    await sim.tap('0011223344', 200);
    await vi.waitFor(() => expect(cards.at(-1)).toBe('0011223344'), { timeout: 5000 });
    expect(log.some((e) => e.kind === 'noise' || e.kind === 'malformed')).toBe(true);
    expect(healths.some((h) => h.state === 'degraded')).toBe(true);
    sim.setFaults({ garbage: 0 });
  });

  it('unplugging (socat killed) takes the reader offline with the error, without hanging', async () => {
    sim.hold('0F00A1B2C3');
    await pty.unplug();
    await vi.waitFor(() => expect(reader.health().state).toBe('offline'), { timeout: 5000 });
    expect(reader.health().lastError).not.toBeNull();
    expect(healths.at(-1)?.state).toBe('offline');
    sim.release();
    await expect(reader.close()).resolves.toBeUndefined();
  });
});
