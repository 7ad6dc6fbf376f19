/**
 * The terminal as a site runs it: the built browser shell (out/main/browser-main.mjs, no test
 * loader) as its own process on the bench database, driven over its WebSocket as the renderer
 * drives it. An armourer signs in and uses the console (the first timeline waits for the whole
 * audit chain's walk in the worker thread), then the process's resident memory is read from
 * /proc. This is the memory figure that matters: the benchmark's own process also carries the
 * TypeScript loader, the synthetic-data builder and every measurement.
 */
import { readFileSync } from 'node:fs';
import { connectTerminal, sessionCookieFrom, startTerminalChild } from './terminal-child.ts';

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
  const terminal = await startTerminalChild(['--data-dir', dataDir]);
  try {
    const ws = await connectTerminal(terminal.url, await sessionCookieFrom(terminal.url), 'terminal bench');
    try {
      await ws.must('demoTapCard', { uid: armourer.card });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await ws.must('submitPin', { pin: armourer.pin });
      await ws.must('openConsole', {});
      const started = performance.now();
      await ws.must('getTimeline', { by: 'window', value: '', from: null, to: null });
      const firstTimelineMs = performance.now() - started;
      for (let i = 0; i < 20; i++) {
        await ws.must('getTimeline', { by: 'door', value: String(1 + i), from: null, to: null });
        await ws.must('getBoard', { category: null });
        await ws.must('getMobilisation', {});
      }
      await ws.must('getDashboard', {});
      return { rssMb: statusKb(terminal.pid, 'VmRSS') / 1024, peakRssMb: statusKb(terminal.pid, 'VmHWM') / 1024, firstTimelineMs };
    } finally {
      ws.close();
    }
  } finally {
    await terminal.stop();
  }
}
