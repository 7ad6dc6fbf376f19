import { describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import { SerialScanner } from '../../../native-bridges/scanner/serial-scanner.ts';
import type { ScanDetail } from '../../../native-bridges/scanner/serial-scanner.ts';
import { createScannerSimCommand, parseScannerSimArgs, scannerSimCommand } from '../../../native-bridges/scanner/sim-cli.ts';

describe('scanner sim arguments', () => {
  it('parses every flag', () => {
    const args = parseScannerSimArgs([
      '--port',
      '/dev/ttyX',
      '--crlf',
      '--aim',
      ']C1',
      '--prefix',
      '<',
      '--suffix',
      '>',
      '--every',
      '2000',
      '--codes',
      'A, B,,C',
      '--fragment',
      '--garbage',
      '0.25',
      '--delay',
      '40',
      '--no-reply',
      '--no-stdin',
      '--baud',
      '115200',
    ]);
    expect(args).toEqual({
      port: '/dev/ttyX',
      pty: false,
      baud: 115200,
      sim: { terminator: 'CRLF', aim: ']C1', prefix: '<', suffix: '>' },
      faults: { fragment: true, garbage: 0.25, delayMs: 40, noReply: true },
      everyMs: 2000,
      codes: ['A', 'B', 'C'],
      stdin: false,
    });
  });

  it.each([
    [[], /give --port PATH/],
    [['--pty', '--port', '/x'], /not both/],
    [['--pty', '--aim', 'C1'], /AIM id/],
    [['--pty', '--garbage', '2'], /--garbage must be a number/],
    [['--pty', '--crlf', '--lf'], /not both/],
    [['--pty', '--prefix', 'a\x01'], /printable/],
    [['--pty', '--every', '100'], /go together/],
    [['--pty', '--codes', 'A'], /go together/],
    [['--pty', '--port'], /--port needs a value/],
    [['--pty', '--bogus'], /unknown option --bogus/],
  ])('rejects %j', (args, message) => {
    expect(() => parseScannerSimArgs(args)).toThrow(message);
  });

  it('is the "scanner" SimCommand with usage for every flag', () => {
    expect(scannerSimCommand.name).toBe('scanner');
    for (const flag of ['--port', '--pty', '--crlf', '--aim', '--every', '--codes', '--fragment', '--garbage', '--delay', '--no-reply']) {
      expect(scannerSimCommand.usage).toContain(flag);
    }
  });
});

describe('scanner sim over a pty (socat)', () => {
  it('logs the pty path to open, sends typed lines and periodic codes as scans, and stops cleanly', async () => {
    const stdin = new PassThrough();
    const lines: string[] = [];
    const command = createScannerSimCommand({ stdin });
    const stop = await command.start(['--pty', '--crlf', '--aim', ']Q1', '--fragment', '--every', '50', '--codes', 'TICK'], (l) => lines.push(l));
    try {
      const path = lines.map((l) => /^scanner: open (\S+) as/.exec(l)?.[1]).find((p) => p !== undefined);
      expect(path).toBeDefined();
      const port = await openSerialTransport(path ?? '', 9600);
      const scanner = new SerialScanner(port);
      const seen: ScanDetail[] = [];
      scanner.onScanDetail((d) => seen.push(d));
      stdin.write('WARRANT-123\n  \nBAD\x01\n');
      await vi.waitFor(() => expect(seen.map((d) => d.code)).toContain('WARRANT-123'), { timeout: 5000 });
      await vi.waitFor(() => expect(seen.map((d) => d.code)).toContain('TICK'), { timeout: 5000 });
      expect(seen.every((d) => d.symbology === 'qr')).toBe(true);
      expect(lines.some((l) => l.includes('ignored'))).toBe(true);
      await scanner.close();
    } finally {
      await stop();
    }
  });
});
