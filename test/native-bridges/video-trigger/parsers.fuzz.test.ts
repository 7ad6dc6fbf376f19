import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatMilestoneMessage,
  parseMilestoneMessage,
  parseMilestoneReply,
  sanitiseMilestoneField,
} from '../../../native-bridges/video-trigger/milestone.ts';
import { parseStateReport } from '../../../native-bridges/video-trigger/usb-relay-codec.ts';
import { parseSoapFault, parseXsdDuration, soapElementText } from '../../../native-bridges/video-trigger/onvif.ts';
import { videoEvent } from './events.ts';

/** Biased towards digits, commas and line ends so the fuzz reaches the statistics pattern, not just noise. */
const replyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.array(fc.constantFrom(...'0123456789,,,\r\n ARMOURYCAM='.split('').map((c) => c.charCodeAt(0)), 0x00, 0xff), { maxLength: 80 }).map((a) => Uint8Array.from(a)),
);

describe('Milestone reply parser fuzz', () => {
  it('never throws on arbitrary bytes or strings, and always classifies', () => {
    fc.assert(
      fc.property(replyBytes, fc.option(fc.string(), { nil: undefined }), (bytes, sent) => {
        const reply = parseMilestoneReply(bytes, sent);
        expect(['statistics', 'echo', 'unknown']).toContain(reply.type);
        if (reply.type === 'statistics') {
          expect(Number.isSafeInteger(reply.matches)).toBe(true);
          expect(reply.names.every((n) => n.length > 0)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        parseMilestoneReply(text);
      }),
      { numRuns: 500 },
    );
  });

  it('reads back any well-formed statistics line', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), fc.array(fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,20}[A-Za-z0-9]$/), { maxLength: 3 }), (n, len, matches, names) => {
        const reply = parseMilestoneReply(`${n},${len},${matches},${names.join(',')}\r\n`);
        expect(reply).toEqual({ type: 'statistics', request: n, length: len, matches, names });
      }),
      { numRuns: 300 },
    );
  });

  it('any event, however nasty its fields, formats to one line that parses back to its sanitised fields', () => {
    const field = fc.string({ unit: 'binary', maxLength: 100 });
    fc.assert(
      fc.property(field, field, field, field, fc.constantFrom('ISSUE' as const, 'RETURN' as const, 'DOOR' as const), (terminal, asset, officer, camera, kind) => {
        const line = formatMilestoneMessage(videoEvent({ terminal, asset, officer, camera, kind }));
        expect(line.endsWith('\r\n')).toBe(true);
        expect(line.slice(0, -2)).toMatch(/^[\x20-\x7e]+$/);
        expect(parseMilestoneMessage(line)).toEqual({
          terminal: sanitiseMilestoneField(terminal),
          kind,
          asset: sanitiseMilestoneField(asset),
          officer: sanitiseMilestoneField(officer),
          camera: sanitiseMilestoneField(camera),
        });
      }),
      { numRuns: 500 },
    );
  });

  it('the message parser never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        parseMilestoneMessage(text);
        parseMilestoneMessage(`ARMOURY ${text}`);
      }),
      { numRuns: 500 },
    );
  });
});

describe('USB relay state report parser fuzz', () => {
  it('never throws, and any parse has a 5-char printable serial and 8 states matching the mask', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, kept) => {
        const state = parseStateReport(bytes, kept);
        if (state === null) return;
        expect(state.serial).toMatch(/^[\x20-\x7e]{5}$/);
        expect(state.on).toHaveLength(8);
        expect(state.on.reduce((m, on, i) => m | (on ? 1 << i : 0), 0)).toBe(state.mask);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads the mask at index 7, or 8 with the report ID kept, for any printable serial', () => {
    const serial = fc.uint8Array({ minLength: 5, maxLength: 5, min: 0x20, max: 0x7e });
    fc.assert(
      fc.property(serial, fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 2, maxLength: 2 }), (s, mask, pad) => {
        const report = Buffer.concat([s, pad, Buffer.from([mask])]);
        expect(parseStateReport(report)?.mask).toBe(mask);
        expect(parseStateReport(Buffer.concat([Buffer.from([0]), report]), true)?.mask).toBe(mask);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ONVIF response parsing fuzz', () => {
  it('fault, element and duration parsers never throw', () => {
    const xmlish = fc.array(fc.oneof(fc.constantFrom('<', '>', '/', ':', 'env:', 'Fault', 'Value', 'Subcode', 'Text', 'Code', ' ', '"', '&amp;'), fc.string({ maxLength: 5 })), { maxLength: 60 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(xmlish, fc.string({ unit: 'binary', maxLength: 300 })), (xml) => {
        parseSoapFault(xml);
        soapElementText(xml, 'Value');
        parseXsdDuration(xml);
      }),
      { numRuns: 1000 },
    );
  });
});
