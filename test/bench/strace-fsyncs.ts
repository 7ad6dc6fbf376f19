/**
 * Counting a process's flushes to disk with strace, for fsyncs_per_draw and fsyncs_per_return:
 * counted, never assumed. The terminal runs under strace, which follows every thread (-f: SQLite
 * commits on the main thread, the outboxes' fdatasyncs may run on the libuv pool), names each
 * descriptor's file (-y), stamps each call on the wall clock (-ttt) and times it (-T: how long
 * the disk made the caller wait, the cost a flush on the unlock's path adds), so calls are attributed
 * to the bench's windows (a draw, a return) by time and to files by path. What the terminal does
 * on its own meanwhile (polls, checkpoints, deliveries) is measured in an idle window and
 * subtracted at its rate.
 */
import { spawnSync } from 'node:child_process';

export const SYNC_CALLS = ['fsync', 'fdatasync', 'sync_file_range', 'msync'] as const;
export type SyncCallName = (typeof SYNC_CALLS)[number];

export interface SyncCall {
  tid: number;
  /** Wall clock, epoch milliseconds. */
  at: number;
  call: SyncCallName;
  fd: number;
  /** The file strace resolved the descriptor to; null if it could not (or msync's address, which has none). */
  path: string | null;
  /** Time spent in the call; null if strace never saw it return (detached mid-call). */
  durationMs: number | null;
}

// `1234 1712345678.123456 fsync(21</tmp/x/armoury.db-wal>) = 0 <0.000321>`, or the first half of
// a call another thread interrupted, `... fsync(21</tmp/x/armoury.db-wal> <unfinished ...>`, whose
// `<... fsync resumed>) = 0 <0.000321>` half comes later on the same thread: one call, counted once.
const CALL = /^(?:\[pid\s+)?(\d+)\]?\s+(\d+\.\d+)\s+(fsync|fdatasync|sync_file_range|msync)\((0x[0-9a-f]+|\d+)(?:<([^>]*)>)?/;
const RESUMED = /^(?:\[pid\s+)?(\d+)\]?\s+\d+\.\d+\s+<\.\.\. (?:fsync|fdatasync|sync_file_range|msync) resumed>/;
const DURATION = /<(\d+\.\d+)>\s*$/;

/** The flush calls in strace's output (one per call, whatever the threads' interleaving did to the lines). */
export function parseStraceOutput(text: string): SyncCall[] {
  const calls: SyncCall[] = [];
  const unfinished = new Map<number, SyncCall>();
  const seconds = (line: string) => {
    const match = DURATION.exec(line);
    return match?.[1] === undefined ? null : Number(match[1]) * 1000;
  };
  for (const line of text.split('\n')) {
    const resumed = RESUMED.exec(line);
    if (resumed) {
      const call = unfinished.get(Number(resumed[1]));
      if (call) call.durationMs = seconds(line);
      unfinished.delete(Number(resumed[1]));
      continue;
    }
    const match = CALL.exec(line);
    if (!match) continue;
    const [, tid = '0', at = '0', name, first = '0', path] = match;
    const isAddress = first.startsWith('0x');
    const call: SyncCall = { tid: Number(tid), at: Number(at) * 1000, call: name as SyncCallName, fd: isAddress ? -1 : Number(first), path: isAddress ? null : (path ?? null), durationMs: seconds(line) };
    if (line.includes('<unfinished ...>')) unfinished.set(call.tid, call);
    calls.push(call);
  }
  return calls;
}

export interface TimedWindow {
  /** What happened in it: 'draw', 'return'. */
  kind: string;
  /** Wall clock, epoch milliseconds; calls at start <= at < end belong to it. */
  start: number;
  end: number;
}

export interface WindowKindCount {
  windows: number;
  durationMs: number;
  calls: number;
  /** calls by file, as `fileLabel` names them */
  byFile: Record<string, number>;
  /** What the idle rate says this much time costs anyway. */
  background: number;
  /** (calls - background) / windows */
  perWindow: number;
}

export interface FsyncAttribution {
  idle: { durationMs: number; calls: number; byFile: Record<string, number> };
  byKind: Record<string, WindowKindCount>;
  /** Calls in none of the windows and not in the idle one (between the bench's steps). */
  elsewhere: number;
}

/**
 * Attribute each call to the window it fell in, then take the idle window's rate (per file) off
 * each kind: per window = (calls in that kind's windows - idle rate x their total length) / windows.
 */
export function attributeSyncCalls(calls: readonly SyncCall[], windows: readonly TimedWindow[], idle: { start: number; end: number }, fileLabel: (path: string | null) => string): FsyncAttribution {
  const idleByFile: Record<string, number> = {};
  let idleCalls = 0;
  let elsewhere = 0;
  const byKind: Record<string, WindowKindCount> = {};
  for (const window of windows) {
    const entry = (byKind[window.kind] ??= { windows: 0, durationMs: 0, calls: 0, byFile: {}, background: 0, perWindow: 0 });
    entry.windows += 1;
    entry.durationMs += window.end - window.start;
  }
  for (const call of calls) {
    const file = fileLabel(call.path);
    if (call.at >= idle.start && call.at < idle.end) {
      idleCalls += 1;
      idleByFile[file] = (idleByFile[file] ?? 0) + 1;
      continue;
    }
    const window = windows.find((w) => call.at >= w.start && call.at < w.end);
    const entry = window ? byKind[window.kind] : undefined;
    if (!entry) {
      elsewhere += 1;
      continue;
    }
    entry.calls += 1;
    entry.byFile[file] = (entry.byFile[file] ?? 0) + 1;
  }
  const idleMs = idle.end - idle.start;
  for (const entry of Object.values(byKind)) {
    entry.background = idleMs > 0 ? (idleCalls / idleMs) * entry.durationMs : 0;
    entry.perWindow = entry.windows > 0 ? (entry.calls - entry.background) / entry.windows : 0;
  }
  return { idle: { durationMs: idleMs, calls: idleCalls, byFile: idleByFile }, byKind, elsewhere };
}

/**
 * strace's arguments to run a command under it (append the command), writing its flush calls to
 * `outFile`. The command is started under strace rather than attached to with -p: only a process
 * strace starts can have the seccomp filter (--seccomp-bpf) that stops it at the traced calls
 * alone. Attached, it stops at every system call, and on a loaded 2-core machine that slowed the
 * terminal past its bus's 300 ms reply timeout and took the lockers out of service mid-count.
 */
export function straceArgs(outFile: string): string[] {
  return ['-f', '--seccomp-bpf', '-y', '-ttt', '-T', '-e', `trace=${SYNC_CALLS.join(',')}`, '-o', outFile];
}

/** Why strace cannot count here (not installed, ptrace not permitted), or null if it can: tried on `true`. */
export function straceProblem(): string | null {
  const tried = spawnSync('strace', [...straceArgs('/dev/null'), 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (tried.error) return `strace could not be run: ${tried.error.message}`;
  if (tried.status !== 0) return `strace could not trace a process here (exit ${tried.status ?? tried.signal}): ${tried.stderr.trim() || 'no message'}`;
  return null;
}
