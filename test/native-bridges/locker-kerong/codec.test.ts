import { describe, expect, it } from 'vitest';
import {
  KerongDecoder,
  checksum,
  encodeBusQuery,
  encodeStatusQuery,
  encodeStatusReply,
  encodeUnlock,
  encodeUnlockAll,
  parseStatusReply,
} from '../../../native-bridges/locker-kerong/codec.ts';
import type { KerongEvent, KerongFrame } from '../../../native-bridges/locker-kerong/codec.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const frames = (events: KerongEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'frame' ? [e.frame.raw.toString('hex')] : []));
const errors = (events: KerongEvent[]): string[] => events.flatMap((e) => (e.type === 'error' ? [e.error.kind] : []));
const onlyFrame = (events: KerongEvent[]): KerongFrame => {
  expect(events).toHaveLength(1);
  const [event] = events;
  if (event?.type !== 'frame') throw new Error(`expected a frame, got ${JSON.stringify(event)}`);
  return event.frame;
};

const STATUS_B0 = '02 00 30 03 35';
const STATUS_B1 = '02 10 30 03 45';
const UNLOCK_B0_L1 = '02 00 31 03 36';
const BUS_QUERY = '02 00 32 03 37';
const REPLY_ZERO = '02 00 35 00 00 00 00 03 3A';

const bits16 = (setIndexes: number[]): boolean[] => Array.from({ length: 16 }, (_, i) => setIndexes.includes(i));

describe('Kerong encoders: fixtures from PROTOCOLS.md', () => {
  it('status query', () => {
    expect(encodeStatusQuery(0)).toEqual(hex(STATUS_B0));
    expect(encodeStatusQuery(1)).toEqual(hex(STATUS_B1));
  });

  it('unlock board 0 lock 1 (index 0)', () => {
    expect(encodeUnlock(0, 0)).toEqual(hex(UNLOCK_B0_L1));
  });

  it('unlock puts board in the high nibble and lock index in the low nibble', () => {
    // 02 + 0x3F + 31 + 03 = 0x75
    expect(encodeUnlock(3, 15)).toEqual(hex('02 3f 31 03 75'));
  });

  it('bus query', () => {
    expect(encodeBusQuery()).toEqual(hex(BUS_QUERY));
  });

  it('unlock all', () => {
    // 02 + 20 + 33 + 03 = 0x58
    expect(encodeUnlockAll(2)).toEqual(hex('02 20 33 03 58'));
  });

  it('all-zero status reply', () => {
    expect(encodeStatusReply(0, bits16([]), bits16([]))).toEqual(hex(REPLY_ZERO));
  });

  it('status reply packs lock 1 in bit 0 of L1-8 and lock 9 in bit 0 of L9-16', () => {
    const reply = encodeStatusReply(1, bits16([0, 7, 8]), bits16([15]));
    // L1-8 = 0x81, L9-16 = 0x01, IR1-8 = 0x00, IR9-16 = 0x80
    const sum = (0x02 + 0x10 + 0x35 + 0x81 + 0x01 + 0x00 + 0x80 + 0x03) & 0xff;
    expect(reply).toEqual(Buffer.from([0x02, 0x10, 0x35, 0x81, 0x01, 0x00, 0x80, 0x03, sum]));
  });

  it('checksum is the low byte of the sum', () => {
    expect(checksum(Uint8Array.of(0xff, 0xff, 0x03))).toBe(0x01);
  });

  it('rejects out-of-range arguments with RangeError', () => {
    expect(() => encodeStatusQuery(16)).toThrow(RangeError);
    expect(() => encodeStatusQuery(-1)).toThrow(RangeError);
    expect(() => encodeStatusQuery(1.5)).toThrow(RangeError);
    expect(() => encodeUnlock(0, 16)).toThrow(RangeError);
    expect(() => encodeUnlock(16, 0)).toThrow(RangeError);
    expect(() => encodeUnlock(0, -1)).toThrow(RangeError);
    expect(() => encodeUnlockAll(99)).toThrow(RangeError);
    expect(() => encodeStatusReply(0, bits16([]).slice(0, 15), bits16([]))).toThrow(RangeError);
  });
});

describe('KerongDecoder', () => {
  it('decodes each fixture with addr, cmd and data', () => {
    const d = new KerongDecoder();
    expect(onlyFrame(d.push(hex(STATUS_B1)))).toMatchObject({ addr: 0x10, cmd: 0x30 });
    expect(onlyFrame(d.push(hex(UNLOCK_B0_L1)))).toMatchObject({ addr: 0x00, cmd: 0x31 });
    expect(onlyFrame(d.push(hex(BUS_QUERY)))).toMatchObject({ addr: 0x00, cmd: 0x32 });
    const reply = onlyFrame(d.push(hex(REPLY_ZERO)));
    expect(reply.cmd).toBe(0x35);
    expect(reply.data).toEqual(hex('00 00 00 00'));
    expect(reply.raw).toEqual(hex(REPLY_ZERO));
  });

  it('waits for the rest of a truncated frame and emits nothing yet', () => {
    const d = new KerongDecoder();
    expect(d.push(hex('02 00 35 00 00'))).toEqual([]);
    expect(d.pendingLength).toBe(5);
    expect(frames(d.push(hex('00 00 03 3A')))).toEqual([hex(REPLY_ZERO).toString('hex')]);
    expect(d.pendingLength).toBe(0);
  });

  it('a truncated frame followed by a good one: reports the bad one and recovers the good one', () => {
    const d = new KerongDecoder();
    // The 9-byte window from the lost reply's STX has 0x30, not ETX, where ETX belongs.
    const events = d.push(Buffer.concat([hex('02 00 35 00 00'), hex(STATUS_B0)]));
    expect(events[0]).toMatchObject({ type: 'error', error: { kind: 'bad-terminator', bytes: hex('02 00 35 00 00') } });
    expect(errors(events)).toEqual(['bad-terminator']);
    expect(frames(events)).toEqual([hex(STATUS_B0).toString('hex')]);
  });

  it('reports a corrupt checksum and decodes the next frame', () => {
    const d = new KerongDecoder();
    const events = d.push(Buffer.concat([hex('02 00 30 03 36'), hex(STATUS_B1)]));
    expect(events[0]).toMatchObject({ type: 'error', error: { kind: 'bad-checksum', bytes: hex('02 00 30 03 36') } });
    expect(frames(events)).toEqual([hex(STATUS_B1).toString('hex')]);
  });

  it('reports a corrupted data byte in a status reply as a bad checksum', () => {
    const d = new KerongDecoder();
    expect(errors(d.push(hex('02 00 35 00 01 00 00 03 3A')))).toEqual(['bad-checksum']);
  });

  for (const fixture of [STATUS_B0, UNLOCK_B0_L1, REPLY_ZERO]) {
    it(`decodes ${fixture} split at every byte position`, () => {
      const bytes = hex(fixture);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const d = new KerongDecoder();
        const events = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
        expect(frames(events), `cut at ${cut}`).toEqual([bytes.toString('hex')]);
        expect(errors(events), `cut at ${cut}`).toEqual([]);
      }
    });
  }

  it('decodes a reply delivered one byte at a time', () => {
    const d = new KerongDecoder();
    const events = [...hex(REPLY_ZERO)].flatMap((b) => d.push(Uint8Array.of(b)));
    expect(frames(events)).toEqual([hex(REPLY_ZERO).toString('hex')]);
  });

  it('decodes back-to-back frames in one chunk, in order', () => {
    const d = new KerongDecoder();
    const events = d.push(hex([STATUS_B0, REPLY_ZERO, STATUS_B1, UNLOCK_B0_L1].join('')));
    expect(frames(events)).toEqual([STATUS_B0, REPLY_ZERO, STATUS_B1, UNLOCK_B0_L1].map((f) => hex(f).toString('hex')));
    expect(errors(events)).toEqual([]);
  });

  it('reports garbage between frames once, with the exact bytes, and keeps both frames', () => {
    const d = new KerongDecoder();
    const events = d.push(hex(`${STATUS_B0} ff 00 aa 03 ${REPLY_ZERO}`));
    expect(frames(events)).toEqual([hex(STATUS_B0).toString('hex'), hex(REPLY_ZERO).toString('hex')]);
    const garbage = events.filter((e) => e.type === 'error');
    expect(garbage).toHaveLength(1);
    expect(garbage[0]).toMatchObject({ type: 'error', error: { kind: 'garbage', bytes: hex('ff 00 aa 03') } });
  });

  it('treats an STX followed by an unknown command as garbage and resynchronises', () => {
    const d = new KerongDecoder();
    const events = d.push(hex(`02 00 7f 03 ${STATUS_B0}`));
    expect(errors(events)).toEqual(['garbage']);
    expect(frames(events)).toEqual([hex(STATUS_B0).toString('hex')]);
  });

  it('decodes a status reply whose data contains STX and ETX bytes', () => {
    const reply = encodeStatusReply(0, bits16([1]), bits16([0, 1]));
    expect(reply[3]).toBe(0x02);
    expect(reply[5]).toBe(0x03);
    const d = new KerongDecoder();
    expect(onlyFrame(d.push(reply)).raw).toEqual(reply);
  });

  it('holds no more than one partial frame however much noise arrives', () => {
    const d = new KerongDecoder();
    d.push(Buffer.alloc(100_000, 0x55));
    expect(d.pendingLength).toBe(0);
    d.push(hex('11 22 02 00 35 00'));
    expect(d.pendingLength).toBe(4);
  });
});

describe('parseStatusReply', () => {
  const reply = (l: number[], ir: number[]): KerongFrame =>
    onlyFrame(new KerongDecoder().push(encodeStatusReply(2, bits16(l), bits16(ir))));

  it('reads lock 1 from bit 0 and lock 9 from bit 0 of the second byte (bit set = open/present)', () => {
    const status = parseStatusReply(reply([0, 8], [15]), { lockOpenWhenBitSet: true, itemPresentWhenBitSet: true });
    expect(status.board).toBe(2);
    expect(status.doorOpen).toEqual(bits16([0, 8]));
    expect(status.itemPresent).toEqual(bits16([15]));
  });

  it('inverts with the opposite polarity', () => {
    const status = parseStatusReply(reply([0, 8], [15]), { lockOpenWhenBitSet: false, itemPresentWhenBitSet: false });
    expect(status.doorOpen).toEqual(bits16([0, 8]).map((b) => !b));
    expect(status.itemPresent).toEqual(bits16([15]).map((b) => !b));
  });

  it('applies lock and item polarity independently', () => {
    const status = parseStatusReply(reply([3], [3]), { lockOpenWhenBitSet: true, itemPresentWhenBitSet: false });
    expect(status.doorOpen).toEqual(bits16([3]));
    expect(status.itemPresent).toEqual(bits16([3]).map((b) => !b));
  });

  it('all-zero reply reads as all closed and empty when set means open/present', () => {
    const frame = onlyFrame(new KerongDecoder().push(hex(REPLY_ZERO)));
    const status = parseStatusReply(frame, { lockOpenWhenBitSet: true, itemPresentWhenBitSet: true });
    expect(status).toEqual({ board: 0, doorOpen: bits16([]), itemPresent: bits16([]) });
  });

  it('refuses a frame that is not a status reply', () => {
    const frame = onlyFrame(new KerongDecoder().push(hex(STATUS_B0)));
    expect(() => parseStatusReply(frame, { lockOpenWhenBitSet: true, itemPresentWhenBitSet: true })).toThrow(RangeError);
  });
});
