import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import type { ByteTransport } from '../../../native-bridges/transport/byte-transport.ts';
import { KerongDriver, KerongError } from '../../../native-bridges/locker-kerong/driver.ts';
import type { KerongHealth } from '../../../native-bridges/locker-kerong/driver.ts';
import { KerongSimulator } from '../../../native-bridges/locker-kerong/simulator.ts';

const polarity = { lockOpenWhenBitSet: true, itemPresentWhenBitSet: true };

describe('Kerong driver and simulator over a real pty pair (socat) and the real serialport binding', () => {
  let dir: string;
  let socat: ChildProcess;
  let socatExited: Promise<void>;
  let hostPort: ByteTransport;
  let boardPort: ByteTransport;
  let driver: KerongDriver;
  let sim: KerongSimulator;
  const hostCloseErrors: (Error | null)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kerong-pty-'));
    const a = join(dir, 'ttyA');
    const b = join(dir, 'ttyB');
    socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
    socatExited = new Promise((resolve) => socat.once('exit', () => resolve()));
    await vi.waitFor(
      () => {
        if (socat.exitCode !== null) throw new Error(`socat exited with ${socat.exitCode}`);
        expect(existsSync(a) && existsSync(b)).toBe(true);
      },
      { timeout: 5000, interval: 20 },
    );
    hostPort = await openSerialTransport(a, 19200);
    boardPort = await openSerialTransport(b, 19200);
    hostPort.onClose((error) => hostCloseErrors.push(error));
    sim = new KerongSimulator(boardPort, { boards: [0, 1], polarity, faults: { fragmentWrites: true } });
    driver = new KerongDriver(hostPort, {
      boards: [
        { address: 0, polarity },
        { address: 1, polarity },
      ],
      replyTimeoutMs: 300,
      pollIntervalMs: 20,
    });
  });

  afterAll(async () => {
    if (socat.exitCode === null && socat.signalCode === null) {
      socat.kill('SIGKILL');
      await socatExited;
    }
    await driver.close().catch(() => undefined);
    await boardPort.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads status from the simulated board', async () => {
    sim.setItemPresent(1, 11, true);
    const status = await driver.readStatus(1);
    expect(status.board).toBe(1);
    expect(status.itemPresent.flatMap((p, i) => (p ? [i] : []))).toEqual([11]);
    expect(status.doorOpen.some((open) => open)).toBe(false);
  });

  it('unlocks a door and confirms it sprang open', async () => {
    expect(sim.getDoor(0, 4).open).toBe(false);
    await expect(driver.unlockAndConfirm(0, 4)).resolves.toBe(true);
    expect(sim.getDoor(0, 4).open).toBe(true);
    const status = await driver.readStatus(0);
    expect(status.doorOpen.flatMap((open, i) => (open ? [i] : []))).toEqual([4]);
  });

  it('polls and reports online', async () => {
    driver.startPolling();
    await vi.waitFor(() => expect(driver.getHealth().state).toBe('online'));
    expect(driver.getHealth().boards.map((b) => b.state)).toEqual(['online', 'online']);
  });

  it('when the cable is pulled (socat killed) the port closes with an error, the request in flight rejects and health goes offline', async () => {
    const healths: KerongHealth[] = [];
    driver.onHealth((h) => healths.push(h));
    driver.stopPolling();
    // Silent board, so the request below is still waiting when the line dies.
    sim.setFaults({ dropReplies: true });
    const inFlight = driver.readStatus(0).then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 30));

    socat.kill('SIGKILL');
    await socatExited;

    const error = await inFlight;
    expect(error).toBeInstanceOf(KerongError);
    // Either the close or a failed read gets there first; both are the transport, not a timeout.
    expect(error instanceof KerongError ? error.kind : null).toBe('transport');

    await vi.waitFor(() => expect(hostCloseErrors).toHaveLength(1));
    expect(hostCloseErrors[0]).toBeInstanceOf(Error);
    expect(hostPort.isOpen).toBe(false);
    expect(driver.getHealth().state).toBe('offline');
    expect(healths.at(-1)?.state).toBe('offline');

    const later = await driver.readStatus(1).then(
      () => null,
      (e: unknown) => e,
    );
    expect(later instanceof KerongError ? later.kind : null).toBe('transport');
  });
});
