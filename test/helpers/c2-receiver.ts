/**
 * A loopback C2 receiver and the feed's JSON Schema, for the terminal's feed and the estate's:
 * the receiver checks the HMAC over the raw body and de-duplicates by idempotency key, as the
 * contract (docs/c2-feed.md) asks of a real one.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { C2Document } from '../../main/devices/c2-feed.ts';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from '../../native-bridges/video-trigger/webhook.ts';

export const C2_SCHEMA = JSON.parse(readFileSync(new URL('../../resources/c2-feed.schema.json', import.meta.url), 'utf8')) as unknown;

// ---------------------------------------------------------------------------------------------
// A validator for the subset of JSON Schema the feed's schema uses. It refuses any keyword it
// does not implement, so the schema cannot quietly rely on something these tests don't check.
// ---------------------------------------------------------------------------------------------

type Schema = Record<string, unknown>;
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'format', 'examples']);
const KEYWORDS = new Set(['type', 'required', 'properties', 'additionalProperties', 'items', 'enum', 'minimum', 'pattern']);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function validate(schema: unknown, value: unknown, path = '$'): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw new Error(`${path}: schema is not an object`);
  const s = schema as Schema;
  for (const key of Object.keys(s)) if (!KEYWORDS.has(key) && !ANNOTATIONS.has(key)) throw new Error(`${path}: unsupported keyword ${key}`);
  const errors: string[] = [];
  if (s.type !== undefined) {
    const actual = typeOf(value);
    // An integer is also a number.
    const ok = actual === s.type || (s.type === 'number' && actual === 'integer');
    if (!ok) return [`${path}: expected ${String(s.type)}, got ${actual}`];
  }
  if (s.enum !== undefined && !(s.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(value))) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
  if (s.minimum !== undefined && typeof value === 'number' && value < (s.minimum as number)) errors.push(`${path}: ${value} is below ${String(s.minimum)}`);
  if (s.pattern !== undefined && typeof value === 'string' && !new RegExp(s.pattern as string, 'u').test(value)) errors.push(`${path}: "${value}" does not match ${String(s.pattern)}`);
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of (s.required as string[] | undefined) ?? []) if (!(key in object)) errors.push(`${path}: missing ${key}`);
    const properties = (s.properties as Record<string, unknown> | undefined) ?? {};
    for (const [key, child] of Object.entries(object)) {
      if (key in properties) errors.push(...validate(properties[key], child, `${path}.${key}`));
      else if (s.additionalProperties === false) errors.push(`${path}: unexpected property ${key}`);
    }
  }
  if (Array.isArray(value) && s.items !== undefined) value.forEach((item, i) => errors.push(...validate(s.items, item, `${path}[${i}]`)));
  return errors;
}

// ---------------------------------------------------------------------------------------------
// A loopback C2 receiver: checks the HMAC over the raw body and de-duplicates by idempotency key,
// as the contract asks of a real one. (The video WebhookReceiver only accepts video events.)
// ---------------------------------------------------------------------------------------------

export interface Received {
  key: string;
  raw: string;
  document: C2Document;
}

export class C2Receiver {
  readonly received: Received[] = [];
  requests = 0;
  duplicates = 0;
  badSignatures = 0;
  /** Statuses to answer the next requests with, in turn, instead of handling them: a receiver that is not ready, then is. */
  readonly answerNext: number[] = [];
  private readonly keys = new Set<string>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private port = 0;

  static async start(secret: string): Promise<C2Receiver> {
    const receiver = new C2Receiver(secret);
    await receiver.up();
    return receiver;
  }

  private constructor(private readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/c2/armoury`;
  }

  up(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        const address = server.address();
        if (address !== null && typeof address === 'object') this.port = address.port;
        resolve();
      });
    });
  }

  down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const reply = (status: number): void => {
      res.writeHead(status, { connection: 'close' });
      res.end();
    };
    const fault = this.answerNext.shift();
    if (fault !== undefined) return reply(fault);
    const signature = req.headers[SIGNATURE_HEADER];
    if (!verifyWebhookSignature(raw, this.secret, Array.isArray(signature) ? signature[0] : signature)) {
      this.badSignatures++;
      return reply(401);
    }
    const key = req.headers[IDEMPOTENCY_HEADER];
    if (typeof key !== 'string' || key.length === 0) return reply(400);
    if (this.keys.has(key)) {
      this.duplicates++;
      return reply(200);
    }
    this.keys.add(key);
    this.received.push({ key, raw: raw.toString('utf8'), document: JSON.parse(raw.toString('utf8')) as C2Document });
    reply(201);
  }
}

