import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, promises as fsp } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../../native-bridges/sim-args.ts';
import type { ByteTransport } from '../../../native-bridges/transport/byte-transport.ts';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import { openPtyEndpoint, type PtyEndpoint } from '../../bench/pty-endpoint.ts';
import { join, tempDir } from '../../helpers/temp-db.ts';

/**
 * The serial transport's bytes move on the event loop's thread, never waiting for libuv's thread
 * pool (loop-thread-binding.ts): the pool is shared with PIN hashing, and an unlock frame must
 * not queue behind an officer signing in. Here every pool thread is held on a FIFO nobody writes
 * to, and a frame still goes out and a reply still comes in; a file stat started at the same
 * time shows the pool was busy throughout.
 */

const POOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE ?? 4);

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function received(line: ByteTransport | PtyEndpoint, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${Buffer.concat(chunks).length} of ${count} bytes arrived within 3 s`)), 3000);
    const stop = line.onData((chunk) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      if (all.length < count) return;
      clearTimeout(timer);
      stop();
      resolve(all);
    });
  });
}

/** Holds every thread of the pool in open(2) on a FIFO until the returned release is called. */
function holdThreadPool(dir: string): { busy: () => boolean; release: () => Promise<void> } {
  const fifo = join(dir, 'hold-the-pool');
  execFileSync('mkfifo', [fifo]);
  const held = Array.from({ length: POOL_SIZE }, () => fsp.open(fifo, 'r'));
  let statDone = false;
  const stat = fsp.stat(dir).then(() => (statDone = true));
  return {
    busy: () => !statDone,
    release: async () => {
      // Readers blocked in open(2) count as readers, so a non-blocking writer may open now and free them.
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      for (const handle of await Promise.all(held)) await handle.close();
      await stat;
    },
  };
}

describe('the serial transport on a real pty (socat) with the thread pool busy', () => {
  it('sends a frame and takes a reply while every pool thread is held', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const pair: PtyPair = await openPtyPair(dir, { names: ['app', 'device'] });
    cleanups.push(() => pair.close());
    const app = await openSerialTransport(pair.appPath, 19200);
    cleanups.push(() => app.close());
    const device = openPtyEndpoint(pair.simPath, () => performance.now());
    cleanups.push(() => device.close());

    const pool = holdThreadPool(dir);
    cleanups.push(() => pool.release());
    // Let the pool's threads reach their open(2) before anything else asks for one.
    await new Promise((resolve) => setTimeout(resolve, 50));

    const unlock = Buffer.from([0x02, 0x00, 0x31, 0x03, 0x36]);
    const atDevice = received(device, unlock.length);
    // Not awaited: a write resolves after tcdrain, which is the pool's; the bytes go at once.
    void app.write(unlock).catch(() => undefined);
    expect(await atDevice).toEqual(unlock);

    const reply = Buffer.from([0x02, 0x00, 0x32, 0x03, 0x37]);
    const atApp = received(app, reply.length);
    await device.write(reply);
    expect(await atApp).toEqual(reply);

    expect(pool.busy()).toBe(true);
  });
});
