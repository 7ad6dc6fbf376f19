/**
 * How the browser shell starts the system Chromium, without putting a secret where another
 * local user can read it.
 *
 * Every local user can read every process's command line (/proc/<pid>/cmdline), so the
 * command line carries only the path of a launch page. The page sits in a directory of mode
 * 0700, itself of mode 0600, both the kiosk user's: it holds a one-use launch link, which the
 * server trades once for an HttpOnly session cookie (see browser-shell.ts). So the session
 * secret is never on a command line, in a file or in a URL, and the link the file holds is
 * worthless once Chromium has opened it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A directory only this user can enter, holding a page only this user can read. */
export interface LaunchFiles {
  dir: string;
  /** `file://` URL of the launch page: the only thing the command line names. */
  pageUrl: string;
}

/**
 * Write the launch page that sends Chromium on to `launchUrl`. The directory is made by
 * mkdtemp (mode 0700) and the file with mode 0600, whatever the umask.
 */
export function writeLaunchPage(launchUrl: string, parent: string = os.tmpdir()): LaunchFiles {
  const target = new URL(launchUrl);
  if (target.protocol !== 'http:' || !['127.0.0.1', '[::1]'].includes(target.hostname)) {
    throw new Error(`The launch page may send Chromium only to the loopback server, not ${target.origin}`);
  }
  const dir = mkdtempSync(path.join(parent, 'armoury-kiosk-launch-'));
  const file = path.join(dir, 'launch.html');
  // The URL is ours (origin checked above, nonce base64url), so no attribute escaping can matter;
  // escape the ampersand and quote all the same.
  const href = target.href.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  const page = `<!doctype html><html lang="en"><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>Armoury Kiosk</title></html>\n`;
  writeFileSync(file, page, { mode: 0o600, flag: 'wx' });
  return { dir, pageUrl: pathToFileURL(file).href };
}

/**
 * Chromium's arguments: app mode on a throw-away profile, no first-run UI, no background
 * traffic to Google, no sync, no component updates, no restored session. `startUrl` is the
 * launch page's file URL; nothing secret may be passed here (the command line is public).
 */
export function chromiumArgs(options: { startUrl: string; profileDir: string; asRoot: boolean }): string[] {
  if (!options.startUrl.startsWith('file:')) throw new Error('Chromium is started on the launch page (a file: URL), never on a server URL');
  const args = [
    `--app=${options.startUrl}`,
    '--kiosk',
    `--user-data-dir=${options.profileDir}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-features=Translate,MediaRouter,OptimizationHints',
    '--disable-pinch',
    '--overscroll-history-navigation=0',
    '--noerrdialogs',
    '--password-store=basic',
    '--disable-gpu',
  ];
  // Chromium refuses to start as root with its sandbox on (it cannot drop privileges);
  // kiosks should run as an unprivileged user, so this is for build and CI machines.
  if (options.asRoot) args.push('--no-sandbox');
  return args;
}

export interface OpenedChromium {
  child: ChildProcess;
  /** Remove the profile and the launch page. */
  dispose(): void;
}

/** Start Chromium on a fresh launch page for `launchUrl`; null (and a log line) if it is not installed. */
export function openChromium(launchUrl: string, log: (line: string) => void, executable = process.env.CHROMIUM_PATH || '/usr/bin/chromium'): OpenedChromium | null {
  if (!existsSync(executable)) {
    log(`Chromium not found at ${executable} (set CHROMIUM_PATH, or run with --headless and open the URL yourself)`);
    return null;
  }
  const launch = writeLaunchPage(launchUrl);
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'armoury-kiosk-chromium-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) log('running as root: starting Chromium with --no-sandbox (run the kiosk as an unprivileged user in production)');
  const child = spawn(executable, chromiumArgs({ startUrl: launch.pageUrl, profileDir, asRoot }), { stdio: ['ignore', 'ignore', 'pipe'] });
  let chromiumErrors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    chromiumErrors = (chromiumErrors + chunk.toString()).slice(-2000);
  });
  child.on('exit', (code) => {
    if (code) log(`Chromium exited with code ${code}; its last output:\n${chromiumErrors.trim()}`);
  });
  child.on('error', (error) => log(`Chromium failed to start: ${error.message}`));
  return {
    child,
    dispose() {
      // The launch page first: it is ours alone, and holds the way in. Chromium may still be
      // writing its profile as it exits, so that removal retries and never stops the shutdown.
      rmSync(launch.dir, { recursive: true, force: true });
      try {
        rmSync(profileDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch (error) {
        log(`could not remove Chromium's profile ${profileDir}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}
