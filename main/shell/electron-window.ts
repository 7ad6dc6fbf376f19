/**
 * The Electron kiosk window and everything that fences it in: the privileged `app://`
 * scheme the renderer is served from (never file://), session-wide denial of permissions,
 * downloads and off-origin requests, guards on every web contents (navigation, new
 * windows, webviews, shortcuts, zoom), and renderer crash/hang supervision.
 *
 * The decisions themselves (which URL, which key, how long to back off) live in
 * kiosk-policy.ts, electron-free and unit-tested; this file only wires them to Electron.
 */
import { promises as fs } from 'node:fs';
import { BrowserWindow, app, protocol, type Session, type WebContents } from 'electron';
import {
  APP_ENTRY_URL,
  APP_HOST,
  APP_SCHEME,
  CrashBackoff,
  SECURITY_HEADERS,
  blockedShortcut,
  contentTypeFor,
  isAllowedNavigation,
  isAllowedSubresource,
  isAppUrl,
  isInside,
  resolveStaticPath,
} from './kiosk-policy.ts';

type Log = (line: string) => void;

/**
 * Must run before `app` is ready. `standard` gives the scheme real origins and relative
 * URL resolution, `secure` makes it a secure context, `supportFetchAPI`/`codeCache` let
 * module scripts load and cache like they would over https. No `bypassCSP`, no CORS.
 */
export function registerAppSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      // corsEnabled: Vite marks its module script crossorigin.
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
    },
  ]);
}

/**
 * Serve `rendererDir` at `app://kiosk/` with the same CSP and headers as the browser
 * shell. Paths are resolved through the shared traversal-safe resolver and re-checked
 * after following symlinks; anything else is a plain 404.
 */
export function serveRendererOverAppScheme(rendererDir: string, log: Log): void {
  const rootPromise = fs.realpath(rendererDir);
  const respond = (status: number, text: string): Response =>
    new Response(`${text}\n`, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } });

  protocol.handle(APP_SCHEME, async (request) => {
    try {
      const root = await rootPromise;
      const url = new URL(request.url);
      if (url.host !== APP_HOST) return respond(404, 'Not found');
      if (request.method !== 'GET' && request.method !== 'HEAD') return respond(405, 'Method not allowed');
      const file = resolveStaticPath(root, url.pathname);
      if (file === null) return respond(404, 'Not found');
      const real = await fs.realpath(file).catch(() => null);
      if (real === null || !isInside(root, real)) return respond(404, 'Not found');
      const stat = await fs.stat(real);
      if (!stat.isFile()) return respond(404, 'Not found');
      const body = request.method === 'HEAD' ? null : new Uint8Array(await fs.readFile(real));
      return new Response(body, {
        status: 200,
        headers: { ...SECURITY_HEADERS, 'Content-Type': contentTypeFor(real), 'Content-Length': String(stat.size) },
      });
    } catch (error) {
      log(`app:// request for ${request.url} failed: ${describe(error)}`);
      return respond(500, 'Internal error');
    }
  });
}

/**
 * Session-wide denials: every permission (camera, notifications, serial, HID, USB...),
 * device access, downloads, and any request that is not our origin or an inline image.
 * The core talks to hardware from main; the page never needs a device permission.
 */
export function hardenSession(ses: Session, log: Log): void {
  ses.setPermissionRequestHandler((_contents, permission, callback) => {
    log(`denied permission request: ${permission}`);
    callback(false);
  });
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.setDisplayMediaRequestHandler((_request, callback) => {
    log('denied screen capture request');
    callback({});
  });
  ses.on('will-download', (event, item) => {
    log(`blocked download of ${item.getURL().slice(0, 200)}`);
    event.preventDefault();
  });
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedSubresource(details.url);
    if (!allowed) log(`blocked request to ${details.url.slice(0, 200)}`);
    callback({ cancel: !allowed });
  });
  ses.setSpellCheckerEnabled(false);
}

/**
 * Guards for every web contents the app ever creates (ours, and anything that slips
 * through), installed before the first window exists.
 */
export function installWebContentsGuards(log: Log): void {
  app.on('web-contents-created', (_event, contents) => {
    guardContents(contents, log);
  });
}

function guardContents(contents: WebContents, log: Log): void {
  contents.setWindowOpenHandler(({ url }) => {
    log(`denied window.open to ${url.slice(0, 200)}`);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => {
    if (!isAllowedNavigation(event.url)) {
      log(`blocked navigation to ${event.url.slice(0, 200)}`);
      event.preventDefault();
    }
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAllowedNavigation(event.url)) {
      log(`blocked frame navigation to ${event.url.slice(0, 200)}`);
      event.preventDefault();
    }
  });
  contents.on('will-redirect', (event) => {
    if (!isAllowedNavigation(event.url)) {
      log(`blocked redirect to ${event.url.slice(0, 200)}`);
      event.preventDefault();
    }
  });
  contents.on('will-attach-webview', (event) => {
    log('blocked a <webview>');
    event.preventDefault();
  });
  contents.on('before-input-event', (event, input) => {
    const blocked = blockedShortcut(input);
    if (blocked !== null) event.preventDefault();
  });
  // Pinch and Ctrl+wheel zoom: pin the zoom level. Keyboard zoom is caught above.
  contents.on('zoom-changed', () => {
    contents.setZoomLevel(0);
  });
  contents.on('did-finish-load', () => {
    contents.setZoomLevel(0);
    contents.setVisualZoomLevelLimits(1, 1).catch((error: unknown) => log(`could not pin zoom: ${describe(error)}`));
  });
  contents.on('devtools-opened', () => {
    if (app.isPackaged) contents.closeDevTools();
  });
}

export interface KioskWindowOptions {
  /** Absolute path of out/preload/electron-preload.cjs. */
  preloadPath: string;
  log: Log;
}

/** The one kiosk window: full-screen, no chrome, every web preference at its safest. */
export function createKioskWindow(options: KioskWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    kiosk: true,
    fullscreen: true,
    autoHideMenuBar: true,
    show: false,
    backgroundColor: '#101418',
    title: 'Armoury Kiosk',
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      disableBlinkFeatures: 'Auxclick',
      zoomFactor: 1,
      // Unpackaged runs keep DevTools reachable for Playwright; shortcuts stay blocked.
      devTools: !app.isPackaged,
    },
  });
  window.once('ready-to-show', () => window.show());
  // If the first paint never comes (renderer failed to load), show the window anyway so
  // the terminal is visibly up rather than a blank screen behind nothing.
  setTimeout(() => {
    if (!window.isDestroyed() && !window.isVisible()) window.show();
  }, 10_000).unref();
  return window;
}

/** Load (or reload) the renderer's entry page. */
export function loadRenderer(window: BrowserWindow, log: Log): void {
  window.loadURL(APP_ENTRY_URL).catch((error: unknown) => log(`loading ${APP_ENTRY_URL} failed: ${describe(error)}`));
}

/**
 * A crashed renderer is reloaded with back-off; too many crashes in a short time and the
 * shell gives up (`onGiveUp`, which exits so the session supervisor restarts it). A hung
 * renderer is logged and, if it stays hung, killed so the crash path reloads it.
 */
export function superviseRenderer(window: BrowserWindow, log: Log, onGiveUp: () => void, hangLimitMs = 30_000): void {
  const backoff = new CrashBackoff();
  const contents = window.webContents;
  let hangTimer: NodeJS.Timeout | null = null;
  let reloadTimer: NodeJS.Timeout | null = null;

  contents.on('render-process-gone', (_event, details) => {
    log(`renderer gone: ${details.reason} (exit code ${details.exitCode})`);
    if (hangTimer) clearTimeout(hangTimer);
    hangTimer = null;
    if (window.isDestroyed() || details.reason === 'clean-exit') return;
    const decision = backoff.recordCrash(Date.now());
    if (decision.action === 'give-up') {
      log(`renderer crashed ${decision.crashes} times in a short time: giving up`);
      onGiveUp();
      return;
    }
    log(`reloading the renderer in ${decision.delayMs} ms`);
    if (reloadTimer) clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      if (!window.isDestroyed()) loadRenderer(window, log);
    }, decision.delayMs);
  });

  window.on('unresponsive', () => {
    log('renderer unresponsive');
    if (hangTimer) return;
    hangTimer = setTimeout(() => {
      hangTimer = null;
      if (window.isDestroyed()) return;
      log(`renderer still unresponsive after ${hangLimitMs} ms: restarting it`);
      window.webContents.forcefullyCrashRenderer();
    }, hangLimitMs);
  });
  window.on('responsive', () => {
    log('renderer responsive again');
    if (hangTimer) clearTimeout(hangTimer);
    hangTimer = null;
  });
  window.on('closed', () => {
    if (hangTimer) clearTimeout(hangTimer);
    if (reloadTimer) clearTimeout(reloadTimer);
  });
}

/** True when the window currently shows our own origin (snapshots go nowhere else). */
export function showsRenderer(contents: WebContents): boolean {
  return !contents.isDestroyed() && isAppUrl(contents.getURL());
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
