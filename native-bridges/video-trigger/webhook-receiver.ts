import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Listeners } from '../device-health.ts';
import { VIDEO_EVENT_KINDS, type VideoEvent } from './trigger.ts';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from './webhook.ts';

export interface WebhookReceiverFaults {
  /** Not listening: connections are refused. */
  down: boolean;
  /** Answer every request with this status instead of handling it (e.g. 500, 503, 429); null handles normally. */
  status: number | null;
  /** Answer the next N requests with 500, then carry on normally: a receiver that recovers. */
  failNext: number;
  /** Wait this long before answering, to exercise the client's timeout. */
  delayMs: number;
  /** Read the request and never answer. */
  noReply: boolean;
}

export interface WebhookReceiverOptions {
  secret: string;
  /** 0 picks a free port (tests). */
  port?: number;
  host?: string;
  faults?: Partial<WebhookReceiverFaults>;
}

export interface ReceivedWebhook {
  event: VideoEvent;
  idempotencyKey: string;
  timestamp: string;
  at: Date;
}

const MAX_BODY = 16 * 1024;

function isVideoEvent(value: unknown): value is VideoEvent {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    ['id', 'terminal', 'asset', 'officer', 'camera', 'at'].every((k) => typeof v[k] === 'string') &&
    VIDEO_EVENT_KINDS.some((kind) => kind === v['kind'])
  );
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A loopback webhook receiver for tests and demos: it checks the signature in constant time,
 * de-duplicates by idempotency key (a repeat gets 200 again, as a real receiver should answer
 * a retry of something it already has, but is not recorded twice) and can play an outage.
 */
export class WebhookReceiver {
  /** Unique events, in the order they first arrived. */
  readonly received: ReceivedWebhook[] = [];
  /** Every request that reached the handler, including faults, duplicates and refusals. */
  requests = 0;
  duplicates = 0;
  badSignatures = 0;
  private readonly keys = new Set<string>();
  private readonly eventListeners = new Listeners<ReceivedWebhook>();
  private readonly secret: string;
  private readonly host: string;
  private readonly sockets = new Set<Socket>();
  private faults: WebhookReceiverFaults;
  private server: Server | null = null;
  private boundPort: number;

  private constructor(options: WebhookReceiverOptions) {
    this.secret = options.secret;
    this.host = options.host ?? '127.0.0.1';
    this.boundPort = options.port ?? 0;
    this.faults = { down: false, status: null, failNext: 0, delayMs: 0, noReply: false, ...options.faults };
  }

  static async start(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(options);
    // Bound even when starting down, so the port is known (and checked free) before the outage ends.
    await receiver.listen();
    if (receiver.faults.down) await receiver.unlisten();
    return receiver;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://${this.host}:${this.boundPort}/armoury/video`;
  }

  onEvent(listener: (received: ReceivedWebhook) => void): () => void {
    return this.eventListeners.add(listener);
  }

  /** Changing `down` stops or restarts the listener on the same port. */
  async setFaults(faults: Partial<WebhookReceiverFaults>): Promise<void> {
    const wasDown = this.faults.down;
    this.faults = { ...this.faults, ...faults };
    if (this.faults.down && !wasDown) await this.unlisten();
    if (!this.faults.down && wasDown) await this.listen();
  }

  async close(): Promise<void> {
    await this.unlisten();
  }

  private listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        const address = server.address();
        if (address !== null && typeof address === 'object') this.boundPort = address.port;
        resolve();
      });
    });
  }

  private unlisten(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const body = await this.readBody(req);
    if (this.faults.noReply) return; // the socket stays open until the client gives up
    if (this.faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.faults.delayMs));
    if (res.destroyed) return;
    if (this.faults.status !== null) return this.reply(res, this.faults.status, 'fault injected');
    if (this.faults.failNext > 0) {
      this.faults.failNext--;
      return this.reply(res, 500, 'fault injected');
    }
    if (req.method !== 'POST') return this.reply(res, 405, 'POST only');
    if (body === null) return this.reply(res, 413, 'body too large');
    if (!verifyWebhookSignature(body, this.secret, header(req, SIGNATURE_HEADER))) {
      this.badSignatures++;
      return this.reply(res, 401, 'bad signature');
    }
    const key = header(req, IDEMPOTENCY_HEADER);
    const timestamp = header(req, TIMESTAMP_HEADER);
    if (key === undefined || key.length === 0 || timestamp === undefined) return this.reply(res, 400, 'missing idempotency key or timestamp');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return this.reply(res, 400, 'body is not JSON');
    }
    if (!isVideoEvent(parsed) || parsed.id !== key) return this.reply(res, 422, 'not a video event, or id differs from Idempotency-Key');
    if (this.keys.has(key)) {
      this.duplicates++;
      return this.reply(res, 200, 'duplicate');
    }
    this.keys.add(key);
    const received: ReceivedWebhook = { event: parsed, idempotencyKey: key, timestamp, at: new Date() };
    this.received.push(received);
    this.eventListeners.emit(received);
    this.reply(res, 201, 'accepted');
  }

  private reply(res: ServerResponse, status: number, text: string): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end(text);
  }

  /** The raw bytes as sent (the signature is over them, not over a re-serialisation); null if too large. */
  private readBody(req: IncomingMessage): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks)));
      req.on('error', () => resolve(null));
    });
  }
}
