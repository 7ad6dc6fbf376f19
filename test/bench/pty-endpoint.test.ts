import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../native-bridges/sim-args.ts';
import type { ByteTransport } from '../../native-bridges/transport/byte-transport.ts';
import { openSerialTransport } from '../../native-bridges/transport/serial-transport.ts';
import { openPtyEndpoint, type PtyEndpoint } from './pty-endpoint.ts';

let dir = '';
let pair: PtyPair | null = null;
let app: ByteTransport | null = null;
let endpoint: PtyEndpoint | null = null;

afterEach(async () => {
  await endpoint?.close();
  await app?.close();
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

function received(transport: ByteTransport, length: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let bytes = Buffer.alloc(0);
    transport.onData((chunk) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (bytes.length >= length) resolve(bytes);
    });
  });
}

it('carries bytes both ways over a real pty, telling each write with its bytes as it is made', async () => {
  dir = mkdtempSync(join(tmpdir(), 'pty-endpoint-'));
  pair = await openPtyPair(dir);
  app = await openSerialTransport(pair.appPath, 19200);
  let clock = 100;
  endpoint = openPtyEndpoint(pair.simPath, () => ++clock);
  const written: [string, number][] = [];
  endpoint.onWritten((bytes, at) => written.push([Buffer.from(bytes).toString('hex'), at]));

  const atDevice = received(endpoint, 3);
  await app.write(Uint8Array.of(0x02, 0x31, 0x03));
  expect((await atDevice).toString('hex')).toBe('023103');

  const atApp = received(app, 4);
  await endpoint.write(Uint8Array.of(0xde, 0xad));
  await endpoint.write(Uint8Array.of(0xbe, 0xef));
  expect((await atApp).toString('hex')).toBe('deadbeef');
  expect(written).toEqual([
    ['dead', 101],
    ['beef', 102],
  ]);

  await endpoint.close();
  expect(endpoint.isOpen).toBe(false);
  await expect(endpoint.write(Uint8Array.of(1))).rejects.toThrow(/closed/);
});
