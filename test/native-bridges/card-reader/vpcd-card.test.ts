import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { DEFAULT_VPCD_ATR, VpcdCard } from '../../../native-bridges/card-reader/vpcd-card.ts';
import { VpcdDecoder, encodeVpcdFrame } from '../../../native-bridges/card-reader/vpcd-codec.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Plays the vpcd driver's side: accepts the card, sends messages, collects the answers. */
class FakeVpcd {
  server: Server;
  socket: Socket | null = null;
  readonly received: Buffer[] = [];
  private readonly decoder = new VpcdDecoder();

  constructor() {
    this.server = createServer((socket) => {
      this.socket = socket;
      socket.on('data', (chunk) => this.received.push(...this.decoder.push(chunk)));
      socket.on('error', () => undefined);
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }
  send(payload: Buffer): void {
    this.socket?.write(encodeVpcdFrame(payload));
  }
  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('VpcdCard', () => {
  let vpcd: FakeVpcd | null = null;
  afterEach(async () => {
    await vpcd?.close();
    vpcd = null;
  });

  it('answers GET DATA with its UID + 90 00 and anything else with 6D 00 (pure)', () => {
    const card = new VpcdCard({ uid: '04a1b2c3d4' });
    expect(card.uid).toBe('04A1B2C3D4');
    expect(card.respond(hex('FF CA 00 00 00'))).toEqual(hex('04 A1 B2 C3 D4 90 00'));
    expect(card.respond(hex('00 A4 04 00 07 A0 00 00 00 03 10 10'))).toEqual(hex('6D 00'));
    expect(card.respond(hex('FF CA 01 00 00'))).toEqual(hex('6D 00'));
  });

  it('rejects a bad UID or port up front', () => {
    expect(() => new VpcdCard({ uid: '04A1' })).toThrow(RangeError);
    expect(() => new VpcdCard({ uid: '04A1B2C3', port: 70000 })).toThrow(RangeError);
  });

  it('speaks the socket protocol: ATR on 04, silence on power controls, APDU answers, split and joined', async () => {
    vpcd = new FakeVpcd();
    const port = await vpcd.listen();
    const card = new VpcdCard({ uid: '04A1B2C3D4', port });
    const exchanges: string[] = [];
    card.onApdu(({ command, response }) => exchanges.push(`${command}>${response}`));
    await card.insert();
    expect(card.inserted).toBe(true);
    await vi.waitFor(() => expect(vpcd?.socket).not.toBeNull());
    const server = vpcd;
    // GET ATR and POWER ON in one write; GET DATA split across two.
    server.socket?.write(Buffer.concat([encodeVpcdFrame(hex('04')), encodeVpcdFrame(hex('01'))]));
    await vi.waitFor(() => expect(server.received).toEqual([Buffer.from(DEFAULT_VPCD_ATR)]));
    expect(card.powered).toBe(true);
    const getData = encodeVpcdFrame(hex('FF CA 00 00 00'));
    server.socket?.write(getData.subarray(0, 3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    server.socket?.write(getData.subarray(3));
    server.send(hex('00 84 00 00 08'));
    server.send(hex('00'));
    await vi.waitFor(() => expect(server.received).toHaveLength(3));
    expect(server.received.slice(1)).toEqual([hex('04 A1 B2 C3 D4 90 00'), hex('6D 00')]);
    expect(exchanges).toEqual(['FFCA000000>04A1B2C3D49000', '0084000008>6D00']);
    await vi.waitFor(() => expect(card.powered).toBe(false));
    const removed: (Error | null)[] = [];
    card.onRemoved((e) => removed.push(e));
    await card.remove();
    expect(card.inserted).toBe(false);
    expect(removed).toEqual([null]);
  });

  it('can be inserted again after removal', async () => {
    vpcd = new FakeVpcd();
    const port = await vpcd.listen();
    const card = new VpcdCard({ uid: '04A1B2C3', port });
    await card.insert();
    await card.remove();
    await card.insert();
    await vi.waitFor(() => expect(vpcd?.socket?.destroyed).toBe(false));
    vpcd.send(hex('04'));
    await vi.waitFor(() => expect(vpcd?.received).toHaveLength(1));
    await card.remove();
  });

  it('reports an error removal when vpcd drops the card', async () => {
    vpcd = new FakeVpcd();
    const port = await vpcd.listen();
    const card = new VpcdCard({ uid: '04A1B2C3', port });
    const removed: (Error | null)[] = [];
    card.onRemoved((e) => removed.push(e));
    await card.insert();
    await vi.waitFor(() => expect(vpcd?.socket).not.toBeNull());
    vpcd.socket?.destroy();
    await vi.waitFor(() => expect(removed).toHaveLength(1));
    expect(removed[0]).toBeInstanceOf(Error);
    expect(card.inserted).toBe(false);
  });

  it('insert() rejects with a clear message when nothing listens, without hanging', async () => {
    const probe = new FakeVpcd();
    const port = await probe.listen();
    await probe.close();
    const card = new VpcdCard({ uid: '04A1B2C3', port, connectTimeoutMs: 1000 });
    await expect(card.insert()).rejects.toThrow(/refused the card.*pcscd/);
    expect(card.inserted).toBe(false);
  });
});
