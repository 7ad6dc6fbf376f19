/**
 * The browser shell: the built renderer and the contract served on loopback to a system
 * Chromium (or Playwright), for machines without the Electron binary and for thin clients.
 *
 * Trust model: anything on this machine can reach 127.0.0.1, and any web page the browser
 * opens can try to talk to it (cross-origin fetches, WebSockets, DNS rebinding). So:
 * - every request but the sign-in link needs the per-launch session secret, compared in
 *   constant time. The browser holds it as an HttpOnly, SameSite=Strict cookie that it
 *   gets in exchange for a one-use launch nonce (`issueLaunchUrl`), so the secret is never
 *   in a URL, a command line or the page's script, and a used link is worthless;
 * - the Host header must name this loopback server (defeats DNS rebinding), and the
 *   WebSocket's Origin must be this server's own origin (defeats cross-site WebSockets);
 * - every payload goes through `dispatchRequest`, the one validation point;
 * - a socket is bounded in what it may cost: message size (the contract's largest upload),
 *   requests in flight, messages per second, and bytes waiting to be sent to it (a client
 *   that stops reading is closed rather than buffered for without end);
 * - static files come only from `staticDir` (no traversal, no dotfiles, no symlink escape)
 *   and every response carries the same CSP and hardening headers as the Electron shell.
 */
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { MAX_WS_MESSAGE_BYTES, wsRequestSchema, type KioskSnapshot, type WsServerMessage } from '../../preload/contract.ts';
import type { KioskService } from '../core/kiosk-service.ts';
import { dispatchRequest } from './dispatch.ts';
import { SECURITY_HEADERS, contentTypeFor, isInside, resolveStaticPath } from './kiosk-policy.ts';

export interface BrowserShellOptions {
  service: KioskService;
  /** The built renderer (`out/renderer`), holding `index.html`. */
  staticDir: string;
  /** Loopback only: `127.0.0.1` (default) or `::1`. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  log: (line: string) => void;
}

export interface BrowserShell {
  /** This server's origin, `http://127.0.0.1:<port>`. */
  origin: string;
  /**
   * A fresh one-use sign-in link, `<origin>/launch?nonce=<nonce>`. Opening it sets the session
   * cookie and goes on to the kiosk; after that the link opens nothing.
   */
  issueLaunchUrl(): string;
  /** The session cookie as `name=value`, for clients in this process that are not a browser. */
  sessionCookie: string;
  /** Bytes waiting to be sent on each open socket. */
  socketBacklogs(): number[];
  close(): Promise<void>;
}

/** Largest WebSocket message accepted (the contract's largest upload); a bigger one closes that socket (1009). */
export const MAX_WS_PAYLOAD = MAX_WS_MESSAGE_BYTES;
/** Requests a single socket may have in flight before further ones are refused. */
export const MAX_IN_FLIGHT_PER_SOCKET = 32;
/**
 * Bytes that may wait to be sent on one socket. A message that would take a socket past this
 * closes it instead (unless nothing is waiting: one large answer always goes), so a client
 * that stops reading costs at most this much, not the terminal's memory.
 */
export const MAX_UNSENT_BYTES_PER_SOCKET = 8 * 1024 * 1024;
/** Open sockets at once; the kiosk needs one (and one more while it reconnects). */
export const MAX_SOCKETS = 16;
/** Messages a socket may send at once, and how fast that allowance refills. */
export const MESSAGE_BURST = 100;
export const MESSAGES_PER_SECOND = 50;
/** How long a closed slow reader's socket is kept for its close frame, before it is cut. */
const SLOW_READER_GRACE_MS = 1_000;

/** Close codes (RFC 6455 7.4.1) this server closes sockets with, and the reason it gives. */
export const CLOSE = {
  binary: { code: 1003, reason: 'Binary messages are not accepted: send JSON text.' },
  notJson: { code: 1007, reason: 'A message was not JSON: send {"id","method","input"} as JSON text.' },
  notRequest: { code: 1007, reason: 'A message was not a request: it needs a numeric "id", a "method" and an "input".' },
  slowReader: { code: 1008, reason: `Closed: over ${MAX_UNSENT_BYTES_PER_SOCKET / 1024 / 1024} MiB of messages unread.` },
  tooFast: { code: 1008, reason: `Closed: more than ${MESSAGE_BURST} messages at once (at most ${MESSAGES_PER_SECOND} a second).` },
  tooBig: { code: 1009, reason: `Message too big: the most is ${MAX_WS_PAYLOAD} bytes.` },
} as const;

/**
 * ws closes a socket on its own, with no reason, for an oversized message (1009), bad UTF-8
 * (1007) or a protocol error (1002). A client told only "1009" cannot say what to do, so
 * such closes get a reason here.
 */
class ShellSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    const reason =
      data ?? (code === 1009 ? CLOSE.tooBig.reason : code === 1007 ? 'Invalid UTF-8 in a text message.' : code === 1002 ? 'WebSocket protocol error.' : undefined);
    super.close(code, reason);
  }
}

const API_PATH = '/api';
const LAUNCH_PATH = '/launch';
/**
 * Answer to a good launch link. A page and not a redirect: a SameSite=Strict cookie is not
 * sent along a redirect chain that began on another site (the launch file, say), but is sent
 * when this page, on our own origin, moves on to the kiosk.
 */
const LAUNCH_PAGE =
  '<!doctype html><html lang="en"><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/"><title>Armoury Kiosk</title><p>Opening the kiosk…</p></html>\n';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1']);

export async function startBrowserShell(options: BrowserShellOptions): Promise<BrowserShell> {
  const { service, log } = options;
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new Error(`The browser shell listens on loopback only (127.0.0.1 or ::1), not ${host}`);
  }
  const staticRoot = await fs.realpath(path.resolve(options.staticDir));
  const token = randomBytes(32).toString('base64url');
  const tokenDigest = digest(token);
  const tokenMatches = (candidate: string | null): boolean =>
    candidate !== null && timingSafeEqual(digest(candidate), tokenDigest);
  // Digests of the launch nonces not used yet. A lookup by digest tells an attacker nothing
  // about a nonce's bytes, so no constant-time compare is needed here.
  const launchNonces = new Set<string>();
  // Named after the port too: cookies are not kept apart by port, and two terminals on one
  // machine must not overwrite each other's.
  let cookieName = '';
  const hasSession = (req: http.IncomingMessage): boolean => tokenMatches(cookieValue(req.headers.cookie, cookieName));

  // Filled in once listening; requests cannot arrive before that.
  let origin = '';
  let allowedHosts = new Set<string>();

  const server = http.createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      log(`browser shell: ${req.method ?? '?'} failed: ${describe(error)}`);
      if (!res.headersSent) send(res, 500, 'Internal error');
      else res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => {
    socket.destroy();
  });

  async function handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!allowedHosts.has(req.headers.host ?? '')) {
      send(res, 421, 'Misdirected request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'Method not allowed');
      return;
    }
    const url = parseRequestUrl(req.url);
    if (url === null) {
      send(res, 400, 'Bad request');
      return;
    }
    if (url.pathname === LAUNCH_PATH) {
      handleLaunch(req, res, url);
      return;
    }
    if (!hasSession(req)) {
      send(res, 403, 'Forbidden: open the kiosk from the link it was started with.');
      return;
    }
    if (url.pathname === API_PATH) {
      send(res, 426, 'Upgrade required');
      return;
    }
    const file = resolveStaticPath(staticRoot, url.pathname);
    if (file === null) {
      send(res, 404, 'Not found');
      return;
    }
    let body: Buffer;
    try {
      // realpath: a symlink inside the renderer folder must not lead out of it.
      const real = await fs.realpath(file);
      if (!isInside(staticRoot, real)) {
        send(res, 404, 'Not found');
        return;
      }
      const stat = await fs.stat(real);
      if (!stat.isFile()) {
        send(res, 404, 'Not found');
        return;
      }
      body = await fs.readFile(real);
    } catch {
      send(res, 404, 'Not found');
      return;
    }
    writeSecurityHeaders(res);
    res.writeHead(200, { 'Content-Type': contentTypeFor(file), 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Trade a one-use launch nonce for the session cookie. */
  function handleLaunch(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const nonce = url.searchParams.get('nonce');
    const fresh = nonce !== null && launchNonces.delete(digest(nonce).toString('hex'));
    if (!fresh && !hasSession(req)) {
      // A used link opened again may mean someone else opened it first: say so in the log.
      log('browser shell: refused a launch link that was already used or never issued');
      send(res, 403, 'This link was already used or is not valid: restart the kiosk to get a new one.');
      return;
    }
    if (fresh) log('browser shell: a browser signed in with a launch link');
    writeSecurityHeaders(res);
    if (fresh) res.setHeader('Set-Cookie', `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict`);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(LAUNCH_PAGE) });
    res.end(req.method === 'HEAD' ? undefined : LAUNCH_PAGE);
  }

  // --- WebSocket bridge ---------------------------------------------------

  const wss = new WebSocketServer<typeof ShellSocket>({
    noServer: true,
    maxPayload: MAX_WS_PAYLOAD,
    perMessageDeflate: false,
    WebSocket: ShellSocket,
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = parseRequestUrl(req.url);
    const reason =
      url === null || url.pathname !== API_PATH
        ? 'wrong path'
        : !allowedHosts.has(req.headers.host ?? '')
          ? 'wrong host'
          : req.headers.origin !== origin
            ? `foreign origin ${JSON.stringify(req.headers.origin ?? null)}`
            : !hasSession(req)
              ? 'no session cookie'
              : null;
    if (reason !== null) {
      log(`browser shell: refused WebSocket (${reason})`);
      rejectUpgrade(socket, url !== null && url.pathname !== API_PATH ? 404 : 403);
      return;
    }
    if (wss.clients.size >= MAX_SOCKETS) {
      log(`browser shell: refused WebSocket (already ${MAX_SOCKETS} open)`);
      rejectUpgrade(socket, 503);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      wss.emit('connection', ws, req);
    });
  });

  /** Close a socket that broke the protocol or its limits, saying why to both ends. */
  function closeFor(ws: WebSocket, why: (typeof CLOSE)[keyof typeof CLOSE], detail: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    log(`browser shell: closed a WebSocket (${why.code}): ${detail}`);
    ws.close(why.code, why.reason);
  }

  wss.on('connection', (ws: WebSocket) => {
    log(`browser shell: WebSocket opened (${wss.clients.size} open)`);
    let inFlight = 0;
    // Message allowance, a token bucket: MESSAGE_BURST at once, refilled at MESSAGES_PER_SECOND.
    let allowance = MESSAGE_BURST;
    let allowanceAt = performance.now();
    ws.on('error', (error) => {
      // Oversized frames, bad UTF-8, protocol errors: ws closes the socket; just note it.
      log(`browser shell: WebSocket closed on error: ${error.message}`);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const now = performance.now();
      allowance = Math.min(MESSAGE_BURST, allowance + ((now - allowanceAt) / 1000) * MESSAGES_PER_SECOND);
      allowanceAt = now;
      if (allowance < 1) {
        closeFor(ws, CLOSE.tooFast, 'too many messages');
        return;
      }
      allowance -= 1;
      if (isBinary) {
        closeFor(ws, CLOSE.binary, 'a binary message');
        return;
      }
      const text = rawToString(data);
      let parsedJson: unknown;
      try {
        parsedJson = JSON.parse(text);
      } catch {
        closeFor(ws, CLOSE.notJson, 'a message that is not JSON');
        return;
      }
      const parsed = wsRequestSchema.safeParse(parsedJson);
      if (!parsed.success) {
        const id = recoverId(parsedJson);
        if (id === null) {
          closeFor(ws, CLOSE.notRequest, 'a message with no usable id');
          return;
        }
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
        reply(ws, {
          type: 'result',
          id,
          result: { ok: false, error: { kind: 'invalid-request', message: `${where}${issue?.message ?? 'malformed request'}` } },
        });
        return;
      }
      const request = parsed.data;
      if (inFlight >= MAX_IN_FLIGHT_PER_SOCKET) {
        reply(ws, {
          type: 'result',
          id: request.id,
          result: { ok: false, error: { kind: 'refused', message: 'Too many requests at once; wait for the answers.' } },
        });
        return;
      }
      inFlight += 1;
      dispatchRequest(service, request.method, request.input, log)
        .then((result) => reply(ws, { type: 'result', id: request.id, result }))
        .catch((error: unknown) => {
          // dispatchRequest already turns core throws into results; this is belt and braces.
          log(`browser shell: dispatch failed: ${describe(error)}`);
          reply(ws, {
            type: 'result',
            id: request.id,
            result: { ok: false, error: { kind: 'internal', message: 'Something went wrong in the terminal.' } },
          });
        })
        .finally(() => {
          inFlight -= 1;
        });
    });
  });

  const unsubscribe = service.onSnapshot((snapshot: KioskSnapshot) => {
    const message: WsServerMessage = { type: 'snapshot', snapshot };
    const text = JSON.stringify(message);
    const bytes = Buffer.byteLength(text);
    for (const client of wss.clients) sendTo(client, text, bytes);
  });

  function reply(ws: WebSocket, message: WsServerMessage): void {
    const text = JSON.stringify(message);
    sendTo(ws, text, Buffer.byteLength(text));
  }

  /**
   * The one way anything is sent. No per-send callback: a socket that dies with messages
   * queued would log once per message; its 'error' and 'close' say it once.
   */
  function sendTo(ws: WebSocket, text: string, bytes: number): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    const unsent = ws.bufferedAmount;
    if (unsent > 0 && unsent + bytes > MAX_UNSENT_BYTES_PER_SOCKET) {
      closeFor(ws, CLOSE.slowReader, `the client stopped reading, ${unsent} bytes unsent`);
      // The close frame waits behind everything the client never read; do not hold that for
      // ws's own 30 s close timeout.
      const cut = setTimeout(() => ws.terminate(), SLOW_READER_GRACE_MS);
      ws.once('close', () => clearTimeout(cut));
      return;
    }
    ws.send(text);
  }

  // --- listen ---------------------------------------------------------------

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: options.port ?? 0, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    unsubscribe();
    throw error;
  }
  server.on('error', (error) => log(`browser shell: server error: ${describe(error)}`));
  const { port } = server.address() as AddressInfo;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  origin = `http://${hostInUrl}:${port}`;
  allowedHosts = new Set([`${hostInUrl}:${port}`, `localhost:${port}`]);
  cookieName = `armoury_session_${port}`;

  const issueLaunchUrl = (): string => {
    const nonce = randomBytes(32).toString('base64url');
    launchNonces.add(digest(nonce).toString('hex'));
    return `${origin}${LAUNCH_PATH}?nonce=${nonce}`;
  };

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      unsubscribe();
      launchNonces.clear();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    })();
    return closing;
  };

  return {
    origin,
    issueLaunchUrl,
    sessionCookie: `${cookieName}=${token}`,
    socketBacklogs: () => [...wss.clients].map((client) => client.bufferedAmount),
    close,
  };
}

// ---------------------------------------------------------------------------

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function parseRequestUrl(raw: string | undefined): URL | null {
  if (raw === undefined || !raw.startsWith('/')) return null;
  try {
    // A fixed base: only the path and query of what the client sent matter.
    return new URL(raw, 'http://loopback.invalid');
  } catch {
    return null;
  }
}

function writeSecurityHeaders(res: http.ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

function send(res: http.ServerResponse, status: number, text: string): void {
  writeSecurityHeaders(res);
  const body = `${text}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function rejectUpgrade(socket: Duplex, status: 403 | 404 | 503): void {
  const headers = Object.entries(SECURITY_HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const text = status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n${headers}\r\n`);
}

/** The value of cookie `name` in a Cookie header, or null. */
function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** The id of a request that failed the schema, if it has a usable one to answer to. */
function recoverId(value: unknown): number | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const id: unknown = (value as { id?: unknown }).id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
