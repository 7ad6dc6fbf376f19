import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EvdevKeyDecoder, encodeKeystrokes, inputEventSize } from '../../../native-bridges/keyboard-wedge/evdev-codec.ts';
import { K, release, tap } from './input-event-fixtures.ts';

const timeval = fc.constantFrom<8 | 16>(8, 16);
const code = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/);

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

/** Random records that are mostly EV_KEY with real key codes, so the fuzz exercises shift, Enter and overflow. */
const keyishRecords = (tv: 8 | 16) =>
  fc
    .array(
      fc.record({
        type: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 0xffff })),
        code: fc.oneof(fc.integer({ min: 0, max: 130 }), fc.integer({ min: 0, max: 0xffff })),
        value: fc.oneof(fc.constantFrom(0, 1, 2), fc.integer()),
      }),
      { maxLength: 80 },
    )
    .map((records) => {
      const buf = Buffer.alloc(records.length * inputEventSize(tv));
      records.forEach((r, i) => {
        const at = i * inputEventSize(tv) + tv;
        buf.writeUInt16LE(r.type, at);
        buf.writeUInt16LE(r.code, at + 2);
        buf.writeInt32LE(r.value, at + 4);
      });
      return buf;
    });

describe('EvdevKeyDecoder fuzz', () => {
  it('never throws on random bytes in random chunks, and holds less than one record', () => {
    fc.assert(
      fc.property(timeval, fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (tv, data, cuts, repeats) => {
        const d = new EvdevKeyDecoder({ timevalBytes: tv, includeRepeats: repeats, maxLength: 20 });
        for (const chunk of chunksOf(data, cuts)) {
          for (const e of d.push(chunk)) {
            if (e.type === 'scan') expect(e.code).toMatch(/^[\x20-\x7e]{1,20}$/);
          }
          expect(d.pendingLength).toBeLessThan(inputEventSize(tv));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on key-like records either', () => {
    fc.assert(
      fc.property(timeval.chain((tv) => fc.tuple(fc.constant(tv), keyishRecords(tv))), ([tv, data]) => {
        const d = new EvdevKeyDecoder({ timevalBytes: tv, maxLength: 30 });
        d.push(data);
        expect(d.partialLine.length).toBeLessThanOrEqual(30);
      }),
      { numRuns: 500 },
    );
  });

  it('a good scan after whole-record garbage is decoded, however it is split', () => {
    fc.assert(
      fc.property(
        timeval.chain((tv) => fc.tuple(fc.constant(tv), fc.oneof(keyishRecords(tv), fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b.subarray(0, b.length - (b.length % inputEventSize(tv)))))))),
        code,
        fc.array(fc.nat(), { maxLength: 12 }),
        ([tv, garbage], text, cuts) => {
          expect(garbage.length % inputEventSize(tv)).toBe(0);
          const d = new EvdevKeyDecoder({ timevalBytes: tv });
          // Garbage may leave a half-typed line or a Shift "held"; a real keyboard never
          // does, but the scanner's own Shift releases and the Enter that ends the garbage's
          // line bring the decoder back in step, as they would after a glitch.
          const resync = Buffer.concat([release(K.LEFTSHIFT, tv), release(K.RIGHTSHIFT, tv), tap(K.ENTER, tv)]);
          const stream = Buffer.concat([garbage, resync, encodeKeystrokes(text, { timevalBytes: tv })]);
          const events = chunksOf(stream, cuts).flatMap((c) => d.push(c));
          expect(events.at(-1)).toEqual({ type: 'scan', code: text });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('typed text round-trips, with either Shift key and either Enter', () => {
    fc.assert(
      fc.property(timeval, code, fc.boolean(), fc.constantFrom<'enter' | 'kpenter'>('enter', 'kpenter'), (tv, text, right, enter) => {
        const events = new EvdevKeyDecoder({ timevalBytes: tv }).push(encodeKeystrokes(text, { timevalBytes: tv, rightShift: right, enter }));
        expect(events).toEqual([{ type: 'scan', code: text }]);
      }),
      { numRuns: 300 },
    );
  });
});
