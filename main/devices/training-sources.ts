import { hash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { TrainingImportView } from '../../preload/contract.ts';
import { SECRET_MASK, type TerminalConfig } from '../config/terminal-config.ts';
import type { TrainingImportInput } from '../core/training-import.ts';

/**
 * Where training records exports arrive without an admin at the screen: a drop folder the
 * LMS (or a person) writes to, and a scheduled HTTPS pull of the LMS's export URL. Both go
 * through the one training import (in the import worker on a terminal), so a file from either
 * is checked, applied all or nothing, recorded and audited exactly like an upload.
 */

/** The training import as the sources use it: TrainingImports itself, or the kiosk's imports run in a worker. */
export interface TrainingImporter {
  importBytes(input: TrainingImportInput<Uint8Array>): TrainingImportView | Promise<TrainingImportView>;
  lastAcceptedSha256(source: string): string | null;
}

export interface TrainingSources {
  stop(): Promise<void>;
  /** Pull the export now (the admin's "pull now", tests); null when skipped, failed or not configured. */
  pullNow(): Promise<TrainingImportView | null>;
}

export interface TrainingSourceOptions {
  /** How often the drop folder is looked at (tests shorten it). */
  pollMs?: number;
  /** The pull's request time limit (tests shorten it). */
  timeoutMs?: number;
}

/**
 * Polled, not fs.watch'ed: the drop folder is usually a network share, where inotify never
 * sees writes made by other machines, and where watch events come before a copy finishes
 * or not at all. A readdir every 2 s is cheap, sees everything, and gives the "size stable
 * for one poll" test that tells a finished copy from one still being written.
 */
export const DROP_POLL_MS = 2000;
export const PULL_TIMEOUT_MS = 30_000;
/** Larger than any plausible export (100,000 rows is about 6 MB); stops a runaway response. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** A file that failed to read or import is tried again after this long, or at once if it changes. */
const RETRY_FAILED_MS = 60_000;

const DROP_SOURCE = 'drop folder';
const EXPORT_FILE = /\.(csv|json)$/i;

export function startTrainingSources(
  config: TerminalConfig['training'],
  imports: TrainingImporter,
  log: (line: string) => void,
  options: TrainingSourceOptions = {},
): TrainingSources {
  const drop = config.dropFolder === null ? null : new DropFolder(config.dropFolder, imports, log, options.pollMs ?? DROP_POLL_MS);
  const pull = config.pull === null ? null : new Puller(config.pull, imports, log, options.timeoutMs ?? PULL_TIMEOUT_MS);
  drop?.start();
  pull?.start();
  return {
    async stop() {
      await Promise.all([drop?.stop(), pull?.stop()]);
    },
    pullNow: () => (pull ? pull.pullNow() : Promise.resolve(null)),
  };
}

// ---------------------------------------------------------------------------------------

interface Seen {
  size: number;
  mtimeMs: number;
}

class DropFolder {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Size and time at the last poll: a file is taken once they have not changed for one poll. */
  private readonly seen = new Map<string, Seen>();
  /** Files that could not be read, imported or moved: not retried each poll (or re-imported). */
  private readonly failed = new Map<string, Seen & { at: number }>();
  private missingLogged = false;

  constructor(
    private readonly folder: string,
    private readonly imports: TrainingImporter,
    private readonly log: (line: string) => void,
    private readonly pollMs: number,
  ) {}

  start(): void {
    this.log(`training: watching the drop folder ${this.folder}`);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    // One poll at a time: the next is set only when this one has finished.
    this.timer = setTimeout(() => {
      this.running = this.poll()
        .catch((error: unknown) => this.log(`training: drop folder poll failed: ${message(error)}`))
        .finally(() => {
          this.running = null;
          this.schedule(this.pollMs);
        });
    }, ms);
  }

  private async poll(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.folder, { withFileTypes: true })).filter((e) => e.isFile() && EXPORT_FILE.test(e.name) && !e.name.startsWith('.')).map((e) => e.name);
      this.missingLogged = false;
    } catch (error) {
      // A share that is not mounted yet: say so once, keep looking.
      if (!this.missingLogged) this.log(`training: cannot read the drop folder ${this.folder}: ${message(error)}`);
      this.missingLogged = true;
      return;
    }
    const ready: { name: string; now: Seen }[] = [];
    for (const name of names) {
      let now: Seen;
      try {
        const s = await stat(join(this.folder, name));
        now = { size: s.size, mtimeMs: s.mtimeMs };
      } catch {
        continue; // gone between readdir and stat
      }
      const before = this.seen.get(name);
      this.seen.set(name, now);
      if (!before || before.size !== now.size || before.mtimeMs !== now.mtimeMs) continue;
      const failed = this.failed.get(name);
      if (failed && failed.size === now.size && failed.mtimeMs === now.mtimeMs && Date.now() - failed.at < RETRY_FAILED_MS) continue;
      ready.push({ name, now });
    }
    for (const name of this.seen.keys()) if (!names.includes(name)) this.seen.delete(name);
    for (const name of this.failed.keys()) if (!names.includes(name)) this.failed.delete(name);
    // Oldest first, so a later export is applied after an earlier one.
    ready.sort((a, b) => a.now.mtimeMs - b.now.mtimeMs || a.name.localeCompare(b.name));
    for (const { name, now } of ready) {
      if (this.stopped) return;
      await this.take(name, now);
    }
  }

  private async take(name: string, now: Seen): Promise<void> {
    const path = join(this.folder, name);
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (error) {
      this.failed.set(name, { ...now, at: Date.now() });
      this.log(`training: cannot read ${path}: ${message(error)}; will try again when it changes`);
      return;
    }
    let view: TrainingImportView;
    try {
      view = await this.imports.importBytes({ fileName: name, content, source: DROP_SOURCE, officerId: null });
    } catch (error) {
      // The database refused (busy, full): nothing was applied; the file stays to be retried.
      this.failed.set(name, { ...now, at: Date.now() });
      this.log(`training: importing ${path} failed: ${message(error)}; will try again`);
      return;
    }
    this.log(`training: ${name} from the drop folder: ${describe(view)}`);
    const into = join(this.folder, view.status === 'rejected' ? 'rejected' : 'processed');
    try {
      await mkdir(into, { recursive: true });
      const target = await freeName(into, name, view.id);
      await writeFile(join(into, `${target}.report.json`), `${JSON.stringify(view, null, 2)}\n`);
      await rename(path, join(into, target));
      this.seen.delete(name);
    } catch (error) {
      // Imported but not moved (a read-only share): remembered, so it is not imported again
      // while this process runs; after a restart a re-import is harmless (it comes out unchanged).
      this.failed.set(name, { ...now, at: Number.POSITIVE_INFINITY });
      this.log(`training: imported ${path} but could not move it to ${into}: ${message(error)}`);
    }
  }
}

/** `name`, or `stem.<importId>.ext` when processed/ already holds an earlier file of that name. */
async function freeName(folder: string, name: string, importId: number): Promise<string> {
  try {
    await stat(join(folder, name));
  } catch {
    return name;
  }
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)}.${importId}${ext}`;
}

// ---------------------------------------------------------------------------------------

type PullConfig = NonNullable<TerminalConfig['training']['pull']>;

class Puller {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  /** Pulls run one at a time; a "pull now" during a scheduled pull waits for it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The URL without its query, fragment or credentials: what the import records as its source. */
  private readonly source: string;

  constructor(
    private readonly config: PullConfig,
    private readonly imports: TrainingImporter,
    private readonly log: (line: string) => void,
    private readonly timeoutMs: number,
  ) {
    const url = new URL(config.url);
    this.source = `${url.origin}${url.pathname}`;
  }

  start(): void {
    this.log(`training: pulling ${this.source} every ${this.config.intervalMinutes} min`);
    // At once on start (a terminal that was off has stale records), then every interval.
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.queue.catch(() => undefined);
  }

  pullNow(): Promise<TrainingImportView | null> {
    const next = this.queue.then(() => this.pull());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.pullNow()
        .catch((error: unknown) => this.log(`training: pull from ${this.source} failed: ${message(error)}`))
        .finally(() => this.schedule(this.config.intervalMinutes * 60_000));
    }, ms);
  }

  /** Never throws: a failed pull is logged and the records from the last good import stay. */
  private async pull(): Promise<TrainingImportView | null> {
    if (this.stopped) return null;
    if (this.config.authHeader === SECRET_MASK) {
      this.log(`training: not pulling ${this.source}: the auth header was left masked when the URL's host changed; enter it again`);
      return null;
    }
    let response: Response;
    let body: Buffer;
    try {
      response = await fetch(this.config.url, {
        headers: { Authorization: this.config.authHeader, Accept: 'text/csv, application/json;q=0.9, */*;q=0.1' },
        // A redirect could carry the request to a host (or to plain http) the config never named.
        redirect: 'error',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      if (!response.ok) {
        await response.body?.cancel();
        this.log(`training: pull from ${this.source} failed: HTTP ${response.status}; keeping the records from the last good import`);
        return null;
      }
      body = await readCapped(response, MAX_BODY_BYTES);
    } catch (error) {
      if (!this.stopped) this.log(`training: pull from ${this.source} failed: ${message(error)}; keeping the records from the last good import`);
      return null;
    }
    if (this.stopped) return null;
    const digest = hash('sha256', body, 'hex');
    // Most pulls fetch the same export as last time: skip it rather than record it again.
    if (digest === this.imports.lastAcceptedSha256(this.source)) return null;
    const fileName = fileNameOf(response.headers.get('content-disposition'), new URL(this.config.url).pathname);
    try {
      const view = await this.imports.importBytes({ fileName, content: body, source: this.source, officerId: null });
      this.log(`training: ${fileName} from ${this.source}: ${describe(view)}`);
      return view;
    } catch (error) {
      this.log(`training: importing the pull from ${this.source} failed: ${message(error)}`);
      return null;
    }
  }
}

async function readCapped(response: Response, limit: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) throw new Error(`the export is ${declared} bytes, more than the ${limit} allowed`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (!response.body) return Buffer.alloc(0);
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > limit) throw new Error(`the export is more than the ${limit} bytes allowed`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** From Content-Disposition (filename* first, RFC 6266), else the URL path's last part; never a path. */
export function fileNameOf(disposition: string | null, urlPath: string): string {
  let name = '';
  if (disposition) {
    const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(disposition);
    if (extended?.[1]) {
      try {
        name = decodeURIComponent(extended[1].trim());
      } catch {
        name = '';
      }
    }
    if (!name && plain) name = (plain[1] ?? plain[2] ?? '').replace(/\\(.)/g, '$1');
  }
  if (!name) {
    try {
      name = decodeURIComponent(urlPath.split('/').filter(Boolean).pop() ?? '');
    } catch {
      name = '';
    }
  }
  // Only ever a name: the import records it and the drop folder never sees it, but a path in a header is not to be trusted.
  name = basename(name.replace(/\\/g, '/')).replace(/\p{Cc}/gu, '').slice(0, 200);
  return name || 'export';
}

function describe(view: TrainingImportView): string {
  if (view.status === 'rejected') return `rejected (${view.problems.length} problem${view.problems.length === 1 ? '' : 's'}; first: ${view.problems[0]?.message ?? '?'})`;
  return `${view.status}, ${view.rows} rows, ${view.changed} changed`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
