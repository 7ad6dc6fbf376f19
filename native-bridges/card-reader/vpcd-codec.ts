/**
 * The vsmartcard vpcd socket protocol (pcscd's "Virtual PCD" driver <-> a virtual card):
 * every message, both ways, is a 2-byte big-endian length and then that many bytes.
 * From the reader, a 1-byte payload is a control; anything longer is a command APDU.
 * TCP keeps the bytes in order and whole, so there is no resync: the decoder only has to
 * cope with messages split across reads or several arriving in one.
 */

export const VPCD_MAX_PAYLOAD = 0xffff;

/** Control bytes the reader sends as a 1-byte message. */
export const VpcdControl = {
  PowerOff: 0x00,
  PowerOn: 0x01,
  Reset: 0x02,
  GetAtr: 0x04,
} as const;
export type VpcdControlCode = (typeof VpcdControl)[keyof typeof VpcdControl];

export type VpcdMessage =
  | { type: 'control'; control: VpcdControlCode }
  /** A 1-byte message that is none of the known controls; the card ignores it. */
  | { type: 'unknown-control'; code: number }
  | { type: 'apdu'; apdu: Buffer }
  /** A zero-length message: nothing in the protocol sends one, so it is reported, not acted on. */
  | { type: 'empty' };

/** Length prefix + payload. Throws RangeError over 65535 bytes, which the prefix cannot say. */
export function encodeVpcdFrame(payload: Uint8Array): Buffer {
  if (payload.length > VPCD_MAX_PAYLOAD) throw new RangeError(`vpcd payload of ${payload.length} bytes exceeds ${VPCD_MAX_PAYLOAD}`);
  const header = Buffer.alloc(2);
  header.writeUInt16BE(payload.length, 0);
  return Buffer.concat([header, Buffer.from(payload)]);
}

/** What a payload from the reader asks of the card. */
export function classifyVpcdPayload(payload: Uint8Array): VpcdMessage {
  if (payload.length === 0) return { type: 'empty' };
  if (payload.length === 1) {
    const code = payload[0] ?? 0;
    switch (code) {
      case VpcdControl.PowerOff:
      case VpcdControl.PowerOn:
      case VpcdControl.Reset:
      case VpcdControl.GetAtr:
        return { type: 'control', control: code };
      default:
        return { type: 'unknown-control', code };
    }
  }
  return { type: 'apdu', apdu: Buffer.from(payload) };
}

/** Streaming decoder: push chunks as they arrive, get whole payloads back in order. */
export class VpcdDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  /** Bytes held back waiting for the rest of a message (at most 2 + 65535). */
  get pendingLength(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): Buffer[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const out: Buffer[] = [];
    let offset = 0;
    while (this.buffer.length - offset >= 2) {
      const length = this.buffer.readUInt16BE(offset);
      if (this.buffer.length - offset - 2 < length) break;
      // Copies, so a caller keeping a payload does not pin (or see changes to) the whole buffer.
      out.push(Buffer.from(this.buffer.subarray(offset + 2, offset + 2 + length)));
      offset += 2 + length;
    }
    this.buffer = offset === 0 ? this.buffer : Buffer.from(this.buffer.subarray(offset));
    return out;
  }

  reset(): void {
    this.buffer = Buffer.alloc(0);
  }
}
