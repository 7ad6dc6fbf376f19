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
import type { WsServerMessage } from '../../preload/contract.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface TerminalFigures {
  /** Resident memory after start-up and the console session. */
  rssMb: number;
  /** The most it was resident at any moment. */
  peakRssMb: number;
  /** The console's first timeline, which waits for the whole chain's walk. */
  firstTimelineMs: number;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]);
}

/** The built terminal running as its own process: its sign-in link, its process id, and how to stop it. */
export interface BuiltTerminal {
  /** The one-use launch link it printed (trade it for the session cookie once). */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Start the built browser shell (out/main/browser-main.mjs, `npm run build` first) headless on
 * `dataDir`, in demo mode: its simulated locker bus is polled as a site's real one is, and an
 * empty data dir is seeded with the demo site. Resolves once it prints its sign-in link.
 */
export async function startBuiltTerminal(dataDir: string): Promise<BuiltTerminal> {
  const child = spawn(process.execPath, [join(ROOT, 'out/main/browser-main.mjs'), '--headless', '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
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
    return { url, pid: child.pid ?? 0, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs the built terminal on `dataDir` (demo mode, so the simulator's card tap signs in) and measures it. */
export async function measureTerminalProcess(dataDir: string, armourer: { card: string; pin: string }): Promise<TerminalFigures> {
  const terminal = await startBuiltTerminal(dataDir);
  try {
    const url = terminal.url;
    const page = new URL(url);
    // The one-use launch link, traded for the session cookie as the kiosk's browser does.
    const cookie = (await fetch(url)).headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const ws = new WebSocket(`ws://${page.host}/api`, { origin: page.origin, headers: { Cookie: cookie } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    let next = 1;
    const waiting = new Map<number, (result: unknown) => void>();
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as WsServerMessage;
      if (message.type === 'result') waiting.get(message.id)?.(message.result);
    });
    const call = (method: string, input: unknown) =>
      new Promise<{ ok: boolean; error?: { message: string } }>((resolve) => {
        const id = next++;
        waiting.set(id, (result) => resolve(result as { ok: boolean; error?: { message: string } }));
        ws.send(JSON.stringify({ id, method, input }));
      });
    const must = async (method: string, input: unknown) => {
      const result = await call(method, input);
      if (!result.ok) throw new Error(`terminal bench: ${method}: ${result.error?.message ?? 'refused'}`);
    };
    await must('demoTapCard', { uid: armourer.card });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await must('submitPin', { pin: armourer.pin });
    await must('openConsole', {});
    const started = performance.now();
    await must('getTimeline', { by: 'window', value: '', from: null, to: null });
    const firstTimelineMs = performance.now() - started;
    for (let i = 0; i < 20; i++) {
      await must('getTimeline', { by: 'door', value: String(1 + i), from: null, to: null });
      await must('getBoard', { category: null });
      await must('getMobilisation', {});
    }
    await must('getDashboard', {});
    ws.close();
    return { rssMb: statusKb(terminal.pid, 'VmRSS') / 1024, peakRssMb: statusKb(terminal.pid, 'VmHWM') / 1024, firstTimelineMs };
  } finally {
    await terminal.stop();
  }
}
