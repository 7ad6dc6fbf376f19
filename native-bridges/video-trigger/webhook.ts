import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LinkHealth } from '../device-health.ts';
import { TriggerError, TriggerHealth, assertVideoEvent, type TriggerErrorKind, type VideoEvent, type VideoTrigger } from './trigger.ts';

export const SIGNATURE_HEADER = 'x-armoury-signature';
export const TIMESTAMP_HEADER = 'x-armoury-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** The JSON body, with the fields in a fixed order so the same event always gives the same bytes (and signature). */
export function webhookBody(event: VideoEvent): string {
  const { id, kind, terminal, asset, officer, camera, at } = event;
  return JSON.stringify({ id, kind, terminal, asset, officer, camera, at });
}

/** `sha256=<hex HMAC-SHA256 of the raw body>`. */
export function signWebhookBody(body: Uint8Array | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a signature header against the raw body, for receivers. */
export function verifyWebhookSignature(body: Uint8Array | string, secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signWebhookBody(body, secret), 'latin1');
  const given = Buffer.from(header.trim(), 'latin1');
  // timingSafeEqual needs equal lengths; the length of a well-formed header is public anyway.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** 2xx accepted; 408/429 and 5xx are the far end being unready (retry); other 4xx refuse the event; 1xx/3xx are not a webhook answering. */
export function classifyWebhookStatus(status: number): 'accepted' | TriggerErrorKind {
  if (status >= 200 && status < 300) return 'accepted';
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) return 'unreachable';
  if (status >= 400 && status < 500) return 'rejected';
  return 'protocol';
}

export interface WebhookTriggerOptions {
  /** Target name for the outbox and logs; defaults to `webhook:<origin>`. */
  name?: string;
  /** https:// in production; http:// is accepted for loopback tests and demos only. */
  url: string;
  /** Shared HMAC secret; at least 16 characters, since it is the only thing proving the kiosk sent the event. */
  secret: string;
  /** Whole-exchange timeout (connect, send, response headers). */
  timeoutMs?: number;
  /** Extra CA certificates (PEM) for a site's private CA. */
  ca?: string | Buffer;
  now?: () => Date;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export interface SignedWebhookOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  ca?: string | Buffer;
  now?: () => Date;
  /** How the far end is named in errors: "webhook", "C2 webhook". */
  label: string;
}

/**
 * One signed-JSON endpoint, with what every webhook here needs besides the body: https only
 * (http to loopback, for tests and demos), a secret long enough to prove who sent it, health
 * that follows the last POST, and close() aborting what is in flight. The video webhook and the
 * C2 feed's webhook each wrap one, so both sign, fail and report alike.
 */
export class SignedWebhook {
  readonly url: URL;
  private readonly options: SignedWebhookOptions;
  private readonly healthState = new TriggerHealth();
  private readonly inFlight = new Set<{ destroy(): void }>();
  private closed = false;

  constructor(options: SignedWebhookOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'https:' && !(this.url.protocol === 'http:' && LOOPBACK_HOSTS.has(this.url.hostname))) {
      throw new RangeError(`${options.label} URL must be https:// (http:// only to loopback), got ${this.url.protocol}//${this.url.host}`);
    }
    if (options.secret.length < 16) throw new RangeError(`${options.label} secret must be at least 16 characters`);
    this.options = options;
  }

  health(): LinkHealth {
    return this.healthState.get();
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthState.on(listener);
  }

  /** One attempt; rejects with a TriggerError. */
  async post(idempotencyKey: string, body: string): Promise<void> {
    if (this.closed) throw new TriggerError('unreachable', `${this.options.label} ${this.url.origin} is closed`);
    try {
      await postSignedJson({
        url: this.url,
        body: Buffer.from(body, 'utf8'),
        secret: this.options.secret,
        idempotencyKey,
        timeoutMs: this.options.timeoutMs,
        ca: this.options.ca,
        now: this.options.now ?? (() => new Date()),
        label: this.options.label,
        inFlight: this.inFlight,
      });
      this.healthState.succeeded();
    } catch (error) {
      const triggerError = error instanceof TriggerError ? error : new TriggerError('unreachable', String(error), { cause: error });
      this.healthState.failed(triggerError);
      throw triggerError;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
    this.healthState.closed();
  }
}

/**
 * POSTs each event as JSON to a receiver (a VMS integration, a SIEM, a bookmark service).
 * The signature covers the raw body only, as the contract says; the timestamp header is
 * informational (receivers may log skew but it is not authenticated), and replay is harmless
 * because the idempotency key makes a replayed event a no-op.
 */
export class WebhookTrigger implements VideoTrigger {
  readonly name: string;
  private readonly link: SignedWebhook;

  constructor(options: WebhookTriggerOptions) {
    this.link = new SignedWebhook({ ...options, timeoutMs: options.timeoutMs ?? 5000, label: 'webhook' });
    this.name = options.name ?? `webhook:${this.link.url.origin}`;
  }

  health(): LinkHealth {
    return this.link.health();
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.link.onHealth(listener);
  }

  async send(event: VideoEvent): Promise<void> {
    assertVideoEvent(event);
    await this.link.post(event.id, webhookBody(event));
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

export interface SignedPost {
  url: URL;
  body: Buffer;
  secret: string;
  idempotencyKey: string;
  timeoutMs: number;
  ca: string | Buffer | undefined;
  now: () => Date;
  /** How the far end is named in errors: "webhook", "C2 webhook". */
  label: string;
  /** Requests in flight, so the caller's close() can destroy them. */
  inFlight: Set<{ destroy(): void }>;
}

/**
 * One signed JSON POST, classified the way every webhook here is: 2xx accepted, 4xx
 * (except 408/429) rejected, anything else unreachable or a timeout.
 */
export function postSignedJson(post: SignedPost): Promise<void> {
  const { url, body, label, inFlight } = post;
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(body.length),
    [SIGNATURE_HEADER]: signWebhookBody(body, post.secret),
    // Unix seconds, the form most webhook receivers already parse (informational: the signature covers the body).
    [TIMESTAMP_HEADER]: String(Math.floor(post.now().getTime() / 1000)),
    [IDEMPOTENCY_HEADER]: post.idempotencyKey,
  };
  const where = url.origin;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: TriggerError | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight.delete(req);
      if (error === null) resolve();
      else reject(error);
    };
    const onResponse = (res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        // Keep only the start of the body for the error message; the rest is drained and dropped.
        if (size < 512) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', () => undefined);
      res.on('end', () => {
        const outcome = classifyWebhookStatus(status);
        if (outcome === 'accepted') {
          finish(null);
          return;
        }
        const detail = Buffer.concat(chunks).toString('utf8').slice(0, 200).replace(/\s+/g, ' ').trim();
        finish(new TriggerError(outcome, `${label} ${where} answered HTTP ${status}${detail.length > 0 ? `: ${detail}` : ''}`));
      });
    };
    const options = { method: 'POST', headers, agent: false as const, ...(post.ca === undefined ? {} : { ca: post.ca }) };
    const req = url.protocol === 'https:' ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse);
    inFlight.add(req);
    const timer = setTimeout(() => {
      finish(new TriggerError('timeout', `${label} ${where} did not answer within ${post.timeoutMs} ms`));
      req.destroy();
    }, post.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish(new TriggerError('unreachable', `${label} ${where}: ${error.code ?? error.message}`, { cause: error }));
    });
    req.end(body);
  });
}
