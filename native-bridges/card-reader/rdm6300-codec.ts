/**
 * RDM6300-style 125 kHz (EM4100) serial readers, 9600 8N1, send one 14-byte frame per read:
 *   02 | 10 ASCII hex: version byte + 4-byte tag | 2 ASCII hex: XOR of those 5 bytes | 03
 * There is no length field or escaping, so the decoder resyncs on STX and rejects anything
 * that is not hex where hex belongs. Every byte pushed is accounted for exactly once, either
 * in a frame or in an error, so logs can show exactly what the line carried.
 */

export const RDM6300_STX = 0x02;
export const RDM6300_ETX = 0x03;
export const RDM6300_FRAME_LENGTH = 14;

export interface Rdm6300Frame {
  /** The 5 data bytes: version (customer id) + 4-byte tag. */
  bytes: Buffer;
  /** Upper-case hex of the 5 bytes: the card id the reader emits. */
  id: string;
  version: number;
  /** The 4-byte tag as an unsigned number (what some card printings show in decimal). */
  tag: number;
  raw: Buffer;
}

export type Rdm6300ErrorKind =
  /** Bytes outside any frame (line noise, a reader booting). */
  | 'noise'
  /** Started like a frame but had a non-hex byte or no ETX where one belongs. */
  | 'malformed'
  /** A whole frame whose checksum does not match its data. */
  | 'checksum';

export interface Rdm6300DecodeError {
  kind: Rdm6300ErrorKind;
  bytes: Buffer;
}

export type Rdm6300Event = { type: 'frame'; frame: Rdm6300Frame } | { type: 'error'; error: Rdm6300DecodeError };

const HEX_DIGITS = '0123456789ABCDEF';

function isAsciiHex(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/** XOR of the 5 data bytes. */
export function rdm6300Checksum(data: Uint8Array): number {
  let sum = 0;
  for (const byte of data) sum ^= byte;
  return sum;
}

/** A frame for 5 data bytes, given as bytes or 10 hex digits. Throws RangeError otherwise. */
export function encodeRdm6300Frame(id: Uint8Array | string): Buffer {
  const data = typeof id === 'string' ? parseRdm6300Id(id) : Buffer.from(id);
  if (data.length !== 5) throw new RangeError(`an RDM6300 card id is 5 bytes, got ${data.length}`);
  const hex = (n: number): string => (HEX_DIGITS[n >> 4] ?? '0') + (HEX_DIGITS[n & 0x0f] ?? '0');
  const text = [...data].map(hex).join('') + hex(rdm6300Checksum(data));
  return Buffer.concat([Buffer.of(RDM6300_STX), Buffer.from(text, 'ascii'), Buffer.of(RDM6300_ETX)]);
}

/** "0F00A1B2C3" (either case) -> 5 bytes; throws RangeError on anything else. */
export function parseRdm6300Id(text: string): Buffer {
  if (!/^[0-9a-fA-F]{10}$/.test(text)) throw new RangeError(`an RDM6300 card id is 10 hex digits, got "${text}"`);
  return Buffer.from(text, 'hex');
}

/**
 * The number printed on many EM4100 cards and fobs: the 4-byte tag in decimal, 10 digits.
 * Useful for enrolling from the card's printing; the reader itself emits `id`.
 */
export function rdm6300PrintedNumber(frame: Pick<Rdm6300Frame, 'tag'>): string {
  return frame.tag.toString(10).padStart(10, '0');
}

/** Streaming decoder; push chunks as they arrive, split or joined however the line delivers them. */
export class Rdm6300Decoder {
  private buffer: Buffer = Buffer.alloc(0);

  /** Bytes held back as the start of a frame; never more than 13. */
  get pendingLength(): number {
    return this.buffer.length;
  }

  reset(): void {
    this.buffer = Buffer.alloc(0);
  }

  push(chunk: Uint8Array): Rdm6300Event[] {
    const buf = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const events: Rdm6300Event[] = [];
    let i = 0;
    while (i < buf.length) {
      if (buf[i] !== RDM6300_STX) {
        // Everything up to the next STX is noise, reported as one error.
        let end = buf.indexOf(RDM6300_STX, i);
        if (end === -1) end = buf.length;
        events.push({ type: 'error', error: { kind: 'noise', bytes: Buffer.from(buf.subarray(i, end)) } });
        i = end;
        continue;
      }
      // buf[i] is STX: check as far as the bytes go, so a false start fails fast.
      let j = i + 1;
      let bad = false;
      while (j < buf.length && j < i + 13) {
        if (!isAsciiHex(buf[j] ?? 0)) {
          bad = true;
          break;
        }
        j++;
      }
      if (!bad && j === i + 13 && j < buf.length && buf[j] !== RDM6300_ETX) bad = true;
      if (bad) {
        // Drop what looked like a frame; the offending byte may itself start the next one.
        events.push({ type: 'error', error: { kind: 'malformed', bytes: Buffer.from(buf.subarray(i, j)) } });
        i = j;
        continue;
      }
      if (buf.length - i < RDM6300_FRAME_LENGTH) break;
      const raw = Buffer.from(buf.subarray(i, i + RDM6300_FRAME_LENGTH));
      i += RDM6300_FRAME_LENGTH;
      const event = parseRdm6300Frame(raw);
      events.push(event);
    }
    this.buffer = Buffer.from(buf.subarray(i));
    return events;
  }
}

/** Checks one complete 14-byte frame. */
export function parseRdm6300Frame(raw: Uint8Array): Rdm6300Event {
  const bytes = Buffer.from(raw);
  const malformed: Rdm6300Event = { type: 'error', error: { kind: 'malformed', bytes } };
  if (bytes.length !== RDM6300_FRAME_LENGTH || bytes[0] !== RDM6300_STX || bytes[13] !== RDM6300_ETX) return malformed;
  const text = bytes.subarray(1, 13).toString('latin1');
  if (!/^[0-9A-Fa-f]{12}$/.test(text)) return malformed;
  const data = Buffer.from(text.slice(0, 10), 'hex');
  const check = Number.parseInt(text.slice(10, 12), 16);
  if (rdm6300Checksum(data) !== check) return { type: 'error', error: { kind: 'checksum', bytes } };
  return {
    type: 'frame',
    frame: { bytes: data, id: data.toString('hex').toUpperCase(), version: data[0] ?? 0, tag: data.readUInt32BE(1), raw: bytes },
  };
}
