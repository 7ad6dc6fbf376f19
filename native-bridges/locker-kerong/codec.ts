/**
 * Kerong KR-CU12 / KR-CU16 locker controller frames (RS-485, 19200 8N1 by default):
 *   STX(0x02) ADDR CMD [DATA…] ETX(0x03) SUM, SUM = low byte of the sum of every byte before it.
 * See design/PROTOCOLS.md (Kerong section). Everything here is pure: bytes in, values out.
 */

export const STX = 0x02;
export const ETX = 0x03;

export const KerongCommand = {
  status: 0x30,
  unlock: 0x31,
  busQuery: 0x32,
  unlockAll: 0x33,
  statusReply: 0x35,
  unlockPulse: 0x37,
  delayedUnlock: 0x39,
} as const;
export type KerongCommandCode = (typeof KerongCommand)[keyof typeof KerongCommand];

/**
 * Data bytes carried by each command; the frame has no length field, so the command
 * is the only way to know where a frame ends. Assumptions, since public sources are thin:
 * - 0x30/0x31/0x32/0x33 requests carry no data (confirmed by the published examples).
 * - 0x35 status reply carries L1-8 L9-16 IR1-8 IR9-16 (confirmed by the published example).
 * - 0x37 unlock pulse carries 2 bytes (10 ms units) both as the host's request and the
 *   board's answer; 0x39 delayed unlock carries 1 byte. Neither has a published example.
 * Any other command is unknown: its length can't be known, so its STX is dropped as
 * garbage and the decoder resynchronises on the next STX.
 */
export const KERONG_DATA_LENGTH: ReadonlyMap<number, number> = new Map<number, number>([
  [KerongCommand.status, 0],
  [KerongCommand.unlock, 0],
  [KerongCommand.busQuery, 0],
  [KerongCommand.unlockAll, 0],
  [KerongCommand.statusReply, 4],
  [KerongCommand.unlockPulse, 2],
  [KerongCommand.delayedUnlock, 1],
]);

/** STX ADDR CMD ETX SUM around the data. */
const FRAME_OVERHEAD = 5;

export const KERONG_BOARD_COUNT = 16;
export const KERONG_LOCKS_PER_BOARD = 16;

export interface KerongFrame {
  addr: number;
  cmd: number;
  data: Buffer;
  raw: Buffer;
}

export type KerongDecodeErrorKind = 'bad-checksum' | 'bad-terminator' | 'garbage';

export interface KerongDecodeError {
  kind: KerongDecodeErrorKind;
  /** The bytes discarded; every input byte ends up in exactly one frame or one error. */
  bytes: Buffer;
  message: string;
}

export type KerongEvent =
  | { type: 'frame'; frame: KerongFrame }
  | { type: 'error'; error: KerongDecodeError };

/**
 * Sources disagree on whether a set bit means "open"/"present" or the opposite, so it
 * is configured per board rather than guessed once.
 */
export interface KerongPolarity {
  lockOpenWhenBitSet: boolean;
  itemPresentWhenBitSet: boolean;
}

/** Unconfirmed against hardware: a site must check one door and set the polarity it sees. */
export const DEFAULT_KERONG_POLARITY: Readonly<KerongPolarity> = Object.freeze({
  lockOpenWhenBitSet: true,
  itemPresentWhenBitSet: true,
});

export interface BoardStatus {
  board: number;
  /** Index 0 is lock 1. */
  doorOpen: boolean[];
  /** Index 0 is lock 1. */
  itemPresent: boolean[];
}

export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const byte of bytes) sum += byte;
  return sum & 0xff;
}

function assertBoard(board: number): void {
  if (!Number.isInteger(board) || board < 0 || board >= KERONG_BOARD_COUNT) {
    throw new RangeError(`Kerong board address must be an integer 0..15, got ${board}`);
  }
}

function assertLockIndex(lockIndex: number): void {
  if (!Number.isInteger(lockIndex) || lockIndex < 0 || lockIndex >= KERONG_LOCKS_PER_BOARD) {
    throw new RangeError(`Kerong lock index must be an integer 0..15 (locks 1..16), got ${lockIndex}`);
  }
}

export function encodeFrame(addr: number, cmd: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  if (!Number.isInteger(addr) || addr < 0 || addr > 0xff) throw new RangeError(`addr must be a byte, got ${addr}`);
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > 0xff) throw new RangeError(`cmd must be a byte, got ${cmd}`);
  const frame = Buffer.alloc(FRAME_OVERHEAD + data.length);
  frame[0] = STX;
  frame[1] = addr;
  frame[2] = cmd;
  frame.set(data, 3);
  frame[3 + data.length] = ETX;
  frame[4 + data.length] = checksum(frame.subarray(0, 4 + data.length));
  return frame;
}

export function encodeStatusQuery(board: number): Buffer {
  assertBoard(board);
  return encodeFrame(board << 4, KerongCommand.status);
}

/** lockIndex 0..15 drives locks 1..16. */
export function encodeUnlock(board: number, lockIndex: number): Buffer {
  assertBoard(board);
  assertLockIndex(lockIndex);
  return encodeFrame((board << 4) | lockIndex, KerongCommand.unlock);
}

export function encodeBusQuery(): Buffer {
  return encodeFrame(0x00, KerongCommand.busQuery);
}

export function encodeUnlockAll(board: number): Buffer {
  assertBoard(board);
  return encodeFrame(board << 4, KerongCommand.unlockAll);
}

function packBits(bits: readonly boolean[], what: string): [number, number] {
  if (bits.length !== KERONG_LOCKS_PER_BOARD) {
    throw new RangeError(`${what} must have 16 entries, got ${bits.length}`);
  }
  let low = 0;
  let high = 0;
  for (let i = 0; i < 8; i++) {
    if (bits[i] === true) low |= 1 << i;
    if (bits[i + 8] === true) high |= 1 << i;
  }
  return [low, high];
}

/**
 * Builds a board's status reply from raw bits (true = bit set), so a simulator decides
 * polarity itself and the encoder stays a plain bit packer. Index 0 is lock 1.
 */
export function encodeStatusReply(board: number, lockBits: readonly boolean[], irBits: readonly boolean[]): Buffer {
  assertBoard(board);
  const [l1, l2] = packBits(lockBits, 'lockBits');
  const [i1, i2] = packBits(irBits, 'irBits');
  return encodeFrame(board << 4, KerongCommand.statusReply, Uint8Array.of(l1, l2, i1, i2));
}

export function isStatusReply(frame: KerongFrame): boolean {
  return frame.cmd === KerongCommand.statusReply && frame.data.length === 4;
}

function unpackBits(low: number, high: number, setMeansTrue: boolean): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < KERONG_LOCKS_PER_BOARD; i++) {
    const byte = i < 8 ? low : high;
    const set = ((byte >> (i % 8)) & 1) === 1;
    out.push(set === setMeansTrue);
  }
  return out;
}

/** Throws RangeError if the frame is not a status reply; the decoder has already checked framing. */
export function parseStatusReply(frame: KerongFrame, polarity: KerongPolarity): BoardStatus {
  if (!isStatusReply(frame)) {
    throw new RangeError(`not a Kerong status reply: cmd 0x${frame.cmd.toString(16)}, ${frame.data.length} data bytes`);
  }
  const [l1 = 0, l2 = 0, i1 = 0, i2 = 0] = frame.data;
  return {
    board: frame.addr >> 4,
    doorOpen: unpackBits(l1, l2, polarity.lockOpenWhenBitSet),
    itemPresent: unpackBits(i1, i2, polarity.itemPresentWhenBitSet),
  };
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/**
 * Streaming decoder: USB-serial adapters split and join frames arbitrarily. It never
 * throws, and holds at most one incomplete frame (under 9 bytes): anything that can't
 * start a frame is reported as garbage and dropped at once.
 */
export class KerongDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): KerongEvent[] {
    const events: KerongEvent[] = [];
    const buf = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    let garbageStart = -1;
    let i = 0;

    const flushGarbage = (end: number): void => {
      if (garbageStart < 0) return;
      const bytes = Buffer.from(buf.subarray(garbageStart, end));
      events.push({
        type: 'error',
        error: { kind: 'garbage', bytes, message: `${bytes.length} byte(s) outside any frame: ${toHex(bytes.subarray(0, 32))}` },
      });
      garbageStart = -1;
    };

    while (i < buf.length) {
      if (buf[i] !== STX) {
        if (garbageStart < 0) garbageStart = i;
        i++;
        continue;
      }
      if (buf.length - i < 3) break;
      const cmd = buf[i + 2] ?? 0;
      const dataLength = KERONG_DATA_LENGTH.get(cmd);
      if (dataLength === undefined) {
        // Unknown command: this STX can't be trusted as a frame start.
        if (garbageStart < 0) garbageStart = i;
        i++;
        continue;
      }
      const length = FRAME_OVERHEAD + dataLength;
      if (buf.length - i < length) break;
      flushGarbage(i);

      const candidate = buf.subarray(i, i + length);
      const terminator = candidate[length - 2];
      const sum = candidate[length - 1];
      const expected = checksum(candidate.subarray(0, length - 1));
      if (terminator === ETX && sum === expected) {
        const raw = Buffer.from(candidate);
        events.push({
          type: 'frame',
          frame: { addr: raw[1] ?? 0, cmd, data: raw.subarray(3, 3 + dataLength), raw },
        });
        i += length;
        continue;
      }

      // A truncated frame may hide the start of the next one, so resync inside the
      // candidate rather than skipping all of it.
      const nextStx = candidate.indexOf(STX, 1);
      const dropped = nextStx < 0 ? length : nextStx;
      const bytes = Buffer.from(candidate.subarray(0, dropped));
      const kind: KerongDecodeErrorKind = terminator === ETX ? 'bad-checksum' : 'bad-terminator';
      const message =
        kind === 'bad-checksum'
          ? `bad checksum in ${toHex(candidate)}: got 0x${(sum ?? 0).toString(16).padStart(2, '0')}, expected 0x${expected.toString(16).padStart(2, '0')}`
          : `no ETX where expected in ${toHex(candidate)}`;
      events.push({ type: 'error', error: { kind, bytes, message } });
      i += dropped;
    }

    flushGarbage(i);
    // Whatever remains starts with STX and is shorter than a frame, so this stays bounded.
    this.pending = Buffer.from(buf.subarray(i));
    return events;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pendingLength(): number {
    return this.pending.length;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}
