import { describe, expect, it } from 'vitest';
import { VpcdControl, VpcdDecoder, classifyVpcdPayload, encodeVpcdFrame } from '../../../native-bridges/card-reader/vpcd-codec.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const asHex = (payloads: Buffer[]): string[] => payloads.map((p) => p.toString('hex').toUpperCase());

// What vpcd sends: GET ATR, POWER ON, and GET DATA, back to back.
const GET_ATR = '00 01 04';
const POWER_ON = '00 01 01';
const GET_DATA = '00 05 FF CA 00 00 00';
const STREAM = hex(`${GET_ATR} ${POWER_ON} ${GET_DATA}`);

describe('vpcd frames', () => {
  it('encodes a 2-byte big-endian length then the payload', () => {
    expect(encodeVpcdFrame(hex('04'))).toEqual(hex('00 01 04'));
    expect(encodeVpcdFrame(hex('04 A1 B2 C3 D4 90 00'))).toEqual(hex('00 07 04 A1 B2 C3 D4 90 00'));
    expect(encodeVpcdFrame(new Uint8Array(0))).toEqual(hex('00 00'));
    expect(encodeVpcdFrame(new Uint8Array(300)).subarray(0, 2)).toEqual(hex('01 2C'));
  });

  it('refuses a payload the length cannot express', () => {
    expect(() => encodeVpcdFrame(new Uint8Array(0x10000))).toThrow(RangeError);
    expect(encodeVpcdFrame(new Uint8Array(0xffff)).length).toBe(0x10001);
  });

  it('decodes back-to-back messages in one chunk', () => {
    const d = new VpcdDecoder();
    expect(asHex(d.push(STREAM))).toEqual(['04', '01', 'FFCA000000']);
    expect(d.pendingLength).toBe(0);
  });

  it('decodes the same messages whatever byte the stream is split at', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const d = new VpcdDecoder();
      const out = [...d.push(STREAM.subarray(0, cut)), ...d.push(STREAM.subarray(cut))];
      expect(asHex(out), `cut at ${cut}`).toEqual(['04', '01', 'FFCA000000']);
    }
  });

  it('decodes one byte at a time', () => {
    const d = new VpcdDecoder();
    const out = [...STREAM].flatMap((b) => d.push(Uint8Array.of(b)));
    expect(asHex(out)).toEqual(['04', '01', 'FFCA000000']);
  });

  it('holds a truncated message back until the rest arrives', () => {
    const d = new VpcdDecoder();
    expect(d.push(hex('00 05 FF CA'))).toEqual([]);
    expect(d.pendingLength).toBe(4);
    expect(d.push(hex('00'))).toEqual([]);
    expect(asHex(d.push(hex('00 00 00 01')))).toEqual(['FFCA000000']);
    expect(d.pendingLength).toBe(2);
    d.reset();
    expect(d.pendingLength).toBe(0);
  });

  it('passes a zero-length message through as an empty payload', () => {
    const d = new VpcdDecoder();
    expect(d.push(hex('00 00 00 01 04'))).toEqual([hex(''), hex('04')]);
  });

  it('returns copies, so later pushes do not change a payload already handed out', () => {
    const d = new VpcdDecoder();
    const chunk = hex('00 02 AA BB');
    const [payload] = d.push(chunk);
    chunk.fill(0);
    expect(payload).toEqual(hex('AA BB'));
  });

  it('classifies 1-byte controls and longer APDUs', () => {
    expect(classifyVpcdPayload(hex('00'))).toEqual({ type: 'control', control: VpcdControl.PowerOff });
    expect(classifyVpcdPayload(hex('01'))).toEqual({ type: 'control', control: VpcdControl.PowerOn });
    expect(classifyVpcdPayload(hex('02'))).toEqual({ type: 'control', control: VpcdControl.Reset });
    expect(classifyVpcdPayload(hex('04'))).toEqual({ type: 'control', control: VpcdControl.GetAtr });
    expect(classifyVpcdPayload(hex('03'))).toEqual({ type: 'unknown-control', code: 3 });
    expect(classifyVpcdPayload(hex(''))).toEqual({ type: 'empty' });
    expect(classifyVpcdPayload(hex('FF CA 00 00 00'))).toEqual({ type: 'apdu', apdu: hex('FF CA 00 00 00') });
    // Two bytes is already an APDU (case 1 needs 4, but that is the card's problem, not framing's).
    expect(classifyVpcdPayload(hex('00 04'))).toEqual({ type: 'apdu', apdu: hex('00 04') });
  });
});
