import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ScanLineDecoder, encodeScan } from '../../../native-bridges/scanner/serial-codec.ts';
import type { ScanTerminator } from '../../../native-bridges/scanner/serial-codec.ts';

const bytes = fc.uint8Array({ maxLength: 600 });
/** Biased towards terminators, `]` and printable text so the fuzz reaches the line paths, not just garbage. */
const nastyBytes = fc
  .array(fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x5d, 0x43, 0x31, 0x00, 0x16), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0, max: 255 })), {
    maxLength: 600,
  })
  .map((a) => Uint8Array.from(a));
const code = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/).filter((c) => !c.startsWith(']'));
const terminator = fc.constantFrom<ScanTerminator>('CR', 'CRLF', 'LF');
const aim = fc.constantFrom(undefined, ']C1', ']d2', ']Q1', ']E0', ']A0');

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

describe('ScanLineDecoder fuzz', () => {
  it('never throws on random bytes in random chunks, and stays bounded', () => {
    fc.assert(
      fc.property(fc.oneof(bytes, nastyBytes), fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 300 }), (data, cuts, maxLength) => {
        const d = new ScanLineDecoder({ maxLength, prefix: '#', suffix: '$' });
        for (const chunk of chunksOf(data, cuts)) {
          const events = d.push(chunk);
          for (const e of events) {
            if (e.type === 'scan') {
              expect(e.code.length).toBeGreaterThan(0);
              expect(e.code).toMatch(/^[\x20-\x7e]+$/);
            }
          }
          expect(d.pendingLength).toBeLessThanOrEqual(maxLength);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('chunking never changes what is decoded', () => {
    fc.assert(
      fc.property(nastyBytes, fc.array(fc.nat(), { maxLength: 12 }), (data, cuts) => {
        const whole = new ScanLineDecoder().push(data);
        const d = new ScanLineDecoder();
        const split = chunksOf(data, cuts).flatMap((c) => d.push(c));
        expect(split).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('a good read after arbitrary garbage is decoded once the scanner reads again, however it is split', () => {
    fc.assert(
      fc.property(fc.oneof(bytes, nastyBytes), code, aim, terminator, fc.array(fc.nat(), { maxLength: 12 }), (garbage, text, id, term, cuts) => {
        const d = new ScanLineDecoder();
        // Garbage without a terminator runs into the first read and takes it down with it, as
        // it would on a real line; the scanner's next read is clean.
        const read = encodeScan(text, { aim: id, terminator: term });
        const stream = Buffer.concat([garbage, read, read]);
        const events = chunksOf(stream, cuts).flatMap((c) => d.push(c));
        const last = events.at(-1);
        expect(last).toMatchObject({ type: 'scan', code: text });
      }),
      { numRuns: 500 },
    );
  });

  it('a good read after garbage that ends in a terminator is decoded the first time', () => {
    fc.assert(
      fc.property(fc.oneof(bytes, nastyBytes), code, terminator, (garbage, text, term) => {
        const d = new ScanLineDecoder();
        const events = d.push(Buffer.concat([garbage, Uint8Array.of(0x0d), encodeScan(text, { terminator: term })]));
        expect(events.at(-1)).toMatchObject({ type: 'scan', code: text });
      }),
      { numRuns: 500 },
    );
  });

  it('encodeScan and the decoder round-trip', () => {
    fc.assert(
      fc.property(code, aim, terminator, (text, id, term) => {
        const events = new ScanLineDecoder().push(encodeScan(text, { aim: id, terminator: term }));
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ type: 'scan', code: text });
      }),
      { numRuns: 300 },
    );
  });
});
