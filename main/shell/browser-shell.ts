/**
 * The browser shell: the built renderer and the contract served on loopback to a system
 * Chromium (or Playwright), for machines without the Electron binary and for thin clients.
 *
 * Trust model: anything on this machine can reach 127.0.0.1, and any web page the browser
 * opens can try to talk to it (cross-origin fetches, WebSockets, DNS rebinding). So:
 * - the entry document and the WebSocket both need a per-launch secret token, compared in
 *   constant time; the token travels only in the URL handed to the browser we launch;
 * - the Host header must name this loopback server (defeats DNS rebinding), and the
 *   WebSocket's Origin must be this server's own origin (defeats cross-site WebSockets);
 * - every payload goes through `dispatchRequest`, the one validation point;
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
import { wsRequestSchema, type KioskSnapshot, type WsServerMessage } from '../../preload/contract.ts';
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
  /** `http://127.0.0.1:<port>/?token=<token>`: the one URL that opens the kiosk. */
  url: string;
  token: string;
  close(): Promise<void>;
}

/** Largest WebSocket message accepted; a bigger one closes that socket (1009). */
export const MAX_WS_PAYLOAD = 64 * 1024;
/** Requests a single socket may have in flight before further ones are refused. */
export const MAX_IN_FLIGHT_PER_SOCKET = 32;

const API_PATH = '/api';
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
    const isEntry = url.pathname === '/' || url.pathname === '/index.html';
    if (isEntry && !tokenMatches(url.searchParams.get('token'))) {
      send(res, 403, 'Forbidden');
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

  // --- WebSocket bridge ---------------------------------------------------

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD, perMessageDeflate: false });

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
            : !tokenMatches(url.searchParams.get('token'))
              ? 'wrong token'
              : null;
    if (reason !== null) {
      log(`browser shell: refused WebSocket (${reason})`);
      rejectUpgrade(socket, url !== null && url.pathname !== API_PATH ? 404 : 403);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      wss.emit('connection', ws, req);
    });
  });

  wss.on('connection', (ws: WebSocket) => {
    let inFlight = 0;
    ws.on('error', (error) => {
      // Oversized frames, bad UTF-8, protocol errors: ws closes the socket; just note it.
      log(`browser shell: WebSocket closed on error: ${error.message}`);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        log('browser shell: ignored a binary WebSocket message');
        return;
      }
      const text = rawToString(data);
      let parsedJson: unknown;
      try {
        parsedJson = JSON.parse(text);
      } catch {
        log('browser shell: ignored a WebSocket message that is not JSON');
        return;
      }
      const parsed = wsRequestSchema.safeParse(parsedJson);
      if (!parsed.success) {
        const id = recoverId(parsedJson);
        if (id === null) {
          log('browser shell: ignored a malformed WebSocket request with no usable id');
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
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(text);
    }
  });

  function reply(ws: WebSocket, message: WsServerMessage): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(message), (error) => {
      if (error) log(`browser shell: could not send a reply: ${error.message}`);
    });
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
  const url = `${origin}/?token=${token}`;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      unsubscribe();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    })();
    return closing;
  };

  return { url, token, close };
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

function rejectUpgrade(socket: Duplex, status: 403 | 404): void {
  const headers = Object.entries(SECURITY_HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const text = status === 403 ? 'Forbidden' : 'Not Found';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n${headers}\r\n`);
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
