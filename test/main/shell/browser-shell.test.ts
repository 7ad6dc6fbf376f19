import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
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
import type { KioskService } from '../../../main/core/kiosk-service.ts';
import { startBrowserShell, type BrowserShell } from '../../../main/shell/browser-shell.ts';
import { CONTENT_SECURITY_POLICY } from '../../../main/shell/kiosk-policy.ts';

// ---------------------------------------------------------------------------
// A fake core: records calls, answers with a snapshot, pushes on demand.

function makeSnapshot(revision: number): KioskSnapshot {
  return {
    terminalName: 'Test terminal',
    mode: 'demo',
    screen: { kind: 'idle' },
    session: null,
    idle: { warningSecondsLeft: null, timeoutSeconds: 60 },
    devices: [],
    lockers: { name: 'Lockers', state: 'online', inService: true, reason: null },
    demo: null,
  keyboardScanFallback: false,
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

  push(): void {
    this.revision += 1;
    for (const listener of this.listeners) listener(makeSnapshot(this.revision));
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

function connect(url: string, origin: string): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin });
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
  base = new URL(shell.url);
  apiUrl = `ws://${base.host}/api?token=${shell.token}`;
});

afterEach(async () => {
  await shell.close();
});

describe('browser shell: HTTP', () => {
  it('hands out a loopback URL with a long random token', () => {
    expect(shell.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    expect(base.searchParams.get('token')).toBe(shell.token);
  });

  it('serves index.html with the right token and security headers', async () => {
    const res = await rawGet(base, `/?token=${shell.token}`);
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

  it('refuses the entry document without the token or with a wrong one (403)', async () => {
    for (const p of ['/', '/index.html', '/?token=', '/?token=wrong', `/?token=${shell.token}x`, `/?token=${shell.token.slice(1)}`]) {
      const res = await rawGet(base, p);
      expect(res.status, p).toBe(403);
      expect(res.body).not.toContain('Armoury');
      expect(res.headers['content-security-policy'], p).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('serves static assets with the right content types', async () => {
    const js = await rawGet(base, '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('no-store');
    expect((await rawGet(base, '/assets/app.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await rawGet(base, '/assets/logo.svg')).headers['content-type']).toBe('image/svg+xml');
    const head = await rawGet(base, '/assets/app.js', {}, 'HEAD');
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
      const res = await rawGet(base, attempt);
      expect(res.status, attempt).toBeGreaterThanOrEqual(400);
      expect(res.body, attempt).not.toContain('secret');
      expect(res.headers['content-security-policy'], attempt).toBe(CONTENT_SECURITY_POLICY);
    }
    // Still serving.
    expect((await rawGet(base, `/?token=${shell.token}`)).status).toBe(200);
  });

  it('answers 404 for missing files and 405 for other methods, with headers', async () => {
    const missing = await rawGet(base, '/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['referrer-policy']).toBe('no-referrer');
    const post = await rawGet(base, `/?token=${shell.token}`, {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('refuses a Host header that is not this server (DNS rebinding)', async () => {
    const res = await rawGet(base, `/?token=${shell.token}`, { Host: `evil.example:${base.port}` });
    expect(res.status).toBe(421);
    expect(res.body).not.toContain('Armoury');
  });

  it('refuses to bind anywhere but loopback', async () => {
    await expect(startBrowserShell({ service: kiosk, staticDir, host: '0.0.0.0', log: () => {} })).rejects.toThrow(/loopback/);
  });
});

describe('browser shell: WebSocket bridge', () => {
  it('rejects a bad or missing token', async () => {
    await expect(connect(`ws://${base.host}/api?token=wrong`, base.origin)).rejects.toThrow(/403/);
    await expect(connect(`ws://${base.host}/api`, base.origin)).rejects.toThrow(/403/);
    await expect(connect(`ws://${base.host}/elsewhere?token=${shell.token}`, base.origin)).rejects.toThrow(/404/);
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

    // Garbage with no recoverable id is ignored (and logged), not answered and not fatal.
    ws.send('not json at all');
    ws.send('{"id": -5, "method": "getSnapshot"}');
    ws.send('[1,2,3]');
    ws.send('null');
    ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
    ws.send(JSON.stringify({ id: 20, method: 'getSnapshot', input: {} }));
    const ok = await next(resultFor(20));
    expect(ok.type === 'result' && ok.result.ok).toBe(true);
    expect(logLines.some((l) => l.includes('not JSON'))).toBe(true);
    ws.close();
  });

  it('turns a core failure into an internal error result', async () => {
    const { ws, next } = await connect(apiUrl, base.origin);
    kiosk.failNext = true;
    ws.send(JSON.stringify({ id: 30, method: 'getSnapshot', input: {} }));
    const reply = await next(resultFor(30));
    expect(reply.type === 'result' && !reply.result.ok && reply.result.error.kind).toBe('internal');
    ws.close();
  });

  it('closes a socket that sends a 100 KiB message, and the server keeps serving', async () => {
    const { ws } = await connect(apiUrl, base.origin);
    const done = closed(ws);
    ws.send(JSON.stringify({ id: 40, method: 'submitPin', input: { pin: '1'.repeat(100 * 1024) } }));
    expect(await done).toBe(1009);
    expect(kiosk.calls).toEqual([]);

    const again = await connect(apiUrl, base.origin);
    again.ws.send(JSON.stringify({ id: 41, method: 'getSnapshot', input: {} }));
    const reply = await again.next(resultFor(41));
    expect(reply.type === 'result' && reply.result.ok).toBe(true);
    expect((await rawGet(base, `/?token=${shell.token}`)).status).toBe(200);
    again.ws.close();
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
