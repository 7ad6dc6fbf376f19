/**
 * The small seam every device driver and simulator talks through: bytes in, bytes out.
 * Real serial ports, in-memory pairs (demo mode) and TCP sockets all fit behind it,
 * so a codec and driver are tested with the same bytes whatever carries them.
 */
export interface ByteTransport {
  /** Human name for logs and health: "/dev/ttyUSB0", "memory:locker-a". */
  readonly name: string;
  readonly isOpen: boolean;
  /** Resolves once the bytes are handed to the OS (or the peer, in memory). Rejects if closed. */
  write(data: Uint8Array): Promise<void>;
  /** Called with every chunk as it arrives; chunks split and join frames arbitrarily. */
  onData(listener: (chunk: Buffer) => void): () => void;
  /** Called once when the transport closes, with the error if it was not asked to. */
  onClose(listener: (error: Error | null) => void): () => void;
  close(): Promise<void>;
}
