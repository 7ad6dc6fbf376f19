/**
 * HID keyboard-mode scanners and keyboard-wedge card readers, read from the Linux evdev
 * node: a stream of `struct input_event` records, turned back into the text the device
 * "typed". See design/PROTOCOLS.md ("Barcode scanners", "Card readers"). Pure: bytes in,
 * values out, never throws.
 *
 * struct input_event { struct timeval time; __u16 type; __u16 code; __s32 value; }
 * On 64-bit Linux the timeval is two 64-bit longs (16 bytes, so 24-byte records); 32-bit
 * userspace built without 64-bit time has two 32-bit longs (8 bytes, 16-byte records).
 * Byte order is the host's; every platform we ship on (x86-64, arm64) is little-endian.
 */

export const EV_SYN = 0x00;
export const EV_KEY = 0x01;
export const EV_MSC = 0x04;

/** input_event value for EV_KEY: release, press, autorepeat. */
export const KEY_RELEASE = 0;
export const KEY_PRESS = 1;
export const KEY_REPEAT = 2;

/** Key codes from linux/input-event-codes.h that a scanner or wedge reader uses. */
export const KEY = {
  ESC: 1,
  N1: 2,
  N2: 3,
  N3: 4,
  N4: 5,
  N5: 6,
  N6: 7,
  N7: 8,
  N8: 9,
  N9: 10,
  N0: 11,
  MINUS: 12,
  EQUAL: 13,
  BACKSPACE: 14,
  TAB: 15,
  Q: 16,
  W: 17,
  E: 18,
  R: 19,
  T: 20,
  Y: 21,
  U: 22,
  I: 23,
  O: 24,
  P: 25,
  LEFTBRACE: 26,
  RIGHTBRACE: 27,
  ENTER: 28,
  LEFTCTRL: 29,
  A: 30,
  S: 31,
  D: 32,
  F: 33,
  G: 34,
  H: 35,
  J: 36,
  K: 37,
  L: 38,
  SEMICOLON: 39,
  APOSTROPHE: 40,
  GRAVE: 41,
  LEFTSHIFT: 42,
  BACKSLASH: 43,
  Z: 44,
  X: 45,
  C: 46,
  V: 47,
  B: 48,
  N: 49,
  M: 50,
  COMMA: 51,
  DOT: 52,
  SLASH: 53,
  RIGHTSHIFT: 54,
  KPASTERISK: 55,
  LEFTALT: 56,
  SPACE: 57,
  CAPSLOCK: 58,
  NUMLOCK: 69,
  KP7: 71,
  KP8: 72,
  KP9: 73,
  KPMINUS: 74,
  KP4: 75,
  KP5: 76,
  KP6: 77,
  KPPLUS: 78,
  KP1: 79,
  KP2: 80,
  KP3: 81,
  KP0: 82,
  KPDOT: 83,
  KPENTER: 96,
  RIGHTCTRL: 97,
  KPSLASH: 98,
  RIGHTALT: 100,
  LEFTMETA: 125,
  RIGHTMETA: 126,
} as const;

/** US layout: key code → [unshifted, shifted]. */
const US_LAYOUT: ReadonlyMap<number, readonly [string, string]> = new Map<number, readonly [string, string]>([
  [KEY.N1, ['1', '!']],
  [KEY.N2, ['2', '@']],
  [KEY.N3, ['3', '#']],
  [KEY.N4, ['4', '$']],
  [KEY.N5, ['5', '%']],
  [KEY.N6, ['6', '^']],
  [KEY.N7, ['7', '&']],
  [KEY.N8, ['8', '*']],
  [KEY.N9, ['9', '(']],
  [KEY.N0, ['0', ')']],
  [KEY.MINUS, ['-', '_']],
  [KEY.EQUAL, ['=', '+']],
  [KEY.LEFTBRACE, ['[', '{']],
  [KEY.RIGHTBRACE, [']', '}']],
  [KEY.SEMICOLON, [';', ':']],
  [KEY.APOSTROPHE, ["'", '"']],
  [KEY.GRAVE, ['`', '~']],
  [KEY.BACKSLASH, ['\\', '|']],
  [KEY.COMMA, [',', '<']],
  [KEY.DOT, ['.', '>']],
  [KEY.SLASH, ['/', '?']],
  [KEY.SPACE, [' ', ' ']],
  ...(
    [
      [KEY.A, 'a'],
      [KEY.B, 'b'],
      [KEY.C, 'c'],
      [KEY.D, 'd'],
      [KEY.E, 'e'],
      [KEY.F, 'f'],
      [KEY.G, 'g'],
      [KEY.H, 'h'],
      [KEY.I, 'i'],
      [KEY.J, 'j'],
      [KEY.K, 'k'],
      [KEY.L, 'l'],
      [KEY.M, 'm'],
      [KEY.N, 'n'],
      [KEY.O, 'o'],
      [KEY.P, 'p'],
      [KEY.Q, 'q'],
      [KEY.R, 'r'],
      [KEY.S, 's'],
      [KEY.T, 't'],
      [KEY.U, 'u'],
      [KEY.V, 'v'],
      [KEY.W, 'w'],
      [KEY.X, 'x'],
      [KEY.Y, 'y'],
      [KEY.Z, 'z'],
    ] as const
  ).map(([code, letter]) => [code, [letter, letter.toUpperCase()]] as const),
  // Scanners set to "emulate keypad" send digits from the keypad; NumLock is assumed on,
  // since with it off these are cursor keys and no scanner means that.
  [KEY.KP0, ['0', '0']],
  [KEY.KP1, ['1', '1']],
  [KEY.KP2, ['2', '2']],
  [KEY.KP3, ['3', '3']],
  [KEY.KP4, ['4', '4']],
  [KEY.KP5, ['5', '5']],
  [KEY.KP6, ['6', '6']],
  [KEY.KP7, ['7', '7']],
  [KEY.KP8, ['8', '8']],
  [KEY.KP9, ['9', '9']],
  [KEY.KPDOT, ['.', '.']],
  [KEY.KPMINUS, ['-', '-']],
  [KEY.KPPLUS, ['+', '+']],
  [KEY.KPASTERISK, ['*', '*']],
  [KEY.KPSLASH, ['/', '/']],
]);

/**
 * Keys that carry no text and are ignored. CapsLock is among them: scanners send case
 * with Shift, and honouring a lock state we never saw set would flip every letter.
 */
const IGNORED_KEYS: ReadonlySet<number> = new Set<number>([
  KEY.LEFTCTRL,
  KEY.RIGHTCTRL,
  KEY.LEFTALT,
  KEY.RIGHTALT,
  KEY.LEFTMETA,
  KEY.RIGHTMETA,
  KEY.CAPSLOCK,
  KEY.NUMLOCK,
]);

export const DEFAULT_MAX_WEDGE_LENGTH = 256;

export interface EvdevCodecOptions {
  /** Size of struct timeval: 16 on 64-bit Linux (default), 8 for 32-bit time. */
  timevalBytes?: 8 | 16;
  /** Treat autorepeat (value 2) as another keystroke; default false, as no scanner holds a key. */
  includeRepeats?: boolean;
  /** Longest code; longer is dropped up to the next Enter. Default 256. */
  maxLength?: number;
}

export interface InputEvent {
  type: number;
  code: number;
  value: number;
  sec?: number;
  usec?: number;
}

export type EvdevScanErrorKind = 'overlong' | 'unmapped-key';

export type EvdevKeyEvent = { type: 'scan'; code: string } | { type: 'error'; kind: EvdevScanErrorKind; message: string };

export function inputEventSize(timevalBytes: 8 | 16 = 16): number {
  return timevalBytes + 8;
}

/**
 * Turns evdev records back into lines of text, one scan per Enter. A line with a key it
 * can't map is dropped whole rather than passed on without that character.
 */
export class EvdevKeyDecoder {
  private readonly timevalBytes: 8 | 16;
  private readonly recordSize: number;
  private readonly includeRepeats: boolean;
  private readonly maxLength: number;
  private pending: Buffer = Buffer.alloc(0);
  private line = '';
  private leftShift = false;
  private rightShift = false;
  private unmapped: number[] = [];
  private overlong = false;

  constructor(options: EvdevCodecOptions = {}) {
    this.timevalBytes = options.timevalBytes === 8 ? 8 : 16;
    this.recordSize = inputEventSize(this.timevalBytes);
    this.includeRepeats = options.includeRepeats ?? false;
    this.maxLength = options.maxLength ?? DEFAULT_MAX_WEDGE_LENGTH;
  }

  push(chunk: Uint8Array): EvdevKeyEvent[] {
    const events: EvdevKeyEvent[] = [];
    const buf = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    for (; offset + this.recordSize <= buf.length; offset += this.recordSize) {
      const type = buf.readUInt16LE(offset + this.timevalBytes);
      const code = buf.readUInt16LE(offset + this.timevalBytes + 2);
      const value = buf.readInt32LE(offset + this.timevalBytes + 4);
      const event = this.handle(type, code, value);
      if (event !== null) events.push(event);
    }
    // The kernel hands out whole records, but a pipe or a test may split them.
    this.pending = Buffer.from(buf.subarray(offset));
    return events;
  }

  /** Whether a Shift key is held, as far as the records seen so far say. */
  get shifted(): boolean {
    return this.leftShift || this.rightShift;
  }

  get pendingLength(): number {
    return this.pending.length;
  }

  /** Characters typed since the last Enter. */
  get partialLine(): string {
    return this.line;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
    this.clearLine();
    this.leftShift = false;
    this.rightShift = false;
  }

  private clearLine(): void {
    this.line = '';
    this.unmapped = [];
    this.overlong = false;
  }

  private handle(type: number, code: number, value: number): EvdevKeyEvent | null {
    if (type !== EV_KEY) return null;
    if (code === KEY.LEFTSHIFT) {
      if (value !== KEY_REPEAT) this.leftShift = value !== KEY_RELEASE;
      return null;
    }
    if (code === KEY.RIGHTSHIFT) {
      if (value !== KEY_REPEAT) this.rightShift = value !== KEY_RELEASE;
      return null;
    }
    const keystroke = value === KEY_PRESS || (value === KEY_REPEAT && this.includeRepeats);
    if (!keystroke) return null;
    if (code === KEY.ENTER || code === KEY.KPENTER) return this.endLine();
    if (IGNORED_KEYS.has(code)) return null;
    if (this.overlong) return null;
    const chars = US_LAYOUT.get(code);
    if (chars === undefined) {
      // Kept bounded: a stuck stream of odd keys must not grow memory.
      if (this.unmapped.length < 8) this.unmapped.push(code);
      return null;
    }
    this.line += chars[this.shifted ? 1 : 0];
    if (this.line.length > this.maxLength) {
      const head = this.line.slice(0, 32);
      this.line = '';
      this.overlong = true;
      return { type: 'error', kind: 'overlong', message: `more than ${this.maxLength} keys without Enter, dropped up to the next Enter: ${head}…` };
    }
    return null;
  }

  private endLine(): EvdevKeyEvent | null {
    const { line, unmapped, overlong } = this;
    this.clearLine();
    if (overlong) return null;
    if (unmapped.length > 0) {
      return { type: 'error', kind: 'unmapped-key', message: `line had key code(s) ${unmapped.join(', ')} with no US-layout character, dropped: ${line}` };
    }
    // A bare Enter (a human poking the scanner's trigger with nothing read) is no scan.
    if (line === '') return null;
    return { type: 'scan', code: line };
  }
}

/** One input_event record, little-endian, for simulators and fixtures. */
export function encodeInputEvent(event: InputEvent, timevalBytes: 8 | 16 = 16): Buffer {
  const buf = Buffer.alloc(inputEventSize(timevalBytes));
  const sec = event.sec ?? 0;
  const usec = event.usec ?? 0;
  if (timevalBytes === 16) {
    buf.writeBigInt64LE(BigInt(Math.trunc(sec)), 0);
    buf.writeBigInt64LE(BigInt(Math.trunc(usec)), 8);
  } else {
    buf.writeInt32LE(Math.trunc(sec) | 0, 0);
    buf.writeInt32LE(Math.trunc(usec) | 0, 4);
  }
  buf.writeUInt16LE(event.type & 0xffff, timevalBytes);
  buf.writeUInt16LE(event.code & 0xffff, timevalBytes + 2);
  buf.writeInt32LE(event.value | 0, timevalBytes + 4);
  return buf;
}

/** Character → key and whether Shift is needed, the inverse of the US layout above (main row only). */
const CHAR_TO_KEY: ReadonlyMap<string, { code: number; shift: boolean }> = (() => {
  const map = new Map<string, { code: number; shift: boolean }>();
  for (const [code, [plain, shifted]] of US_LAYOUT) {
    // Main-row keys come first in the table, so keypad duplicates never win.
    if (!map.has(plain)) map.set(plain, { code, shift: false });
    if (!map.has(shifted)) map.set(shifted, { code, shift: true });
  }
  return map;
})();

export interface EncodeKeystrokesOptions {
  timevalBytes?: 8 | 16;
  /** Use the right Shift key instead of the left. */
  rightShift?: boolean;
  /** End with Enter (default) or keypad Enter; null for none. */
  enter?: 'enter' | 'kpenter' | null;
}

/**
 * The records a keyboard-mode scanner produces for `text`: for each character an optional
 * Shift press, key press, SYN, key release, Shift release, SYN, as the kernel reports a
 * USB HID keyboard. Throws RangeError for a character the US layout can't type.
 */
export function encodeKeystrokes(text: string, options: EncodeKeystrokesOptions = {}): Buffer {
  const tv = options.timevalBytes ?? 16;
  const shiftKey = options.rightShift === true ? KEY.RIGHTSHIFT : KEY.LEFTSHIFT;
  const records: Buffer[] = [];
  const key = (code: number, value: number): void => {
    records.push(encodeInputEvent({ type: EV_KEY, code, value }, tv));
  };
  const syn = (): void => {
    records.push(encodeInputEvent({ type: EV_SYN, code: 0, value: 0 }, tv));
  };
  const stroke = (code: number, shift: boolean): void => {
    if (shift) key(shiftKey, KEY_PRESS);
    key(code, KEY_PRESS);
    syn();
    key(code, KEY_RELEASE);
    if (shift) key(shiftKey, KEY_RELEASE);
    syn();
  };
  for (const char of text) {
    const mapping = CHAR_TO_KEY.get(char);
    if (mapping === undefined) throw new RangeError(`no US-layout key types ${JSON.stringify(char)}`);
    stroke(mapping.code, mapping.shift);
  }
  const enter = options.enter === undefined ? 'enter' : options.enter;
  if (enter !== null) stroke(enter === 'kpenter' ? KEY.KPENTER : KEY.ENTER, false);
  return Buffer.concat(records);
}
