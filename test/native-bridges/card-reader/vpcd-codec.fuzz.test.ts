import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VpcdDecoder, classifyVpcdPayload, encodeVpcdFrame } from '../../../native-bridges/card-reader/vpcd-codec.ts';
import { chunksOf } from './fuzz-helpers.ts';

const cuts = fc.array(fc.nat(), { maxLength: 12 });
const payload = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 1 }), fc.uint8Array({ maxLength: 300 }));

describe('VpcdDecoder fuzz', () => {
  it('never throws on random bytes in random chunks, and what it consumed re-encodes to the input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), cuts, (data, at) => {
        const d = new VpcdDecoder();
        const payloads = chunksOf(data, at).flatMap((c) => d.push(c));
        const consumed = Buffer.concat(payloads.map((p) => encodeVpcdFrame(p)));
        expect(consumed.length + d.pendingLength).toBe(data.length);
        expect(consumed).toEqual(Buffer.from(data.subarray(0, consumed.length)));
        expect(d.pendingLength).toBeLessThanOrEqual(2 + 0xffff);
        for (const p of payloads) classifyVpcdPayload(p);
      }),
      { numRuns: 500 },
    );
  });

  it('messages round-trip whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 10 }), cuts, (messages, at) => {
        const d = new VpcdDecoder();
        const stream = Buffer.concat(messages.map((m) => encodeVpcdFrame(m)));
        const out = chunksOf(stream, at).flatMap((c) => d.push(c));
        expect(out).toEqual(messages.map((m) => Buffer.from(m)));
        expect(d.pendingLength).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('after a reset (a new connection), the next good message decodes whatever came before', () => {
    // A length-prefixed TCP stream has no resync marker; a broken stream means a new socket,
    // which is a fresh decoder (VpcdCard resets on insert).
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), payload, cuts, (garbage, message, at) => {
        const d = new VpcdDecoder();
        d.push(garbage);
        d.reset();
        const out = chunksOf(encodeVpcdFrame(message), at).flatMap((c) => d.push(c));
        expect(out).toEqual([Buffer.from(message)]);
      }),
      { numRuns: 300 },
    );
  });
});
