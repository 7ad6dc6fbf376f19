/**
 * The far (device) end of a pty, for the bench's simulators, with the moment each write is in
 * the pty. serialport writes on the libuv thread pool and resolves after a drain, so "the write
 * resolved" comes some way after the bytes left; here a write is one write(2) on the caller's
 * thread, so a timestamp taken when it returns is when the last byte was handed to the pty.
 * Reads come through a tty stream, on the event loop's own poll (no thread-pool hop either), so
 * a chunk is stamped as soon as this process can see it.
 */
import { constants, openSync, writeSync } from 'node:fs';
import tty from 'node:tty';
import type { ByteTransport } from '../../native-bridges/transport/byte-transport.ts';

export interface PtyEndpoint extends ByteTransport {
  /** Called after every write with its bytes and the moment write(2) returned (epochMs). */
  onWritten(listener: (bytes: Uint8Array, at: number) => void): () => void;
}

/** Opens `path` (a pty end socat made) for the simulator; `now` is the clock writes are stamped with. */
export function openPtyEndpoint(path: string, now: () => number): PtyEndpoint {
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  const input = new tty.ReadStream(fd);
  const dataListeners = new Set<(chunk: Buffer) => void>();
  const closeListeners = new Set<(error: Error | null) => void>();
  const writtenListeners = new Set<(bytes: Uint8Array, at: number) => void>();
  let open = true;
  const finish = (error: Error | null) => {
    if (!open) return;
    open = false;
    input.destroy();
    for (const listener of [...closeListeners]) listener(error);
  };
  input.on('data', (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    for (const listener of [...dataListeners]) listener(bytes);
  });
  input.on('error', (error) => finish(error));
  input.on('close', () => finish(null));
  return {
    name: path,
    get isOpen() {
      return open;
    },
    write(data: Uint8Array): Promise<void> {
      if (!open) return Promise.reject(new Error(`${path} is closed`));
      let offset = 0;
      try {
        // Frames are a few bytes and the pty's buffer kilobytes: a short write means the far end stopped reading.
        while (offset < data.length) offset += writeSync(fd, data, offset);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      const at = now();
      for (const listener of [...writtenListeners]) listener(data, at);
      return Promise.resolve();
    },
    onData(listener) {
      dataListeners.add(listener);
      return () => dataListeners.delete(listener);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    onWritten(listener) {
      writtenListeners.add(listener);
      return () => writtenListeners.delete(listener);
    },
    close() {
      // The tty stream's handle owns the descriptor (libuv may have reopened it): destroying the stream closes it.
      finish(null);
      return Promise.resolve();
    },
  };
}
