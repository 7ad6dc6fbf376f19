/**
 * What every stand-alone simulator (`npm run sim -- <name> …`) shares, so they all take the
 * same flags the same way: the common flags (where to listen, fault injection), a pty pair
 * started with socat, and fault injection on a simulator's writes.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { NO_FAULTS } from './sim-command.ts';
import type { SimFaults } from './sim-command.ts';
import type { ByteTransport } from './transport/byte-transport.ts';

export const COMMON_SIM_USAGE = [
  '--port PATH        serial device or pty to open (the app opens the other end)',
  '--pty              start socat with a pty pair and print the path the app should open',
  '--baud N           baud rate for --port (ignored on ptys)',
  '--fragment         split replies into random small writes, like USB-serial adapters',
  '--garbage P        probability 0..1 of a few random bytes before a reply',
  '--delay MS         extra delay before every reply',
  '--no-reply         stay silent (commands still act, replies never go out)',
].join('\n');

export interface CommonSimArgs {
  /** Exactly one of port and pty is set. */
  port: string | null;
  pty: boolean;
  baudRate: number;
  faults: SimFaults;
  /** The command's own value flags, by name without dashes; only those it declared. */
  values: ReadonlyMap<string, string>;
  /** The command's own bare switches that were given, by name without dashes. */
  switches: ReadonlySet<string>;
}

export interface SimArgSpec {
  /** The command's own flags that take a value, without dashes (e.g. ["boards", "items"]). */
  valueFlags?: readonly string[];
  /** The command's own bare switches (e.g. ["stdin"]). */
  switchFlags?: readonly string[];
  defaultBaudRate: number;
}

const COMMON_VALUE_FLAGS = ['port', 'baud', 'garbage', 'delay'] as const;
const COMMON_SWITCHES = ['pty', 'fragment', 'no-reply'] as const;

/**
 * Parses `--name value`, `--name=value` and bare switches. Throws an Error naming the bad
 * flag, since a demo that silently ignores a typo ("--garbag 0.5") wastes an afternoon.
 */
export function parseSimArgs(args: readonly string[], spec: SimArgSpec): CommonSimArgs {
  const own = new Set(spec.valueFlags ?? []);
  const valueFlags = new Set<string>([...COMMON_VALUE_FLAGS, ...own]);
  const ownSwitches = new Set(spec.switchFlags ?? []);
  const switches = new Set<string>([...COMMON_SWITCHES, ...ownSwitches]);
  const values = new Map<string, string>();
  const seenSwitches = new Set<string>();

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}" (options start with --)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (switches.has(name)) {
      if (eq >= 0) throw new Error(`--${name} takes no value`);
      seenSwitches.add(name);
      continue;
    }
    if (!valueFlags.has(name)) throw new Error(`unknown option --${name}`);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      i++;
    }
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new Error(`--${name} needs a value`);
    if (values.has(name)) throw new Error(`--${name} given twice`);
    values.set(name, value);
  }

  const port = values.get('port') ?? null;
  const pty = seenSwitches.has('pty');
  if (port !== null && pty) throw new Error('give either --port PATH or --pty, not both');
  if (port === null && !pty) throw new Error('give --port PATH (a serial device or pty) or --pty');

  const baud = values.get('baud');
  const garbage = values.get('garbage');
  const delay = values.get('delay');
  const faults: SimFaults = {
    ...NO_FAULTS,
    fragment: seenSwitches.has('fragment'),
    noReply: seenSwitches.has('no-reply'),
    garbage: garbage === undefined ? 0 : parseNumber(garbage, 'garbage', 0, 1),
    delayMs: delay === undefined ? 0 : parseInteger(delay, 'delay', 0, 60_000),
  };
  const ownValues = new Map([...values].filter(([name]) => own.has(name)));
  return {
    port,
    pty,
    baudRate: baud === undefined ? spec.defaultBaudRate : parseInteger(baud, 'baud', 50, 4_000_000),
    faults,
    values: ownValues,
    switches: new Set([...seenSwitches].filter((name) => ownSwitches.has(name))),
  };
}

export function parseNumber(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`--${name} must be a number ${min}..${max}, got "${text}"`);
  }
  return value;
}

export function parseInteger(text: string, name: string, min: number, max: number): number {
  const value = parseNumber(text, name, min, max);
  if (!Number.isInteger(value)) throw new Error(`--${name} must be a whole number ${min}..${max}, got "${text}"`);
  return value;
}

/** "0,1,2" → [0, 1, 2]; duplicates are an error since they usually mean a typo. */
export function parseIntegerList(text: string, name: string, min: number, max: number): number[] {
  const items = text.split(',').map((part) => parseInteger(part.trim(), name, min, max));
  if (new Set(items).size !== items.length) throw new Error(`--${name} lists a value twice: "${text}"`);
  return items;
}

// ---------------------------------------------------------------------------------------------
// Pty pair

export interface PtyPair {
  /** The end the app (or the driver under test) opens. */
  readonly appPath: string;
  /** The end the simulator opens. */
  readonly simPath: string;
  readonly pid: number;
  /** Resolves when socat has exited, for whatever reason. */
  readonly exited: Promise<void>;
  readonly isRunning: boolean;
  /** Pulls the cable: SIGKILL, so both ends see the pty vanish mid-use. */
  unplug(): Promise<void>;
  /** Stops socat and removes its links; safe to call more than once. */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  /** Link names inside the directory. Default "ttyApp" and "ttySim". */
  names?: readonly [string, string];
  /** How long to wait for socat to come up. Default 5000 ms. */
  timeoutMs?: number;
}

/**
 * Starts `socat pty,raw,echo=0 pty,raw,echo=0` with the two ends linked inside `dir`, and
 * resolves once socat reports its transfer loop running (both ptys exist and are set up).
 * Stale links from a killed socat are removed first, so a "replug" can reuse the names.
 */
export async function openPtyPair(dir: string, options: PtyPairOptions = {}): Promise<PtyPair> {
  const [appName, simName] = options.names ?? ['ttyApp', 'ttySim'];
  const appPath = join(dir, appName);
  const simPath = join(dir, simName);
  const timeoutMs = options.timeoutMs ?? 5000;
  for (const path of [appPath, simPath]) rmSync(path, { force: true });

  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${appPath}`, `pty,raw,echo=0,link=${simPath}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let running = true;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running = false;
      resolve();
    });
  });
  let stderr = '';

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socat did not set up a pty pair within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
      const done = (error: Error | null): void => {
        clearTimeout(timer);
        child.stderr.off('data', onStderr);
        if (error) reject(error);
        else resolve();
      };
      // With -d -d socat announces the loop only after both ptys are open and configured,
      // which is later than the links appearing.
      const onStderr = (chunk: Buffer): void => {
        stderr += chunk.toString();
        if (stderr.includes('starting data transfer loop') && existsSync(appPath) && existsSync(simPath)) done(null);
      };
      child.stderr.on('data', onStderr);
      child.once('error', (error) => done(new Error(`cannot start socat (is it installed?): ${error.message}`)));
      void exited.then(() => done(new Error(`socat exited before the pty pair was ready: ${stderr.trim()}`)));
    });
  } catch (error) {
    if (running) child.kill('SIGKILL');
    await exited;
    for (const path of [appPath, simPath]) rmSync(path, { force: true });
    throw error;
  }
  // Keep draining stderr so socat never blocks on a full pipe.
  child.stderr.resume();

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (running) child.kill(signal);
    await exited;
  };
  return {
    appPath,
    simPath,
    pid: child.pid ?? -1,
    exited,
    get isRunning() {
      return running;
    },
    unplug: () => stop('SIGKILL'),
    async close() {
      await stop('SIGTERM');
      // socat removes its links on SIGTERM but not after SIGKILL.
      for (const path of [appPath, simPath]) rmSync(path, { force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Fault injection on a simulator's replies

/**
 * Writes a simulator's replies with the line faults of SimFaults applied: a delay, random
 * garbage before the reply, and the reply split into random pieces. Writes stay in order and
 * whole replies never interleave, whatever the delays. noReply is the simulator's business,
 * since only it knows which writes are replies.
 */
export class FaultyWriter {
  private readonly transport: ByteTransport;
  private readonly random: () => number;
  private faults: SimFaults;
  private tail: Promise<void> = Promise.resolve();
  /** Sleeps in progress, so stop() can end them instead of leaving timers behind. */
  private readonly sleeps = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;

  constructor(transport: ByteTransport, faults: Partial<SimFaults> = {}, random: () => number = Math.random) {
    this.transport = transport;
    this.faults = { ...NO_FAULTS, ...faults };
    this.random = random;
  }

  get currentFaults(): SimFaults {
    return { ...this.faults };
  }

  setFaults(faults: Partial<SimFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  /**
   * Queues one reply. `build` runs when the reply goes out (after the delay), so state is
   * sampled then, like a board reading its inputs when it answers. Never rejects: a
   * simulator whose line is cut just goes unheard.
   */
  send(build: () => Uint8Array | null): Promise<void> {
    const { delayMs, garbage, fragment } = this.faults;
    const run = async (): Promise<void> => {
      if (delayMs > 0) await this.sleep(delayMs);
      if (this.stopped) return;
      let reply: Uint8Array | null;
      try {
        reply = build();
      } catch (error) {
        // A simulator bug must not wedge the reply queue; it still surfaces, as an uncaught error.
        queueMicrotask(() => {
          throw error;
        });
        return;
      }
      if (reply === null) return;
      const pieces: Uint8Array[] = [];
      if (garbage > 0 && this.random() < garbage) pieces.push(this.garbageBytes());
      pieces.push(reply);
      const writes = fragment ? pieces.flatMap((piece) => this.fragment(piece)) : pieces;
      for (const piece of writes) {
        if (this.stopped || !this.transport.isOpen) return;
        await this.transport.write(piece).catch(() => undefined);
      }
    };
    const done = this.tail.then(run, run);
    this.tail = done;
    return done;
  }

  /** Drops whatever is queued; later sends do nothing. */
  stop(): void {
    this.stopped = true;
    for (const [timer, wake] of this.sleeps) {
      clearTimeout(timer);
      wake();
    }
    this.sleeps.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeps.delete(timer);
        resolve();
      }, ms);
      this.sleeps.set(timer, resolve);
    });
  }

  private garbageBytes(): Uint8Array {
    const out = new Uint8Array(1 + Math.floor(this.random() * 4));
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  }

  private fragment(bytes: Uint8Array): Uint8Array[] {
    const pieces: Uint8Array[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      const remaining = bytes.length - offset;
      const size = 1 + Math.min(remaining - 1, Math.floor(this.random() * remaining));
      pieces.push(bytes.subarray(offset, offset + size));
      offset += size;
    }
    return pieces;
  }
}

/**
 * A transport whose writes go through a FaultyWriter: fault injection for a simulator that
 * has none of its own (or not all of it), without touching the simulator. Every write is
 * treated as one reply.
 */
export function withFaultyWrites(transport: ByteTransport, writer: FaultyWriter): ByteTransport {
  return {
    get name() {
      return transport.name;
    },
    get isOpen() {
      return transport.isOpen;
    },
    write(data: Uint8Array): Promise<void> {
      if (!transport.isOpen) return Promise.reject(new Error(`${transport.name} is closed`));
      // Copied now, like a real write: the caller may reuse its buffer before the delayed write.
      const copy = Uint8Array.from(data);
      return writer.send(() => copy);
    },
    onData: (listener) => transport.onData(listener),
    onClose: (listener) => transport.onClose(listener),
    close: () => {
      writer.stop();
      return transport.close();
    },
  };
}
