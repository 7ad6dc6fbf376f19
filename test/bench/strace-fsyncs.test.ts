import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { attributeSyncCalls, parseStraceOutput, straceArgs, straceProblem, type SyncCall } from './strace-fsyncs.ts';

describe('parseStraceOutput', () => {
  it('reads one call per flush, with its thread, time and file, whatever the threads did to the lines', () => {
    const text = [
      '4100 1712345678.123456 fsync(21</tmp/d/armoury.db-wal>) = 0 <0.000250>',
      '4107 1712345678.200000 fdatasync(30</tmp/d/video-outbox/events.log> <unfinished ...>',
      '4100 1712345678.200100 fsync(21</tmp/d/armoury.db-wal>) = 0 <0.000400>',
      '4107 1712345678.201000 <... fdatasync resumed>) = 0 <0.001500>',
      '4100 1712345678.300000 msync(0x7f0000000000, 4096, MS_SYNC) = 0 <0.000010>',
      '4100 1712345678.400000 sync_file_range(9</tmp/d/x>, 0, 0, SYNC_FILE_RANGE_WRITE) = 0 <0.000020>',
      '4100 1712345678.500000 +++ exited with 0 +++',
      '',
    ].join('\n');
    const calls = parseStraceOutput(text);
    expect(calls.map((c) => [c.tid, c.call, c.fd, c.path])).toEqual([
      [4100, 'fsync', 21, '/tmp/d/armoury.db-wal'],
      [4107, 'fdatasync', 30, '/tmp/d/video-outbox/events.log'],
      [4100, 'fsync', 21, '/tmp/d/armoury.db-wal'],
      [4100, 'msync', -1, null],
      [4100, 'sync_file_range', 9, '/tmp/d/x'],
    ]);
    expect(calls[0]?.at).toBeCloseTo(1712345678123.456, 3);
    // The interrupted call's time is on its resumed half.
    expect(calls.map((c) => c.durationMs)).toEqual([0.25, 1.5, 0.4, 0.01, 0.02]);
  });
});

describe('attributeSyncCalls', () => {
  const call = (at: number, path: string): SyncCall => ({ tid: 1, at, call: 'fsync', fd: 3, path, durationMs: 0.1 });
  const byName = (path: string | null) => path ?? '(no file)';

  it('counts each window kind, takes the idle rate off per window, and keeps what fell between', () => {
    const windows = [
      { kind: 'draw', start: 0, end: 100 },
      { kind: 'return', start: 100, end: 300 },
      { kind: 'draw', start: 400, end: 500 },
    ];
    // Idle: 2 calls in 1,000 ms, so 0.4 expected over the draws' 200 ms and 0.4 over the return's 200 ms.
    const calls = [call(10, 'wal'), call(20, 'wal'), call(50, 'outbox'), call(150, 'wal'), call(350, 'wal'), call(450, 'wal'), call(1000, 'wal'), call(1500, 'checkpoint')];
    const result = attributeSyncCalls(calls, windows, { start: 1000, end: 2000 }, byName);
    expect(result.idle).toEqual({ durationMs: 1000, calls: 2, byFile: { wal: 1, checkpoint: 1 } });
    expect(result.byKind.draw).toMatchObject({ windows: 2, durationMs: 200, calls: 4, byFile: { wal: 3, outbox: 1 } });
    expect(result.byKind.draw?.background).toBeCloseTo(0.4);
    expect(result.byKind.draw?.perWindow).toBeCloseTo((4 - 0.4) / 2);
    expect(result.byKind.return).toMatchObject({ windows: 1, durationMs: 200, calls: 1 });
    expect(result.byKind.return?.perWindow).toBeCloseTo(1 - 0.4);
    expect(result.elsewhere).toBe(1);
  });
});

const problem = straceProblem();

describe.skipIf(problem !== null)('straceArgs (the real strace on a real process)', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts every flush of a process started under it, on the thread pool too, with its file and its time', async () => {
    dir = mkdtempSync(join(tmpdir(), 'strace-test-'));
    const file = join(dir, 'flushed.bin');
    const out = join(dir, 'strace.txt');
    // Three fsyncs on the main thread, then a fdatasync that Node runs on a libuv pool thread.
    const script = `
      const fs = require('node:fs');
      const fd = fs.openSync(${JSON.stringify(file)}, 'w');
      for (let i = 0; i < 3; i++) { fs.writeSync(fd, 'y'); fs.fsyncSync(fd); }
      fs.fdatasync(fd, (error) => { if (error) throw error; });`;
    const child = spawn('strace', [...straceArgs(out), process.execPath, '-e', script], { stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const calls = parseStraceOutput(readFileSync(out, 'utf8')).filter((c) => c.path === file);
    expect(calls.map((c) => c.call)).toEqual(['fsync', 'fsync', 'fsync', 'fdatasync']);
    // The pool's call is on another thread than the main thread's.
    expect(new Set(calls.map((c) => c.tid)).size).toBe(2);
    expect(calls.every((c) => c.durationMs !== null && c.durationMs >= 0)).toBe(true);
  });
});
