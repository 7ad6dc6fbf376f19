/**
 * The Electron wiring, exercised against a stand-in `electron` module (the binary is not
 * available on build machines): the IPC sender guard, dispatch, snapshot push, and the
 * app:// protocol handler's traversal checks and headers.
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  REQUEST_NAMES,
  SNAPSHOT_CHANNEL,
  ipcChannel,
  type KioskSnapshot,
  type RequestInput,
  type RequestName,
  type ResponseValues,
  type Result,
} from '../../../preload/contract.ts';
import type { KioskService } from '../../../main/core/kiosk-service.ts';
import { CONTENT_SECURITY_POLICY } from '../../../main/shell/kiosk-policy.ts';

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>;
type ProtocolHandler = (request: Request) => Promise<Response>;

const fake = vi.hoisted(() => ({
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
  protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
}));

vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: Handler) => {
      if (fake.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      fake.handlers.set(channel, handler);
    },
    removeHandler: (channel: string) => fake.handlers.delete(channel),
  },
  protocol: {
    handle: (scheme: string, handler: ProtocolHandler) => fake.protocolHandlers.set(scheme, handler),
    registerSchemesAsPrivileged: () => undefined,
  },
  app: { isPackaged: false, on: () => undefined },
  BrowserWindow: class {},
}));

const { bindKioskIpc } = await import('../../../main/shell/electron-ipc.ts');
const { serveRendererOverAppScheme } = await import('../../../main/shell/electron-window.ts');

// ---------------------------------------------------------------------------

function snapshot(revision: number): KioskSnapshot {
  return {
    terminalName: 'T',
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
  listeners = new Set<(s: KioskSnapshot) => void>();
  async request<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>> {
    this.calls.push({ method, input });
    return { ok: true, value: snapshot(1) as ResponseValues[M] };
  }
  onSnapshot(listener: (s: KioskSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

interface FakeFrame {
  processId: number;
  routingId: number;
  url: string;
  parent: FakeFrame | null;
  detached: boolean;
  isDestroyed(): boolean;
}

function frame(over: Partial<FakeFrame> = {}): FakeFrame {
  return { processId: 7, routingId: 1, url: 'app://kiosk/', parent: null, detached: false, isDestroyed: () => false, ...over };
}

function makeWindow() {
  const sent: Array<{ channel: string; payload: unknown }> = [];
  const contents = {
    mainFrame: frame(),
    url: 'app://kiosk/',
    isDestroyed: () => false,
    getURL(): string {
      return this.url;
    },
    send: (channel: string, payload: unknown) => sent.push({ channel, payload }),
  };
  const window = { webContents: contents, isDestroyed: () => false };
  return { window, contents, sent };
}

describe('Electron IPC binding', () => {
  let kiosk: FakeKiosk;
  let win: ReturnType<typeof makeWindow>;
  let logs: string[];
  let unbind: () => void;

  beforeEach(() => {
    fake.handlers.clear();
    kiosk = new FakeKiosk();
    win = makeWindow();
    logs = [];
    unbind = bindKioskIpc({
      service: kiosk,
      window: win.window as unknown as Parameters<typeof bindKioskIpc>[0]['window'],
      log: (l) => logs.push(l),
    });
  });

  const call = (name: RequestName, event: unknown, ...args: unknown[]) => {
    const handler = fake.handlers.get(ipcChannel(name));
    if (!handler) throw new Error(`no handler for ${name}`);
    return handler(event, ...args);
  };

  it('registers one handler per named request', () => {
    expect([...fake.handlers.keys()].sort()).toEqual(REQUEST_NAMES.map(ipcChannel).sort());
  });

  it('dispatches calls from the kiosk window main frame', async () => {
    const event = { sender: win.contents, senderFrame: win.contents.mainFrame };
    expect(await call('submitPin', event, { pin: '1234' })).toEqual({ ok: true, value: snapshot(1) });
    expect(kiosk.calls).toEqual([{ method: 'submitPin', input: { pin: '1234' } }]);
  });

  it('validates payloads before the core sees them', async () => {
    const event = { sender: win.contents, senderFrame: win.contents.mainFrame };
    const bad = (await call('submitPin', event, { pin: '12', admin: true })) as Result<unknown>;
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.kind).toBe('invalid-request');
    const extraArgs = (await call('getSnapshot', event, {}, 'more')) as Result<unknown>;
    expect(!extraArgs.ok && extraArgs.error.kind).toBe('invalid-request');
    expect(kiosk.calls).toEqual([]);
  });

  it('refuses sub-frames, other contents, foreign origins and vanished frames', async () => {
    const main = win.contents.mainFrame;
    const refused = [
      { sender: win.contents, senderFrame: frame({ routingId: 2, parent: main }) },
      { sender: {}, senderFrame: main },
      { sender: win.contents, senderFrame: frame({ url: 'https://evil.example/' }) },
      { sender: win.contents, senderFrame: frame({ processId: 99 }) },
      { sender: win.contents, senderFrame: null },
      { sender: win.contents, senderFrame: frame({ detached: true }) },
    ];
    for (const event of refused) {
      const result = (await call('getSnapshot', event, {})) as Result<unknown>;
      expect(!result.ok && result.error.kind).toBe('forbidden');
    }
    expect(kiosk.calls).toEqual([]);
    expect(logs.filter((l) => l.includes('refused IPC'))).toHaveLength(refused.length);
  });

  it('pushes snapshots only while the window shows our origin', () => {
    for (const listener of kiosk.listeners) listener(snapshot(5));
    expect(win.sent).toEqual([{ channel: SNAPSHOT_CHANNEL, payload: snapshot(5) }]);
    win.contents.url = 'https://evil.example/';
    for (const listener of kiosk.listeners) listener(snapshot(6));
    expect(win.sent).toHaveLength(1);
  });

  it('removes its handlers and subscription when unbound', () => {
    unbind();
    expect(fake.handlers.size).toBe(0);
    expect(kiosk.listeners.size).toBe(0);
  });
});

describe('app:// protocol handler', () => {
  let root: string;
  let handler: ProtocolHandler;

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'armoury-app-scheme-'));
    const renderer = path.join(root, 'renderer');
    mkdirSync(path.join(renderer, 'assets'), { recursive: true });
    writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>kiosk</title>');
    writeFileSync(path.join(renderer, 'assets', 'app.js'), 'export {};');
    writeFileSync(path.join(root, 'secret.txt'), 'secret');
    symlinkSync(path.join(root, 'secret.txt'), path.join(renderer, 'assets', 'link.txt'));
    serveRendererOverAppScheme(renderer, () => undefined);
    const registered = fake.protocolHandlers.get('app');
    if (!registered) throw new Error('app:// handler not registered');
    handler = registered;
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('serves index.html at app://kiosk/ with the CSP and content type', async () => {
    const res = await handler(new Request('app://kiosk/'));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>kiosk</title>');
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const js = await handler(new Request('app://kiosk/assets/app.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('refuses traversal, symlinks out, other hosts and missing files', async () => {
    for (const url of [
      'app://kiosk/..%2fsecret.txt',
      'app://kiosk/%2e%2e/secret.txt',
      'app://kiosk/assets/..%2f..%2fsecret.txt',
      'app://kiosk/assets/link.txt',
      'app://other/index.html',
      'app://kiosk/nope.js',
      'app://kiosk/assets',
    ]) {
      const res = await handler(new Request(url));
      expect(res.status, url).toBe(404);
      expect(await res.text(), url).not.toContain('secret');
      expect(res.headers.get('content-security-policy'), url).toBe(CONTENT_SECURITY_POLICY);
    }
  });
});
