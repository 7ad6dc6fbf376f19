/**
 * Entry point of the Electron shell (bundled by electron-vite to out/main/electron-main.mjs, an ES module, which Electron 28 and later load as main): one
 * full-screen, locked-down kiosk window over the core. See electron-window.ts for the
 * fences and electron-ipc.ts for the contract binding.
 *
 * Order matters here: the privileged scheme, sandbox and guards are set up before `ready`
 * (and so before any web contents exists); the core starts before the window so the
 * first request finds it; the core is closed (database, serial ports) before exit.
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Menu, app, session, type BrowserWindow } from 'electron';
import { startKiosk, type RunningKiosk } from './compose.ts';
import { ElectronConfigStore } from './shell/electron-config-store.ts';
import { bindKioskIpc } from './shell/electron-ipc.ts';
import {
  createKioskWindow,
  hardenSession,
  installWebContentsGuards,
  loadRenderer,
  registerAppSchemePrivileges,
  serveRendererOverAppScheme,
  superviseRenderer,
} from './shell/electron-window.ts';
import { DEBUG_SWITCHES, USAGE, defaultDataDir, parseLaunchArgs } from './shell/kiosk-policy.ts';
import { clockStartingAt, startOfToday } from './system-time.ts';

/** The bundle sits in <root>/out/main/ (root = the checkout, or app.asar when packaged). */
const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};

let kiosk: RunningKiosk | null = null;
let kioskWindow: BrowserWindow | null = null;
let unbindIpc: (() => void) | null = null;
let closing = false;

function refuseDebugSwitches(): boolean {
  // A packaged kiosk launched with a debugging port would hand its core to whoever
  // launched it; the fuses already disable --inspect and NODE_OPTIONS.
  if (!app.isPackaged) return false;
  const found = DEBUG_SWITCHES.filter((name) => app.commandLine.hasSwitch(name));
  if (found.length === 0) return false;
  log(`refusing to start with debugging switches: ${found.join(', ')}`);
  return true;
}

async function start(): Promise<void> {
  // Electron's argv is [exe, app path, ...args] unpackaged and [exe, ...args] packaged, and
  // tooling may put its own switches anywhere: parse leniently, positionals are ignored.
  const parsed = parseLaunchArgs(process.argv.slice(1), { strict: false });
  if (!parsed.ok) {
    log(`${parsed.message}\n${USAGE}`);
    app.exit(2);
    return;
  }
  const args = parsed.args;
  const fromCheckout = !app.isPackaged && existsSync(path.join(appRoot, 'package.json'));
  const dataDir = path.resolve(args.dataDir ?? defaultDataDir(appRoot, process.env, os.homedir(), fromCheckout));
  mkdirSync(dataDir, { recursive: true });

  // No application menu: its default accelerators include reload and devtools.
  Menu.setApplicationMenu(null);
  hardenSession(session.defaultSession, log);
  serveRendererOverAppScheme(path.join(appRoot, 'out', 'renderer'), log);

  const resourcesDir = path.join(appRoot, 'resources');
  kiosk = await startKiosk({
    dataDir,
    resourcesDir,
    demo: args.demo,
    configPath: args.configPath === null ? undefined : path.resolve(args.configPath),
    // An explicit --config file is used as it is; otherwise electron-store keeps it in the data directory.
    configStore: args.configPath === null ? new ElectronConfigStore(dataDir, path.join(resourcesDir, 'default-terminal-config.json')) : undefined,
    clock: args.clockFrom === null ? undefined : clockStartingAt(startOfToday(args.clockFrom)),
    log,
  });
  log(`${args.demo ? 'demo' : 'live'} mode, data in ${dataDir}`);

  const window = createKioskWindow({ preloadPath: path.join(appRoot, 'out', 'preload', 'electron-preload.cjs'), log });
  kioskWindow = window;
  unbindIpc = bindKioskIpc({ service: kiosk.service, window, log });
  superviseRenderer(window, log, () => shutdown('renderer keeps crashing', 1));
  // The window manager's close (Alt+F4 is blocked in the page, but not everywhere) is
  // ignored: the kiosk closes only when the app quits (signal, session end).
  window.on('close', (event) => {
    if (!closing) {
      log('ignored a request to close the kiosk window');
      event.preventDefault();
    }
  });
  window.on('closed', () => {
    kioskWindow = null;
  });
  loadRenderer(window, log);
}

/** Close the core (database, ports) once, then exit with `code`. */
function shutdown(reason: string, code: number): void {
  if (closing) return;
  closing = true;
  log(`shutting down (${reason})`);
  unbindIpc?.();
  const closeCore = kiosk ? kiosk.close() : Promise.resolve();
  closeCore
    .catch((error: unknown) => {
      log(`error while closing the core: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      code = code || 1;
    })
    .finally(() => {
      app.exit(code);
    });
}

// --- before ready -------------------------------------------------------------

if (!app.requestSingleInstanceLock()) {
  // Another kiosk is running on this session: it gets focus (below), we leave.
  app.quit();
} else if (refuseDebugSwitches()) {
  app.exit(1);
} else {
  registerAppSchemePrivileges();
  app.enableSandbox();
  installWebContentsGuards(log);

  app.on('second-instance', () => {
    if (kioskWindow && !kioskWindow.isDestroyed()) {
      if (kioskWindow.isMinimized()) kioskWindow.restore();
      kioskWindow.focus();
    }
  });
  app.on('window-all-closed', () => shutdown('all windows closed', 0));
  app.on('before-quit', (event) => {
    if (!closing) {
      event.preventDefault();
      shutdown('quit requested', 0);
    }
  });
  app.on('child-process-gone', (_event, details) => {
    log(`child process gone: ${details.type} ${details.reason} (exit code ${details.exitCode})`);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => shutdown(signal, 0));
  }
  process.on('uncaughtException', (error) => {
    log(`uncaught exception: ${error.stack ?? error.message}`);
    shutdown('uncaught exception', 1);
  });
  process.on('unhandledRejection', (reason) => {
    log(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });

  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      log(`Armoury Kiosk failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      shutdown('start-up failed', 1);
    });
}
