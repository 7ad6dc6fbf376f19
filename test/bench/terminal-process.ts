/**
 * The terminal as a site runs it: the built browser shell (out/main/browser-main.mjs, no test
 * loader) as its own process on the bench database, driven over its WebSocket as the renderer
 * drives it. An armourer signs in and uses the console (the first timeline waits for the whole
 * audit chain's walk in the worker thread), then the process's resident memory is read from
 * /proc. This is the memory figure that matters: the benchmark's own process also carries the
 * TypeScript loader, the synthetic-data builder and every measurement.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import type { KioskSnapshot, WsServerMessage } from '../../preload/contract.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface TerminalFigures {
  /** Resident memory after start-up and the console session. */
  rssMb: number;
  /** The most it was resident at any moment. */
  peakRssMb: number;
  /** The console's first timeline, which waits for the whole chain's walk. */
  firstTimelineMs: number;
}

export type Answer = { ok: boolean; value?: unknown; error?: { message: string } };

/** The built terminal running as its own process, with one signed-in WebSocket to it. */
export interface TerminalProcess {
  pid: number;
  /** One request as the renderer sends it; resolves with the terminal's answer. */
  call(method: string, input: unknown): Promise<Answer>;
  /** The same, throwing when it is refused. */
  must(method: string, input: unknown): Promise<void>;
  /** A card tapped (on the demo simulator unless `tap` is given: a reader on a pty) and its PIN entered: signed in. */
  signIn(officer: { card: string; pin: string }, tap?: (card: string) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]);
}

/**
 * Starts the built terminal on `dataDir` and connects to it: in demo mode (so the simulator's
 * card tap signs in), or as `args` say (`--live --config FILE`).
 */
export async function startTerminal(dataDir: string, args: readonly string[] = []): Promise<TerminalProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'out/main/browser-main.mjs'), '--headless', '--data-dir', dataDir, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the terminal did not start in 60 s:\n${stderr}`)), 60_000);
      child.once('exit', (code) => reject(new Error(`the terminal exited (${code}):\n${stderr}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const found = /^Armoury Kiosk browser shell: (\S+)$/.exec(line)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
    const page = new URL(url);
    // The one-use launch link, traded for the session cookie as the kiosk's browser does.
    const cookie = (await fetch(url)).headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const ws = new WebSocket(`ws://${page.host}/api`, { origin: page.origin, headers: { Cookie: cookie } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    let next = 1;
    const waiting = new Map<number, (result: Answer) => void>();
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as WsServerMessage;
      if (message.type === 'result') waiting.get(message.id)?.(message.result as Answer);
    });
    const call = (method: string, input: unknown) =>
      new Promise<Answer>((resolve) => {
        const id = next++;
        waiting.set(id, (result) => {
          waiting.delete(id);
          resolve(result);
        });
        ws.send(JSON.stringify({ id, method, input }));
      });
    const must = async (method: string, input: unknown) => {
      const result = await call(method, input);
      if (!result.ok) throw new Error(`terminal bench: ${method}: ${result.error?.message ?? 'refused'}`);
    };
    return {
      pid: child.pid ?? 0,
      call,
      must,
      async signIn(officer, tap) {
        if (tap) await tap(officer.card);
        else await must('demoTapCard', { uid: officer.card });
        // The tap reaches the session on the reader's own time: the PIN pad is up once the snapshot says so.
        const deadline = performance.now() + 10_000;
        for (;;) {
          const snapshot = (await call('getSnapshot', {})).value as KioskSnapshot | undefined;
          if (snapshot?.screen.kind === 'pin') break;
          if (performance.now() > deadline) throw new Error('terminal bench: the card tap never brought up the PIN pad');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await must('submitPin', { pin: officer.pin });
      },
      async stop() {
        ws.close();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs the built terminal on `dataDir` and measures it after an armourer's console session. */
export async function measureTerminalProcess(dataDir: string, armourer: { card: string; pin: string }): Promise<TerminalFigures> {
  const terminal = await startTerminal(dataDir);
  try {
    await terminal.signIn(armourer);
    await terminal.must('openConsole', {});
    const started = performance.now();
    await terminal.must('getTimeline', { by: 'window', value: '', from: null, to: null });
    const firstTimelineMs = performance.now() - started;
    for (let i = 0; i < 20; i++) {
      await terminal.must('getTimeline', { by: 'door', value: String(1 + i), from: null, to: null });
      await terminal.must('getBoard', { category: null });
      await terminal.must('getMobilisation', {});
    }
    await terminal.must('getDashboard', {});
    return { rssMb: statusKb(terminal.pid, 'VmRSS') / 1024, peakRssMb: statusKb(terminal.pid, 'VmHWM') / 1024, firstTimelineMs };
  } finally {
    await terminal.stop();
  }
}
