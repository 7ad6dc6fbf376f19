/**
 * pcsc-lite's client library (libpcsclite.so.1, Debian: libpcsclite1) called through koffi,
 * as a handful of typed functions. Nothing here keeps state: the session logic on top
 * (pcsc-lite.ts) is tested against a fake of the `Winscard` interface, and this file is the
 * only one that knows C types.
 *
 * Types are pcsc-lite's on Linux and the BSDs, which differ from Windows and macOS: DWORD
 * is `unsigned long` and LONG is `long` (8 bytes on LP64), and SCARDCONTEXT/SCARDHANDLE are
 * LONG. Windows (winscard.dll, 32-bit DWORD, A/W names) and macOS (PCSC.framework, 32-bit
 * DWORD, packed structs) would each need their own declarations, so they are refused.
 */

/** PCSC/pcsclite.h. */
export const SCARD_S_SUCCESS = 0x00000000;
export const SCARD_E_CANCELLED = 0x80100002;
export const SCARD_E_INVALID_HANDLE = 0x80100003;
export const SCARD_E_INSUFFICIENT_BUFFER = 0x80100008;
export const SCARD_E_UNKNOWN_READER = 0x80100009;
export const SCARD_E_TIMEOUT = 0x8010000a;
export const SCARD_E_SHARING_VIOLATION = 0x8010000b;
export const SCARD_E_PROTO_MISMATCH = 0x8010000f;
export const SCARD_F_COMM_ERROR = 0x80100013;
export const SCARD_E_NO_SERVICE = 0x8010001d;
export const SCARD_E_SERVICE_STOPPED = 0x8010001e;
export const SCARD_E_NO_READERS_AVAILABLE = 0x8010002e;
export const SCARD_W_REMOVED_CARD = 0x80100069;

export const SCARD_SCOPE_SYSTEM = 0x0002;
export const SCARD_SHARE_SHARED = 0x0002;
export const SCARD_PROTOCOL_T0 = 0x0001;
export const SCARD_PROTOCOL_T1 = 0x0002;
export const SCARD_PROTOCOL_RAW = 0x0004;
export const SCARD_LEAVE_CARD = 0x0000;

export const SCARD_STATE_UNAWARE = 0x0000;
export const SCARD_STATE_IGNORE = 0x0001;
export const SCARD_STATE_CHANGED = 0x0002;
export const SCARD_STATE_UNKNOWN = 0x0004;
export const SCARD_STATE_UNAVAILABLE = 0x0008;
export const SCARD_STATE_EMPTY = 0x0010;
export const SCARD_STATE_PRESENT = 0x0020;
export const SCARD_STATE_ATRMATCH = 0x0040;
export const SCARD_STATE_EXCLUSIVE = 0x0080;
export const SCARD_STATE_INUSE = 0x0100;
export const SCARD_STATE_MUTE = 0x0200;
export const SCARD_STATE_UNPOWERED = 0x0400;

/** The reader name that makes SCardGetStatusChange return when a reader is added or removed. */
export const PNP_NOTIFICATION = '\\\\?PnP?\\Notification';
/** SCardGetStatusChange refuses more entries than this (PCSCLITE_MAX_READERS_CONTEXTS). */
export const MAX_READERS_CONTEXTS = 16;
/** Largest response SCardTransmit accepts a buffer for: 4 + 3 + 65536 + 3 (MAX_BUFFER_SIZE_EXTENDED). */
export const MAX_BUFFER_SIZE_EXTENDED = 65546;
const MAX_ATR_SIZE = 33;

/** Error names and texts as pcsclite.h documents them. */
const ERRORS = new Map<number, readonly [string, string]>([
  [0x80100001, ['SCARD_F_INTERNAL_ERROR', 'an internal consistency check failed']],
  [SCARD_E_CANCELLED, ['SCARD_E_CANCELLED', 'the action was cancelled by an SCardCancel request']],
  [SCARD_E_INVALID_HANDLE, ['SCARD_E_INVALID_HANDLE', 'the supplied handle was invalid']],
  [0x80100004, ['SCARD_E_INVALID_PARAMETER', 'one or more of the supplied parameters could not be properly interpreted']],
  [0x80100005, ['SCARD_E_INVALID_TARGET', 'registry startup information is missing or invalid']],
  [0x80100006, ['SCARD_E_NO_MEMORY', 'not enough memory available to complete this command']],
  [0x80100007, ['SCARD_F_WAITED_TOO_LONG', 'an internal consistency timer has expired']],
  [SCARD_E_INSUFFICIENT_BUFFER, ['SCARD_E_INSUFFICIENT_BUFFER', 'the data buffer to receive returned data is too small']],
  [SCARD_E_UNKNOWN_READER, ['SCARD_E_UNKNOWN_READER', 'the specified reader name is not recognized']],
  [SCARD_E_TIMEOUT, ['SCARD_E_TIMEOUT', 'the user-specified timeout value has expired']],
  [SCARD_E_SHARING_VIOLATION, ['SCARD_E_SHARING_VIOLATION', 'the card cannot be accessed because of other connections outstanding']],
  [0x8010000c, ['SCARD_E_NO_SMARTCARD', 'the operation requires a card, but no card is in the reader']],
  [0x8010000d, ['SCARD_E_UNKNOWN_CARD', 'the specified card name is not recognized']],
  [0x8010000e, ['SCARD_E_CANT_DISPOSE', 'the system could not dispose of the media in the requested manner']],
  [SCARD_E_PROTO_MISMATCH, ['SCARD_E_PROTO_MISMATCH', 'the requested protocols are incompatible with the protocol in use with the card']],
  [0x80100010, ['SCARD_E_NOT_READY', 'the reader or card is not ready to accept commands']],
  [0x80100011, ['SCARD_E_INVALID_VALUE', 'one or more of the supplied parameter values could not be properly interpreted']],
  [0x80100012, ['SCARD_E_SYSTEM_CANCELLED', 'the action was cancelled by the system']],
  [SCARD_F_COMM_ERROR, ['SCARD_F_COMM_ERROR', 'an internal communications error has been detected']],
  [0x80100014, ['SCARD_F_UNKNOWN_ERROR', 'an internal error has been detected, but the source is unknown']],
  [0x80100015, ['SCARD_E_INVALID_ATR', 'an ATR obtained from the registry is not a valid ATR string']],
  [0x80100016, ['SCARD_E_NOT_TRANSACTED', 'an attempt was made to end a non-existent transaction']],
  [0x80100017, ['SCARD_E_READER_UNAVAILABLE', 'the specified reader is not currently available for use']],
  [0x80100018, ['SCARD_P_SHUTDOWN', 'the operation has been aborted to allow the server application to exit']],
  [0x80100019, ['SCARD_E_PCI_TOO_SMALL', 'the PCI receive buffer was too small']],
  [0x8010001a, ['SCARD_E_READER_UNSUPPORTED', 'the reader driver does not meet minimal requirements for support']],
  [0x8010001b, ['SCARD_E_DUPLICATE_READER', 'the reader driver did not produce a unique reader name']],
  [0x8010001c, ['SCARD_E_CARD_UNSUPPORTED', 'the card does not meet minimal requirements for support']],
  [SCARD_E_NO_SERVICE, ['SCARD_E_NO_SERVICE', 'the smart card resource manager (pcscd) is not running']],
  [SCARD_E_SERVICE_STOPPED, ['SCARD_E_SERVICE_STOPPED', 'the smart card resource manager (pcscd) has shut down']],
  // pcsc-lite gives 0x8010001F to SCARD_E_UNEXPECTED too, but never returns that one.
  [0x8010001f, ['SCARD_E_UNSUPPORTED_FEATURE', 'the card does not support the requested feature']],
  [SCARD_E_NO_READERS_AVAILABLE, ['SCARD_E_NO_READERS_AVAILABLE', 'cannot find a smart card reader']],
  [0x8010002f, ['SCARD_E_COMM_DATA_LOST', 'a communications error with the card has been detected']],
  [0x80100031, ['SCARD_E_SERVER_TOO_BUSY', 'the smart card resource manager is too busy to complete this operation']],
  [0x80100065, ['SCARD_W_UNSUPPORTED_CARD', 'the reader cannot communicate with the card, due to ATR configuration conflicts']],
  [0x80100066, ['SCARD_W_UNRESPONSIVE_CARD', 'the card is not responding to a reset']],
  [0x80100067, ['SCARD_W_UNPOWERED_CARD', 'power has been removed from the card']],
  [0x80100068, ['SCARD_W_RESET_CARD', 'the card has been reset']],
  [SCARD_W_REMOVED_CARD, ['SCARD_W_REMOVED_CARD', 'the card has been removed']],
]);

/** A PC/SC call that did not return SCARD_S_SUCCESS. `code` is the pcsclite.h name. */
export class PcscError extends Error {
  readonly code: string;
  /** The LONG the call returned, as an unsigned 32-bit number (0x8010001D, not a negative). */
  readonly rv: number;
  constructor(call: string, rv: number) {
    const known = ERRORS.get(rv);
    const code = known?.[0] ?? `0x${rv.toString(16).toUpperCase().padStart(8, '0')}`;
    super(`${call}: ${known?.[1] ?? 'unknown PC/SC error'} (${code})`);
    this.name = 'PcscError';
    this.code = code;
    this.rv = rv;
  }
}

export function isPcscError(error: unknown, ...rvs: number[]): error is PcscError {
  return error instanceof PcscError && (rvs.length === 0 || rvs.includes(error.rv));
}

/** SCARDCONTEXT or SCARDHANDLE: a `long`, which koffi gives as a BigInt only when it must. */
export type ScardHandle = number | bigint;

export interface ReaderStateRequest {
  reader: string;
  /** What the caller last saw: the previous eventState (event counter in the high word included). */
  currentState: number;
}

export interface ReaderStateResult {
  reader: string;
  eventState: number;
  atr: Uint8Array;
}

export interface ConnectedCard {
  card: ScardHandle;
  /** SCARD_PROTOCOL_T0, _T1 or _RAW. */
  protocol: number;
}

/**
 * The winscard calls the card reader makes. Everything that talks to pcscd returns a promise
 * and runs on a libuv worker thread, except establishContext, which start() needs to fail
 * synchronously. Failures reject with PcscError.
 */
export interface Winscard {
  /** SCardEstablishContext(SCARD_SCOPE_SYSTEM) on the calling thread: one round trip over pcscd's socket. */
  establishContext(): ScardHandle;
  establishContextAsync(): Promise<ScardHandle>;
  releaseContext(context: ScardHandle): Promise<void>;
  /** Reader names; none (not an error) when pcscd has no reader. */
  listReaders(context: ScardHandle): Promise<string[]>;
  /** Blocks (its worker thread) until a state differs from `currentState`, the timeout, or cancel(). */
  getStatusChange(context: ScardHandle, timeoutMs: number, states: readonly ReaderStateRequest[]): Promise<ReaderStateResult[]>;
  /** Makes a getStatusChange in progress on `context` return SCARD_E_CANCELLED. */
  cancel(context: ScardHandle): Promise<void>;
  /** SCARD_SHARE_SHARED, T=0 or T=1. */
  connect(context: ScardHandle, reader: string): Promise<ConnectedCard>;
  transmit(card: ScardHandle, protocol: number, apdu: Uint8Array): Promise<Uint8Array>;
  /** SCARD_LEAVE_CARD. */
  disconnect(card: ScardHandle): Promise<void>;
}

/** The part of koffi's API this file uses, checked at load time, so no `any` leaks out of koffi's typings. */
interface KoffiFunction {
  (...args: unknown[]): unknown;
  async(...args: unknown[]): void;
}
interface KoffiLibrary {
  func(name: string, result: unknown, parameters: unknown[]): KoffiFunction;
  symbol(name: string): unknown;
}
interface KoffiLike {
  load(path: string): KoffiLibrary;
  struct(definition: Record<string, unknown>): unknown;
  array(type: unknown, length: number): unknown;
  pointer(type: unknown): unknown;
  out(type: unknown): unknown;
  inout(type: unknown): unknown;
}

function isKoffiLike(value: unknown): value is KoffiLike {
  if (typeof value !== 'object' || value === null) return false;
  return ['load', 'struct', 'array', 'pointer', 'out', 'inout'].every((key) => typeof Reflect.get(value, key) === 'function');
}

/** A LONG return value as pcsclite.h spells it: on LP64 koffi already gives 0x8010001D, on ILP32 a negative. */
function returnCode(value: unknown): number {
  if (typeof value === 'number') return value >>> 0;
  if (typeof value === 'bigint') return Number(BigInt.asUintN(32, value));
  throw new TypeError(`PC/SC call returned ${typeof value}, expected a LONG`);
}

function unsigned(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  throw new TypeError(`${what}: expected an unsigned integer, got ${String(value)}`);
}

function handle(value: unknown, what: string): ScardHandle {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  throw new TypeError(`${what}: expected a handle, got ${String(value)}`);
}

function check(call: string, result: unknown): void {
  const rv = returnCode(result);
  if (rv !== SCARD_S_SUCCESS) throw new PcscError(call, rv);
}

function callAsync(fn: KoffiFunction, ...args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (error: unknown, result: unknown) => {
      if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(result);
    });
  });
}

/** mszReaders: names each ended by NUL, the list ended by another NUL. */
export function parseMultiString(bytes: Uint8Array, length: number): string[] {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(length, bytes.byteLength))
    .toString('utf8')
    .split('\0')
    .filter((name) => name.length > 0);
}

/**
 * Loads libpcsclite.so.1 through koffi and declares the calls. Rejects (never throws at import
 * time) when koffi is not installed, the library is missing, or the platform is not pcsc-lite's.
 *
 * @param library dlopen name or path of the pcsc-lite client library.
 */
export async function loadWinscard(library = 'libpcsclite.so.1'): Promise<Winscard> {
  if (process.platform === 'win32' || process.platform === 'darwin') {
    throw new Error(`the PC/SC binding declares pcsc-lite's types, which ${process.platform} does not use`);
  }
  const imported: unknown = await import('koffi');
  const koffi = isKoffiLike(imported) ? imported : Reflect.get(Object(imported), 'default');
  if (!isKoffiLike(koffi)) throw new Error('koffi did not load as expected (no load/struct/pointer functions)');
  let lib: KoffiLibrary;
  try {
    lib = koffi.load(library);
  } catch (error) {
    // koffi's message does not name the file, which is what tells "install libpcsclite1" from "install koffi".
    throw new Error(`cannot load ${library} (Debian: libpcsclite1): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  // Anonymous types: a named koffi type is global to the process, so a second load would clash.
  const readerState = koffi.struct({
    szReader: 'const char *',
    pvUserData: 'void *',
    dwCurrentState: 'unsigned long',
    dwEventState: 'unsigned long',
    cbAtr: 'unsigned long',
    rgbAtr: koffi.array('uint8_t', MAX_ATR_SIZE),
  });
  const outLong = koffi.out(koffi.pointer('long'));
  const outDword = koffi.out(koffi.pointer('unsigned long'));
  const inoutDword = koffi.inout(koffi.pointer('unsigned long'));

  const establish = lib.func('SCardEstablishContext', 'long', ['unsigned long', 'void *', 'void *', outLong]);
  const release = lib.func('SCardReleaseContext', 'long', ['long']);
  const list = lib.func('SCardListReaders', 'long', ['long', 'const char *', 'uint8_t *', inoutDword]);
  const getStatusChange = lib.func('SCardGetStatusChange', 'long', ['long', 'unsigned long', koffi.inout(koffi.pointer(readerState)), 'unsigned long']);
  const cancel = lib.func('SCardCancel', 'long', ['long']);
  const connect = lib.func('SCardConnect', 'long', ['long', 'const char *', 'unsigned long', 'unsigned long', outLong, outDword]);
  const transmit = lib.func('SCardTransmit', 'long', ['long', 'const void *', 'const uint8_t *', 'unsigned long', 'void *', 'uint8_t *', inoutDword]);
  const disconnect = lib.func('SCardDisconnect', 'long', ['long', 'unsigned long']);
  // The library's own SCARD_PCI_T0/T1/RAW, as the SCARD_PCI_* macros pass them.
  const pci = new Map<number, unknown>([
    [SCARD_PROTOCOL_T0, lib.symbol('g_rgSCardT0Pci')],
    [SCARD_PROTOCOL_T1, lib.symbol('g_rgSCardT1Pci')],
    [SCARD_PROTOCOL_RAW, lib.symbol('g_rgSCardRawPci')],
  ]);

  const listOnce = async (context: ScardHandle): Promise<string[]> => {
    const size: [number] = [0];
    let rv = returnCode(await callAsync(list, context, null, null, size));
    if (rv === SCARD_E_NO_READERS_AVAILABLE) return [];
    if (rv !== SCARD_S_SUCCESS) throw new PcscError('SCardListReaders', rv);
    const buffer = Buffer.alloc(unsigned(size[0], 'SCardListReaders length'));
    rv = returnCode(await callAsync(list, context, null, buffer, size));
    if (rv === SCARD_E_NO_READERS_AVAILABLE) return [];
    if (rv !== SCARD_S_SUCCESS) throw new PcscError('SCardListReaders', rv);
    return parseMultiString(buffer, unsigned(size[0], 'SCardListReaders length'));
  };

  return {
    establishContext() {
      const context: [unknown] = [null];
      check('SCardEstablishContext', establish(SCARD_SCOPE_SYSTEM, null, null, context));
      return handle(context[0], 'SCardEstablishContext');
    },
    async establishContextAsync() {
      const context: [unknown] = [null];
      check('SCardEstablishContext', await callAsync(establish, SCARD_SCOPE_SYSTEM, null, null, context));
      return handle(context[0], 'SCardEstablishContext');
    },
    async releaseContext(context) {
      check('SCardReleaseContext', await callAsync(release, context));
    },
    async listReaders(context) {
      // A reader plugged in between the length query and the fetch makes the buffer too small.
      for (let attempt = 0; ; attempt++) {
        try {
          return await listOnce(context);
        } catch (error) {
          if (attempt >= 2 || !isPcscError(error, SCARD_E_INSUFFICIENT_BUFFER)) throw error;
        }
      }
    },
    async getStatusChange(context, timeoutMs, states) {
      const structs = states.map((s) => ({
        szReader: s.reader,
        pvUserData: null,
        dwCurrentState: s.currentState,
        dwEventState: 0,
        cbAtr: 0,
        rgbAtr: new Uint8Array(MAX_ATR_SIZE),
      }));
      check('SCardGetStatusChange', await callAsync(getStatusChange, context, timeoutMs, structs, structs.length));
      // koffi copies the structs back by replacing the array's elements.
      return structs.map((value: unknown, i): ReaderStateResult => {
        const eventState = unsigned(Reflect.get(Object(value), 'dwEventState'), 'dwEventState');
        const atrLength = Math.min(unsigned(Reflect.get(Object(value), 'cbAtr'), 'cbAtr'), MAX_ATR_SIZE);
        const atr: unknown = Reflect.get(Object(value), 'rgbAtr');
        return {
          reader: states[i]?.reader ?? '',
          eventState,
          atr: atr instanceof Uint8Array ? Uint8Array.from(atr.subarray(0, atrLength)) : new Uint8Array(0),
        };
      });
    },
    async cancel(context) {
      check('SCardCancel', await callAsync(cancel, context));
    },
    async connect(context, reader) {
      const card: [unknown] = [null];
      const protocol: [unknown] = [null];
      check('SCardConnect', await callAsync(connect, context, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, card, protocol));
      return { card: handle(card[0], 'SCardConnect'), protocol: unsigned(protocol[0], 'SCardConnect protocol') };
    },
    async transmit(card, protocol, apdu) {
      const sendPci = pci.get(protocol);
      if (sendPci === undefined) throw new PcscError('SCardTransmit', SCARD_E_PROTO_MISMATCH);
      const response = Buffer.alloc(MAX_BUFFER_SIZE_EXTENDED);
      const length: [number] = [response.length];
      check('SCardTransmit', await callAsync(transmit, card, sendPci, apdu, apdu.length, null, response, length));
      return Uint8Array.from(response.subarray(0, Math.min(unsigned(length[0], 'SCardTransmit length'), response.length)));
    },
    async disconnect(card) {
      check('SCardDisconnect', await callAsync(disconnect, card, SCARD_LEAVE_CARD));
    },
  };
}
