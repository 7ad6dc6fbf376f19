/**
 * The terminal as a site runs it: the built browser shell (out/main/browser-main.mjs, no test
 * loader) as its own process on the bench database, driven over its WebSocket as the renderer
 * drives it. An armourer signs in and uses the console (the first timeline waits for the whole
 * audit chain's walk in the worker thread), then the process's resident memory is read from
 * /proc. This is the memory figure that matters: the benchmark's own process also carries the
 * TypeScript loader, the synthetic-data builder and every measurement.
 */
import { readFileSync } from 'node:fs';
import type { KioskSnapshot, RequestInput, RequestName } from '../../preload/contract.ts';
import { connectTerminal, sessionCookieFrom, startTerminalChild } from './terminal-child.ts';

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
  const child = await startTerminalChild(['--data-dir', dataDir, ...args]);
  try {
    const client = await connectTerminal(child.url, await sessionCookieFrom(child.url), 'terminal bench');
    // Methods by name, as the benchmark scripts them; the terminal validates every input.
    const call = (method: string, input: unknown) => client.call(method as RequestName, input as RequestInput<RequestName>) as Promise<Answer>;
    const must = async (method: string, input: unknown) => {
      const result = await call(method, input);
      if (!result.ok) throw new Error(`terminal bench: ${method}: ${result.error?.message ?? 'refused'}`);
    };
    return {
      pid: child.pid,
      call,
      must,
      async signIn(officer, tap) {
        if (tap) await tap(officer.card);
        else await must('demoTapCard', { uid: officer.card });
        // The tap reaches the session on the reader's own time: the PIN pad is up once the snapshot says so.
        await client.waitFor('the PIN pad after the card tap', (s: KioskSnapshot) => s.screen.kind === 'pin', 10_000).catch(async () => {
          const fresh = (await call('getSnapshot', {})).value as KioskSnapshot | undefined;
          if (fresh?.screen.kind !== 'pin') throw new Error('terminal bench: the card tap never brought up the PIN pad');
        });
        await must('submitPin', { pin: officer.pin });
      },
      async stop() {
        client.close();
        await child.stop();
      },
    };
  } catch (error) {
    await child.stop();
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
