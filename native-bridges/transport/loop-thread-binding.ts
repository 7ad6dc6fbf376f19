import { readSync, writeSync } from 'node:fs';
import { BindingsError, LinuxBinding, type LinuxBindingInterface, type LinuxOpenOptions, type LinuxPortBinding } from '@serialport/bindings-cpp';

// @serialport/bindings-interface's own types do not resolve under its package exports, so the
// port's shape is the Linux port's, which implements that interface.
type UpdateOptions = Parameters<LinuxPortBinding['update']>[0];
type SetOptions = Parameters<LinuxPortBinding['set']>[0];
type PortStatus = Awaited<ReturnType<LinuxPortBinding['get']>>;

/**
 * The Linux serial binding with its reads and writes done on the event loop's own thread.
 *
 * The stock binding watches the port with a uv_poll on the loop thread, then hands every read and
 * write to libuv's thread pool (fs.read, fs.write). Each byte in or out then waits for a pool
 * thread to wake and for the loop to wake again after it: on a busy two-core terminal that is a
 * millisecond or more per hop, on the path from a scan's last byte to the unlock frame. The pool is
 * shared with PIN hashing (scrypt), so an unlock could also queue behind an officer signing in.
 *
 * The port is opened non-blocking by the stock binding (its own reads rely on EAGAIN), so a read or
 * write here never blocks the loop: it takes what is there, or waits for the same uv_poll to say
 * the port is ready and tries again. Everything else (open, termios, drain, close) is the stock
 * binding's.
 */
export const LoopThreadBinding: { list: LinuxBindingInterface['list']; open(options: LinuxOpenOptions): Promise<LoopThreadPort> } = {
  list: () => LinuxBinding.list(),
  open: async (options: LinuxOpenOptions) => new LoopThreadPort(await LinuxBinding.open(options)),
};

const TRY_AGAIN = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);
/** As the stock binding decides: these mean the device went away (a USB adapter pulled). */
const DISCONNECTED = new Set(['EBADF', 'ENXIO', 'UNKNOWN']);

interface SystemError extends Error {
  code?: string;
  errno?: number;
  disconnect?: boolean;
}

function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error;
}

export class LoopThreadPort {
  /** The write under way, if it had to wait for the port: drain waits for it first. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly inner: LinuxPortBinding) {}

  get openOptions(): Required<LinuxOpenOptions> {
    return this.inner.openOptions;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    for (;;) {
      const fd = this.openFd('read');
      try {
        const bytesRead = readSync(fd, buffer, offset, length, null);
        // Nothing yet (a tty may say so instead of EAGAIN): wait rather than spin.
        if (bytesRead > 0) return { buffer, bytesRead };
      } catch (error) {
        this.rethrowUnlessTryAgain(error);
      }
      await this.ready('readable');
    }
  }

  write(buffer: Buffer): Promise<void> {
    const written = this.writeAll(buffer);
    this.writing = written.catch(() => undefined);
    return written;
  }

  async drain(): Promise<void> {
    await this.writing;
    await this.inner.drain();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  update(options: UpdateOptions): Promise<void> {
    return this.inner.update(options);
  }

  set(options: SetOptions): Promise<void> {
    return this.inner.set(options);
  }

  get(): Promise<PortStatus> {
    return this.inner.get();
  }

  getBaudRate(): Promise<{ baudRate: number }> {
    return this.inner.getBaudRate();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  private async writeAll(buffer: Buffer): Promise<void> {
    let offset = 0;
    while (offset < buffer.length) {
      const fd = this.openFd('write');
      try {
        offset += writeSync(fd, buffer, offset, buffer.length - offset);
        continue;
      } catch (error) {
        this.rethrowUnlessTryAgain(error);
      }
      await this.ready('writable');
    }
  }

  private openFd(what: string): number {
    const fd = this.inner.fd;
    // `canceled`: the stream treats this as the port closing under it, not as a fault.
    if (fd === null) throw new BindingsError(`Port is not open (${what})`, { canceled: true });
    return fd;
  }

  private rethrowUnlessTryAgain(error: unknown): void {
    if (!isSystemError(error)) throw error;
    if (TRY_AGAIN.has(error.code ?? '')) return;
    if (DISCONNECTED.has(error.code ?? '') || error.errno === -1) error.disconnect = true;
    throw error;
  }

  /** The stock binding's poller: it settles with a canceled error when the port is closed meanwhile. */
  private ready(event: 'readable' | 'writable'): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.inner.poller.once(event, (error: Error | null) => (error ? reject(error) : resolve()));
    });
  }
}
