import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { cardSimCommand, createCardSimCommand, parseCardSimArgs } from '../../../native-bridges/card-reader/sim-cli.ts';
import { VpcdDecoder, encodeVpcdFrame } from '../../../native-bridges/card-reader/vpcd-codec.ts';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import { Rdm6300Reader } from '../../../native-bridges/card-reader/rdm6300-reader.ts';

describe('card sim arguments', () => {
  it('--vpcd defaults to 127.0.0.1:35963 and normalises the UID', () => {
    expect(parseCardSimArgs(['--vpcd', '--uid', '04a1b2c3d4'])).toEqual({
      mode: 'vpcd',
      host: '127.0.0.1',
      port: 35963,
      uid: '04A1B2C3D4',
      holdMs: 1000,
      stdin: true,
    });
    expect(parseCardSimArgs(['--vpcd', 'kiosk:40000', '--hold', '250', '--no-stdin', '--uid', '04A1B2C3'])).toMatchObject({
      host: 'kiosk',
      port: 40000,
      holdMs: 250,
      stdin: false,
    });
    expect(parseCardSimArgs(['--vpcd=:35964'])).toMatchObject({ host: '127.0.0.1', port: 35964, uid: null });
  });

  it('--rdm6300 takes the common serial flags', () => {
    const parsed = parseCardSimArgs(['--rdm6300', '--pty', '--fragment', '--garbage', '0.2', '--uid', '0f00a1b2c3']);
    expect(parsed.mode).toBe('rdm6300');
    if (parsed.mode !== 'rdm6300') return;
    expect(parsed.uid).toBe('0F00A1B2C3');
    expect(parsed.serial).toMatchObject({ pty: true, port: null, baudRate: 9600, faults: { fragment: true, garbage: 0.2 } });
  });

  it('says what is wrong', () => {
    expect(cardSimCommand.name).toBe('card');
    expect(() => parseCardSimArgs([])).toThrow(/exactly one of --vpcd or --rdm6300/);
    expect(() => parseCardSimArgs(['--vpcd', '--rdm6300', '--pty'])).toThrow(/exactly one/);
    expect(() => parseCardSimArgs(['--vpcd', '--uid', '04A1'])).toThrow(/4 to 10 bytes/);
    expect(() => parseCardSimArgs(['--vpcd', '--uid'])).toThrow(/--uid needs a value/);
    expect(() => parseCardSimArgs(['--vpcd', '--no-stdin'])).toThrow(/nothing to tap/);
    expect(() => parseCardSimArgs(['--vpcd', '--pty'])).toThrow(/unknown option --pty/);
    expect(() => parseCardSimArgs(['--vpcd', 'h:99999'])).toThrow(/vpcd port/);
    expect(() => parseCardSimArgs(['--rdm6300', '--uid', '04A1B2C3'])).toThrow(/10 hex digits/);
    expect(() => parseCardSimArgs(['--rdm6300', '--uid', '0F00A1B2C3'])).toThrow(/--port PATH/);
  });
});

describe('card sim running', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('--vpcd taps the card on a vpcd socket and answers GET DATA, then lifts it', async () => {
    const answers: Buffer[] = [];
    let closed = false;
    const server = createServer((socket: Socket) => {
      const decoder = new VpcdDecoder();
      socket.on('data', (chunk) => answers.push(...decoder.push(chunk)));
      socket.on('end', () => (closed = true));
      socket.write(encodeVpcdFrame(Buffer.from('FFCA000000', 'hex')));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const lines: string[] = [];
    const stop = await cardSimCommand.start(['--vpcd', `127.0.0.1:${port}`, '--uid', '04A1B2C3D4', '--hold', '100', '--no-stdin'], (l) => lines.push(l));
    stops.push(async () => {
      await stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    await vi.waitFor(() => expect(answers).toEqual([Buffer.from('04A1B2C3D49000', 'hex')]));
    await vi.waitFor(() => expect(closed).toBe(true));
    expect(lines).toContain('card: FFCA000000 -> 04A1B2C3D49000');
    // The reader may see the socket end a moment before the simulator logs the lift.
    await vi.waitFor(() => expect(lines.some((l) => l.includes('04A1B2C3D4 lifted'))).toBe(true));
  });

  it('--vpcd with nothing listening logs the failure instead of throwing', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const lines: string[] = [];
    const stop = await cardSimCommand.start(['--vpcd', `127.0.0.1:${port}`, '--uid', '04A1B2C3', '--no-stdin'], (l) => lines.push(l));
    stops.push(stop);
    await vi.waitFor(() => expect(lines.some((l) => l.startsWith('card: could not tap 04A1B2C3'))).toBe(true));
  });

  it('--rdm6300 --pty plays the reader on a pty; UIDs typed on stdin are tapped', async () => {
    const stdin = new PassThrough();
    const lines: string[] = [];
    const stop = await createCardSimCommand({ stdin }).start(['--rdm6300', '--pty', '--fragment', '--hold', '150'], (l) => lines.push(l));
    stops.push(stop);
    const appPath = /open (\S+) as the RDM6300/.exec(lines.join('\n'))?.[1];
    expect(appPath).toBeDefined();
    const reader = new Rdm6300Reader(await openSerialTransport(appPath ?? '', 9600), { releaseMs: 200 });
    stops.unshift(() => reader.close());
    const cards: string[] = [];
    reader.onCard((uid) => cards.push(uid));
    stdin.write('not-a-card\n0f00a1b2c3\n');
    await vi.waitFor(() => expect(cards).toEqual(['0F00A1B2C3']));
    expect(lines.some((l) => l.startsWith('card: ignored "not-a-card"'))).toBe(true);
  });
});
