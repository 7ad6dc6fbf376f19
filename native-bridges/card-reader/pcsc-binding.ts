import type * as PcscMini from 'pcsc-mini';

/**
 * The slice of PC/SC the card reader uses, as plain interfaces: the reader logic is tested
 * against a fake, and the native binding is one adapter below that nothing else imports.
 *
 * The binding is pcsc-mini: a Node-API addon shipped prebuilt in per-platform npm packages
 * (@pcsc-mini/linux-x86_64-gnu etc.), so Electron loads the same binary as Node with no
 * node-gyp or electron-rebuild. It links libpcsclite.so.1 (Debian: libpcsclite1), which is
 * why it is imported lazily: on a machine without that library the require throws, and that
 * must become "card reader offline", not a main process that fails to start.
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

/** pcsc-mini reports failures as Errors with a `code` like "NoService"; keep it in the text. */
export function pcscErrorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

/** Loads pcsc-mini. Rejects when the addon or libpcsclite.so.1 is missing. */
export async function loadPcscMini(): Promise<PcscBinding> {
  const pcsc: typeof PcscMini = await import('pcsc-mini');
  return {
    start(handlers) {
      const client = new pcsc.Client();
      client.on('reader', (reader) => handlers.onReader(adaptReader(pcsc, reader)));
      client.on('error', (error) => handlers.onError(error instanceof Error ? error : new Error(String(error))));
      client.start();
      return {
        stop() {
          try {
            client.stop();
          } catch {
            // After the daemon died, stop() itself fails with NoService; the thread is gone anyway.
          }
        },
      };
    },
  };
}

function adaptReader(pcsc: typeof PcscMini, reader: PcscMini.Reader): PcscReaderHandle {
  const { ReaderStatus, CardMode, CardDisposition } = pcsc;
  return {
    name: reader.name(),
    onChange(listener) {
      reader.on('change', (status) => {
        listener({
          present: status.has(ReaderStatus.PRESENT) && !status.has(ReaderStatus.UNAVAILABLE),
          mute: status.has(ReaderStatus.MUTE),
          text: status.toString(),
        });
      });
    },
    onDisconnect(listener) {
      reader.on('disconnect', listener);
    },
    async connect() {
      const card = await reader.connect(CardMode.SHARED);
      return {
        transmit: (apdu) => card.transmit(apdu),
        disconnect: () => card.disconnect(CardDisposition.LEAVE),
      };
    },
  };
}
