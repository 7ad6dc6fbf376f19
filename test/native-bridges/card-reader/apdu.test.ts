import { describe, expect, it } from 'vitest';
import {
  GET_DATA_UID,
  describeStatusWord,
  encodeStatusWord,
  encodeUidResponse,
  isGetDataUid,
  parseResponseApdu,
  parseUidHex,
  parseUidResponse,
  swHex,
  toHex,
} from '../../../native-bridges/card-reader/apdu.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('APDU: GET DATA (UID)', () => {
  it('the command is FF CA 00 00 00', () => {
    expect(Buffer.from(GET_DATA_UID)).toEqual(hex('FF CA 00 00 00'));
  });

  it('recognises GET DATA with Le 00 or no Le, nothing else', () => {
    expect(isGetDataUid(hex('FF CA 00 00 00'))).toBe(true);
    expect(isGetDataUid(hex('FF CA 00 00'))).toBe(true);
    expect(isGetDataUid(hex('FF CA 01 00 00'))).toBe(false); // P1 01 = historical bytes, not the UID
    expect(isGetDataUid(hex('FF CA 00 00 04'))).toBe(false);
    expect(isGetDataUid(hex('00 A4 04 00 00'))).toBe(false);
    expect(isGetDataUid(hex('FF CA 00'))).toBe(false);
    expect(isGetDataUid(hex('FF CA 00 00 00 00'))).toBe(false);
  });

  it('parses 4, 7 and 10 byte UIDs followed by 90 00 into upper-case hex', () => {
    expect(parseUidResponse(hex('04 a1 b2 c3 90 00'))).toEqual({ ok: true, uid: '04A1B2C3' });
    expect(parseUidResponse(hex('04 11 22 33 44 55 66 90 00'))).toEqual({ ok: true, uid: '04112233445566' });
    expect(parseUidResponse(hex('01 02 03 04 05 06 07 08 09 0A 90 00'))).toEqual({ ok: true, uid: '0102030405060708090A' });
  });

  it('reports the status word when it is not 90 00', () => {
    const result = parseUidResponse(hex('6A 81'));
    expect(result).toMatchObject({ ok: false, sw: 0x6a81 });
    expect(result.ok ? '' : result.error).toContain('6A81');
    expect(result.ok ? '' : result.error).toContain('not supported');
    expect(parseUidResponse(hex('04 A1 B2 C3 63 00'))).toMatchObject({ ok: false, sw: 0x6300 });
    expect(parseUidResponse(hex('6D 00'))).toMatchObject({ ok: false, sw: 0x6d00 });
  });

  it('rejects truncated responses without throwing', () => {
    expect(parseUidResponse(hex(''))).toMatchObject({ ok: false, sw: null });
    expect(parseUidResponse(hex('90'))).toMatchObject({ ok: false, sw: null });
  });

  it('rejects a 90 00 with a UID too short or too long for a card', () => {
    expect(parseUidResponse(hex('90 00'))).toMatchObject({ ok: false, sw: 0x9000 });
    expect(parseUidResponse(hex('01 02 03 90 00'))).toMatchObject({ ok: false });
    expect(parseUidResponse(hex('01 02 03 04 05 06 07 08 09 0A 0B 90 00'))).toMatchObject({ ok: false });
  });

  it('splits any response into data and SW', () => {
    expect(parseResponseApdu(hex('01 02 90 00'))).toEqual({ data: hex('01 02'), sw1: 0x90, sw2: 0x00, sw: 0x9000 });
    expect(parseResponseApdu(hex('6C 05'))).toEqual({ data: hex(''), sw1: 0x6c, sw2: 0x05, sw: 0x6c05 });
    expect(parseResponseApdu(hex('61'))).toBeNull();
  });

  it('describes wrong-Le and unknown status words', () => {
    expect(describeStatusWord(0x6c07)).toContain('7');
    expect(describeStatusWord(0x1234)).toBe('unexpected status');
    expect(swHex(0x9000)).toBe('9000');
    expect(swHex(0x6a)).toBe('006A');
  });

  it('encodes the card side: UID + 90 00, or a bare status word', () => {
    expect(encodeUidResponse(hex('04A1B2C3D4'))).toEqual(hex('04 A1 B2 C3 D4 90 00'));
    expect(encodeStatusWord(0x6d00)).toEqual(hex('6D 00'));
  });

  it('round-trips a UID through the card encoder and the reader parser', () => {
    const uid = hex('04 A1 B2 C3 D4 E5 F6');
    expect(parseUidResponse(encodeUidResponse(uid))).toEqual({ ok: true, uid: '04A1B2C3D4E5F6' });
  });

  it('hex helpers: upper case, no separators, views respected', () => {
    const backing = hex('00 ab cd ef 00');
    expect(toHex(backing.subarray(1, 4))).toBe('ABCDEF');
    expect(parseUidHex('04 a1:b2 c3')).toEqual(hex('04A1B2C3'));
    expect(() => parseUidHex('04A1B2')).toThrow(RangeError);
    expect(() => parseUidHex('04A1B2C')).toThrow(RangeError);
    expect(() => parseUidHex('zz112233')).toThrow(RangeError);
  });
});
