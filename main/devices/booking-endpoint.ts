import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { BOOKING_PRIORITIES, type BookingView } from '../../preload/contract.ts';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../native-bridges/video-trigger/webhook.ts';
import { SECRET_MASK, type BookingEndpointConfig } from '../config/terminal-config.ts';
import type { Booker, BookingResult, Bookings } from '../core/bookings.ts';

/**
 * The booking endpoint (docs/bookings.md): other systems (a duty planner, a stores system) book
 * kit for an officer, and cancel what they booked, over HTTP. Plain HTTP on loopback by
 * default: it is meant to sit behind the force's TLS proxy, which terminates TLS. Each system
 * signs its raw body with its own secret, the same scheme as the terminal's outgoing webhooks;
 * every create carries a request id, so a retried request returns the booking it made (and
 * writes nothing), and a `sentAt` inside five minutes of the terminal's clock, so a body
 * captured on the way cannot be replayed much later.
 *
 * Anything else is refused before the core is asked, and nothing is written on a refusal. The
 * server bounds what a hostile client can cost: a 16 KiB body, headers and body within a
 * timeout, a capped number of connections.
 */

export const SYSTEM_HEADER = 'x-armoury-system';
export const MAX_BODY_BYTES = 16 * 1024;
/** How far a request's `sentAt` may be from the terminal's clock, either way. */
export const SENT_AT_WINDOW_MS = 5 * 60_000;

const CREATE_PATH = '/v1/bookings';
const CANCEL_PATH = '/v1/bookings/cancel';
type Route = typeof CREATE_PATH | typeof CANCEL_PATH;

const requestId = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, '1 to 100 letters, digits, dots, underscores, colons and dashes');
const isoTime = z.iso.datetime({ offset: true, error: 'an ISO 8601 time with its offset, such as 2026-11-21T22:00:00Z' });

const createBody = z
  .object({
    requestId,
    reference: z.string().trim().min(1).max(60),
    officer: z.string().trim().min(1).max(20),
    onBehalfOf: z.string().trim().min(1).max(120).nullable().optional(),
    /** A specific item by serial or tag... */
    item: z.string().trim().min(1).max(64).nullable().optional(),
    /** ...or any item of a type, by its code. */
    assetType: z.string().trim().min(1).max(40).nullable().optional(),
    priority: z.enum(BOOKING_PRIORITIES),
    readyFrom: isoTime,
    deadline: isoTime,
    sentAt: isoTime,
  })
  .strict()
  .refine((b) => (b.item == null) !== (b.assetType == null), { path: ['item'], error: 'give exactly one of item (a serial or tag) and assetType (a type code)' });

const cancelBody = z.object({ requestId, reason: z.string().trim().min(1).max(200) }).strict();

/** Zod's own words, except for a field left out: "expected string, received undefined" says less than "missing". */
const PARSE_OPTIONS = { error: (issue: { code?: string; input?: unknown }) => (issue.code === 'invalid_type' && issue.input === undefined ? 'missing' : undefined) };

type ErrorKind = 'invalid-request' | 'unauthorised' | 'not-found' | 'conflict' | 'method-not-allowed' | 'too-large' | 'unsupported-media-type' | 'server-error';

type Answer = { status: number; body: { ok: true; booking: BookingView } | { ok: false; error: { kind: ErrorKind; message: string } } };

function refusal(status: number, kind: ErrorKind, message: string): Answer {
  return { status, body: { ok: false, error: { kind, message } } };
}

/** Unknown system and bad signature read the same, so the answer does not say which names exist. */
const UNAUTHORISED = refusal(401, 'unauthorised', 'Unknown system or bad signature: sign the raw body with HMAC-SHA256 and your system’s secret.');

const STATUS_OF_KIND = { 'not-found': 404, conflict: 409, 'invalid-request': 400 } as const;

export interface BookingEndpointOptions {
  /** The core's bookings: every change goes through them. */
  bookings: Pick<Bookings, 'create' | 'cancel' | 'byRequestId' | 'view'>;
  /** A booking was made or cancelled: the kiosk pushes a fresh picture to its screen. */
  changed: () => void;
  /** The terminal's clock, which `sentAt` is checked against (and the core judges deadlines by). */
  now: () => Date;
  log: (line: string) => void;
  /** Headers and body must arrive within this. Default 10 s. */
  requestTimeoutMs?: number;
}

export type BookingEndpointSettings = Pick<BookingEndpointConfig, 'host' | 'systems'> & {
  /** 0 picks a free port (tests). */
  port: number;
};

export class BookingEndpoint {
  private readonly sockets = new Set<Socket>();
  /** Connections with an answer being written: a timeout meanwhile must not write a second status line into it. */
  private readonly answering = new WeakSet<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly secrets: ReadonlyMap<string, string>,
    private readonly options: BookingEndpointOptions,
  ) {}

  /** Listens on the configured host and port; rejects if it cannot (a port in use). */
  static async start(settings: BookingEndpointSettings, options: BookingEndpointOptions): Promise<BookingEndpoint> {
    const secrets = new Map<string, string>();
    for (const system of settings.systems) {
      // The mask is never a key: a system saved without its secret cannot sign anything.
      if (system.secret === SECRET_MASK) options.log(`booking endpoint: system ${system.name} has no secret (still masked); its requests are refused`);
      else secrets.set(system.name, system.secret);
    }
    const timeoutMs = options.requestTimeoutMs ?? 10_000;
    const server = createServer({
      headersTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      // Node looks for timed-out requests this often (30 s by default): often enough that the timeout means what it says.
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(timeoutMs / 4))),
      maxHeaderSize: 8 * 1024,
    });
    // A client that opens connections and sends nothing costs a socket each, until the timeout; bound how many.
    server.maxConnections = 64;
    const endpoint = new BookingEndpoint(server, secrets, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => endpoint.handle(req, res));
    server.on('connection', (socket: Socket) => {
      endpoint.sockets.add(socket);
      socket.on('close', () => endpoint.sockets.delete(socket));
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => endpoint.clientError(error, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => options.log(`booking endpoint: ${error.message}`));
    const loopback = settings.host === 'localhost' || settings.host === '::1' || settings.host.startsWith('127.');
    options.log(
      `booking endpoint listening on http://${settings.host}:${endpoint.port} for ${[...secrets.keys()].join(', ') || 'no system'}${loopback ? '' : ' (plain HTTP beyond this machine: put it behind the force’s TLS proxy)'}`,
    );
    return endpoint;
  }

  get port(): number {
    const address = this.server.address();
    return address !== null && typeof address === 'object' ? address.port : 0;
  }

  /** Stops listening and cuts every open connection, a request half-read included. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // A client that goes away mid-answer must not take the terminal with it.
    res.on('error', () => undefined);
    const route = routeOf(req.url);
    const systemName = headerValue(req, SYSTEM_HEADER);
    const system = systemName !== undefined && this.secrets.has(systemName) ? systemName : null;
    // One line per request, naming only configured systems (the header is the client's to fill) and never a secret.
    const logged = (outcome: string) => this.options.log(`booking endpoint: ${system ?? 'unknown system'} ${req.method ?? '?'} ${route ?? 'unknown path'} ${outcome}`);
    this.answer(req, route, system).then(
      ({ answer, bookingId }) => {
        this.send(req, res, answer);
        logged(`${answer.status}${bookingId === null ? '' : ` (booking ${bookingId})`}`);
      },
      (error: unknown) => {
        // Cut off before its body arrived (clientError said why): there is nobody to answer.
        if (req.socket.destroyed) return logged('cut off before the body arrived');
        this.send(req, res, refusal(500, 'server-error', 'The terminal could not handle the request; try again.'));
        logged(`500: ${error instanceof Error ? error.message : String(error)}`);
      },
    )
      // Answering itself failed (the connection broke mid-write): logged, never an unhandled rejection, which would end the process.
      .catch((error: unknown) => logged(`not answered: ${error instanceof Error ? error.message : String(error)}`));
  }

  private async answer(req: IncomingMessage, route: Route | null, system: string | null): Promise<{ answer: Answer; bookingId: number | null }> {
    const refused = (answer: Answer) => ({ answer, bookingId: null });
    if (route === null) return refused(refusal(404, 'not-found', 'There is no such endpoint: POST /v1/bookings or /v1/bookings/cancel.'));
    if (req.method !== 'POST') return refused(refusal(405, 'method-not-allowed', `${route} takes POST only.`));
    const contentType = (headerValue(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') return refused(refusal(415, 'unsupported-media-type', 'Send the body as application/json.'));
    if (Number(headerValue(req, 'content-length') ?? 0) > MAX_BODY_BYTES) return refused(tooLarge());
    const raw = await readBody(req, MAX_BODY_BYTES);
    if (raw === 'too-large') return refused(tooLarge());
    const secret = system === null ? undefined : this.secrets.get(system);
    if (system === null || secret === undefined || !verifyWebhookSignature(raw, secret, headerValue(req, SIGNATURE_HEADER))) return refused(UNAUTHORISED);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return refused(refusal(400, 'invalid-request', 'The body is not valid JSON.'));
    }
    const answer = route === CREATE_PATH ? this.create(system, json) : this.cancel(system, json);
    return { answer, bookingId: answer.body.ok ? answer.body.booking.id : null };
  }

  private create(system: string, json: unknown): Answer {
    const parsed = createBody.safeParse(json, PARSE_OPTIONS);
    if (!parsed.success) return invalid(parsed.error);
    const body = parsed.data;
    const stale = staleness(body.sentAt, this.options.now());
    if (stale !== null) return refusal(400, 'invalid-request', stale);
    const booker: Booker = { system, requestId: body.requestId };
    const result = this.options.bookings.create(booker, {
      officer: body.officer,
      onBehalfOf: body.onBehalfOf ?? null,
      item: body.item ?? null,
      assetType: body.assetType == null ? null : { code: body.assetType },
      priority: body.priority,
      readyFrom: new Date(body.readyFrom),
      deadline: new Date(body.deadline),
      reference: body.reference,
    });
    // Request ids are unique across systems: another system's id answers nothing about its booking.
    if (result.ok && !result.created && result.booking.source !== sourceOf(system)) return refusal(409, 'conflict', 'That requestId was already used by another system: give each request an id of its own.');
    if (result.ok && result.created) this.options.changed();
    return answered(result, result.ok && result.created ? 201 : 200);
  }

  private cancel(system: string, json: unknown): Answer {
    const parsed = cancelBody.safeParse(json, PARSE_OPTIONS);
    if (!parsed.success) return invalid(parsed.error);
    const { requestId, reason } = parsed.data;
    const bookingId = this.options.bookings.byRequestId(requestId);
    // A system cancels only what it booked. A booking that ended long ago is not in the view;
    // the core refuses to cancel an ended booking anyway.
    const made = bookingId === undefined ? undefined : this.options.bookings.view().bookings.find((b) => b.id === bookingId);
    if (bookingId === undefined || (made !== undefined && made.source !== sourceOf(system))) return refusal(404, 'not-found', 'This system made no booking with that requestId.');
    const result = this.options.bookings.cancel({ system, requestId }, bookingId, reason);
    if (result.ok) this.options.changed();
    return answered(result, 200);
  }

  private send(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
    if (res.headersSent || res.destroyed) return;
    this.answering.add(req.socket);
    const body = JSON.stringify(answer.body);
    // A body left unread (too large, or refused before it was read) is not drained: the connection is closed after the answer.
    const unread = !req.complete;
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...(answer.status === 405 ? { allow: 'POST' } : {}),
      ...(unread ? { connection: 'close' } : {}),
    });
    res.end(body, () => {
      this.answering.delete(req.socket);
      // A moment for the client to read the answer before the reset that closing on unread bytes causes.
      if (unread) setTimeout(() => req.socket.destroy(), 200).unref();
    });
  }

  /** Malformed requests and timed-out ones (headers or body too slow): answered if possible, then cut off. */
  private clientError(error: NodeJS.ErrnoException, socket: Socket): void {
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    this.options.log(`booking endpoint: connection from ${socket.remoteAddress ?? '?'} cut off: ${timedOut ? 'the request did not arrive in time' : (error.code ?? error.message)}`);
    // As Node does without this handler: a status line only where no answer has begun on this connection.
    if (socket.writable && !this.answering.has(socket) && error.code !== 'ECONNRESET') {
      socket.end(timedOut ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n' : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    socket.destroy();
  }
}

function answered(result: BookingResult, status: number): Answer {
  if (!result.ok) return refusal(STATUS_OF_KIND[result.kind], result.kind, result.message);
  return { status, body: { ok: true, booking: result.booking } };
}

function sourceOf(system: string): string {
  return `endpoint:${system}`;
}

function tooLarge(): Answer {
  return refusal(413, 'too-large', `The body is larger than ${MAX_BODY_BYTES / 1024} KiB.`);
}

/** Every problem, each led by the field it is about, so the sender knows what to fix. */
function invalid(error: z.ZodError): Answer {
  const problems = error.issues.slice(0, 5).map((issue) => {
    if (issue.code === 'unrecognized_keys') return `${issue.keys.join(', ')}: not a field of this request`;
    return `${issue.path.join('.') || '(body)'}: ${issue.message}`;
  });
  return refusal(400, 'invalid-request', `The request is not valid: ${problems.join('; ')}.`);
}

/** Null when `sentAt` is close enough to now; otherwise why the request is refused. */
function staleness(sentAt: string, now: Date): string | null {
  const skewMs = Date.parse(sentAt) - now.getTime();
  if (Math.abs(skewMs) <= SENT_AT_WINDOW_MS) return null;
  return `sentAt: ${sentAt} is more than ${SENT_AT_WINDOW_MS / 60_000} minutes from the terminal's clock (${now.toISOString()}). Set it when each attempt is sent; a retry with the same requestId still gets the same booking.`;
}

function routeOf(url: string | undefined): Route | null {
  const path = (url ?? '').split('?')[0];
  return path === CREATE_PATH || path === CANCEL_PATH ? path : null;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The raw body, or 'too-large' as soon as it passes `limit` (reading stops there). Rejects if
 * the client goes away first, or the server cuts it off for taking too long.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // After 'end' this settles nothing; before it, the body never came.
    req.on('close', () => reject(new Error('the client went away before the body was complete')));
  });
}
