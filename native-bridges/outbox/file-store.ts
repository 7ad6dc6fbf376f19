import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendFile, readFileIfExists, writeFileAtomic } from './durable-file.ts';
import { cloneEntry, isLive, type OutboxMessage, type OutboxStore, type StoredEntry, type TargetDelivery } from './outbox.ts';

type LogRecord = { op: 'add'; entry: StoredEntry } | { op: 'set'; id: string; target: string; delivery: TargetDelivery; at: string };

export interface FileOutboxStoreOptions {
  /** Rewrite the log once this many records were appended since the last rewrite and most are dead. Default 1000. */
  compactAfter?: number;
  /**
   * For a log written before the outbox was generic. Such a log held a video event as `entry.event`
   * where it now has `entry.message`. Return the message that event stands for, or null if it is
   * not one of yours (the line is then counted corrupt and dropped). The rewrite on open saves the
   * entries in the new form, so this is only used on the first start after the upgrade.
   */
  legacy?: (event: unknown) => OutboxMessage | null;
}

/** A line's record, or null for a torn or corrupt line. Its fields are checked where they are used. */
function parseRecord(line: string): LogRecord | null {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? (parsed as LogRecord) : null;
  } catch {
    return null;
  }
}

/** The parts of a record read back from disk; anything else about it is checked before use. */
interface LoggedEntry {
  message?: { id?: unknown };
  event?: unknown;
  enqueuedAt?: unknown;
  targets?: unknown;
}

/**
 * The outbox on disk: one append-only JSON-lines file, `outbox.jsonl`, in the given directory.
 * Each add and status change is one line, appended and fdatasync'd before the call resolves, so
 * once `enqueue` returns the message survives a power cut. A torn last line (power lost
 * mid-write, before the caller was told "stored") is skipped on load. The file is rewritten with
 * only the live entries (atomically: see writeFileAtomic) on open and when it has grown mostly
 * dead, so it stays small without ever being edited in place.
 * Chosen over a file per message because one fsync'd append per change is cheaper and atomic
 * renames of many small files are harder to reason about on Windows.
 */
export class FileOutboxStore implements OutboxStore {
  /** Lines that did not parse on the last load (a torn final write, or corruption). */
  corruptLines = 0;
  private readonly path: string;
  private readonly compactAfter: number;
  private readonly legacy: FileOutboxStoreOptions['legacy'];
  private readonly entries = new Map<string, StoredEntry>();
  private log: AppendFile | null = null;
  private appendedSinceCompact = 0;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, options: FileOutboxStoreOptions) {
    this.path = join(dir, 'outbox.jsonl');
    this.compactAfter = options.compactAfter ?? 1000;
    this.legacy = options.legacy;
  }

  static async open(dir: string, options: FileOutboxStoreOptions = {}): Promise<FileOutboxStore> {
    const store = new FileOutboxStore(dir, options);
    await mkdir(dir, { recursive: true });
    await store.replay();
    await store.compact();
    return store;
  }

  get file(): string {
    return this.path;
  }

  async load(): Promise<StoredEntry[]> {
    return [...this.entries.values()].filter(isLive).map(cloneEntry);
  }

  add(entry: StoredEntry): Promise<void> {
    return this.serialise(async () => {
      const id = entry.message.id;
      const existing = this.entries.get(id);
      if (existing === undefined) {
        await this.append({ op: 'add', entry });
        this.entries.set(id, cloneEntry(entry));
        return;
      }
      for (const [target, delivery] of Object.entries(entry.targets)) {
        if (existing.targets[target] !== undefined) continue;
        await this.append({ op: 'set', id, target, delivery, at: new Date().toISOString() });
        existing.targets[target] = { ...delivery };
      }
    });
  }

  setStatus(id: string, target: string, delivery: TargetDelivery): Promise<void> {
    return this.serialise(async () => {
      const entry = this.entries.get(id);
      if (entry === undefined) throw new RangeError(`outbox has no message ${id}`);
      await this.append({ op: 'set', id, target, delivery, at: new Date().toISOString() });
      entry.targets[target] = { ...delivery };
      if (this.appendedSinceCompact >= this.compactAfter && this.liveCount() * 2 < this.appendedSinceCompact) await this.compact();
    });
  }

  close(): Promise<void> {
    return this.serialise(async () => {
      const log = this.log;
      this.log = null;
      await log?.close();
    });
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private liveCount(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (isLive(entry)) n++;
    return n;
  }

  private async append(record: LogRecord): Promise<void> {
    if (this.log === null) throw new Error('outbox store is closed');
    await this.log.appendLine(JSON.stringify(record));
    this.appendedSinceCompact++;
  }

  private async replay(): Promise<void> {
    const text = await readFileIfExists(this.path);
    if (text === null) return;
    this.corruptLines = 0;
    for (const line of text.split('\n')) {
      if (line.trim().length === 0) continue;
      const record = parseRecord(line);
      const entry = record?.op === 'add' ? this.readEntry(record.entry) : null;
      if (entry !== null) {
        const existing = this.entries.get(entry.message.id);
        if (existing === undefined) this.entries.set(entry.message.id, entry);
        else Object.assign(existing.targets, { ...entry.targets, ...existing.targets });
      } else if (record?.op === 'set' && typeof record.id === 'string') {
        const known = this.entries.get(record.id);
        if (known !== undefined) known.targets[record.target] = record.delivery;
      } else {
        this.corruptLines++;
      }
    }
  }

  /** An entry from an 'add' line, in the current form, or null if it can't be one. */
  private readEntry(logged: LoggedEntry | undefined): StoredEntry | null {
    if (typeof logged !== 'object' || logged === null || typeof logged.targets !== 'object' || logged.targets === null) return null;
    if (typeof logged.message?.id === 'string') return logged as StoredEntry;
    const message = logged.event === undefined ? null : (this.legacy?.(logged.event) ?? null);
    if (message === null) return null;
    return { message, enqueuedAt: typeof logged.enqueuedAt === 'string' ? logged.enqueuedAt : message.at, targets: logged.targets as StoredEntry['targets'] };
  }

  /**
   * Rewrites the log with only the live entries. The append handle is closed first, because
   * Windows won't rename over an open file, and it is reopened whatever happens: a failed
   * rewrite leaves the old log whole, and appends carry on there.
   */
  private async compact(): Promise<void> {
    for (const [id, entry] of this.entries) if (!isLive(entry)) this.entries.delete(id);
    const text = [...this.entries.values()].map((entry) => `${JSON.stringify({ op: 'add', entry } satisfies LogRecord)}\n`).join('');
    await this.log?.close();
    this.log = null;
    try {
      await writeFileAtomic(this.path, text, { syncDir: 'required' });
    } finally {
      this.log = await AppendFile.open(this.path);
    }
    this.appendedSinceCompact = 0;
  }
}
