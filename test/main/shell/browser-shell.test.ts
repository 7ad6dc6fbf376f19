import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type {
  KioskSnapshot,
  RequestInput,
  RequestName,
  ResponseValues,
  Result,
  WsServerMessage,
} from '../../../preload/contract.ts';
import { MAX_TRAINING_IMPORT_CHARS } from '../../../preload/contract.ts';
import type { KioskService } from '../../../main/core/kiosk-service.ts';
import {
  CLOSE,
  MAX_SOCKETS,
  MAX_UNSENT_BYTES_PER_SOCKET,
  MAX_WS_PAYLOAD,
  MESSAGE_BURST,
  MESSAGES_PER_SECOND,
  startBrowserShell,
  type BrowserShell,
} from '../../../main/shell/browser-shell.ts';
import { CONTENT_SECURITY_POLICY } from '../../../main/shell/kiosk-policy.ts';

// ---------------------------------------------------------------------------
// A fake core: records calls, answers with a snapshot, pushes on demand.

function makeSnapshot(revision: number, padding = 0): KioskSnapshot {
  return {
    terminalName: `Test terminal${' '.repeat(padding)}`,
    mode: 'demo',
    screen: { kind: 'idle' },
    session: null,
    idle: { warningSecondsLeft: null, timeoutSeconds: 60, doneSecondsLeft: null },
    devices: [],
    lockers: { name: 'Lockers', state: 'online', inService: true, reason: null },
    doorBanks: [],
    demo: null,
  keyboardScanFallback: false,
    setup: null,
    enrolling: null,
    revision,
  };
}

class FakeKiosk implements KioskService {
  calls: Array<{ method: RequestName; input: unknown }> = [];
  listeners = new Set<(snapshot: KioskSnapshot) => void>();
  revision = 1;
  failNext = false;

  async request<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>> {
    this.calls.push({ method, input });
    if (this.failNext) {
      this.failNext = false;
      throw new Error('core blew up');
    }
    // Every method answers with a snapshot in this contract.
    return { ok: true, value: makeSnapshot(this.revision) as ResponseValues[M] };
  }

  onSnapshot(listener: (snapshot: KioskSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Push a snapshot; `padding` makes it that many characters bigger. */
  push(padding = 0): void {
    this.revision += 1;
    for (const listener of this.listeners) listener(makeSnapshot(this.revision, padding));
  }
}

// ---------------------------------------------------------------------------
// Helpers

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** http.request does not normalise the path, so traversal attempts reach the server as written. */
function rawGet(base: URL, rawPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, path: rawPath, method, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

type Opened = { ws: WebSocket; messages: WsServerMessage[]; next: (predicate?: (m: WsServerMessage) => boolean) => Promise<WsServerMessage> };

/** A WebSocket client; by default it sends this shell's session cookie, as the kiosk's browser does. */
function connect(url: string, origin: string, cookie: string | null = shell.sessionCookie): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin, maxPayload: 0, headers: cookie === null ? {} : { Cookie: cookie } });
    const messages: WsServerMessage[] = [];
    const waiters: Array<{ predicate: (m: WsServerMessage) => boolean; resolve: (m: WsServerMessage) => void }> = [];
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as WsServerMessage;
      messages.push(message);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(message)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    });
    const next = (predicate: (m: WsServerMessage) => boolean = () => true): Promise<WsServerMessage> =>
      new Promise((res, rej) => {
        const seen = messages.find(predicate);
        if (seen) {
          messages.splice(messages.indexOf(seen), 1);
          res(seen);
          return;
        }
        const timer = setTimeout(() => rej(new Error('timed out waiting for a message')), 5_000);
        waiters.push({
          predicate,
          resolve: (m) => {
            clearTimeout(timer);
            messages.splice(messages.indexOf(m), 1);
            res(m);
          },
        });
      });
    ws.once('open', () => resolve({ ws, messages, next }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode ?? 0}`)));
  });
}

function resultFor(id: number) {
  return (m: WsServerMessage): boolean => m.type === 'result' && m.id === id;
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve(-1);
    else ws.once('close', (code) => resolve(code));
  });
}

function closedWith(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
}

/**
 * A WebSocket client over a bare TCP socket, which can stop reading (pause) as a stuck or
 * hostile client would: the handshake by hand, then the raw bytes the server sends.
 */
async function rawClient(headers: Record<string, string>): Promise<{ socket: net.Socket; received: Buffer[] }> {
  const socket = net.connect(Number(base.port), base.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const lines = [
    'GET /api HTTP/1.1',
    `Host: ${base.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const received: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(head.split('\r\n')[0]));
      else {
        received.push(Buffer.from(head.slice(end + 4), 'latin1'));
        resolve();
      }
    };
    socket.on('data', onData);
  });
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => undefined);
  return { socket, received };
}

/** The close frame in what a server sent (server frames are unmasked), if there is one. */
function closeFrameIn(bytes: Buffer): { code: number; reason: string } | null {
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      start = at + 4;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2));
      start = at + 10;
    }
    if (start + length > bytes.length) return null;
    if (opcode === 0x8) return { code: bytes.readUInt16BE(start), reason: bytes.subarray(start + 2, start + length).toString('utf8') };
    at = start + length;
  }
  return null;
}

async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---------------------------------------------------------------------------

let root: string;
let staticDir: string;
const logLines: string[] = [];
let kiosk: FakeKiosk;
let shell: BrowserShell;
let base: URL;
let apiUrl: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'armoury-shell-'));
  staticDir = path.join(root, 'renderer');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Armoury</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log("hi");');
  writeFileSync(path.join(staticDir, 'assets', 'app.css'), 'body{}');
  writeFileSync(path.join(staticDir, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(path.join(staticDir, '.secret'), 'dotfile');
  writeFileSync(path.join(root, 'package.json'), '{"secret": true}');
  symlinkSync(path.join(root, 'package.json'), path.join(staticDir, 'assets', 'escape.json'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

beforeEach(async () => {
  logLines.length = 0;
  kiosk = new FakeKiosk();
  shell = await startBrowserShell({ service: kiosk, staticDir, log: (line) => logLines.push(line) });
  base = new URL(shell.origin);
  apiUrl = `ws://${base.host}/api`;
});

afterEach(async () => {
  await shell.close();
});

describe('browser shell: HTTP', () => {
  it('hands out one-use loopback launch links, each a fresh long random nonce', () => {
    const first = shell.issueLaunchUrl();
    const second = shell.issueLaunchUrl();
    expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/launch\?nonce=[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
    // The session secret is in neither.
    const secret = shell.sessionCookie.split('=')[1]!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first).not.toContain(secret);
    expect(shell.sessionCookie).toBe(`armoury_session_${base.port}=${secret}`);
  });

  it('trades a launch link once for an HttpOnly SameSite=Strict session cookie, then opens nothing', async () => {
    const link = new URL(shell.issueLaunchUrl());
    const res = await rawGet(base, `${link.pathname}${link.search}`);
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toEqual([`${shell.sessionCookie}; Path=/; HttpOnly; SameSite=Strict`]);
    // A page on our own origin moves on to the kiosk (a redirect would lose the Strict cookie).
    expect(res.body).toContain('<meta http-equiv="refresh" content="0;url=/">');
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(logLines).toContain('browser shell: a browser signed in with a launch link');

    const again = await rawGet(base, `${link.pathname}${link.search}`);
    expect(again.status).toBe(403);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.body).toContain('already used');
    expect(logLines).toContain('browser shell: refused a launch link that was already used or never issued');
    // A browser that already holds the cookie (a reload of the launch page) just goes on.
    const reload = await rawGet(base, `${link.pathname}${link.search}`, { Cookie: shell.sessionCookie });
    expect(reload.status).toBe(200);
    expect(reload.headers['set-cookie']).toBeUndefined();

    for (const p of ['/launch', '/launch?nonce=', '/launch?nonce=wrong', `${link.pathname}${link.search}x`]) {
      const res = await rawGet(base, p);
      expect(res.status, p).toBe(403);
      expect(res.headers['set-cookie'], p).toBeUndefined();
    }
  });

  it('forgets unused launch links on close', async () => {
    const link = new URL(shell.issueLaunchUrl());
    await shell.close();
    shell = await startBrowserShell({ service: kiosk, staticDir, port: Number(base.port), log: (line) => logLines.push(line) });
    expect((await rawGet(base, `${link.pathname}${link.search}`)).status).toBe(403);
  });

  it('serves index.html with the session cookie and security headers', async () => {
    const res = await rawGet(base, '/', { Cookie: shell.sessionCookie });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<title>Armoury</title>');
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses every file without the session cookie or with a wrong one (403), the secret in the URL included', async () => {
    const [name, secret] = shell.sessionCookie.split('=') as [string, string];
    const attempts: Array<[string, Record<string, string>]> = [
      ['/', {}],
      ['/index.html', {}],
      ['/assets/app.js', {}],
      ['/api', {}],
      [`/?token=${secret}`, {}],
      ['/', { Cookie: `${name}=wrong` }],
      ['/', { Cookie: `${name}=${secret}x` }],
      ['/', { Cookie: `${name}=${secret.slice(1)}` }],
      ['/', { Cookie: `armoury_session_1=${secret}` }],
    ];
    for (const [p, headers] of attempts) {
      const res = await rawGet(base, p, headers);
      expect(res.status, `${p} ${JSON.stringify(headers)}`).toBe(403);
      expect(res.body).not.toContain('Armoury');
      expect(res.headers['content-security-policy'], p).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('serves static assets with the right content types', async () => {
    const cookie = { Cookie: `other=1; ${shell.sessionCookie}` };
    const js = await rawGet(base, '/assets/app.js', cookie);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('no-store');
    expect((await rawGet(base, '/assets/app.css', cookie)).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await rawGet(base, '/assets/logo.svg', cookie)).headers['content-type']).toBe('image/svg+xml');
    const head = await rawGet(base, '/assets/app.js', cookie, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('refuses directory traversal, encoded or not, dotfiles and symlinks out of the folder', async () => {
    const attempts = [
      '/../package.json',
      '/assets/../../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/package.json',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/..%2fpackage.json',
      '/%2e%2e%5cpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/.secret',
      '/assets/escape.json',
      '/%00index.html',
      '/%E0%A4%A', // malformed percent-encoding
    ];
    for (const attempt of attempts) {
      // With the cookie: traversal is refused for what it is, not for want of a session.
      const res = await rawGet(base, attempt, { Cookie: shell.sessionCookie });
      expect(res.status, attempt).toBeGreaterThanOrEqual(400);
      expect(res.body, attempt).not.toContain('secret');
      expect(res.headers['content-security-policy'], attempt).toBe(CONTENT_SECURITY_POLICY);
    }
    // Still serving.
    expect((await rawGet(base, '/', { Cookie: shell.sessionCookie })).status).toBe(200);
  });

  it('answers 404 for missing files and 405 for other methods, with headers', async () => {
    const missing = await rawGet(base, '/assets/nope.js', { Cookie: shell.sessionCookie });
    expect(missing.status).toBe(404);
    expect(missing.headers['referrer-policy']).toBe('no-referrer');
    const post = await rawGet(base, '/', { Cookie: shell.sessionCookie }, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('refuses a Host header that is not this server (DNS rebinding)', async () => {
    const res = await rawGet(base, '/', { Host: `evil.example:${base.port}`, Cookie: shell.sessionCookie });
    expect(res.status).toBe(421);
    expect(res.body).not.toContain('Armoury');
  });

  it('refuses to bind anywhere but loopback', async () => {
    await expect(startBrowserShell({ service: kiosk, staticDir, host: '0.0.0.0', log: () => {} })).rejects.toThrow(/loopback/);
  });
});

describe('browser shell: WebSocket bridge', () => {
  it('rejects a socket without the session cookie, or with a wrong one, before any work', async () => {
    const [name, secret] = shell.sessionCookie.split('=') as [string, string];
    await expect(connect(apiUrl, base.origin, null)).rejects.toThrow(/403/);
    await expect(connect(apiUrl, base.origin, `${name}=wrong`)).rejects.toThrow(/403/);
    await expect(connect(`${apiUrl}?token=${secret}`, base.origin, null)).rejects.toThrow(/403/);
    await expect(connect(`ws://${base.host}/elsewhere`, base.origin)).rejects.toThrow(/404/);
    expect(logLines.filter((l) => l.includes('refused WebSocket (no session cookie)'))).toHaveLength(3);
    expect(kiosk.calls).toEqual([]);
  });

  it('rejects a foreign or missing Origin', async () => {
    await expect(connect(apiUrl, 'http://evil.example')).rejects.toThrow(/403/);
    await expect(connect(apiUrl, `http://localhost:${base.port}`)).rejects.toThrow(/403/);
    await expect(connect(apiUrl, 'null')).rejects.toThrow(/403/);
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(apiUrl); // no Origin header at all
        ws.once('open', () => resolve('open'));
        ws.once('error', reject);
      }),
    ).rejects.toThrow(/403/);
  });

  it('round-trips a request through dispatch', async () => {
    const { ws, next } = await connect(apiUrl, base.origin);
    ws.send(JSON.stringify({ id: 1, method: 'getSnapshot', input: {} }));
    const reply = await next(resultFor(1));
    expect(reply).toEqual({ type: 'result', id: 1, result: { ok: true, value: makeSnapshot(1) } });
    ws.send(JSON.stringify({ id: 2, method: 'submitPin', input: { pin: '1234' } }));
    await next(resultFor(2));
    expect(kiosk.calls).toEqual([
      { method: 'getSnapshot', input: {} },
      { method: 'submitPin', input: { pin: '1234' } },
    ]);
    ws.close();
  });

  it('answers hostile payloads with invalid-request and keeps serving', async () => {
    const { ws, next } = await connect(apiUrl, base.origin);
    const hostile: Array<[number, unknown]> = [
      [10, { id: 10, method: 'launchMissiles', input: {} }],
      [11, { id: 11, method: 'submitPin', input: { pin: 1234 } }],
      [12, { id: 12, method: 'submitPin', input: { pin: '1234', admin: true } }],
      [13, { id: 13, method: 'startDraw', input: { assetTypeId: -1 } }],
      [14, { id: 14, method: 'getSnapshot', input: {}, extra: 'field' }],
      [15, { id: 15, method: 42, input: {} }],
      [16, { id: 16, method: '__proto__', input: {} }],
      [17, { id: 17, method: 'constructor', input: {} }],
      [18, { id: 18, method: 'x'.repeat(10_000), input: {} }],
      [19, { id: 19, method: 'getSnapshot', input: { toString: 'nope' } }],
    ];
    for (const [, payload] of hostile) ws.send(JSON.stringify(payload));
    for (const [id] of hostile) {
      const reply = await next(resultFor(id));
      expect(reply.type === 'result' && reply.result.ok, `id ${id}`).toBe(false);
      if (reply.type === 'result' && !reply.result.ok) expect(reply.result.error.kind, `id ${id}`).toBe('invalid-request');
    }
    // None of them reached the core.
    expect(kiosk.calls).toEqual([]);

    // Still serving after all of them.
    ws.send(JSON.stringify({ id: 20, method: 'getSnapshot', input: {} }));
    const ok = await next(resultFor(20));
    expect(ok.type === 'result' && ok.result.ok).toBe(true);
    ws.close();
  });

  it('closes a socket that does not speak the protocol, with a code and a reason that say why', async () => {
    const cases: Array<[string | Buffer, { code: number; reason: string }]> = [
      ['not json at all', CLOSE.notJson],
      ['{"id": 1, "method": "getSnapshot", "input": {', CLOSE.notJson],
      ['{"id": -5, "method": "getSnapshot"}', CLOSE.notRequest],
      ['[1,2,3]', CLOSE.notRequest],
      ['null', CLOSE.notRequest],
      [Buffer.from([0xde, 0xad, 0xbe, 0xef]), CLOSE.binary],
    ];
    for (const [message, expected] of cases) {
      const { ws } = await connect(apiUrl, base.origin);
      const done = closedWith(ws);
      ws.send(message, { binary: Buffer.isBuffer(message) });
      expect(await done, String(message)).toEqual(expected);
    }
    expect(kiosk.calls).toEqual([]);
    expect(logLines.filter((l) => l.startsWith('browser shell: closed a WebSocket (1007): a message that is not JSON'))).toHaveLength(2);
    // The server goes on serving others.
    const { ws, next } = await connect(apiUrl, base.origin);
    ws.send(JSON.stringify({ id: 21, method: 'getSnapshot', input: {} }));
    expect(await next(resultFor(21))).toMatchObject({ result: { ok: true } });
    ws.close();
  });

  it(`closes a socket that sends more than ${MESSAGE_BURST} messages at once, having served the allowance`, async () => {
    const flood = await connect(apiUrl, base.origin);
    const calm = await connect(apiUrl, base.origin);
    const done = closedWith(flood.ws);
    const started = performance.now();
    for (let id = 1; id <= MESSAGE_BURST + 50; id++) flood.ws.send(JSON.stringify({ id, method: 'getSnapshot', input: {} }));
    expect(await done).toEqual(CLOSE.tooFast);
    // What the bucket can have refilled while the flood arrived, however loaded the machine.
    const refilled = Math.ceil(((performance.now() - started) / 1000) * MESSAGES_PER_SECOND);
    // The allowance (and what refilled meanwhile) was served: dispatched up to the in-flight
    // cap, the rest refused at once. Nothing after it was looked at.
    expect(kiosk.calls.length).toBeGreaterThanOrEqual(32);
    const refused = flood.messages.flatMap((m) => (m.type === 'result' && !m.result.ok && m.result.error.kind === 'refused' ? [m.id] : []));
    // Every message of the allowance was looked at: dispatched, or refused at once. (Which of
    // the last ones were refused depends on how fast the dispatched calls came back.)
    expect(kiosk.calls.length + refused.length).toBeGreaterThanOrEqual(MESSAGE_BURST);
    expect(Math.max(...refused)).toBeLessThanOrEqual(MESSAGE_BURST + refilled + 1);
    expect(kiosk.calls.length + refused.length).toBeLessThanOrEqual(MESSAGE_BURST + refilled + 1);
    calm.ws.send(JSON.stringify({ id: 1, method: 'getSnapshot', input: {} }));
    expect(await calm.next(resultFor(1))).toMatchObject({ result: { ok: true } });
    calm.ws.close();
  });

  it(`refuses a socket past ${MAX_SOCKETS} open at once (503)`, async () => {
    const open = await Promise.all(Array.from({ length: MAX_SOCKETS }, () => connect(apiUrl, base.origin)));
    await expect(connect(apiUrl, base.origin)).rejects.toThrow(/503/);
    expect(logLines).toContain(`browser shell: refused WebSocket (already ${MAX_SOCKETS} open)`);
    const gone = closed(open[0]!.ws);
    open[0]!.ws.close();
    await gone;
    await until(() => shell.socketBacklogs().length < MAX_SOCKETS, 'the server to see the close');
    const again = await connect(apiUrl, base.origin);
    for (const { ws } of [...open.slice(1), again]) ws.close();
  });

  it('turns a core failure into an internal error result', async () => {
    const { ws, next } = await connect(apiUrl, base.origin);
    kiosk.failNext = true;
    ws.send(JSON.stringify({ id: 30, method: 'getSnapshot', input: {} }));
    const reply = await next(resultFor(30));
    expect(reply.type === 'result' && !reply.result.ok && reply.result.error.kind).toBe('internal');
    ws.close();
  });

  it('takes an upload of the largest size the contract allows in one message', async () => {
    expect(MAX_WS_PAYLOAD).toBe(MAX_TRAINING_IMPORT_CHARS + 64 * 1024);
    const { ws, next } = await connect(apiUrl, base.origin);
    const base64 = 'QUJD'.repeat(MAX_TRAINING_IMPORT_CHARS / 4);
    ws.send(JSON.stringify({ id: 40, method: 'importTraining', input: { fileName: 'x'.repeat(200), base64 } }));
    expect(await next(resultFor(40))).toMatchObject({ result: { ok: true } });
    expect(kiosk.calls).toEqual([{ method: 'importTraining', input: { fileName: 'x'.repeat(200), base64 } }]);
    ws.close();
  });

  it('closes a socket that sends a message over the cap with 1009 and a reason, and the server keeps serving', async () => {
    const { ws } = await connect(apiUrl, base.origin);
    const done = closedWith(ws);
    ws.on('error', () => undefined); // the server may reset the rest of the frame
    ws.send(JSON.stringify({ id: 41, method: 'importTraining', input: { fileName: 'big.csv', base64: 'A'.repeat(MAX_WS_PAYLOAD) } }));
    expect(await done).toEqual(CLOSE.tooBig);
    expect(CLOSE.tooBig).toEqual({ code: 1009, reason: `Message too big: the most is ${MAX_WS_PAYLOAD} bytes.` });
    expect(kiosk.calls).toEqual([]);

    const again = await connect(apiUrl, base.origin);
    again.ws.send(JSON.stringify({ id: 42, method: 'getSnapshot', input: {} }));
    const reply = await again.next(resultFor(42));
    expect(reply.type === 'result' && reply.result.ok).toBe(true);
    expect((await rawGet(base, '/', { Cookie: shell.sessionCookie })).status).toBe(200);
    again.ws.close();
  });

  it('closes a client that stops reading before its backlog passes the limit; other clients get every push', async () => {
    const stuck = await rawClient({ Origin: base.origin, Cookie: shell.sessionCookie });
    const reader = await connect(apiUrl, base.origin);
    await until(() => shell.socketBacklogs().length === 2, 'both sockets');
    stuck.socket.pause(); // stops reading: the kernel's buffers fill, then the server's
    const padding = 64 * 1024;
    const snapshotBytes = Buffer.byteLength(JSON.stringify({ type: 'snapshot', snapshot: makeSnapshot(0, padding) }));
    let pushed = 0;
    let worst = 0;
    while (!logLines.some((l) => l.includes('the client stopped reading'))) {
      if (pushed === 2_000) throw new Error(`${pushed} pushes (${(pushed * snapshotBytes) / 1e6} MB) and the stuck client is still open`);
      kiosk.push(padding);
      pushed += 1;
      worst = Math.max(worst, ...shell.socketBacklogs());
      await new Promise((resolve) => setImmediate(resolve)); // let the sockets write
    }
    const atClose = pushed;
    // Pushes go on (another 6.5 MB): nothing more is queued for the stuck client.
    for (let i = 0; i < 100; i++) {
      kiosk.push(padding);
      pushed += 1;
      worst = Math.max(worst, ...shell.socketBacklogs());
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Bounded: never more than the limit plus the one message that found it full.
    expect(worst).toBeLessThanOrEqual(MAX_UNSENT_BYTES_PER_SOCKET + snapshotBytes);
    expect(worst).toBeGreaterThan(MAX_UNSENT_BYTES_PER_SOCKET - snapshotBytes);
    expect(atClose * snapshotBytes).toBeGreaterThan(MAX_UNSENT_BYTES_PER_SOCKET);
    // A client that reads again finds the close frame behind what it left, with its reason.
    stuck.socket.resume();
    await until(() => closeFrameIn(Buffer.concat(stuck.received)) !== null, 'the close frame');
    expect(closeFrameIn(Buffer.concat(stuck.received))).toEqual(CLOSE.slowReader);
    await until(() => shell.socketBacklogs().length === 1, 'the stuck socket to go');
    // The reader got every push, in order.
    const snapshots = () => reader.messages.filter((m) => m.type === 'snapshot');
    await until(() => snapshots().length === pushed, 'every push at the reader');
    expect(snapshots().map((m) => m.type === 'snapshot' && m.snapshot.revision)).toEqual(Array.from({ length: pushed }, (_, i) => i + 2));
    reader.ws.send(JSON.stringify({ id: 43, method: 'getSnapshot', input: {} }));
    expect(await reader.next(resultFor(43))).toMatchObject({ result: { ok: true } });
    reader.ws.close();
    stuck.socket.destroy();
  });

  it('pushes snapshots to every open socket', async () => {
    const a = await connect(apiUrl, base.origin);
    const b = await connect(apiUrl, base.origin);
    kiosk.push();
    const isSnapshot = (m: WsServerMessage): boolean => m.type === 'snapshot';
    const [ma, mb] = await Promise.all([a.next(isSnapshot), b.next(isSnapshot)]);
    expect(ma).toEqual({ type: 'snapshot', snapshot: makeSnapshot(2) });
    expect(mb).toEqual(ma);
    a.ws.close();
    b.ws.close();
  });

  it('stops listening to the core and closes sockets on close()', async () => {
    const { ws } = await connect(apiUrl, base.origin);
    const done = closed(ws);
    expect(kiosk.listeners.size).toBe(1);
    await shell.close();
    await done;
    expect(kiosk.listeners.size).toBe(0);
    await expect(rawGet(base, '/')).rejects.toThrow();
    await shell.close(); // idempotent
  });
});
