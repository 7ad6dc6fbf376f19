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

/** Runs the built terminal on `dataDir` (demo mode, so the simulator's card tap signs in) and measures it. */
export async function measureTerminalProcess(dataDir: string, armourer: { card: string; pin: string }): Promise<TerminalFigures> {
  const child = spawn(process.execPath, [join(ROOT, 'out/main/browser-main.mjs'), '--headless', '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
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
    return { rssMb: statusKb(child.pid ?? 0, 'VmRSS') / 1024, peakRssMb: statusKb(child.pid ?? 0, 'VmHWM') / 1024, firstTimelineMs };
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
}
