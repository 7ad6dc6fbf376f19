import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rdm6300Decoder, encodeRdm6300Frame } from '../../../native-bridges/card-reader/rdm6300-codec.ts';
import type { Rdm6300Event } from '../../../native-bridges/card-reader/rdm6300-codec.ts';
import { chunksOf } from './fuzz-helpers.ts';

const bytes = fc.uint8Array({ maxLength: 300 });
/** Biased towards STX, ETX and hex digits so the fuzz reaches the framing paths, not just noise. */
const nastyBytes = fc
  .array(fc.oneof(fc.constantFrom(0x02, 0x03, 0x30, 0x39, 0x41, 0x46, 0x61), fc.integer({ min: 0, max: 255 })), { maxLength: 300 })
  .map((a) => Uint8Array.from(a));
const cardId = fc.uint8Array({ minLength: 5, maxLength: 5 });
const cuts = fc.array(fc.nat(), { maxLength: 12 });

const decoded = (events: Rdm6300Event[]): string[] => events.flatMap((e) => (e.type === 'frame' ? [e.frame.id] : []));

describe('Rdm6300Decoder fuzz', () => {
  it('never throws on random bytes in random chunks, and holds back at most 13 bytes', () => {
    fc.assert(
      fc.property(fc.oneof(bytes, nastyBytes), cuts, (data, at) => {
        const d = new Rdm6300Decoder();
        for (const chunk of chunksOf(data, at)) {
          d.push(chunk);
          expect(d.pendingLength).toBeLessThanOrEqual(13);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accounts for every byte exactly once: frames and errors plus the pending tail rebuild the input', () => {
    fc.assert(
      fc.property(nastyBytes, cuts, (data, at) => {
        const d = new Rdm6300Decoder();
        const events = chunksOf(data, at).flatMap((c) => d.push(c));
        const seen = Buffer.concat(events.map((e) => (e.type === 'frame' ? e.frame.raw : e.error.bytes)));
        expect(seen.length + d.pendingLength).toBe(data.length);
        expect(seen).toEqual(Buffer.from(data.subarray(0, seen.length)));
      }),
      { numRuns: 500 },
    );
  });

  it('frames round-trip: any ids, encoded back to back and split anywhere, decode in order', () => {
    fc.assert(
      fc.property(fc.array(cardId, { minLength: 1, maxLength: 8 }), cuts, (cards, at) => {
        const d = new Rdm6300Decoder();
        const stream = Buffer.concat(cards.map((c) => encodeRdm6300Frame(c)));
        const events = chunksOf(stream, at).flatMap((c) => d.push(c));
        expect(decoded(events)).toEqual(cards.map((c) => Buffer.from(c).toString('hex').toUpperCase()));
        expect(events.every((e) => e.type === 'frame')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('resyncs on the next good frame after any garbage, however both are split', () => {
    fc.assert(
      fc.property(fc.oneof(bytes, nastyBytes), cardId, cuts, (garbage, card, at) => {
        const d = new Rdm6300Decoder();
        const frame = encodeRdm6300Frame(card);
        const events = chunksOf(Buffer.concat([garbage, frame]), at).flatMap((c) => d.push(c));
        // STX is only ever a frame start and hex digits cannot contain it, so whatever the
        // garbage left half-open is abandoned at the frame's own STX.
        expect(decoded(events).at(-1)).toBe(Buffer.from(card).toString('hex').toUpperCase());
        expect(d.pendingLength).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
