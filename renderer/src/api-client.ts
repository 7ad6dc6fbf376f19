/**
 * The one way the renderer talks to main.
 *
 * In Electron the preload exposes a frozen `KioskApi` on `window.armoury`. In the
 * browser shell the same requests travel as JSON over a WebSocket to the loopback
 * server that started the page (the browser sends its session cookie, which script
 * cannot read). Either way screens see the same named methods, never a generic invoke.
 */
import { MAX_WS_MESSAGE_BYTES, REQUEST_NAMES } from '../../preload/contract.ts';
import type {
  KioskApi,
  KioskSnapshot,
  RequestInput,
  RequestName,
  ResponseValues,
  Result,
  WsRequest,
} from '../../preload/contract.ts';

type SnapshotListener = (snapshot: KioskSnapshot) => void;
type ConnectionListener = (connected: boolean) => void;
type Methods = { [M in RequestName]: (input: RequestInput<M>) => Promise<Result<ResponseValues[M]>> };

export const LOST_CONTACT_MESSAGE = 'Lost contact with the terminal service. Trying again…';
const LOST_CONTACT: Result<never> = {
  ok: false,
  error: { kind: 'internal', message: LOST_CONTACT_MESSAGE },
};
const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;

let cached: KioskApi | null = null;
const connectionListeners = new Set<ConnectionListener>();
let connected = true;

function setConnected(next: boolean): void {
  if (next === connected) return;
  connected = next;
  for (const listener of connectionListeners) listener(next);
}

/**
 * Whether the transport is up (always true under Electron). The browser shell can
 * lose its socket; the app uses this to say so and to re-read the snapshot on
 * reconnect. Returns an unsubscribe function.
 */
export function onConnectionChange(listener: ConnectionListener): () => void {
  connectionListeners.add(listener);
  return () => connectionListeners.delete(listener);
}

export function getKioskApi(): KioskApi {
  if (cached) return cached;
  cached = window.armoury ?? createWebSocketApi();
  return cached;
}

// ---------------------------------------------------------------------------
// Browser shell transport

type ServerMessage =
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'snapshot'; snapshot: KioskSnapshot };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Shape check only: main validated and produced these; we guard against garbage. */
function parseServerMessage(raw: unknown): ServerMessage | null {
  if (typeof raw !== 'string') return null;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(data)) return null;
  if (data.type === 'result' && typeof data.id === 'number' && isRecord(data.result)) {
    const result = data.result;
    if (result.ok === true && 'value' in result) {
      return { type: 'result', id: data.id, result: { ok: true, value: result.value } };
    }
    if (result.ok === false && isRecord(result.error) && typeof result.error.message === 'string') {
      return { type: 'result', id: data.id, result: result as Result<unknown> };
    }
    return null;
  }
  if (data.type === 'snapshot' && isRecord(data.snapshot) && typeof data.snapshot.revision === 'number') {
    return { type: 'snapshot', snapshot: data.snapshot as unknown as KioskSnapshot };
  }
  return null;
}

function socketUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/api`;
}

/**
 * Whether a frame fits the server's message cap. A UTF-16 code unit is at most 3 bytes of
 * UTF-8, so only a frame that could be too big is measured.
 */
function fitsOneMessage(frame: string): boolean {
  return frame.length * 3 <= MAX_WS_MESSAGE_BYTES || new TextEncoder().encode(frame).length <= MAX_WS_MESSAGE_BYTES;
}

function createWebSocketApi(): KioskApi {
  const snapshotListeners = new Set<SnapshotListener>();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const queue: string[] = [];
  let nextId = 1;
  let socket: WebSocket | null = null;
  let backoff = MIN_BACKOFF_MS;
  let everOpened = false;

  function connect(): void {
    const ws = new WebSocket(socketUrl());
    socket = ws;
    ws.addEventListener('open', () => {
      backoff = MIN_BACKOFF_MS;
      everOpened = true;
      setConnected(true);
      for (const frame of queue.splice(0)) ws.send(frame);
      // After a drop (or a failed first attempt) we may have missed pushes and
      // answers: ask for the current picture so listeners catch up.
      void refresh();
    });
    ws.addEventListener('message', (event: MessageEvent) => {
      const message = parseServerMessage(event.data);
      if (!message) return;
      if (message.type === 'result') {
        const resolve = pending.get(message.id);
        if (resolve) {
          pending.delete(message.id);
          resolve(message.result);
        }
      } else {
        for (const listener of snapshotListeners) listener(message.snapshot);
      }
    });
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      socket = null;
      setConnected(false);
      // Anything in flight or queued is lost with the socket: answer it rather
      // than hang, and never replay it later (a stale "draw" must not fire).
      queue.length = 0;
      for (const resolve of pending.values()) resolve(LOST_CONTACT);
      pending.clear();
      const delay = backoff;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      window.setTimeout(connect, delay);
    });
  }

  function call(method: RequestName, input: unknown): Promise<Result<unknown>> {
    return new Promise((resolve) => {
      const id = nextId++;
      const request: WsRequest = { id, method, input };
      const frame = JSON.stringify(request);
      if (!fitsOneMessage(frame)) {
        // The server would close the socket on it: say so here instead, and keep the socket.
        const mb = (MAX_WS_MESSAGE_BYTES / 1024 / 1024).toFixed(0);
        resolve({ ok: false, error: { kind: 'invalid-request', message: `This is too large to send to the terminal (the most is ${mb} MB).` } });
      } else if (socket && socket.readyState === WebSocket.OPEN) {
        pending.set(id, resolve);
        socket.send(frame);
      } else if (!everOpened) {
        // Start-up: the page asks before the socket is open; send when it opens.
        pending.set(id, resolve);
        queue.push(frame);
      } else {
        // Contact lost: say so now rather than replay a stale tap (a draw!) later.
        resolve(LOST_CONTACT);
      }
    });
  }

  async function refresh(): Promise<void> {
    const result = await call('getSnapshot', {});
    if (result.ok) {
      for (const listener of snapshotListeners) listener(result.value as KioskSnapshot);
    }
  }

  function method<M extends RequestName>(name: M): (input: RequestInput<M>) => Promise<Result<ResponseValues[M]>> {
    return (input: RequestInput<M>) => call(name, input) as Promise<Result<ResponseValues[M]>>;
  }

  const methods = Object.fromEntries(REQUEST_NAMES.map((name) => [name, method(name)])) as Methods;

  connect();

  return Object.freeze({
    ...methods,
    onSnapshot(listener: SnapshotListener): () => void {
      snapshotListeners.add(listener);
      return () => {
        snapshotListeners.delete(listener);
      };
    },
  });
}
