/**
 * The pure parts of the kiosk lockdown, shared by both shells and kept free of Electron
 * so they can be unit-tested in plain Node: which URLs a window may show, which key
 * combinations are swallowed, whether an IPC sender is the frame we loaded, the security
 * headers and static-file resolution both shells serve the renderer with, the renderer
 * crash back-off, and the command-line flags both entry points accept.
 */
import path from 'node:path';

// ---------------------------------------------------------------------------
// Where the renderer lives in the Electron shell

export const APP_SCHEME = 'app';
export const APP_HOST = 'kiosk';
/** The renderer's origin in the Electron shell; the only place a window may navigate to. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/`;

/**
 * True only for `app://kiosk/...` with no credentials or port. The string-prefix check is
 * what matters (it is what the spec for the IPC guard names); the parse rejects oddities
 * such as `app://kiosk/` followed by characters a URL parser would re-interpret.
 */
export function isAppUrl(url: string): boolean {
  if (typeof url !== 'string' || !url.startsWith(APP_ENTRY_URL)) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.hostname === APP_HOST &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/** Navigation and redirects are allowed only within the app's own origin. */
export function isAllowedNavigation(url: string): boolean {
  return isAppUrl(url);
}

/**
 * Sub-resource requests a window may make: its own origin, inline `data:` images (the CSP
 * allows them) and Chromium's internal devtools scheme (never reachable: devtools are off).
 * Everything else (http, https, ws, file, ftp...) is cancelled at the session level, a
 * second fence behind the CSP.
 */
export function isAllowedSubresource(url: string): boolean {
  return isAppUrl(url) || url.startsWith('data:') || url.startsWith('devtools:');
}

// ---------------------------------------------------------------------------
// Keyboard lockdown

/** The fields of Electron's `Input` (before-input-event) the predicate looks at. */
export interface KeyInput {
  type: string;
  key: string;
  code: string;
  control: boolean;
  meta: boolean;
  alt: boolean;
  shift: boolean;
}

const KEY_EVENT_TYPES = new Set(['keyDown', 'rawKeyDown', 'keyUp', 'char']);
const ZOOM_KEYS = new Set(['+', '=', '-', '_', '0']);
const BROWSER_COMMAND_LETTERS = ['n', 't', 'p', 's', 'o', 'u', 'f', 'g', 'h', 'j', 'l', 'e', 'k', 'd', 'm'];
const ZOOM_CODES = new Set(['Equal', 'Minus', 'Digit0', 'NumpadAdd', 'NumpadSubtract', 'Numpad0']);

/**
 * Names the shortcut if `input` is one the kiosk swallows, else null. Checked on every
 * key event type (down, up, char) so no half of a combination reaches the page's
 * default handling. Letters are compared case-insensitively because Shift changes `key`.
 * Typing (digits for the PIN, letters, Enter, Escape, arrows) is left alone.
 */
export function blockedShortcut(input: KeyInput): string | null {
  if (!KEY_EVENT_TYPES.has(input.type)) return null;
  const key = input.key.length === 1 ? input.key.toLowerCase() : input.key;
  const code = input.code;
  const mod = input.control || input.meta; // Ctrl on Linux/Windows, Cmd on macOS

  // Function keys: reload, devtools, fullscreen toggle, caret browsing, close tab.
  if (key === 'F5' || code === 'F5') return 'reload';
  if (key === 'F12' || code === 'F12') return 'devtools';
  if (key === 'F11' || code === 'F11') return 'fullscreen';
  if (key === 'F7' || code === 'F7') return 'caret-browsing';
  if ((key === 'F4' || code === 'F4') && (input.alt || mod)) return 'close';
  // Browser history and reload media keys.
  if (key === 'BrowserRefresh' || key === 'BrowserBack' || key === 'BrowserForward' || key === 'BrowserHome') {
    return 'browser-key';
  }
  if (input.alt && (key === 'ArrowLeft' || key === 'ArrowRight' || key === 'Home')) return 'history';

  if (!mod) return null;
  // Match the physical key (code) and the layout's letter (key): either one names it.
  const physical = /^Key[A-Z]$/.test(code) ? code.slice(3).toLowerCase() : '';
  const is = (letter: string): boolean => physical === letter || key === letter;

  if (is('r')) return 'reload';
  if ((input.shift || input.alt) && (is('i') || is('j') || is('c'))) return 'devtools'; // Cmd+Alt+I on macOS
  if (ZOOM_KEYS.has(key) || ZOOM_CODES.has(code)) return 'zoom';
  if (is('w') || is('q')) return 'close';
  // New window/tab, print, save, open, view source, find, history, downloads, address bar, bookmarks.
  if (BROWSER_COMMAND_LETTERS.some(is)) return 'browser-command';
  return null;
}

// ---------------------------------------------------------------------------
// IPC sender check

/** What the IPC guard needs to know about a frame (a subset of Electron's WebFrameMain). */
export interface FrameIdentity {
  processId: number;
  routingId: number;
  url: string;
  /** True when the frame has no parent. */
  isMainFrame: boolean;
}

/**
 * An IPC call is trusted only when it comes from the main frame of the window we created
 * (same renderer process and frame), and that frame currently shows our own origin. Any
 * sub-frame, any other window or web contents, or a frame that has navigated elsewhere is
 * refused.
 */
export function isTrustedSender(
  sender: FrameIdentity | null,
  expectedMainFrame: Pick<FrameIdentity, 'processId' | 'routingId'> | null,
): boolean {
  if (sender === null || expectedMainFrame === null) return false;
  return (
    sender.isMainFrame &&
    sender.processId === expectedMainFrame.processId &&
    sender.routingId === expectedMainFrame.routingId &&
    isAppUrl(sender.url)
  );
}

// ---------------------------------------------------------------------------
// Renderer crash back-off

export type CrashDecision = { action: 'reload'; delayMs: number } | { action: 'give-up'; crashes: number };

export interface CrashPolicyOptions {
  /** Crashes inside this window count towards the limit. */
  windowMs?: number;
  /** More crashes than this inside the window: stop reloading. */
  maxCrashes?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Reload a crashed renderer with exponential back-off (1 s, 2 s, 4 s ... capped), and
 * give up when it crashes too often in a short time, so a renderer that dies on load does
 * not spin the CPU: the shell then exits non-zero and the session supervisor decides.
 */
export class CrashBackoff {
  private readonly windowMs: number;
  private readonly maxCrashes: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private crashTimes: number[] = [];

  constructor(options: CrashPolicyOptions = {}) {
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.maxCrashes = options.maxCrashes ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
  }

  recordCrash(now: number): CrashDecision {
    this.crashTimes = this.crashTimes.filter((t) => now - t < this.windowMs);
    this.crashTimes.push(now);
    const count = this.crashTimes.length;
    if (count > this.maxCrashes) return { action: 'give-up', crashes: count };
    const delayMs = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (count - 1));
    return { action: 'reload', delayMs };
  }
}

// ---------------------------------------------------------------------------
// HTTP headers and static files (browser shell and the app:// protocol handler)

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent with every response either shell makes, errors included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), payment=()',
});

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.webm': 'audio/webm',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Map a URL path onto a file under `root`, or null if it would leave `root`. The path is
 * percent-decoded once (so `%2e%2e` is caught), must not contain NUL, backslashes or
 * dot-segments after decoding, no segment may start with a dot (no `.env`, `.git`), and
 * the resolved absolute path must stay inside `root`. `/` and directory-like paths map to
 * `index.html`. Callers should still realpath the result before reading (symlinks).
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return null;
  const segments = decoded.split('/').slice(1);
  if (segments.some((segment) => segment.startsWith('.'))) return null;
  const relative = decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const absoluteRoot = path.resolve(root);
  const full = path.resolve(absoluteRoot, `.${relative}`);
  if (!isInside(absoluteRoot, full)) return null;
  return full;
}

export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

// ---------------------------------------------------------------------------
// Command line (both entry points)

export interface LaunchArgs {
  port: number | null;
  dataDir: string | null;
  configPath: string | null;
  demo: boolean;
  /** Browser shell: do not open Chromium. */
  headless: boolean;
  /** Demo mode only: the terminal's clock starts at this local time of day ("12:00"). */
  clockFrom: string | null;
  help: boolean;
}

export type ParsedArgs = { ok: true; args: LaunchArgs } | { ok: false; message: string };

export const USAGE = `Usage: armoury-kiosk [--live] [--data-dir DIR] [--config FILE] [--port N] [--headless | --open]
  --live          use the real hardware from the terminal config (default: demo mode with simulators)
  --data-dir DIR  where the database and logs live
  --config FILE   terminal hardware config (JSON)
  --port N        browser shell: listen on this loopback port (default: a free port)
  --headless      browser shell: do not open Chromium (for tests and thin-client setups)
  --open          browser shell: open Chromium in app mode (the default)
  --clock-from HH:MM  demo mode only: run the terminal's clock from this time today (tests, rehearsals)`;

/**
 * Parse the flags both entry points share. `strict` (the browser shell) refuses unknown
 * flags; the Electron shell passes `strict: false` because Chromium and tooling (e.g.
 * Playwright's `--remote-debugging-port`) add switches of their own.
 */
export function parseLaunchArgs(argv: readonly string[], options: { strict: boolean }): ParsedArgs {
  const args: LaunchArgs = { port: null, dataDir: null, configPath: null, demo: true, headless: false, clockFrom: null, help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const raw = argv[i] ?? '';
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : null;
    const value = (): string | null => {
      if (inline !== null) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) return null;
      i += 1;
      return next;
    };
    switch (flag) {
      case '--port': {
        const v = value();
        const n = v === null ? Number.NaN : Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) return { ok: false, message: `--port needs a number 0-65535, got ${v ?? 'nothing'}` };
        args.port = n;
        break;
      }
      case '--data-dir': {
        const v = value();
        if (v === null || v === '') return { ok: false, message: '--data-dir needs a directory' };
        args.dataDir = v;
        break;
      }
      case '--config': {
        const v = value();
        if (v === null || v === '') return { ok: false, message: '--config needs a file' };
        args.configPath = v;
        break;
      }
      case '--clock-from': {
        const v = value();
        if (v === null || !/^([01]\d|2[0-3]):[0-5]\d$/.test(v)) return { ok: false, message: `--clock-from needs a time such as 12:00, got ${v ?? 'nothing'}` };
        args.clockFrom = v;
        break;
      }
      case '--live':
        args.demo = false;
        break;
      case '--demo':
        args.demo = true;
        break;
      case '--headless':
        args.headless = true;
        break;
      case '--open':
        args.headless = false;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        if (options.strict) return { ok: false, message: `unknown argument ${raw}` };
    }
  }
  // A live terminal's records are evidence: its clock is the system's, always.
  if (args.clockFrom !== null && !args.demo) return { ok: false, message: '--clock-from is for demo mode only; a live terminal uses the system clock' };
  return { ok: true, args };
}

/**
 * Where the database lives unless `--data-dir` says otherwise: inside the checkout
 * (`<repo>/.data`, git-ignored) when running from source, else the XDG data folder, so
 * both shells on one terminal share the same data.
 */
export function defaultDataDir(appRoot: string, env: NodeJS.ProcessEnv, homeDir: string, fromCheckout: boolean): string {
  if (fromCheckout) return path.join(appRoot, '.data');
  const dataHome = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(homeDir, '.local', 'share');
  return path.join(dataHome, 'armoury-kiosk');
}

/** Chromium switches that would hand control of a packaged kiosk to whoever launched it. */
export const DEBUG_SWITCHES = ['remote-debugging-port', 'remote-debugging-pipe', 'inspect', 'inspect-brk', 'inspect-port', 'js-flags'] as const;
