/**
 * The slice of PC/SC the card reader uses, as plain interfaces: the reader logic is tested
 * against a fake, and the native binding is one adapter below that nothing else imports.
 *
 * The binding is our own (pcsc-lite.ts): pcsc-lite's client library, libpcsclite.so.1
 * (Debian: libpcsclite1), called through koffi, whose Node-API prebuilds load in Electron as
 * they are. It replaced the pcsc-mini addon, whose optional per-platform packages are not all
 * published, so `npm ci` could never match the lock file. Both koffi and the library are
 * loaded lazily: on a machine without them the load rejects, and that must become "card
 * reader offline", not a main process that fails to start.
 */

export interface PcscReaderState {
  /** A card is in the field. */
  present: boolean;
  /** A card is there but did not answer to reset. */
  mute: boolean;
  /** Flag names as the binding prints them, for logs. */
  text: string;
}

export interface PcscCardHandle {
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** Leaves the card as it is: another application may be using it too. */
  disconnect(): Promise<void>;
}

export interface PcscReaderHandle {
  readonly name: string;
  /** Every state change, starting with the state at the time the reader is reported. */
  onChange(listener: (state: PcscReaderState) => void): void;
  /** The reader was unplugged (or the session stopped). */
  onDisconnect(listener: () => void): void;
  /** Shared-mode connection to the card in the reader. */
  connect(): Promise<PcscCardHandle>;
}

export interface PcscSessionHandlers {
  /** Once per reader present when the session starts, and for every reader plugged in later. */
  onReader(reader: PcscReaderHandle): void;
  /** The link to pcscd failed; the session is dead and must be replaced. */
  onError(error: Error): void;
}

export interface PcscSession {
  /** Never throws: stopping a session whose daemon is already gone is not an error. */
  stop(): void;
}

export interface PcscBinding {
  /** Starts watching readers. Throws when pcscd cannot be reached. */
  start(handlers: PcscSessionHandlers): PcscSession;
}

/**
 * Binding failures are Errors with a `code` naming the PC/SC error ("SCARD_E_NO_SERVICE");
 * keep it in the text when the message does not already say it.
 */
export function pcscErrorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
