/**
 * The one APDU exchange a warrant-card reader needs: PC/SC part 3 GET DATA (`FF CA 00 00 00`),
 * which the reader itself answers with the contactless card's UID, whatever the card type.
 * Pure bytes in, bytes out, so both the reader and the card emulator are tested with fixtures.
 */

/** CLA INS P1 P2 Le: PC/SC pseudo-APDU "get UID", Le 00 = "all of it". */
export const GET_DATA_UID: Readonly<Uint8Array> = Uint8Array.of(0xff, 0xca, 0x00, 0x00, 0x00);

/** ISO 7816-4 status words the card path cares about. */
export const SW_OK = 0x9000;
export const SW_INS_NOT_SUPPORTED = 0x6d00;

/**
 * UIDs are 4, 7 or 10 bytes (ISO 14443-3 single, double, triple size). The same bounds as the
 * simulated reader (8 to 20 hex digits), so nothing downstream meets an ID it would reject.
 */
export const MIN_UID_BYTES = 4;
export const MAX_UID_BYTES = 10;

export interface ApduResponse {
  data: Buffer;
  sw1: number;
  sw2: number;
  /** sw1 << 8 | sw2 */
  sw: number;
}

export type UidResult = { ok: true; uid: string } | { ok: false; error: string; sw: number | null };

/** Upper-case hex with no separators: the form every card reader emits. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/** "9000", "6A81": for logs and lastError. */
export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/** Splits a response APDU into data and status word; null when it is too short to have one. */
export function parseResponseApdu(bytes: Uint8Array): ApduResponse | null {
  if (bytes.length < 2) return null;
  const sw1 = bytes[bytes.length - 2] ?? 0;
  const sw2 = bytes[bytes.length - 1] ?? 0;
  return { data: Buffer.from(bytes.subarray(0, bytes.length - 2)), sw1, sw2, sw: (sw1 << 8) | sw2 };
}

/** What the common GET DATA failures mean, so a technician reading health knows where to look. */
export function describeStatusWord(sw: number): string {
  switch (sw) {
    case 0x6281:
      return 'part of the returned data may be corrupted';
    case 0x6282:
      return 'end of data reached before Le bytes';
    case 0x6300:
      return 'the reader could not read the UID';
    case 0x6700:
      return 'wrong length';
    case 0x6a81:
      return 'function not supported by this reader or card';
    case 0x6b00:
      return 'wrong parameters P1 P2';
    case SW_INS_NOT_SUPPORTED:
      return 'instruction not supported (not a PC/SC reader answering GET DATA?)';
    case 0x6e00:
      return 'class not supported (not a PC/SC reader answering GET DATA?)';
    default:
      if ((sw & 0xff00) === 0x6c00) return `wrong Le, the reader wants ${sw & 0xff}`;
      return 'unexpected status';
  }
}

/** Turns the GET DATA response into a UID, or says why not. Never throws. */
export function parseUidResponse(bytes: Uint8Array): UidResult {
  const response = parseResponseApdu(bytes);
  if (response === null) return { ok: false, error: `response too short (${bytes.length} bytes): ${toHex(bytes)}`, sw: null };
  if (response.sw !== SW_OK) {
    return { ok: false, error: `GET DATA failed with SW ${swHex(response.sw)}: ${describeStatusWord(response.sw)}`, sw: response.sw };
  }
  const n = response.data.length;
  if (n < MIN_UID_BYTES || n > MAX_UID_BYTES) {
    return { ok: false, error: `UID of ${n} bytes (expected ${MIN_UID_BYTES} to ${MAX_UID_BYTES}): ${toHex(response.data)}`, sw: response.sw };
  }
  return { ok: true, uid: toHex(response.data) };
}

/** True for exactly `FF CA 00 00 00` (Le 00 or absent is what readers accept for "whole UID"). */
export function isGetDataUid(apdu: Uint8Array): boolean {
  if (apdu.length !== 4 && apdu.length !== 5) return false;
  if (apdu[0] !== 0xff || apdu[1] !== 0xca || apdu[2] !== 0x00 || apdu[3] !== 0x00) return false;
  return apdu.length === 4 || apdu[4] === 0x00;
}

/** The card side: UID followed by 90 00. */
export function encodeUidResponse(uid: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(uid), Buffer.of(SW_OK >> 8, SW_OK & 0xff)]);
}

/** Bare status word, e.g. 6D 00 for anything the emulated card does not know. */
export function encodeStatusWord(sw: number): Buffer {
  return Buffer.of((sw >> 8) & 0xff, sw & 0xff);
}

/** Parses "04A1B2C3D4" or "04 a1 b2 c3 d4" into UID bytes; throws RangeError if it is not 4..10 bytes of hex. */
export function parseUidHex(text: string): Buffer {
  const compact = text.replace(/[\s:]/g, '');
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(compact)) throw new RangeError(`card UID must be hex digits in pairs, got "${text}"`);
  const bytes = Buffer.from(compact, 'hex');
  if (bytes.length < MIN_UID_BYTES || bytes.length > MAX_UID_BYTES) {
    throw new RangeError(`card UID must be ${MIN_UID_BYTES} to ${MAX_UID_BYTES} bytes, got ${bytes.length}`);
  }
  return bytes;
}
