import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KerongDecoder,
  encodeStatusQuery,
  encodeStatusReply,
  encodeUnlock,
  parseStatusReply,
} from '../../../native-bridges/locker-kerong/codec.ts';
import type { KerongEvent } from '../../../native-bridges/locker-kerong/codec.ts';

const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 });
/** Biased towards STX/ETX and known commands so the fuzz reaches the framing paths, not just garbage. */
const nastyBytes = fc.array(fc.oneof(fc.constantFrom(0x02, 0x03, 0x30, 0x31, 0x35, 0x37, 0x39), fc.integer({ min: 0, max: 255 })), {
  maxLength: 300,
});
const bits = fc.array(fc.boolean(), { minLength: 16, maxLength: 16 });
const goodFrame = fc.oneof(
  fc.integer({ min: 0, max: 15 }).map((b) => encodeStatusQuery(b)),
  fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 })).map(([b, l]) => encodeUnlock(b, l)),
  fc.tuple(fc.integer({ min: 0, max: 15 }), bits, bits).map(([b, l, i]) => encodeStatusReply(b, l, i)),
);

/** Splits a buffer at arbitrary cut points. */
function chunksOf(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(data.subarray(last, p));
    last = p;
  }
  out.push(data.subarray(last));
  return out;
}

function emittedBytes(events: KerongEvent[]): Buffer {
  return Buffer.concat(events.map((e) => (e.type === 'frame' ? e.frame.raw : e.error.bytes)));
}

describe('KerongDecoder fuzz', () => {
  it('never throws on random bytes, in random chunks, and keeps its buffer bounded', () => {
    fc.assert(
      fc.property(fc.oneof(bytes, nastyBytes.map((a) => Uint8Array.from(a))), fc.array(fc.nat(), { maxLength: 10 }), (data, cuts) => {
        const d = new KerongDecoder();
        for (const chunk of chunksOf(data, cuts)) {
          d.push(chunk);
          expect(d.pendingLength).toBeLessThan(9);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accounts for every byte exactly once: frames and errors plus the pending tail rebuild the input', () => {
    fc.assert(
      fc.property(nastyBytes.map((a) => Uint8Array.from(a)), fc.array(fc.nat(), { maxLength: 10 }), (data, cuts) => {
        const d = new KerongDecoder();
        const events = chunksOf(data, cuts).flatMap((c) => d.push(c));
        const seen = emittedBytes(events);
        expect(seen.length + d.pendingLength).toBe(data.length);
        expect(seen).toEqual(Buffer.from(data.subarray(0, seen.length)));
      }),
      { numRuns: 500 },
    );
  });

  it('decodes a good frame sent after random noise with no STX, however both are split', () => {
    const noise = fc.uint8Array({ maxLength: 300 }).map((a) => a.filter((b) => b !== 0x02));
    fc.assert(
      fc.property(noise, goodFrame, fc.array(fc.nat(), { maxLength: 10 }), (garbage, frame, cuts) => {
        const d = new KerongDecoder();
        const events = chunksOf(Buffer.concat([garbage, frame]), cuts).flatMap((c) => d.push(c));
        const decoded = events.flatMap((e) => (e.type === 'frame' ? [e.frame.raw] : []));
        expect(decoded).toEqual([frame]);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes a good frame sent after arbitrary garbage once the line carries on, however both are split', () => {
    fc.assert(
      fc.property(
        fc.oneof(bytes, nastyBytes.map((a) => Uint8Array.from(a))),
        goodFrame,
        fc.array(fc.nat(), { maxLength: 10 }),
        (garbage, frame, cuts) => {
          const d = new KerongDecoder();
          // Garbage ending in a false frame start (say 02 00 35) can legitimately hold back a
          // short frame until more bytes arrive, since the frame has no length field; a retry
          // supplies them, so the frame is sent twice.
          const stream = Buffer.concat([garbage, frame, frame]);
          const events = chunksOf(stream, cuts).flatMap((c) => d.push(c));
          const decoded = events.flatMap((e) => (e.type === 'frame' ? [e.frame.raw] : []));
          expect(decoded.some((raw) => raw.equals(frame))).toBe(true);
          // The last frame is never swallowed by the garbage before it.
          expect(decoded.at(-1)).toEqual(frame);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('status replies round-trip through encode, decode and parse with either polarity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), bits, bits, fc.boolean(), fc.boolean(), (board, open, present, lockSet, irSet) => {
        const polarity = { lockOpenWhenBitSet: lockSet, itemPresentWhenBitSet: irSet };
        const lockBits = open.map((o) => o === lockSet);
        const irBits = present.map((p) => p === irSet);
        const [event] = new KerongDecoder().push(encodeStatusReply(board, lockBits, irBits));
        if (event?.type !== 'frame') throw new Error('reply did not decode');
        expect(parseStatusReply(event.frame, polarity)).toEqual({ board, doorOpen: open, itemPresent: present });
      }),
      { numRuns: 300 },
    );
  });
});
