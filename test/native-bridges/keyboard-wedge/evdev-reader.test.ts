import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { LinkHealth } from '../../../native-bridges/device-health.ts';
import { encodeKeystrokes } from '../../../native-bridges/keyboard-wedge/evdev-codec.ts';
import { EvdevKeyboardReader } from '../../../native-bridges/keyboard-wedge/evdev-reader.ts';
import type { EvdevReaderFs } from '../../../native-bridges/keyboard-wedge/evdev-reader.ts';
import type { GrabControl } from '../../../native-bridges/keyboard-wedge/grab-control.ts';

function recordingGrab(fail = false): GrabControl & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    grab(fd) {
      calls.push(`grab ${typeof fd}`);
      if (fail) throw Object.assign(new Error('EVIOCGRAB failed, errno 16'), { errno: 16 });
    },
    release(fd) {
      calls.push(`release ${typeof fd}`);
    },
  };
}

describe('EvdevKeyboardReader over a FIFO standing in for /dev/input/by-id/…-event-kbd', () => {
  let dir: string;
  let fifo: string;
  let writer: FileHandle | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'evdev-fifo-'));
    fifo = join(dir, 'usb-Scanner-event-kbd');
    execFileSync('mkfifo', [fifo]);
  });

  afterEach(async () => {
    await writer?.close().catch(() => undefined);
    writer = null;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opening a FIFO for reading blocks until a writer comes, so both are opened together. */
  async function openBoth(reader: EvdevKeyboardReader): Promise<FileHandle> {
    const [, handle] = await Promise.all([reader.open(), open(fifo, 'w')]);
    writer = handle;
    return handle;
  }

  it('reads scans written in pieces, grabs on open and goes offline at end of stream', async () => {
    const grab = recordingGrab();
    const reader = new EvdevKeyboardReader({ path: fifo, grab });
    const codes: string[] = [];
    const healths: LinkHealth[] = [];
    reader.onScan((c) => codes.push(c));
    reader.onHealth((h) => healths.push(h));
    expect(reader.health().state).toBe('connecting');

    const w = await openBoth(reader);
    expect(reader.health()).toEqual({ state: 'online', lastError: null });
    expect(grab.calls).toEqual(['grab number']);

    const data = Buffer.concat([encodeKeystrokes('Glock-17 SN:ABX123'), encodeKeystrokes('warrant/0042', { rightShift: true, enter: 'kpenter' })]);
    // Split off the record boundaries on purpose: a pipe, unlike the kernel, may do that.
    for (let offset = 0; offset < data.length; offset += 100) {
      await w.write(data.subarray(offset, offset + 100));
    }
    await vi.waitFor(() => expect(codes).toEqual(['Glock-17 SN:ABX123', 'warrant/0042']));

    await w.close();
    writer = null;
    await vi.waitFor(() => expect(reader.health().state).toBe('offline'));
    expect(reader.health().lastError).toMatch(/end of stream/);
    expect(healths.map((h) => h.state)).toEqual(['online', 'offline']);
    expect(reader.isOpen).toBe(false);
  });

  it('reads 32-bit-time records when configured', async () => {
    const reader = new EvdevKeyboardReader({ path: fifo, codec: { timevalBytes: 8 } });
    const codes: string[] = [];
    reader.onScan((c) => codes.push(c));
    const w = await openBoth(reader);
    await w.write(encodeKeystrokes('EM4100-0A1B', { timevalBytes: 8 }));
    await vi.waitFor(() => expect(codes).toEqual(['EM4100-0A1B']));
    await reader.close();
  });

  it('is degraded, still reading, when the exclusive grab fails', async () => {
    const reader = new EvdevKeyboardReader({ path: fifo, grab: recordingGrab(true) });
    const codes: string[] = [];
    reader.onScan((c) => codes.push(c));
    const w = await openBoth(reader);
    expect(reader.health().state).toBe('degraded');
    expect(reader.health().lastError).toMatch(/exclusive grab failed.*errno 16/);
    await w.write(encodeKeystrokes('STILL-READS'));
    await vi.waitFor(() => expect(codes).toEqual(['STILL-READS']));
    await reader.close();
  });

  it('close() releases the grab and goes offline without waiting for a key', async () => {
    const grab = recordingGrab();
    const reader = new EvdevKeyboardReader({ path: fifo, grab });
    const w = await openBoth(reader);
    const started = Date.now();
    await reader.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(grab.calls).toEqual(['grab number', 'release number']);
    expect(reader.health()).toEqual({ state: 'offline', lastError: null });
    // Keys after close are not reported (the writer unblocks the read still in flight).
    const codes: string[] = [];
    reader.onScan((c) => codes.push(c));
    await w.write(encodeKeystrokes('AFTER'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(codes).toEqual([]);
  });

  it('can be opened again after the device went away (the caller reconnects)', async () => {
    const reader = new EvdevKeyboardReader({ path: fifo });
    const codes: string[] = [];
    reader.onScan((c) => codes.push(c));
    const first = await openBoth(reader);
    await first.close();
    writer = null;
    await vi.waitFor(() => expect(reader.health().state).toBe('offline'));
    const second = await openBoth(reader);
    expect(reader.health().state).toBe('online');
    await second.write(encodeKeystrokes('BACK'));
    await vi.waitFor(() => expect(codes).toEqual(['BACK']));
    await reader.close();
  });
});

describe('EvdevKeyboardReader failures', () => {
  it('goes offline with the reason when the node cannot be opened', async () => {
    const reader = new EvdevKeyboardReader({ path: '/nonexistent/dev/input/by-id/usb-X-event-kbd' });
    await expect(reader.open()).rejects.toMatchObject({ code: 'ENOENT' });
    expect(reader.health().state).toBe('offline');
    expect(reader.health().lastError).toMatch(/cannot open .*ENOENT/);
  });

  it('goes offline on ENODEV (unplugged) and drops the grab without releasing it', async () => {
    const stream = new PassThrough();
    const closed: number[] = [];
    const fakeFs: EvdevReaderFs = {
      open: () => Promise.resolve(42),
      createReadStream: (fd, highWaterMark) => {
        expect(fd).toBe(42);
        // Whole records per read.
        expect(highWaterMark % 24).toBe(0);
        return stream;
      },
      close: (fd) => closed.push(fd),
    };
    const grab = recordingGrab();
    const reader = new EvdevKeyboardReader({ path: '/dev/input/by-id/usb-X-event-kbd', fs: fakeFs, grab });
    const codes: string[] = [];
    reader.onScan((c) => codes.push(c));
    await reader.open();
    stream.write(encodeKeystrokes('BEFORE'));
    await vi.waitFor(() => expect(codes).toEqual(['BEFORE']));
    stream.destroy(Object.assign(new Error('ENODEV: no such device, read'), { code: 'ENODEV' }));
    await vi.waitFor(() => expect(reader.health().state).toBe('offline'));
    expect(reader.health().lastError).toMatch(/unplugged \(ENODEV\)/);
    expect(grab.calls).toEqual(['grab number']);
    await reader.close();
    expect(reader.health().lastError).toMatch(/ENODEV/);
  });

  it('close() during a slow open closes the fd once it arrives and stays offline', async () => {
    let resolveOpen: (fd: number) => void = () => undefined;
    const closed: number[] = [];
    const fakeFs: EvdevReaderFs = {
      open: () => new Promise((resolve) => (resolveOpen = resolve)),
      createReadStream: () => new PassThrough(),
      close: (fd) => closed.push(fd),
    };
    const reader = new EvdevKeyboardReader({ path: '/dev/x', fs: fakeFs });
    const opening = reader.open();
    await reader.close();
    resolveOpen(7);
    await opening;
    expect(closed).toEqual([7]);
    expect(reader.isOpen).toBe(false);
    expect(reader.health().state).toBe('offline');
  });
});
