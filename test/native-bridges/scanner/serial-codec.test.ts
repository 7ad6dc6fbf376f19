import { describe, expect, it } from 'vitest';
import {
  HONEYWELL_TRIGGER_OFF,
  HONEYWELL_TRIGGER_ON,
  ScanLineDecoder,
  encodeScan,
} from '../../../native-bridges/scanner/serial-codec.ts';
import type { ScanLineEvent } from '../../../native-bridges/scanner/serial-codec.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const scans = (events: ScanLineEvent[]): [string, string | null][] =>
  events.flatMap((e) => (e.type === 'scan' ? [[e.code, e.symbology] as [string, string | null]] : []));
const errors = (events: ScanLineEvent[]): string[] => events.flatMap((e) => (e.type === 'error' ? [e.kind] : []));
const decodeAll = (data: Uint8Array, options = {}): ScanLineEvent[] => new ScanLineDecoder(options).push(data);

describe('Honeywell serial trigger', () => {
  it('is SYN T CR / SYN U CR', () => {
    expect(Buffer.from(HONEYWELL_TRIGGER_ON)).toEqual(hex('16 54 0d'));
    expect(Buffer.from(HONEYWELL_TRIGGER_OFF)).toEqual(hex('16 55 0d'));
  });
});

describe('ScanLineDecoder: byte fixtures', () => {
  it('CR-terminated read', () => {
    const events = decodeAll(hex('41 42 43 31 32 33 0d'));
    expect(scans(events)).toEqual([['ABC123', null]]);
    expect(events[0]?.type === 'scan' ? events[0].raw : null).toEqual(hex('41 42 43 31 32 33 0d'));
  });

  it('CRLF-terminated read gives one scan, not a scan and an empty line', () => {
    expect(decodeAll(hex('41 42 43 0d 0a'))).toEqual([{ type: 'scan', code: 'ABC', symbology: null, raw: hex('41 42 43 0d') }]);
  });

  it('LF-terminated read', () => {
    expect(scans(decodeAll(hex('54 41 47 0a')))).toEqual([['TAG', null]]);
  });

  it('CRLF split between chunks is still one terminator', () => {
    const d = new ScanLineDecoder();
    expect(scans(d.push(ascii('A1\r')))).toEqual([['A1', null]]);
    expect(d.push(ascii('\n'))).toEqual([]);
    expect(scans(d.push(ascii('B2\r\n')))).toEqual([['B2', null]]);
  });

  it('blank lines (CR CR, LF LF, CRLF CRLF) are skipped silently', () => {
    expect(decodeAll(ascii('\r\r\n\n\r\nX9\r\n\r\n'))).toEqual([{ type: 'scan', code: 'X9', symbology: null, raw: ascii('X9\r') }]);
  });

  it.each([
    [']C1', 'code128'],
    [']d2', 'datamatrix'],
    [']Q1', 'qr'],
    [']E0', 'ean13'],
    [']A0', ']A0'],
    [']e0', ']e0'],
  ])('AIM id %s is stripped and reported as %s', (aim, symbology) => {
    expect(scans(decodeAll(ascii(`${aim}4006381333931\r\n`)))).toEqual([['4006381333931', symbology]]);
  });

  it('AIM parsing can be turned off for tags that really start with ]', () => {
    expect(scans(decodeAll(ascii(']C1XYZ\r'), { aim: false }))).toEqual([[']C1XYZ', null]]);
  });

  it('AIM names can be configured', () => {
    expect(scans(decodeAll(ascii(']C0XYZ\r'), { aimSymbologies: { ']C0': 'code128' } }))).toEqual([['XYZ', 'code128']]);
  });

  it('strips a configured prefix and suffix, around the AIM id', () => {
    const line = ascii('STX:]Q1hello world:ETX\r\n');
    expect(scans(decodeAll(line, { prefix: 'STX:', suffix: ':ETX' }))).toEqual([['hello world', 'qr']]);
  });

  it('a configured prefix or suffix that is missing leaves the line alone', () => {
    expect(scans(decodeAll(ascii('ABC\r'), { prefix: '#', suffix: '$' }))).toEqual([['ABC', null]]);
  });

  it('a line that is only an AIM id is an error, not an empty scan', () => {
    expect(errors(decodeAll(ascii(']C1\r')))).toEqual(['empty']);
  });

  it('back-to-back reads in one chunk', () => {
    const data = Buffer.concat([encodeScan('A1', { aim: ']C1' }), encodeScan('B2', { terminator: 'CRLF' }), encodeScan('C3', { terminator: 'LF' })]);
    expect(scans(decodeAll(data))).toEqual([
      ['A1', 'code128'],
      ['B2', null],
      ['C3', null],
    ]);
  });

  it('the same reads split at every byte boundary decode the same', () => {
    const data = Buffer.concat([encodeScan('SN-00042', { aim: ']d2', terminator: 'CRLF' }), encodeScan('E12345', { terminator: 'CR' })]);
    for (let cut = 0; cut <= data.length; cut++) {
      const d = new ScanLineDecoder();
      const events = [...d.push(data.subarray(0, cut)), ...d.push(data.subarray(cut))];
      expect(scans(events)).toEqual([
        ['SN-00042', 'datamatrix'],
        ['E12345', null],
      ]);
    }
    // And one byte at a time.
    const d = new ScanLineDecoder();
    const events = [...data].flatMap((byte) => d.push(Uint8Array.of(byte)));
    expect(scans(events)).toEqual([
      ['SN-00042', 'datamatrix'],
      ['E12345', null],
    ]);
    expect(d.pendingLength).toBe(0);
  });

  it('a line with a non-printable byte is dropped with an error; the next line still decodes', () => {
    const events = decodeAll(hex('41 00 42 0d 43 44 0d'));
    expect(events[0]).toMatchObject({ type: 'error', kind: 'non-printable', bytes: hex('41 00 42 0d') });
    expect(scans(events)).toEqual([['CD', null]]);
  });

  it('high-bit garbage (wrong baud rate) is dropped', () => {
    expect(errors(decodeAll(hex('f0 e1 ff 80 0d')))).toEqual(['non-printable']);
  });

  it('the Honeywell trigger echoed back is not a scan', () => {
    expect(errors(decodeAll(HONEYWELL_TRIGGER_ON))).toEqual(['non-printable']);
  });

  it('a 256-byte line is fine, 257 is overlong and the decoder resyncs at the next terminator', () => {
    const ok = 'A'.repeat(256);
    expect(scans(decodeAll(ascii(`${ok}\r`)))).toEqual([[ok, null]]);

    const d = new ScanLineDecoder();
    const events = [...d.push(ascii('B'.repeat(257))), ...d.push(ascii('B'.repeat(1000))), ...d.push(ascii('\r\nGOOD\r'))];
    expect(errors(events)).toEqual(['overlong']);
    expect(scans(events)).toEqual([['GOOD', null]]);
    const overlong = events[0];
    expect(overlong?.type === 'error' ? overlong.bytes.length : 0).toBe(257);
  });

  it('holds at most maxLength bytes while discarding', () => {
    const d = new ScanLineDecoder({ maxLength: 10 });
    d.push(ascii('x'.repeat(5000)));
    expect(d.pendingLength).toBeLessThanOrEqual(10);
  });

  it('reset drops a partial line', () => {
    const d = new ScanLineDecoder();
    d.push(ascii('PARTIAL'));
    d.reset();
    expect(scans(d.push(ascii('NEW\r')))).toEqual([['NEW', null]]);
  });
});

describe('encodeScan', () => {
  it('orders prefix, AIM id, data, suffix, terminator', () => {
    expect(encodeScan('123', { prefix: '<', aim: ']C1', suffix: '>', terminator: 'CRLF' })).toEqual(ascii('<]C1123>\r\n'));
  });

  it('refuses control characters', () => {
    expect(() => encodeScan('A\rB')).toThrow(RangeError);
  });
});
