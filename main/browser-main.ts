/**
 * Entry point of the browser shell (bundled to out/main/browser-main.mjs): the same core
 * and built renderer as the Electron shell, served on loopback and shown in the system
 * Chromium in app mode, or headless for tests and thin clients.
 *
 * stdout carries exactly one line, `Armoury Kiosk browser shell: <url>`, once the server
 * is ready (tests and scripts parse it); everything else goes to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKiosk, type RunningKiosk } from './compose.ts';
import { clockStartingAt, startOfToday } from './system-time.ts';
import { startBrowserShell, type BrowserShell } from './shell/browser-shell.ts';
import { USAGE, defaultDataDir, parseLaunchArgs } from './shell/kiosk-policy.ts';

/** The bundle sits in <root>/out/main/, so the root (repo or install) is two levels up. */
const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};

/** Running from a checkout (sources beside the bundle), as opposed to an installed copy. */
const fromCheckout = existsSync(path.join(appRoot, '.git')) || existsSync(path.join(appRoot, 'main', 'browser-main.ts'));

/**
 * Open the system Chromium in app mode on a throw-away profile: no first-run UI, no
 * background traffic to Google, no sync, no component updates, no restored session.
 */
function openChromium(url: string): { child: ChildProcess; profileDir: string } | null {
  const executable = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(executable)) {
    log(`Chromium not found at ${executable} (set CHROMIUM_PATH, or run with --headless and open the URL yourself)`);
    return null;
  }
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'armoury-kiosk-chromium-'));
  const args = [
    `--app=${url}`,
    '--kiosk',
    `--user-data-dir=${profileDir}`,
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
  if (process.getuid?.() === 0) {
    log('running as root: starting Chromium with --no-sandbox (run the kiosk as an unprivileged user in production)');
    args.push('--no-sandbox');
  }
  const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let chromiumErrors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    chromiumErrors = (chromiumErrors + chunk.toString()).slice(-2000);
  });
  child.on('exit', (code) => {
    if (code) log(`Chromium exited with code ${code}; its last output:\n${chromiumErrors.trim()}`);
  });
  child.on('error', (error) => log(`Chromium failed to start: ${error.message}`));
  return { child, profileDir };
}

async function main(): Promise<void> {
  const parsed = parseLaunchArgs(process.argv.slice(2), { strict: true });
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const args = parsed.args;
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const dataDir = path.resolve(args.dataDir ?? defaultDataDir(appRoot, process.env, os.homedir(), fromCheckout));
  mkdirSync(dataDir, { recursive: true });
  const staticDir = path.join(appRoot, 'out', 'renderer');
  if (!existsSync(path.join(staticDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${staticDir}/index.html is missing): run \`npm run build\``);
  }

  let kiosk: RunningKiosk | null = null;
  let shell: BrowserShell | null = null;
  let browser: { child: ChildProcess; profileDir: string } | null = null;
  let shuttingDown = false;

  const shutdown = async (reason: string, code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`shutting down (${reason})`);
    try {
      if (browser && browser.child.exitCode === null && browser.child.signalCode === null) browser.child.kill('SIGTERM');
      await shell?.close();
      await kiosk?.close();
    } catch (error) {
      log(`error while shutting down: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      code = code || 1;
    } finally {
      if (browser) rmSync(browser.profileDir, { recursive: true, force: true });
    }
    process.exit(code);
  };

  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (shuttingDown) {
        // Ctrl+C reaches both `npm start`'s wrapper and us, and the wrapper forwards it:
        // a repeat within a moment is that echo. A later one means "stop waiting".
        if (firstSignalAt > 0 && Date.now() - firstSignalAt > 2_000) {
          log(`${signal} again: exiting now`);
          process.exit(1);
        }
        return;
      }
      firstSignalAt = Date.now();
      void shutdown(signal, 0);
    });
  }
  process.on('uncaughtException', (error) => {
    log(`uncaught exception: ${error.stack ?? error.message}`);
    void shutdown('uncaught exception', 1);
  });
  process.on('unhandledRejection', (reason) => {
    log(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });

  try {
    kiosk = await startKiosk({
      dataDir,
      resourcesDir: path.join(appRoot, 'resources'),
      demo: args.demo,
      configPath: args.configPath === null ? undefined : path.resolve(args.configPath),
      clock: args.clockFrom === null ? undefined : clockStartingAt(startOfToday(args.clockFrom)),
      log,
    });
    shell = await startBrowserShell({
      service: kiosk.service,
      staticDir,
      host: '127.0.0.1',
      port: args.port ?? 0,
      log,
    });
  } catch (error) {
    // Release what did start (database handles, serial ports) before reporting.
    await kiosk?.close().catch(() => undefined);
    throw error;
  }
  log(`${args.demo ? 'demo' : 'live'} mode, data in ${dataDir}`);
  process.stdout.write(`Armoury Kiosk browser shell: ${shell.url}\n`);

  if (!args.headless) {
    browser = openChromium(shell.url);
    browser?.child.on('exit', (code, signal) => {
      // The window is the kiosk: when it goes, so does the server (a supervisor restarts both).
      void shutdown(`Chromium exited (${signal ?? `code ${code ?? '?'}`})`, 0);
    });
  }
}

main().catch((error: unknown) => {
  log(`Armoury Kiosk browser shell failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
