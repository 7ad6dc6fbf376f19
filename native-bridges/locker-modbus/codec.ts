/**
 * Modbus RTU frames for cheap relay/IO boards used as door strikes and door sensors
 * (9600 8N1, slave 1 by default): ADDR FN [DATA…] CRC_LO CRC_HI, CRC-16/MODBUS.
 * See design/PROTOCOLS.md ("Modbus RTU relay/IO boards"). Everything here is pure: bytes in, values out.
 *
 * Relays and inputs are numbered by their wire index here: index 0 is relay 1 / input 1,
 * as in the address field, so nothing converts between 0- and 1-based twice.
 */

export const ModbusFunction = {
  readCoils: 0x01,
  readDiscreteInputs: 0x02,
  readHoldingRegisters: 0x03,
  readInputRegisters: 0x04,
  writeSingleCoil: 0x05,
  writeSingleRegister: 0x06,
  writeMultipleCoils: 0x0f,
  writeMultipleRegisters: 0x10,
} as const;
export type ModbusFunctionCode = (typeof ModbusFunction)[keyof typeof ModbusFunction];

/** Function codes whose reply carries bits: `addr fn byteCount data… crc`. */
export type ModbusBitFunction = typeof ModbusFunction.readCoils | typeof ModbusFunction.readDiscreteInputs;

/** Write single coil values: anything else is an illegal data value. */
export const COIL_ON = 0xff00;
export const COIL_OFF = 0x0000;

/**
 * The "flash-on" (timed pulse) form these boards overload onto write single coil: the
 * address high byte is a vendor command, the low byte the relay index, and the value the
 * pulse length in 100 ms units. PROTOCOLS.md's fixture uses 0x02 (`01 05 02 00 00 07 8D B0`);
 * some vendors use other command bytes (0x04 is flash-off on several boards), so callers
 * pass it in and the driver and simulator take it as an option.
 */
export const DEFAULT_PULSE_COMMAND = 0x02;
export const PULSE_UNIT_MS = 100;

/** RTU frames are at most 256 bytes (1 address + 253 PDU + 2 CRC). */
export const MAX_RTU_FRAME = 256;
/** Largest byte count a read bits reply can carry within that limit (Modbus spec: 2000 bits = 250 bytes). */
export const MAX_READ_BITS = 2000;
const MAX_REPLY_BYTE_COUNT = 250;
/** Largest byte count in a write-multiple request (1968 coils / 123 registers = 246 bytes). */
const MAX_REQUEST_BYTE_COUNT = 246;
/** Highest unicast slave address; 248..255 are reserved. */
export const MAX_SLAVE = 247;
/** Slave 0 is broadcast: every slave acts, none replies. */
export const BROADCAST_SLAVE = 0;

// ---------------------------------------------------------------------------------------------
// CRC

const CRC_TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[n] = crc;
  }
  return table;
})();

/** CRC-16/MODBUS: init 0xFFFF, reflected polynomial 0xA001, no final XOR. Sent low byte first. */
export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (CRC_TABLE[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  return crc;
}

/** True if the last two bytes are the CRC of the rest, low byte first. */
export function hasValidCrc(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = crc16Modbus(frame, 0, frame.length - 2);
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >>> 8;
}

// ---------------------------------------------------------------------------------------------
// Errors carried by replies

export const ModbusExceptionCode = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
  acknowledge: 0x05,
  serverDeviceBusy: 0x06,
  memoryParityError: 0x08,
  gatewayPathUnavailable: 0x0a,
  gatewayTargetFailedToRespond: 0x0b,
} as const;

/** Names as in the Modbus application protocol spec, so a log line can be looked up there. */
const EXCEPTION_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [0x01, 'ILLEGAL FUNCTION'],
  [0x02, 'ILLEGAL DATA ADDRESS'],
  [0x03, 'ILLEGAL DATA VALUE'],
  [0x04, 'SERVER DEVICE FAILURE'],
  [0x05, 'ACKNOWLEDGE'],
  [0x06, 'SERVER DEVICE BUSY'],
  [0x08, 'MEMORY PARITY ERROR'],
  [0x0a, 'GATEWAY PATH UNAVAILABLE'],
  [0x0b, 'GATEWAY TARGET DEVICE FAILED TO RESPOND'],
]);

export interface ModbusException {
  /** The function that failed, without the 0x80 flag. */
  functionCode: number;
  exceptionCode: number;
  name: string;
}

export function exceptionName(exceptionCode: number): string {
  return EXCEPTION_NAMES.get(exceptionCode) ?? `UNKNOWN EXCEPTION 0x${hexByte(exceptionCode)}`;
}

export function modbusException(functionCode: number, exceptionCode: number): ModbusException {
  return { functionCode: functionCode & 0x7f, exceptionCode, name: exceptionName(exceptionCode) };
}

// ---------------------------------------------------------------------------------------------
// Encoders

function assertInt(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer ${min}..${max}, got ${value}`);
  }
}

/** Appends the CRC to ADDR FN DATA. */
export function encodeFrame(slave: number, functionCode: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  assertInt(slave, 0, 255, 'slave address');
  assertInt(functionCode, 0, 255, 'function code');
  if (data.length + 4 > MAX_RTU_FRAME) throw new RangeError(`Modbus RTU frame too long: ${data.length} data bytes`);
  const frame = Buffer.alloc(data.length + 4);
  frame[0] = slave;
  frame[1] = functionCode;
  frame.set(data, 2);
  const crc = crc16Modbus(frame, 0, frame.length - 2);
  frame[frame.length - 2] = crc & 0xff;
  frame[frame.length - 1] = crc >>> 8;
  return frame;
}

function words(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((value, i) => {
    out[i * 2] = (value >>> 8) & 0xff;
    out[i * 2 + 1] = value & 0xff;
  });
  return out;
}

/** Function 0x05 with a raw address and value; the building block for relay on/off and pulse. */
export function encodeWriteSingleCoilRaw(slave: number, address: number, value: number): Buffer {
  assertInt(address, 0, 0xffff, 'coil address');
  assertInt(value, 0, 0xffff, 'coil value');
  return encodeFrame(slave, ModbusFunction.writeSingleCoil, words(address, value));
}

/** Relay on (`FF 00`) or off (`00 00`); relayIndex 0 is relay 1. */
export function encodeWriteSingleCoil(slave: number, relayIndex: number, on: boolean): Buffer {
  assertInt(relayIndex, 0, 0xffff, 'relay index');
  return encodeWriteSingleCoilRaw(slave, relayIndex, on ? COIL_ON : COIL_OFF);
}

/**
 * Flash-on: relay `relayIndex` on for `units` × 100 ms, then off by the board itself, so a
 * door strike is never left open if the host dies mid-pulse. relayIndex 0 is relay 1.
 */
export function encodePulseRelay(slave: number, relayIndex: number, units: number, pulseCommand = DEFAULT_PULSE_COMMAND): Buffer {
  assertInt(pulseCommand, 0, 0xff, 'pulse command byte');
  assertInt(relayIndex, 0, 0xff, 'relay index for a pulse');
  assertInt(units, 1, 0xffff, 'pulse length in 100 ms units');
  return encodeWriteSingleCoilRaw(slave, (pulseCommand << 8) | relayIndex, units);
}

/** Rounds up, so a strike is never held for less than asked. */
export function pulseUnitsForMs(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`pulse length must be a positive number of ms, got ${ms}`);
  return Math.ceil(ms / PULSE_UNIT_MS);
}

function encodeReadBits(slave: number, functionCode: ModbusBitFunction, start: number, quantity: number): Buffer {
  assertInt(start, 0, 0xffff, 'start address');
  assertInt(quantity, 1, MAX_READ_BITS, 'quantity');
  if (start + quantity > 0x10000) throw new RangeError(`start ${start} + quantity ${quantity} runs past address 0xFFFF`);
  return encodeFrame(slave, functionCode, words(start, quantity));
}

export function encodeReadCoils(slave: number, start: number, quantity: number): Buffer {
  return encodeReadBits(slave, ModbusFunction.readCoils, start, quantity);
}

export function encodeReadDiscreteInputs(slave: number, start: number, quantity: number): Buffer {
  return encodeReadBits(slave, ModbusFunction.readDiscreteInputs, start, quantity);
}

/** A slave's reply to 0x01/0x02: bits packed LSB first, index 0 = the first address read. */
export function encodeReadBitsResponse(slave: number, functionCode: ModbusBitFunction, bits: readonly boolean[]): Buffer {
  assertInt(bits.length, 1, MAX_READ_BITS, 'bit count');
  const data = new Uint8Array(1 + Math.ceil(bits.length / 8));
  data[0] = data.length - 1;
  bits.forEach((bit, i) => {
    if (bit) data[1 + (i >> 3)] = (data[1 + (i >> 3)] ?? 0) | (1 << (i & 7));
  });
  return encodeFrame(slave, functionCode, data);
}

export function encodeExceptionResponse(slave: number, functionCode: number, exceptionCode: number): Buffer {
  assertInt(functionCode, 1, 0x7f, 'function code');
  assertInt(exceptionCode, 0, 0xff, 'exception code');
  return encodeFrame(slave, functionCode | 0x80, Uint8Array.of(exceptionCode));
}

// ---------------------------------------------------------------------------------------------
// Parsed frames

export interface ModbusFrame {
  slave: number;
  /** As on the wire: exception replies keep the 0x80 flag. */
  functionCode: number;
  /** Between the function code and the CRC. */
  data: Buffer;
  /** The whole frame, CRC included. */
  raw: Buffer;
}

export type ModbusResponse =
  | { kind: 'exception'; slave: number; exception: ModbusException }
  /** `bits` has byteCount × 8 entries; the caller knows how many it asked for. */
  | { kind: 'bits'; slave: number; functionCode: ModbusBitFunction; bits: boolean[] }
  | { kind: 'write-single-coil'; slave: number; address: number; value: number }
  /** Framed and CRC-checked, but a function this codec doesn't interpret. */
  | { kind: 'other'; slave: number; functionCode: number; data: Buffer };

export type ModbusRequest =
  | { kind: 'read-bits'; slave: number; functionCode: ModbusBitFunction; start: number; quantity: number }
  | { kind: 'write-single-coil'; slave: number; address: number; value: number }
  | { kind: 'other'; slave: number; functionCode: number; data: Buffer };

function word(data: Uint8Array, offset: number): number {
  return ((data[offset] ?? 0) << 8) | (data[offset + 1] ?? 0);
}

export function unpackBits(bytes: Uint8Array): boolean[] {
  const bits: boolean[] = [];
  for (const byte of bytes) for (let bit = 0; bit < 8; bit++) bits.push(((byte >> bit) & 1) === 1);
  return bits;
}

/** Interprets a frame the decoder produced in 'responses' mode. */
export function parseResponse(frame: ModbusFrame): ModbusResponse {
  const { slave, functionCode, data } = frame;
  if (functionCode & 0x80) {
    return { kind: 'exception', slave, exception: modbusException(functionCode, data[0] ?? 0) };
  }
  if ((functionCode === ModbusFunction.readCoils || functionCode === ModbusFunction.readDiscreteInputs) && data.length >= 1) {
    return { kind: 'bits', slave, functionCode, bits: unpackBits(data.subarray(1)) };
  }
  if (functionCode === ModbusFunction.writeSingleCoil && data.length === 4) {
    return { kind: 'write-single-coil', slave, address: word(data, 0), value: word(data, 2) };
  }
  return { kind: 'other', slave, functionCode, data };
}

/** Interprets a frame the decoder produced in 'requests' mode (the simulator's side). */
export function parseRequest(frame: ModbusFrame): ModbusRequest {
  const { slave, functionCode, data } = frame;
  if ((functionCode === ModbusFunction.readCoils || functionCode === ModbusFunction.readDiscreteInputs) && data.length === 4) {
    return { kind: 'read-bits', slave, functionCode, start: word(data, 0), quantity: word(data, 2) };
  }
  if (functionCode === ModbusFunction.writeSingleCoil && data.length === 4) {
    return { kind: 'write-single-coil', slave, address: word(data, 0), value: word(data, 2) };
  }
  return { kind: 'other', slave, functionCode, data };
}

// ---------------------------------------------------------------------------------------------
// Streaming decoder

export type ModbusDecodeErrorKind = 'bad-crc' | 'garbage';

export interface ModbusDecodeError {
  /** 'bad-crc' when the dropped run began with a complete frame whose CRC failed, else 'garbage'. */
  kind: ModbusDecodeErrorKind;
  /** The bytes discarded; every input byte ends up in exactly one frame or one error. */
  bytes: Buffer;
  message: string;
}

export type ModbusEvent = { type: 'frame'; frame: ModbusFrame } | { type: 'error'; error: ModbusDecodeError };

/**
 * Which side of the conversation the decoder listens to. RTU has no length field, and a
 * read request and its reply have different shapes under the same function code, so the
 * decoder must know whether it is the master (hearing responses) or a slave (hearing requests).
 */
export type ModbusDecoderMode = 'responses' | 'requests';

export interface ModbusRtuDecoderOptions {
  mode?: ModbusDecoderMode;
}

/** What a candidate frame start at some offset looks like. */
type Shape = { kind: 'length'; length: number } | { kind: 'need-more' } | { kind: 'invalid' } | { kind: 'scan' };

const NEED_MORE: Shape = { kind: 'need-more' };
const INVALID: Shape = { kind: 'invalid' };
const SCAN: Shape = { kind: 'scan' };
const fixed = (length: number): Shape => ({ kind: 'length', length });

/** Length of a response starting at buf[i], from the function code (and byte count). */
function responseShape(buf: Buffer, i: number): Shape {
  const slave = buf[i] ?? 0;
  // Slaves never answer a broadcast, and 248..255 are reserved.
  if (slave === BROADCAST_SLAVE || slave > MAX_SLAVE) return INVALID;
  if (buf.length - i < 2) return NEED_MORE;
  const fn = buf[i + 1] ?? 0;
  if (fn & 0x80) return (fn & 0x7f) === 0 ? INVALID : fixed(5);
  switch (fn) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04: {
      if (buf.length - i < 3) return NEED_MORE;
      const byteCount = buf[i + 2] ?? 0;
      if (byteCount === 0 || byteCount > MAX_REPLY_BYTE_COUNT) return INVALID;
      // Registers come in whole 16-bit words.
      if (fn >= 0x03 && byteCount % 2 !== 0) return INVALID;
      return fixed(5 + byteCount);
    }
    case 0x05:
    case 0x06:
    case 0x0f:
    case 0x10:
      return fixed(8);
    default:
      return INVALID;
  }
}

/** Length of a request starting at buf[i]. Unknown functions are found by their CRC. */
function requestShape(buf: Buffer, i: number): Shape {
  const slave = buf[i] ?? 0;
  if (slave > MAX_SLAVE) return INVALID;
  if (buf.length - i < 2) return NEED_MORE;
  const fn = buf[i + 1] ?? 0;
  // Requests never carry the exception flag, and function 0 does not exist.
  if (fn === 0 || fn & 0x80) return INVALID;
  if (fn >= 0x01 && fn <= 0x06) return fixed(8);
  if (fn === 0x0f || fn === 0x10) {
    if (buf.length - i < 7) return NEED_MORE;
    const byteCount = buf[i + 6] ?? 0;
    if (byteCount === 0 || byteCount > MAX_REQUEST_BYTE_COUNT) return INVALID;
    return fixed(9 + byteCount);
  }
  // A slave must still answer "illegal function" to functions it doesn't know, so it
  // can't just drop them: it takes the shortest run whose CRC checks out.
  return SCAN;
}

/**
 * Streaming RTU decoder: USB-serial adapters split and join frames arbitrarily, and RTU's
 * real frame delimiter (3.5 characters of silence) is lost by the time bytes reach Node.
 * So frames are found by shape and CRC: a candidate that fails its CRC drops one byte and
 * the search starts again one byte on. It never throws, and holds less than one maximum
 * frame (256 bytes). Callers that know the line went quiet (a reply timeout) call reset().
 */
export class ModbusRtuDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private readonly shape: (buf: Buffer, i: number) => Shape;

  constructor(options: ModbusRtuDecoderOptions = {}) {
    this.shape = (options.mode ?? 'responses') === 'responses' ? responseShape : requestShape;
  }

  push(chunk: Uint8Array): ModbusEvent[] {
    const events: ModbusEvent[] = [];
    const buf = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    let dropStart = -1;
    let dropKind: ModbusDecodeErrorKind = 'garbage';
    let dropDetail = '';
    let i = 0;

    const drop = (kind: ModbusDecodeErrorKind, detail: string): void => {
      if (dropStart < 0) {
        dropStart = i;
        dropKind = kind;
        dropDetail = detail;
      }
      i++;
    };
    const flushDrop = (end: number): void => {
      if (dropStart < 0) return;
      const bytes = Buffer.from(buf.subarray(dropStart, end));
      const what = dropKind === 'bad-crc' ? `bad CRC (${dropDetail}), dropped` : 'outside any frame';
      events.push({ type: 'error', error: { kind: dropKind, bytes, message: `${bytes.length} byte(s) ${what}: ${toHex(bytes.subarray(0, 32))}` } });
      dropStart = -1;
    };
    const emitFrame = (start: number, length: number): void => {
      flushDrop(start);
      const raw = Buffer.from(buf.subarray(start, start + length));
      events.push({
        type: 'frame',
        frame: { slave: raw[0] ?? 0, functionCode: raw[1] ?? 0, data: raw.subarray(2, length - 2), raw },
      });
      i = start + length;
    };

    while (i < buf.length) {
      const shape = this.shape(buf, i);
      if (shape.kind === 'invalid') {
        drop('garbage', '');
        continue;
      }
      if (shape.kind === 'scan') {
        const length = this.crcScan(buf, i);
        if (length !== null) {
          emitFrame(i, length);
          continue;
        }
        if (buf.length - i >= MAX_RTU_FRAME) {
          drop('garbage', '');
          continue;
        }
      } else if (shape.kind === 'length' && buf.length - i >= shape.length) {
        if (hasValidCrc(buf.subarray(i, i + shape.length))) {
          emitFrame(i, shape.length);
          continue;
        }
        drop('bad-crc', `${shape.length}-byte candidate ${toHex(buf.subarray(i, i + Math.min(shape.length, 16)))}`);
        continue;
      }
      // The candidate at i is incomplete. If noise made a false start that claims a long
      // frame, the real reply may already sit complete behind it; waiting for the false
      // frame to fill up would cost the request its timeout, so look ahead.
      const ahead = this.findCompleteFrame(buf, i + 1);
      if (ahead === null) break;
      while (i < ahead.start) drop('garbage', '');
      emitFrame(ahead.start, ahead.length);
    }

    flushDrop(i);
    // What remains is one incomplete candidate: shorter than a maximum frame.
    this.pending = Buffer.from(buf.subarray(i));
    return events;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pendingLength(): number {
    return this.pending.length;
  }

  /**
   * Drops a held partial frame and returns its bytes. Call it when the line has been silent:
   * in RTU silence ends a frame, so whatever was held will never complete.
   */
  reset(): Buffer {
    const dropped = this.pending;
    this.pending = Buffer.alloc(0);
    return dropped;
  }

  private crcScan(buf: Buffer, start: number): number | null {
    const max = Math.min(buf.length - start, MAX_RTU_FRAME);
    for (let length = 4; length <= max; length++) {
      if (hasValidCrc(buf.subarray(start, start + length))) return length;
    }
    return null;
  }

  /** The first complete, CRC-valid frame of known length at or after `from`. */
  private findCompleteFrame(buf: Buffer, from: number): { start: number; length: number } | null {
    for (let j = from; j + 4 <= buf.length; j++) {
      const shape = this.shape(buf, j);
      if (shape.kind === 'length' && j + shape.length <= buf.length && hasValidCrc(buf.subarray(j, j + shape.length))) {
        return { start: j, length: shape.length };
      }
    }
    return null;
  }
}

// ---------------------------------------------------------------------------------------------

function hexByte(value: number): string {
  return value.toString(16).padStart(2, '0');
}

/** Hex for log lines, e.g. "01 05 00 00 ff 00 8c 3a". */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}
