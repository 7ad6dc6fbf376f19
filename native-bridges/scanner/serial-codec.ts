/**
 * Barcode/RFID scanners in serial mode (USB CDC-ACM or RS-232, 9600 8N1 typical): each read
 * is a line of printable ASCII ending in CR or CRLF (some models: LF), optionally wrapped in a
 * configured prefix/suffix and led by an AIM symbology identifier (`]C1`, `]d2`, `]Q1`…).
 * See design/PROTOCOLS.md, "Barcode scanners". Everything here is pure: bytes in, values out.
 */

const CR = 0x0d;
const LF = 0x0a;

/** Honeywell serial trigger: SYN 'T' CR starts a read, SYN 'U' CR stops it. */
export const HONEYWELL_TRIGGER_ON: Readonly<Uint8Array> = Uint8Array.of(0x16, 0x54, 0x0d);
export const HONEYWELL_TRIGGER_OFF: Readonly<Uint8Array> = Uint8Array.of(0x16, 0x55, 0x0d);

/** Longest line a scanner sends in one read; longer means a stuck stream or the wrong baud rate. */
export const DEFAULT_MAX_SCAN_LENGTH = 256;

/**
 * AIM identifiers given a name. Strictly `]C1` is GS1-128 (Code 128 with FNC1 first) and
 * `]C0` plain Code 128, but PROTOCOLS.md names `]C1` Code 128 and that is what the
 * scanners we configure send, so the table follows it; any id not listed is reported raw.
 */
export const DEFAULT_AIM_SYMBOLOGIES: Readonly<Record<string, string>> = Object.freeze({
  ']C1': 'code128',
  ']d2': 'datamatrix',
  ']Q1': 'qr',
  ']E0': 'ean13',
});

export interface ScanLineDecoderOptions {
  /** Stripped from the start of a line when present (a scanner's configured prefix). */
  prefix?: string;
  /** Stripped from the end of a line when present (a scanner's configured suffix). */
  suffix?: string;
  /** Lines longer than this (terminator excluded) are dropped; default 256. */
  maxLength?: number;
  /**
   * Read a leading `]` + 2 characters as an AIM symbology identifier; default true.
   * Turn off for a scanner that sends no AIM ids and tags that may start with `]`.
   */
  aim?: boolean;
  /** Names for AIM ids; default DEFAULT_AIM_SYMBOLOGIES. */
  aimSymbologies?: Readonly<Record<string, string>>;
}

export type ScanDecodeErrorKind = 'non-printable' | 'overlong' | 'empty';

export interface ScanDecodeError {
  kind: ScanDecodeErrorKind;
  /** The dropped line as received (for overlong lines, only its first maxLength + 1 bytes). */
  bytes: Buffer;
  message: string;
}

export interface ScanRead {
  /** The tag text, with terminator, prefix, suffix and AIM id removed. */
  code: string;
  /** The AIM id's name ('code128'…), the raw id if unnamed, null if the line had none. */
  symbology: string | null;
  /** The line as received, terminator included, for the frame log. */
  raw: Buffer;
}

export type ScanLineEvent = ({ type: 'scan' } & ScanRead) | ({ type: 'error' } & ScanDecodeError);

function isPrintable(byte: number): boolean {
  return byte >= 0x20 && byte <= 0x7e;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/** Shows a line in a log without letting control bytes into it. */
function printable(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += isPrintable(byte) ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}

/**
 * Streaming line decoder: USB-serial adapters split and join reads arbitrarily. It never
 * throws and holds at most maxLength + 1 bytes; a line it can't trust is reported and
 * dropped whole, never passed on partly, since a wrong tag number is worse than a re-scan.
 */
export class ScanLineDecoder {
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly maxLength: number;
  private readonly aim: boolean;
  private readonly aimSymbologies: Readonly<Record<string, string>>;
  private line: number[] = [];
  /** The current line already failed (too long): discard up to the next terminator. */
  private discarding = false;
  /** Last byte was CR, so an LF right after it is the second half of CRLF, not an empty line. */
  private afterCr = false;

  constructor(options: ScanLineDecoderOptions = {}) {
    this.prefix = options.prefix ?? '';
    this.suffix = options.suffix ?? '';
    this.maxLength = options.maxLength ?? DEFAULT_MAX_SCAN_LENGTH;
    this.aim = options.aim ?? true;
    this.aimSymbologies = options.aimSymbologies ?? DEFAULT_AIM_SYMBOLOGIES;
  }

  push(chunk: Uint8Array): ScanLineEvent[] {
    const events: ScanLineEvent[] = [];
    for (const byte of chunk) {
      if (byte === LF && this.afterCr) {
        this.afterCr = false;
        continue;
      }
      this.afterCr = byte === CR;
      if (byte === CR || byte === LF) {
        const event = this.endLine(byte === CR ? Uint8Array.of(CR) : Uint8Array.of(LF));
        if (event !== null) events.push(event);
        continue;
      }
      if (this.discarding) continue;
      this.line.push(byte);
      if (this.line.length > this.maxLength) {
        const bytes = Buffer.from(this.line);
        events.push({
          type: 'error',
          kind: 'overlong',
          bytes,
          message: `line longer than ${this.maxLength} bytes, dropped up to the next CR/LF: ${printable(bytes.subarray(0, 32))}…`,
        });
        this.line = [];
        this.discarding = true;
      }
    }
    return events;
  }

  /** Bytes held while waiting for the rest of a line. */
  get pendingLength(): number {
    return this.line.length;
  }

  reset(): void {
    this.line = [];
    this.discarding = false;
    this.afterCr = false;
  }

  private endLine(terminator: Uint8Array): ScanLineEvent | null {
    const bytes = Buffer.from(this.line);
    const wasDiscarding = this.discarding;
    this.line = [];
    this.discarding = false;
    // Already reported when it overflowed; a blank line (CR CR, or LF LF) is no read at all.
    if (wasDiscarding || bytes.length === 0) return null;
    const raw = Buffer.concat([bytes, terminator]);
    if (!bytes.every(isPrintable)) {
      return { type: 'error', kind: 'non-printable', bytes: raw, message: `non-printable bytes in line, dropped: ${printable(bytes.subarray(0, 64))}` };
    }
    let text = bytes.toString('latin1');
    if (this.prefix !== '' && text.startsWith(this.prefix)) text = text.slice(this.prefix.length);
    let symbology: string | null = null;
    if (this.aim && text.length >= 3 && text.startsWith(']')) {
      const id = text.slice(0, 3);
      symbology = this.aimSymbologies[id] ?? id;
      text = text.slice(3);
    }
    if (this.suffix !== '' && text.endsWith(this.suffix)) text = text.slice(0, text.length - this.suffix.length);
    if (text.length === 0) {
      return { type: 'error', kind: 'empty', bytes: raw, message: `line carried no code after prefix/AIM id/suffix: ${printable(bytes)}` };
    }
    return { type: 'scan', code: text, symbology, raw };
  }
}

export type ScanTerminator = 'CR' | 'CRLF' | 'LF';

export interface EncodeScanOptions {
  terminator?: ScanTerminator;
  /** AIM id sent ahead of the code, e.g. ']C1'. */
  aim?: string;
  prefix?: string;
  suffix?: string;
}

const TERMINATOR_BYTES: Record<ScanTerminator, string> = { CR: '\r', CRLF: '\r\n', LF: '\n' };

/**
 * The bytes a scanner sends for one read, in the order Honeywell and Zebra document:
 * prefix, AIM id, data, suffix, terminator. For simulators and fixtures.
 */
export function encodeScan(code: string, options: EncodeScanOptions = {}): Buffer {
  const text = `${options.prefix ?? ''}${options.aim ?? ''}${code}${options.suffix ?? ''}`;
  if (!/^[\x20-\x7e]*$/.test(text)) throw new RangeError('a scan is printable ASCII');
  return Buffer.from(`${text}${TERMINATOR_BYTES[options.terminator ?? 'CR']}`, 'latin1');
}
