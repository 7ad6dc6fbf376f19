/**
 * The built terminal (out/main/browser-main.mjs, no test loader) as its own process, as a site
 * runs it, and a client that speaks its WebSocket protocol (preload/contract.ts) the way the
 * renderer does. Shared by the memory figure (terminal-process.ts) and the peer-style timings
 * (peer-style.ts), so both start and drive the terminal the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { answersWithSnapshot, type KioskSnapshot, type RequestInput, type RequestName, type ResponseValues, type Result, type WsServerMessage } from '../../preload/contract.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface TerminalChild {
  /** What the terminal printed: with --headless, its one-use sign-in link. */
  url: string;
  /** The terminal's own process (under a wrapper, the wrapper's child). */
  pid: number;
  /** The process spawned: the terminal, or the wrapper running it. */
  child: ChildProcess;
  /** The last few kilobytes of its log (stderr), for error messages. */
  recentLog(): string;
  /** How many log lines it has written so far (logging is work on the terminal's one thread). */
  logLines(): number;
  /** SIGTERM and wait for the exit; safe to call more than once. */
  stop(): Promise<void>;
}

export interface TerminalChildOptions {
  /** Node's own flags, before the script (e.g. a measurement probe to --import). */
  nodeArgs?: readonly string[];
  /** Added to the bench's environment. */
  env?: Readonly<Record<string, string>>;
  /** A program to run the terminal under (e.g. strace and its arguments); the terminal's command line is appended. */
  wrapper?: readonly string[];
  startTimeoutMs?: number;
}

/** Starts the built terminal headless with `args` (e.g. --data-dir, --config) and waits for its URL line. */
export async function startTerminalChild(args: readonly string[], options: TerminalChildOptions = {}): Promise<TerminalChild> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const command = [process.execPath, ...(options.nodeArgs ?? []), join(ROOT, 'out/main/browser-main.mjs'), '--headless', ...args];
  const [program = '', ...programArgs] = [...(options.wrapper ?? []), ...command];
  const child = spawn(program, programArgs, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let log = '';
  let lines = 0;
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    log = (log + text).slice(-4000);
    for (const char of text) if (char === '\n') lines++;
  });
  let terminalPid = child.pid ?? -1;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The terminal itself is asked to stop (it closes its database and ports); a wrapper exits with it.
    if (terminalPid !== child.pid && terminalPid > 0) process.kill(terminalPid, 'SIGTERM');
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the terminal did not print its URL within ${startTimeoutMs / 1000} s:\n${log}`)), startTimeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the terminal exited (${code}) before it was ready:\n${log}`));
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        const found = /^Armoury Kiosk browser shell: (\S+)$/.exec(line)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
    if (options.wrapper) terminalPid = childOf(child.pid ?? -1);
    return { url, pid: terminalPid, child, recentLog: () => log, logLines: () => lines, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The one child of `pid` (a wrapper's), found through /proc. */
function childOf(pid: number): number {
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent; the name in parentheses before it may hold spaces.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false; // gone since the listing
      }
    });
  if (children.length !== 1) throw new Error(`expected the wrapper (${pid}) to run one process, found ${children.length}`);
  return Number(children[0]);
}

/** Trades a one-use launch link for the session cookie (`name=value`), as the kiosk's browser does. */
export async function sessionCookieFrom(launchUrl: string): Promise<string> {
  const cookie = (await fetch(launchUrl)).headers.getSetCookie()[0]?.split(';')[0];
  if (!cookie) throw new Error('the launch link gave no session cookie');
  return cookie;
}

export interface TerminalClient {
  call<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>>;
  /** As call, but a refusal throws with the method's name and the terminal's message. */
  must<M extends RequestName>(method: M, input: RequestInput<M>): Promise<ResponseValues[M]>;
  /** The newest snapshot pushed (or answered), null before the first. */
  latest(): KioskSnapshot | null;
  /** Resolves with the first snapshot (the latest, or a later push) that passes `ok`; rejects after `timeoutMs`, naming `what`. */
  waitFor(what: string, ok: (snapshot: KioskSnapshot) => boolean, timeoutMs?: number): Promise<KioskSnapshot>;
  close(): void;
}

/** Opens the terminal's WebSocket at `origin` with the session cookie and keeps the latest snapshot. */
export async function connectTerminal(origin: string, cookie: string, name = 'bench'): Promise<TerminalClient> {
  const page = new URL(origin);
  const ws = new WebSocket(`ws://${page.host}/api`, { origin: page.origin, headers: { Cookie: cookie } });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: the terminal's WebSocket did not open within 10 s`)), 10_000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  let next = 1;
  let latest: KioskSnapshot | null = null;
  const answers = new Map<number, (result: Result<unknown>) => void>();
  const waiters = new Set<() => void>();
  const saw = (snapshot: KioskSnapshot) => {
    // Answers and pushes can arrive out of order; the revision says which is newer.
    if (latest && snapshot.revision < latest.revision) return;
    latest = snapshot;
    for (const wake of [...waiters]) wake();
  };
  ws.on('message', (data) => {
    // The terminal's own messages, in the contract's shape; the bench trusts its peer here.
    const message = JSON.parse(String(data)) as WsServerMessage;
    if (message.type === 'snapshot') saw(message.snapshot);
    else answers.get(message.id)?.(message.result);
  });
  const call = <M extends RequestName>(method: M, input: RequestInput<M>) =>
    new Promise<Result<ResponseValues[M]>>((resolve, reject) => {
      if (ws.readyState !== WebSocket.OPEN) {
        reject(new Error(`${name}: ${method}: the WebSocket is closed`));
        return;
      }
      const id = next++;
      const timer = setTimeout(() => {
        answers.delete(id);
        reject(new Error(`${name}: ${method}: no answer within 10 s`));
      }, 10_000);
      answers.set(id, (result) => {
        clearTimeout(timer);
        answers.delete(id);
        const typed = result as Result<ResponseValues[M]>;
        if (typed.ok && answersWithSnapshot(method)) saw(typed.value as KioskSnapshot);
        resolve(typed);
      });
      ws.send(JSON.stringify({ id, method, input }));
    });
  return {
    call,
    async must(method, input) {
      const result = await call(method, input);
      if (!result.ok) throw new Error(`${name}: ${method}: ${result.error.message}`);
      return result.value;
    },
    latest: () => latest,
    waitFor(what, ok, timeoutMs = 5_000) {
      return new Promise<KioskSnapshot>((resolve, reject) => {
        const check = () => {
          if (latest && ok(latest)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(latest);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: timed out after ${timeoutMs} ms waiting for ${what} (screen ${JSON.stringify(latest?.screen ?? null)})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => ws.close(),
  };
}

