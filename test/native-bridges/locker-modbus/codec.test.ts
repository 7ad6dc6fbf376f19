import { describe, expect, it } from 'vitest';
import {
  ModbusRtuDecoder,
  crc16Modbus,
  encodeExceptionResponse,
  encodePulseRelay,
  encodeReadBitsResponse,
  encodeReadCoils,
  encodeReadDiscreteInputs,
  encodeWriteSingleCoil,
  exceptionName,
  hasValidCrc,
  parseRequest,
  parseResponse,
  pulseUnitsForMs,
} from '../../../native-bridges/locker-modbus/codec.ts';
import type { ModbusEvent, ModbusFrame } from '../../../native-bridges/locker-modbus/codec.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const frames = (events: ModbusEvent[]): string[] => events.flatMap((e) => (e.type === 'frame' ? [e.frame.raw.toString('hex')] : []));
const errors = (events: ModbusEvent[]): string[] => events.flatMap((e) => (e.type === 'error' ? [e.error.kind] : []));
const onlyFrame = (events: ModbusEvent[]): ModbusFrame => {
  expect(events).toHaveLength(1);
  const [event] = events;
  if (event?.type !== 'frame') throw new Error(`expected a frame, got ${JSON.stringify(event)}`);
  return event.frame;
};

// PROTOCOLS.md fixtures.
const RELAY1_ON = '01 05 00 00 FF 00 8C 3A';
const RELAY1_OFF = '01 05 00 00 00 00 CD CA';
const PULSE1_700 = '01 05 02 00 00 07 8D B0';
const READ8_COILS = '01 01 00 00 00 08 3D CC';
const READ8_INPUTS = '01 02 00 00 00 08 79 CC';

describe('CRC-16/MODBUS', () => {
  it('matches the standard check value for "123456789"', () => {
    expect(crc16Modbus(Buffer.from('123456789'))).toBe(0x4b37);
  });

  it('checks the PROTOCOLS.md fixtures, low byte first', () => {
    for (const fixture of [RELAY1_ON, RELAY1_OFF, PULSE1_700, READ8_COILS, READ8_INPUTS]) {
      expect(hasValidCrc(hex(fixture))).toBe(true);
    }
    expect(crc16Modbus(hex('01 05 00 00 FF 00'))).toBe(0x3a8c);
    expect(hasValidCrc(hex('01 05 00 00 FF 00 3A 8C'))).toBe(false);
    expect(hasValidCrc(hex('01 05 00'))).toBe(false);
  });
});

describe('Modbus encoders: fixtures from PROTOCOLS.md', () => {
  it('relay 1 on and off (write single coil, FF 00 / 00 00)', () => {
    expect(encodeWriteSingleCoil(1, 0, true)).toEqual(hex(RELAY1_ON));
    expect(encodeWriteSingleCoil(1, 0, false)).toEqual(hex(RELAY1_OFF));
  });

  it('pulse relay 1 for 700 ms with the flash-on command 0x02', () => {
    expect(encodePulseRelay(1, 0, pulseUnitsForMs(700))).toEqual(hex(PULSE1_700));
    expect(encodePulseRelay(1, 0, 7, 0x02)).toEqual(hex(PULSE1_700));
  });

  it('the flash-on command byte is configurable', () => {
    const frame = encodePulseRelay(3, 5, 10, 0x04);
    expect(frame.subarray(0, 6)).toEqual(hex('03 05 04 05 00 0A'));
    expect(hasValidCrc(frame)).toBe(true);
  });

  it('read 8 coils and 8 discrete inputs', () => {
    expect(encodeReadCoils(1, 0, 8)).toEqual(hex(READ8_COILS));
    expect(encodeReadDiscreteInputs(1, 0, 8)).toEqual(hex(READ8_INPUTS));
  });

  it('pulse lengths round up to whole 100 ms units', () => {
    expect(pulseUnitsForMs(700)).toBe(7);
    expect(pulseUnitsForMs(701)).toBe(8);
    expect(pulseUnitsForMs(1)).toBe(1);
    expect(() => pulseUnitsForMs(0)).toThrow(RangeError);
    expect(() => pulseUnitsForMs(Number.NaN)).toThrow(RangeError);
  });

  it('refuses values that do not fit the frame', () => {
    expect(() => encodeWriteSingleCoil(256, 0, true)).toThrow(RangeError);
    expect(() => encodePulseRelay(1, 256, 7)).toThrow(RangeError);
    expect(() => encodePulseRelay(1, 0, 0)).toThrow(RangeError);
    expect(() => encodePulseRelay(1, 0, 0x10000)).toThrow(RangeError);
    expect(() => encodePulseRelay(1, 0, 7, 0x100)).toThrow(RangeError);
    expect(() => encodeReadCoils(1, 0, 0)).toThrow(RangeError);
    expect(() => encodeReadCoils(1, 0, 2001)).toThrow(RangeError);
    expect(() => encodeReadCoils(1, 0xffff, 2)).toThrow(RangeError);
    expect(() => encodeWriteSingleCoil(1, 1.5, true)).toThrow(RangeError);
  });

  it('read bits replies pack LSB first', () => {
    const bits = [true, false, false, false, false, false, false, false, false, true];
    const frame = encodeReadBitsResponse(1, 0x02, bits);
    expect(frame.subarray(0, 5)).toEqual(hex('01 02 02 01 02'));
    expect(hasValidCrc(frame)).toBe(true);
  });
});

describe('ModbusRtuDecoder (responses)', () => {
  it('decodes the write single coil echoes', () => {
    for (const fixture of [RELAY1_ON, RELAY1_OFF, PULSE1_700]) {
      const frame = onlyFrame(new ModbusRtuDecoder().push(hex(fixture)));
      expect(frame.raw).toEqual(hex(fixture));
      expect(frame.slave).toBe(1);
      expect(frame.functionCode).toBe(0x05);
    }
    expect(parseResponse(onlyFrame(new ModbusRtuDecoder().push(hex(PULSE1_700))))).toEqual({
      kind: 'write-single-coil',
      slave: 1,
      address: 0x0200,
      value: 7,
    });
  });

  it('decodes read coils / discrete inputs replies by their byte count', () => {
    const reply = encodeReadBitsResponse(1, 0x02, [true, false, true, false, false, false, false, true]);
    expect(reply.toString('hex').slice(0, 8)).toBe('01020185');
    const response = parseResponse(onlyFrame(new ModbusRtuDecoder().push(reply)));
    expect(response).toEqual({ kind: 'bits', slave: 1, functionCode: 0x02, bits: [true, false, true, false, false, false, false, true] });

    const coils = parseResponse(onlyFrame(new ModbusRtuDecoder().push(encodeReadBitsResponse(7, 0x01, Array.from({ length: 12 }, (_, i) => i === 11)))));
    expect(coils.kind === 'bits' ? coils.bits.length : null).toBe(16);
    expect(coils.kind === 'bits' ? coils.bits.flatMap((b, i) => (b ? [i] : [])) : null).toEqual([11]);
  });

  it('decodes exception responses into typed exceptions with names', () => {
    const cases: [number, string][] = [
      [1, 'ILLEGAL FUNCTION'],
      [2, 'ILLEGAL DATA ADDRESS'],
      [3, 'ILLEGAL DATA VALUE'],
      [4, 'SERVER DEVICE FAILURE'],
      [6, 'SERVER DEVICE BUSY'],
    ];
    for (const [code, name] of cases) {
      const bytes = encodeExceptionResponse(1, 0x05, code);
      expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0x01, 0x85, code]));
      expect(parseResponse(onlyFrame(new ModbusRtuDecoder().push(bytes)))).toEqual({
        kind: 'exception',
        slave: 1,
        exception: { functionCode: 0x05, exceptionCode: code, name },
      });
    }
    // Known fixture: slave 1, read coils, illegal data address.
    expect(encodeExceptionResponse(1, 0x01, 2)).toEqual(hex('01 81 02 C1 91'));
    expect(exceptionName(0x42)).toBe('UNKNOWN EXCEPTION 0x42');
  });

  it('holds a truncated frame until the rest arrives, and reset() drops it', () => {
    const d = new ModbusRtuDecoder();
    expect(d.push(hex(RELAY1_ON).subarray(0, 5))).toEqual([]);
    expect(d.pendingLength).toBe(5);
    expect(d.reset()).toEqual(hex(RELAY1_ON).subarray(0, 5));
    expect(d.pendingLength).toBe(0);
    // After the silence a whole frame decodes as if nothing had happened.
    expect(frames(d.push(hex(RELAY1_OFF)))).toEqual([hex(RELAY1_OFF).toString('hex')]);
  });

  it('reports a corrupt CRC and does not emit the frame', () => {
    const bad = hex(RELAY1_ON);
    bad[7] = 0x3b;
    const d = new ModbusRtuDecoder();
    const events = d.push(bad);
    expect(frames(events)).toEqual([]);
    expect(errors(events)[0]).toBe('bad-crc');
    // Every byte is accounted for: dropped, or held because it could still start a frame (0x3B is a slave address).
    const dropped = Buffer.concat(events.flatMap((e) => (e.type === 'error' ? [e.error.bytes] : [])));
    expect(Buffer.concat([dropped, d.reset()])).toEqual(bad);
  });

  it('a truncated frame followed by a whole one: slides one byte at a time and finds the good frame', () => {
    const events = new ModbusRtuDecoder().push(Buffer.concat([hex(RELAY1_ON).subarray(0, 4), hex(RELAY1_OFF)]));
    expect(frames(events)).toEqual([hex(RELAY1_OFF).toString('hex')]);
    expect(errors(events).length).toBeGreaterThan(0);
  });

  it('decodes a frame split at every byte boundary', () => {
    for (const fixture of [RELAY1_ON, PULSE1_700, encodeReadBitsResponse(1, 1, [true, true]).toString('hex'), '01 82 02 C1 61']) {
      const whole = hex(fixture);
      for (let cut = 0; cut <= whole.length; cut++) {
        const d = new ModbusRtuDecoder();
        const events = [...d.push(whole.subarray(0, cut)), ...d.push(whole.subarray(cut))];
        expect(frames(events), `cut at ${cut}`).toEqual([whole.toString('hex')]);
        expect(errors(events)).toEqual([]);
      }
      // And one byte per push.
      const d = new ModbusRtuDecoder();
      const events = [...whole].flatMap((byte) => d.push(Uint8Array.of(byte)));
      expect(frames(events)).toEqual([whole.toString('hex')]);
    }
  });

  it('decodes back-to-back frames in one chunk', () => {
    const exception = encodeExceptionResponse(1, 0x02, 2);
    const bits = encodeReadBitsResponse(1, 0x02, [false, true]);
    const stream = Buffer.concat([hex(RELAY1_ON), exception, bits, hex(PULSE1_700)]);
    expect(frames(new ModbusRtuDecoder().push(stream))).toEqual([hex(RELAY1_ON), exception, bits, hex(PULSE1_700)].map((b) => b.toString('hex')));
  });

  it('skips garbage before a frame, including bytes that look like a frame start', () => {
    // 01 02 F0 claims a 245-byte reply; the real one behind it must not wait for that.
    const events = new ModbusRtuDecoder().push(Buffer.concat([hex('FF 00 01 02 F0'), hex(PULSE1_700)]));
    expect(frames(events)).toEqual([hex(PULSE1_700).toString('hex')]);
    expect(errors(events)).toEqual(['garbage']);
  });

  it('finds a frame behind a false long frame start even when it arrives in pieces', () => {
    const d = new ModbusRtuDecoder();
    const reply = hex(PULSE1_700);
    expect(d.push(hex('01 01 C8'))).toEqual([]);
    expect(d.push(reply.subarray(0, 3))).toEqual([]);
    const events = d.push(reply.subarray(3));
    expect(frames(events)).toEqual([reply.toString('hex')]);
    expect(d.pendingLength).toBe(0);
  });

  it('treats a request (different shape) as noise when listening for responses', () => {
    const events = new ModbusRtuDecoder().push(hex(READ8_INPUTS));
    expect(frames(events)).toEqual([]);
  });

  it('keeps its buffer below one maximum frame on endless noise', () => {
    const d = new ModbusRtuDecoder();
    for (let n = 0; n < 50; n++) {
      d.push(Buffer.alloc(97, 0x01));
      expect(d.pendingLength).toBeLessThan(256);
    }
  });
});

describe('ModbusRtuDecoder (requests, the simulator side)', () => {
  it('decodes the PROTOCOLS.md requests', () => {
    const d = new ModbusRtuDecoder({ mode: 'requests' });
    const events = d.push(hex([RELAY1_ON, PULSE1_700, READ8_COILS, READ8_INPUTS].join('')));
    expect(frames(events)).toEqual([RELAY1_ON, PULSE1_700, READ8_COILS, READ8_INPUTS].map((f) => hex(f).toString('hex')));
    const parsed = events.flatMap((e) => (e.type === 'frame' ? [parseRequest(e.frame)] : []));
    expect(parsed[1]).toEqual({ kind: 'write-single-coil', slave: 1, address: 0x0200, value: 7 });
    expect(parsed[3]).toEqual({ kind: 'read-bits', slave: 1, functionCode: 0x02, start: 0, quantity: 8 });
  });

  it('frames an unknown function by its CRC, so a slave can answer "illegal function"', () => {
    const d = new ModbusRtuDecoder({ mode: 'requests' });
    const unknown = Buffer.from([0x01, 0x41, 0x12, 0x34, 0x56]);
    const crc = crc16Modbus(unknown);
    const frame = Buffer.concat([unknown, Buffer.from([crc & 0xff, crc >> 8])]);
    const events = d.push(Buffer.concat([frame, hex(RELAY1_ON)]));
    expect(frames(events)).toEqual([frame.toString('hex'), hex(RELAY1_ON).toString('hex')]);
    expect(parseRequest(onlyFrame(new ModbusRtuDecoder({ mode: 'requests' }).push(frame)))).toMatchObject({ kind: 'other', functionCode: 0x41 });
  });

  it('accepts broadcast (slave 0) requests', () => {
    const frame = encodeWriteSingleCoil(0, 2, true);
    expect(onlyFrame(new ModbusRtuDecoder({ mode: 'requests' }).push(frame)).slave).toBe(0);
    // A response is never from slave 0.
    expect(frames(new ModbusRtuDecoder().push(frame))).toEqual([]);
  });
});
