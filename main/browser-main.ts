/**
 * Entry point of the browser shell (bundled to out/main/browser-main.mjs): the same core
 * and built renderer as the Electron shell, served on loopback and shown in the system
 * Chromium in app mode, or headless for tests and thin clients.
 *
 * stdout carries exactly one line, `Armoury Kiosk browser shell: <url>`, once the server
 * is ready (tests and scripts parse it); everything else goes to stderr. With --headless the
 * URL is a one-use sign-in link; otherwise it is the server's origin, and the link goes to
 * Chromium through a private file (main/shell/chromium-launch.ts).
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKiosk, type RunningKiosk } from './compose.ts';
import { clockStartingAt, startOfToday } from './system-time.ts';
import { startBrowserShell, type BrowserShell } from './shell/browser-shell.ts';
import { openChromium, type OpenedChromium } from './shell/chromium-launch.ts';
import { USAGE, defaultDataDir, parseLaunchArgs } from './shell/kiosk-policy.ts';

/** The bundle sits in <root>/out/main/, so the root (repo or install) is two levels up. */
const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};

/** Running from a checkout (sources beside the bundle), as opposed to an installed copy. */
const fromCheckout = existsSync(path.join(appRoot, '.git')) || existsSync(path.join(appRoot, 'main', 'browser-main.ts'));

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
  let browser: OpenedChromium | null = null;
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
      // Let Chromium finish exiting (a few seconds at most) before its profile is removed.
      const child = browser?.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 3000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      browser?.dispose();
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
  if (args.headless) {
    // stdout is the launcher's own pipe or terminal, not readable by other users. The link
    // signs in one browser, once.
    process.stdout.write(`Armoury Kiosk browser shell: ${shell.issueLaunchUrl()}\n`);
  } else {
    // The link goes to Chromium in a private file, never on its command line.
    process.stdout.write(`Armoury Kiosk browser shell: ${shell.origin}\n`);
    browser = openChromium(shell.issueLaunchUrl(), log);
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
