import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ModbusRtuDecoder,
  encodeExceptionResponse,
  encodePulseRelay,
  encodeReadBitsResponse,
  encodeReadCoils,
  encodeReadDiscreteInputs,
  encodeWriteSingleCoil,
  parseRequest,
  parseResponse,
} from '../../../native-bridges/locker-modbus/codec.ts';
import type { ModbusDecoderMode, ModbusEvent } from '../../../native-bridges/locker-modbus/codec.ts';

const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 });
/** Biased towards slave 1 and the function codes the decoder knows, so the fuzz reaches the framing paths. */
const nastyBytes = fc
  .array(fc.oneof(fc.constantFrom(0x01, 0x02, 0x05, 0x81, 0x82, 0x85, 0x00, 0xff, 0x08), fc.integer({ min: 0, max: 255 })), { maxLength: 300 })
  .map((a) => Uint8Array.from(a));
const anyBytes = fc.oneof(bytes, nastyBytes);
const slave = fc.integer({ min: 1, max: 247 });
const bits = fc.array(fc.boolean(), { minLength: 1, maxLength: 64 });

const goodResponse = fc.oneof(
  fc.tuple(slave, fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([s, r, on]) => encodeWriteSingleCoil(s, r, on)),
  fc.tuple(slave, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 0xffff })).map(([s, r, u]) => encodePulseRelay(s, r, u)),
  fc.tuple(slave, fc.constantFrom(0x01 as const, 0x02 as const), bits).map(([s, f, b]) => encodeReadBitsResponse(s, f, b)),
  fc.tuple(slave, fc.integer({ min: 1, max: 0x7f }), fc.integer({ min: 1, max: 11 })).map(([s, f, c]) => encodeExceptionResponse(s, f, c)),
);
const goodRequest = fc.oneof(
  fc.tuple(slave, fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([s, r, on]) => encodeWriteSingleCoil(s, r, on)),
  fc.tuple(slave, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 2000 })).map(([s, a, n]) => encodeReadCoils(s, a, n)),
  fc.tuple(slave, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 2000 })).map(([s, a, n]) => encodeReadDiscreteInputs(s, a, n)),
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

const decodedFrames = (events: ModbusEvent[]): Buffer[] => events.flatMap((e) => (e.type === 'frame' ? [e.frame.raw] : []));
const cuts = fc.array(fc.nat(), { maxLength: 10 });
const modes: ModbusDecoderMode[] = ['responses', 'requests'];

describe('ModbusRtuDecoder fuzz', () => {
  for (const mode of modes) {
    it(`never throws on random bytes in random chunks, and keeps its buffer under one frame (${mode})`, () => {
      fc.assert(
        fc.property(anyBytes, cuts, (data, cutPoints) => {
          const d = new ModbusRtuDecoder({ mode });
          for (const chunk of chunksOf(data, cutPoints)) {
            const events = d.push(chunk);
            for (const event of events) {
              // Parsing whatever was framed must not throw either.
              if (event.type === 'frame') (mode === 'responses' ? parseResponse : parseRequest)(event.frame);
            }
            expect(d.pendingLength).toBeLessThan(256);
          }
        }),
        { numRuns: 500 },
      );
    });

    it(`accounts for every byte exactly once: frames, errors and the held tail rebuild the input (${mode})`, () => {
      fc.assert(
        fc.property(anyBytes, cuts, (data, cutPoints) => {
          const d = new ModbusRtuDecoder({ mode });
          const events = chunksOf(data, cutPoints).flatMap((c) => d.push(c));
          const seen = Buffer.concat(events.map((e) => (e.type === 'frame' ? e.frame.raw : e.error.bytes)));
          expect(Buffer.concat([seen, d.reset()])).toEqual(Buffer.from(data));
        }),
        { numRuns: 500 },
      );
    });
  }

  it('decodes a good response sent after arbitrary garbage, however both are split', () => {
    fc.assert(
      fc.property(anyBytes, goodResponse, cuts, (garbage, frame, cutPoints) => {
        const d = new ModbusRtuDecoder();
        // Garbage ending in a false frame start can hold back a frame that only fits inside
        // that false frame's claimed length, until more bytes come; a retry supplies them,
        // so the frame is sent twice, as the driver does after a timeout.
        const stream = Buffer.concat([garbage, frame, frame]);
        const decoded = decodedFrames(chunksOf(stream, cutPoints).flatMap((c) => d.push(c)));
        expect(decoded.some((raw) => raw.equals(frame))).toBe(true);
        expect(decoded.at(-1)).toEqual(frame);
      }),
      { numRuns: 1000 },
    );
  });

  it('after the line goes quiet (reset), a good response decodes whatever garbage came before', () => {
    fc.assert(
      fc.property(anyBytes, goodResponse, cuts, (garbage, frame, cutPoints) => {
        const d = new ModbusRtuDecoder();
        d.push(garbage);
        d.reset();
        const decoded = decodedFrames(chunksOf(frame, cutPoints).flatMap((c) => d.push(c)));
        expect(decoded).toEqual([frame]);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes good requests back to back however they are split', () => {
    fc.assert(
      fc.property(fc.array(goodRequest, { minLength: 1, maxLength: 8 }), cuts, (requests, cutPoints) => {
        const d = new ModbusRtuDecoder({ mode: 'requests' });
        const decoded = decodedFrames(chunksOf(Buffer.concat(requests), cutPoints).flatMap((c) => d.push(c)));
        expect(decoded).toEqual(requests);
      }),
      { numRuns: 500 },
    );
  });

  it('read bits replies round-trip through encode, decode and parse', () => {
    fc.assert(
      fc.property(slave, fc.constantFrom(0x01 as const, 0x02 as const), fc.array(fc.boolean(), { minLength: 1, maxLength: 2000 }), (s, f, b) => {
        const [event] = new ModbusRtuDecoder().push(encodeReadBitsResponse(s, f, b));
        if (event?.type !== 'frame') throw new Error('reply did not decode');
        const response = parseResponse(event.frame);
        if (response.kind !== 'bits') throw new Error(`unexpected ${response.kind}`);
        expect(response.bits.slice(0, b.length)).toEqual(b);
        expect(response.bits.slice(b.length).every((bit) => !bit)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
