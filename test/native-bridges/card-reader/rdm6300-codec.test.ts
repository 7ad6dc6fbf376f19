import { describe, expect, it } from 'vitest';
import {
  Rdm6300Decoder,
  encodeRdm6300Frame,
  parseRdm6300Frame,
  parseRdm6300Id,
  rdm6300Checksum,
  rdm6300PrintedNumber,
} from '../../../native-bridges/card-reader/rdm6300-codec.ts';
import type { Rdm6300Event } from '../../../native-bridges/card-reader/rdm6300-codec.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): Buffer => Buffer.from(s, 'ascii');
/** STX + ASCII + ETX. */
const frameOf = (text: string): Buffer => Buffer.concat([hex('02'), ascii(text), hex('03')]);
const ids = (events: Rdm6300Event[]): string[] => events.flatMap((e) => (e.type === 'frame' ? [e.frame.id] : []));
const errors = (events: Rdm6300Event[]): string[] => events.flatMap((e) => (e.type === 'error' ? [e.error.kind] : []));

// 0F 00 A1 B2 C3: 0F^00^A1^B2^C3 = 0xDF
const CARD_A = frameOf('0F00A1B2C3DF');
// 62 E3 08 6C ED: a frame from an EM4100 fob, checksum 08 (62^E3^08^6C^ED = 0x08)
const CARD_B = frameOf('62E3086CED08');

describe('RDM6300 encoder', () => {
  it('encodes STX, 10 hex digits, the XOR checksum in hex, ETX', () => {
    expect(encodeRdm6300Frame('0F00A1B2C3')).toEqual(CARD_A);
    expect(encodeRdm6300Frame(hex('62E3086CED'))).toEqual(CARD_B);
    expect(encodeRdm6300Frame('0f00a1b2c3')).toEqual(CARD_A);
    expect(CARD_A).toHaveLength(14);
  });

  it('checksum is the XOR of the 5 data bytes', () => {
    expect(rdm6300Checksum(hex('0F00A1B2C3'))).toBe(0xdf);
    expect(rdm6300Checksum(hex('0000000000'))).toBe(0);
  });

  it('refuses ids that are not 5 bytes', () => {
    expect(() => encodeRdm6300Frame('0F00A1B2')).toThrow(RangeError);
    expect(() => encodeRdm6300Frame(hex('0F00A1B2C3D4'))).toThrow(RangeError);
    expect(() => parseRdm6300Id('0F00A1B2CG')).toThrow(RangeError);
  });
});

describe('RDM6300 frame parser', () => {
  it('parses version, tag and the id as upper-case hex of the 5 bytes', () => {
    const event = parseRdm6300Frame(CARD_A);
    expect(event.type).toBe('frame');
    if (event.type !== 'frame') return;
    expect(event.frame.id).toBe('0F00A1B2C3');
    expect(event.frame.version).toBe(0x0f);
    expect(event.frame.tag).toBe(0x00a1b2c3);
    expect(event.frame.bytes).toEqual(hex('0F00A1B2C3'));
    expect(rdm6300PrintedNumber(event.frame)).toBe('0010597059');
  });

  it('accepts lower-case hex from clones and still emits upper case', () => {
    const event = parseRdm6300Frame(frameOf('0f00a1b2c3df'));
    expect(event.type === 'frame' ? event.frame.id : null).toBe('0F00A1B2C3');
  });

  it('rejects a bad checksum, bad hex, wrong length and missing STX/ETX', () => {
    expect(parseRdm6300Frame(frameOf('0F00A1B2C3DE'))).toMatchObject({ type: 'error', error: { kind: 'checksum' } });
    expect(parseRdm6300Frame(frameOf('0F00A1B2C3DG'))).toMatchObject({ type: 'error', error: { kind: 'malformed' } });
    expect(parseRdm6300Frame(CARD_A.subarray(0, 13))).toMatchObject({ type: 'error', error: { kind: 'malformed' } });
    const noEtx = Buffer.from(CARD_A);
    noEtx[13] = 0x04;
    expect(parseRdm6300Frame(noEtx)).toMatchObject({ type: 'error', error: { kind: 'malformed' } });
  });
});

describe('RDM6300 streaming decoder', () => {
  it('decodes one frame', () => {
    const d = new Rdm6300Decoder();
    expect(ids(d.push(CARD_A))).toEqual(['0F00A1B2C3']);
    expect(d.pendingLength).toBe(0);
  });

  it('decodes back-to-back frames, the repeat a held card produces', () => {
    const d = new Rdm6300Decoder();
    expect(ids(d.push(Buffer.concat([CARD_A, CARD_A, CARD_B])))).toEqual(['0F00A1B2C3', '0F00A1B2C3', '62E3086CED']);
  });

  it('decodes the same frames whatever byte the stream is split at', () => {
    const stream = Buffer.concat([CARD_A, CARD_B]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new Rdm6300Decoder();
      const events = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(ids(events), `cut at ${cut}`).toEqual(['0F00A1B2C3', '62E3086CED']);
      expect(errors(events), `cut at ${cut}`).toEqual([]);
    }
  });

  it('decodes one byte at a time', () => {
    const d = new Rdm6300Decoder();
    const events = [...Buffer.concat([CARD_B, CARD_A])].flatMap((b) => d.push(Uint8Array.of(b)));
    expect(ids(events)).toEqual(['62E3086CED', '0F00A1B2C3']);
  });

  it('holds back a truncated frame and never more than 13 bytes', () => {
    const d = new Rdm6300Decoder();
    expect(d.push(CARD_A.subarray(0, 13))).toEqual([]);
    expect(d.pendingLength).toBe(13);
    expect(ids(d.push(CARD_A.subarray(13)))).toEqual(['0F00A1B2C3']);
  });

  it('reports garbage before a frame as noise, then decodes the frame', () => {
    const d = new Rdm6300Decoder();
    const events = d.push(Buffer.concat([hex('FF 00 41 0D 0A'), CARD_A]));
    expect(events[0]).toEqual({ type: 'error', error: { kind: 'noise', bytes: hex('FF 00 41 0D 0A') } });
    expect(ids(events)).toEqual(['0F00A1B2C3']);
  });

  it('reports a bad checksum and carries on with the next frame', () => {
    const d = new Rdm6300Decoder();
    const events = d.push(Buffer.concat([frameOf('0F00A1B2C3DE'), CARD_B]));
    expect(errors(events)).toEqual(['checksum']);
    expect(ids(events)).toEqual(['62E3086CED']);
  });

  it('resyncs on a frame that starts inside a cut-off one', () => {
    const d = new Rdm6300Decoder();
    // A frame cut after 6 bytes (card left the field mid-frame), then a whole one.
    const events = d.push(Buffer.concat([CARD_A.subarray(0, 6), CARD_B]));
    expect(events[0]).toEqual({ type: 'error', error: { kind: 'malformed', bytes: CARD_A.subarray(0, 6) } });
    expect(ids(events)).toEqual(['62E3086CED']);
  });

  it('resyncs when the ETX is missing and the next frame follows at once', () => {
    const d = new Rdm6300Decoder();
    const events = d.push(Buffer.concat([CARD_A.subarray(0, 13), CARD_B]));
    expect(errors(events)).toEqual(['malformed']);
    expect(ids(events)).toEqual(['62E3086CED']);
  });

  it('drops a false STX in noise without losing the real frame behind it', () => {
    const d = new Rdm6300Decoder();
    const events = d.push(Buffer.concat([hex('02 30 31 FF'), CARD_A]));
    expect(errors(events)).toEqual(['malformed', 'noise']);
    expect(ids(events)).toEqual(['0F00A1B2C3']);
  });

  it('accounts for every byte once across frames and errors', () => {
    const d = new Rdm6300Decoder();
    const stream = Buffer.concat([hex('AA 02 30'), frameOf('0F00A1B2C3DE'), CARD_A, hex('03 03')]);
    const events = d.push(stream);
    const seen = Buffer.concat(events.map((e) => (e.type === 'frame' ? e.frame.raw : e.error.bytes)));
    expect(seen).toEqual(stream);
  });
});
