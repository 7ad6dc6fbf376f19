import { describe, expect, it } from 'vitest';
import { EvdevKeyDecoder, encodeInputEvent, encodeKeystrokes, inputEventSize } from '../../../native-bridges/keyboard-wedge/evdev-codec.ts';
import type { EvdevKeyEvent } from '../../../native-bridges/keyboard-wedge/evdev-codec.ts';
import { EV_KEY, K, inputEvent, press, release, tap } from './input-event-fixtures.ts';

const scans = (events: EvdevKeyEvent[]): string[] => events.flatMap((e) => (e.type === 'scan' ? [e.code] : []));
const errors = (events: EvdevKeyEvent[]): string[] => events.flatMap((e) => (e.type === 'error' ? [e.kind] : []));

describe('input_event layout', () => {
  it('is 24 bytes with a 64-bit timeval and 16 with a 32-bit one', () => {
    expect(inputEventSize()).toBe(24);
    expect(inputEventSize(8)).toBe(16);
  });

  it('encodeInputEvent matches the struct byte for byte', () => {
    // KEY_A press at 1700000000.123456: 00 f1 53 65 00 00 00 00 | 40 e2 01 00 00 00 00 00 | 01 00 | 1e 00 | 01 00 00 00
    const expected = Buffer.from('00f1536500000000' + '40e2010000000000' + '0100' + '1e00' + '01000000', 'hex');
    expect(inputEvent(EV_KEY, K.A, 1)).toEqual(expected);
    expect(encodeInputEvent({ type: 1, code: 30, value: 1, sec: 1_700_000_000, usec: 123_456 })).toEqual(expected);
    expect(encodeInputEvent({ type: 1, code: 30, value: 1, sec: 1_700_000_000, usec: 123_456 }, 8)).toEqual(inputEvent(EV_KEY, K.A, 1, 8));
  });
});

describe('EvdevKeyDecoder: fixtures', () => {
  it('digits, letters and Enter make one scan; MSC and SYN records are ignored', () => {
    const data = Buffer.concat([tap(K.N1), tap(K.N2), tap(K.A), tap(K.Z), tap(K.N0), tap(K.ENTER)]);
    expect(new EvdevKeyDecoder().push(data)).toEqual([{ type: 'scan', code: '12az0' }]);
  });

  it('left and right Shift give upper case and shifted symbols, and only while held', () => {
    const data = Buffer.concat([
      press(K.LEFTSHIFT),
      tap(K.A),
      tap(K.N1),
      release(K.LEFTSHIFT),
      tap(K.A),
      press(K.RIGHTSHIFT),
      tap(K.MINUS),
      tap(K.SLASH),
      release(K.RIGHTSHIFT),
      tap(K.EQUAL),
      tap(K.SPACE),
      tap(K.B),
      tap(K.ENTER),
    ]);
    expect(scans(new EvdevKeyDecoder().push(data))).toEqual(['A!a_?= b']);
  });

  it('releasing one Shift while the other is held stays shifted', () => {
    const data = Buffer.concat([press(K.LEFTSHIFT), press(K.RIGHTSHIFT), release(K.LEFTSHIFT), tap(K.C), release(K.RIGHTSHIFT), tap(K.C), tap(K.ENTER)]);
    expect(scans(new EvdevKeyDecoder().push(data))).toEqual(['Cc']);
  });

  it('keypad Enter ends a scan, and keypad digits type digits', () => {
    expect(scans(new EvdevKeyDecoder().push(Buffer.concat([tap(K.KP7), tap(K.N1), tap(K.KPENTER)])))).toEqual(['71']);
  });

  it('back-to-back scans, and the same scans split at every byte', () => {
    const data = Buffer.concat([encodeKeystrokes('SN-42'), encodeKeystrokes('x/Y', { rightShift: true, enter: 'kpenter' })]);
    expect(scans(new EvdevKeyDecoder().push(data))).toEqual(['SN-42', 'x/Y']);
    for (let cut = 0; cut <= data.length; cut += 7) {
      const d = new EvdevKeyDecoder();
      expect(scans([...d.push(data.subarray(0, cut)), ...d.push(data.subarray(cut))])).toEqual(['SN-42', 'x/Y']);
      expect(d.pendingLength).toBe(0);
    }
  });

  it('32-bit time records decode with timevalBytes 8', () => {
    const data = Buffer.concat([press(K.LEFTSHIFT, 8), tap(K.Q, 8), release(K.LEFTSHIFT, 8), tap(K.N2, 8), tap(K.ENTER, 8)]);
    expect(scans(new EvdevKeyDecoder({ timevalBytes: 8 }).push(data))).toEqual(['Q2']);
    // Read with the wrong size the same bytes do not come out as that scan.
    expect(scans(new EvdevKeyDecoder().push(data))).not.toEqual(['Q2']);
  });

  it('autorepeat is ignored by default and counted when configured', () => {
    const data = Buffer.concat([press(K.A), inputEvent(EV_KEY, K.A, 2), inputEvent(EV_KEY, K.A, 2), release(K.A), tap(K.ENTER)]);
    expect(scans(new EvdevKeyDecoder().push(data))).toEqual(['a']);
    expect(scans(new EvdevKeyDecoder({ includeRepeats: true }).push(data))).toEqual(['aaa']);
  });

  it('a line with a key that has no character is dropped with an error', () => {
    const data = Buffer.concat([tap(K.A), tap(K.F1), tap(K.B), tap(K.ENTER), tap(K.C), tap(K.ENTER)]);
    const events = new EvdevKeyDecoder().push(data);
    expect(errors(events)).toEqual(['unmapped-key']);
    expect(scans(events)).toEqual(['c']);
  });

  it('Tab and Backspace are not text either', () => {
    expect(errors(new EvdevKeyDecoder().push(Buffer.concat([tap(K.A), tap(K.TAB), tap(K.ENTER)])))).toEqual(['unmapped-key']);
    expect(errors(new EvdevKeyDecoder().push(Buffer.concat([tap(K.A), tap(K.BACKSPACE), tap(K.ENTER)])))).toEqual(['unmapped-key']);
  });

  it('CapsLock is ignored: case comes from Shift', () => {
    expect(scans(new EvdevKeyDecoder().push(Buffer.concat([tap(K.CAPSLOCK), tap(K.A), tap(K.ENTER)])))).toEqual(['a']);
  });

  it('a bare Enter is no scan', () => {
    expect(new EvdevKeyDecoder().push(Buffer.concat([tap(K.ENTER), tap(K.KPENTER)]))).toEqual([]);
  });

  it('an overlong line is reported once and dropped up to Enter', () => {
    const d = new EvdevKeyDecoder({ maxLength: 10 });
    const events = d.push(Buffer.concat([encodeKeystrokes('A'.repeat(30), { enter: null }), tap(K.ENTER), encodeKeystrokes('OK')]));
    expect(errors(events)).toEqual(['overlong']);
    expect(scans(events)).toEqual(['OK']);
  });

  it('ignores event types other than EV_KEY, even with key-like codes', () => {
    const data = Buffer.concat([inputEvent(2, K.A, 1), inputEvent(3, K.ENTER, 1), tap(K.A), tap(K.ENTER)]);
    expect(scans(new EvdevKeyDecoder().push(data))).toEqual(['a']);
  });

  it('reset forgets a partial line and the Shift state', () => {
    const d = new EvdevKeyDecoder();
    d.push(Buffer.concat([press(K.LEFTSHIFT), tap(K.A)]));
    expect(d.partialLine).toBe('A');
    expect(d.shifted).toBe(true);
    d.reset();
    expect(scans(d.push(Buffer.concat([tap(K.A), tap(K.ENTER)])))).toEqual(['a']);
  });
});

describe('encodeKeystrokes', () => {
  it('types every printable ASCII character that round-trips through the decoder', () => {
    const all = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    expect(scans(new EvdevKeyDecoder().push(encodeKeystrokes(all)))).toEqual([all]);
  });

  it('refuses what a US keyboard cannot type', () => {
    expect(() => encodeKeystrokes('é')).toThrow(RangeError);
  });
});
