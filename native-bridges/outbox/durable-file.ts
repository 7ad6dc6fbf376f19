import { open, readFile, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Files that must survive a power cut: the outbox's log, the C2 feed's sequence and document.
 * One copy of these few careful steps, so every writer gets the same guarantees (and the same
 * fixes).
 */

/**
 * - required: a failed directory fsync fails the write (local state that must not go back, such as a sequence).
 * - best-effort: it is ignored. Network shares often refuse a directory fsync, and the rename itself has
 *   already happened and is atomic.
 */
export type DirectorySync = 'required' | 'best-effort';

/** Makes a rename or a new file's name durable. Windows can't do it and doesn't need to (NTFS journals it). */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The file's text, or null if it does not exist (a first start). Any other error is thrown. */
export async function readFileIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export interface AtomicWriteOptions {
  /** Permissions of the new file. Default 0o600, because what goes through here usually names officers. */
  mode?: number;
  /** Default 'required'. */
  syncDir?: DirectorySync;
}

/** Keeps temp names unique when one process writes the same path twice at once. */
let tempCounter = 0;

/**
 * Replaces `path` so that a reader, or the next start after a power cut, finds either the old
 * content or the new, never half. It writes a temp file in the same folder (a rename is only
 * atomic within one file system), fsyncs it, renames it over the old file, then fsyncs the
 * folder so the rename itself is durable. The temp name starts with a dot so a watcher looking
 * for *.json doesn't pick it up. If the write fails, the temp file is removed and the old file
 * is left as it was.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
  const handle = await open(temp, 'w', options.mode ?? 0o600);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  try {
    await syncDirectory(dirname(path));
  } catch (error) {
    if ((options.syncDir ?? 'required') === 'required') throw error;
  }
}

/**
 * A line-oriented log that is only ever appended to. Each line is on disk (fdatasync'd) when
 * appendLine resolves. O_APPEND makes every write go to the end, even after another process has
 * appended. A torn tail (power lost mid-line, or an append that failed part-way) spoils only its
 * own line: the next append starts a new line, so a reader that skips unparsable lines loses
 * nothing that was acknowledged.
 */
export class AppendFile {
  private constructor(
    private handle: FileHandle | null,
    /** The file does not end in a newline: the next line must start with one. */
    private torn: boolean,
  ) {}

  /** Creates the file if needed (with `mode`, default 0o600), and then syncs the folder so the new file's name survives a power cut. */
  static async open(path: string, options: { mode?: number } = {}): Promise<AppendFile> {
    // a+ rather than a: the last byte is read once, to find a torn tail.
    const handle = await open(path, 'a+', options.mode ?? 0o600);
    try {
      const { size } = await handle.stat();
      let torn = false;
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        torn = last[0] !== 0x0a;
      }
      // Empty is how a file this call created looks (an existing empty one just costs one more fsync).
      if (size === 0) await syncDirectory(dirname(path));
      return new AppendFile(handle, torn);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** `line` must not contain a newline; one is added. Callers must not overlap appends (they would interleave). */
  async appendLine(line: string): Promise<void> {
    if (this.handle === null) throw new Error('append file is closed');
    const text = `${this.torn ? '\n' : ''}${line}\n`;
    // Until this append is known to be whole, treat the tail as torn.
    this.torn = true;
    // appendFile, unlike write, loops until every byte is written.
    await this.handle.appendFile(text, 'utf8');
    await this.handle.datasync();
    this.torn = false;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }
}
