/**
 * The browser shell's own Chromium launch, for real: the built terminal without --headless
 * starts the system Chromium, which signs in through the launch page and opens the kiosk's
 * socket. Every local user can read every process's command line, so none may carry the
 * launch nonce or any secret, and the link is worthless once Chromium has used it.
 */
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Every process's command line on this machine, by pid (what any local user can read). */
function commandLines(): Map<number, string> {
  const lines = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // gone meanwhile
    }
  }
  return lines;
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

test('the terminal starts Chromium with no secret on any command line; the launch link works once', async () => {
  test.skip(!process.env.DISPLAY, 'needs a display for Chromium in kiosk mode: run under xvfb-run');
  const dataDir = mkdtempSync(join(tmpdir(), 'armoury-e2e-launch-'));
  const terminal = spawn(process.execPath, [join(ROOT, 'out/main/browser-main.mjs'), '--data-dir', dataDir, '--clock-from', '12:00'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  let launchDir: string | null = null;
  terminal.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  terminal.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  try {
    // Chromium opened the launch page, traded the link for the cookie, loaded the kiosk with
    // it and opened the socket (which needs the cookie too).
    await expect.poll(() => stderr, { timeout: 45_000 }).toContain('browser shell: a browser signed in with a launch link');
    await expect.poll(() => stderr, { timeout: 30_000 }).toContain('browser shell: WebSocket opened');
    const origin = /^Armoury Kiosk browser shell: (\S+)$/m.exec(stdout)?.[1];
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const lines = commandLines();
    const chromium = [...lines].filter(([pid]) => {
      for (let p: number | null = pid; p !== null && p > 1; p = parentOf(p)) if (p === terminal.pid) return pid !== terminal.pid;
      return false;
    });
    expect(chromium.length).toBeGreaterThan(0);
    const app = /--app=(\S+)/.exec(chromium.map(([, line]) => line).join('\n'))?.[1];
    expect(app).toMatch(/^file:\/\/\/.*\/armoury-kiosk-launch-[^/]+\/launch\.html$/);
    const page = fileURLToPath(app!);
    launchDir = dirname(page);
    expect(statSync(page).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(page)).mode & 0o777).toBe(0o700);
    const link = /url=(http:\/\/127\.0\.0\.1:\d+\/launch\?nonce=[A-Za-z0-9_-]{43})"/.exec(readFileSync(page, 'utf8'))?.[1];
    expect(link?.startsWith(`${origin}/launch?nonce=`)).toBe(true);
    const nonce = new URL(link!).searchParams.get('nonce')!;

    // No process on the machine carries the nonce; Chromium's carry no link or secret at all.
    for (const [pid, line] of lines) expect(line.includes(nonce), `pid ${pid}: ${line}`).toBe(false);
    for (const [pid, line] of chromium) expect(line, `pid ${pid}`).not.toMatch(/nonce|token|armoury_session|127\.0\.0\.1/);

    // Used once, the link opens nothing: a local user who read it late gets no session.
    const replay = await fetch(link!);
    expect(replay.status).toBe(403);
    expect(replay.headers.get('set-cookie')).toBeNull();
    expect((await fetch(`${origin}/`)).status).toBe(403);
  } finally {
    if (terminal.exitCode === null) {
      const exited = new Promise((resolve) => terminal.once('exit', resolve));
      terminal.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  // The terminal took its launch page with it.
  expect(launchDir).not.toBeNull();
  expect(existsSync(launchDir!)).toBe(false);
});
