import { request as httpRequest } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../main/core/db/database.ts';
import { BookingEndpoint, MAX_BODY_BYTES, SYSTEM_HEADER } from '../../../main/devices/booking-endpoint.ts';
import { SIGNATURE_HEADER, signWebhookBody } from '../../../native-bridges/video-trigger/webhook.ts';
import { C2Receiver } from '../../helpers/c2-receiver.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { startHarness } from '../../helpers/kiosk-harness.ts';
import { ManualTime } from '../../helpers/manual-time.ts';
import { join, seededDb, tempDir } from '../../helpers/temp-db.ts';
import { until } from '../../helpers/until.ts';

/**
 * The booking endpoint (docs/bookings.md) on a real loopback socket over a real database: signed
 * requests book through the core, anything else is refused with a status and a sentence, and
 * nothing is written on any refusal. Hostile clients (slow, oversized, racing) cost the terminal
 * nothing but a refusal.
 */

const START = '2026-11-21T22:00:00.000Z';
const HOUR = 3_600_000;
const PLANNER_SECRET = 'duty planner shared secret 0001';
const STORES_SECRET = 'stores system shared secret 0002';
const TIMEOUT_MS = 400;

let dir: string;
let cleanup: () => void;
let db: Db;
let time: ManualTime;
let core: DoorCore;
let endpoint: BookingEndpoint;
let changes: number;
let logs: string[];

beforeEach(async () => {
  ({ dir, cleanup } = tempDir('armoury-booking-endpoint-'));
  time = new ManualTime(START);
  db = await seededDb(join(dir, 'armoury.db'), new Date(START));
  core = doorCore(db, time);
  changes = 0;
  logs = [];
  endpoint = await BookingEndpoint.start(
    { host: '127.0.0.1', port: 0, systems: [{ name: 'duty-planner', secret: PLANNER_SECRET }, { name: 'stores-system', secret: STORES_SECRET }] },
    { bookings: core.services.bookings, changed: () => changes++, now: () => time.now(), log: (l) => logs.push(l), requestTimeoutMs: TIMEOUT_MS },
  );
});
afterEach(async () => {
  await endpoint.stop();
  db.close();
  cleanup();
});

interface Reply {
  status: number;
  json: { ok: boolean; booking?: { id: number; state: string; serial: string | null; source: string; requestId: string | null }; error?: { kind: string; message: string } };
}

interface PostOptions {
  path?: string;
  method?: string;
  system?: string;
  /** Signs with this secret; default the system's own. */
  secret?: string;
  headers?: Record<string, string>;
  port?: number;
}

const SECRETS: Record<string, string> = { 'duty-planner': PLANNER_SECRET, 'stores-system': STORES_SECRET };

/** One request as a booking system sends it: JSON, signed over the raw body with the system's secret. */
function post(body: unknown, options: PostOptions = {}): Promise<Reply> {
  const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  const system = options.system ?? 'duty-planner';
  const headers = {
    'content-type': 'application/json',
    'content-length': String(raw.length),
    [SYSTEM_HEADER]: system,
    [SIGNATURE_HEADER]: signWebhookBody(raw, options.secret ?? SECRETS[system] ?? 'no secret for this system'),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: options.port ?? endpoint.port, path: options.path ?? '/v1/bookings', method: options.method ?? 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Reply['json'] }));
    });
    req.on('error', reject);
    req.end(raw);
  });
}

/** A create body for Ben Wright, ready now and collectable for six hours, sent now by the terminal's clock. */
function booking(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = time.now();
  return {
    requestId: 'req-1',
    reference: 'NEW-RADIO',
    officer: 'PC 7890',
    onBehalfOf: null,
    item: 'RAD-0006',
    assetType: null,
    priority: 'routine',
    readyFrom: now.toISOString(),
    deadline: new Date(now.getTime() + 6 * HOUR).toISOString(),
    sentAt: now.toISOString(),
    ...overrides,
  };
}

const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
const bookingRows = () => count('SELECT count(*) AS n FROM bookings WHERE request_id IS NOT NULL');
const auditRows = () => count('SELECT count(*) AS n FROM audit_log');

describe('booking through the endpoint', () => {
  it('books on a good signature (201), and answers a replay with the same booking (200) without writing anything', async () => {
    const first = await post(booking());
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ ok: true, booking: { state: 'booked', serial: 'RAD-0006', source: 'endpoint:duty-planner', requestId: 'req-1' } });
    expect(bookingRows()).toBe(1);
    expect(changes).toBe(1);
    const audit = auditRows();

    const again = await post(booking());
    expect(again.status).toBe(200);
    expect(again.json.booking?.id).toBe(first.json.booking?.id);
    expect(bookingRows()).toBe(1);
    expect(auditRows()).toBe(audit);
    expect(changes).toBe(1);

    // Any radio, by type code: the core picks one when stores stage it.
    const anyRadio = await post(booking({ requestId: 'req-any', item: null, assetType: 'RADIO' }));
    expect(anyRadio).toMatchObject({ status: 201, json: { booking: { serial: null } } });

    // One line per request, no secret in it.
    expect(logs).toContain(`booking endpoint: duty-planner POST /v1/bookings 201 (booking ${first.json.booking?.id})`);
    expect(logs).toContain(`booking endpoint: duty-planner POST /v1/bookings 200 (booking ${first.json.booking?.id})`);
    expect(logs.join('\n')).not.toContain(PLANNER_SECRET);
  });

  it('refuses a bad signature and an unknown system alike (401), writing nothing', async () => {
    const audit = auditRows();
    const badSignature = await post(booking(), { secret: 'not the planner secret at all' });
    const unknownSystem = await post(booking(), { system: 'someone-else', secret: PLANNER_SECRET });
    const otherSystemsKey = await post(booking(), { system: 'duty-planner', secret: STORES_SECRET });
    const unsigned = await post(booking(), { headers: { [SIGNATURE_HEADER]: '' } });
    for (const reply of [badSignature, unknownSystem, otherSystemsKey, unsigned]) {
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ ok: false, error: { kind: 'unauthorised', message: badSignature.json.error?.message } });
    }
    expect(bookingRows()).toBe(0);
    expect(auditRows()).toBe(audit);
    expect(changes).toBe(0);
    expect(logs).toContain('booking endpoint: unknown system POST /v1/bookings 401');
  });

  it('refuses malformed bodies (400), naming the field, and writes nothing', async () => {
    const audit = auditRows();
    const cases: [unknown, RegExp][] = [
      ['{"requestId": "req-1",', /not valid JSON/],
      [booking({ officer: 7890 }), /officer: /],
      [booking({ priority: 'urgent' }), /priority: /],
      [booking({ deadline: 'tomorrow' }), /deadline: an ISO 8601 time/],
      [booking({ requestId: 'has spaces' }), /requestId: 1 to 100 letters/],
      [booking({ requestId: 'x'.repeat(101) }), /requestId: /],
      [booking({ reference: '' }), /reference: /],
      [booking({ colour: 'blue' }), /colour: not a field of this request/],
      [booking({ item: 'RAD-0006', assetType: 'RADIO' }), /item: give exactly one of item .* and assetType/],
      [booking({ item: null, assetType: null }), /item: give exactly one of item .* and assetType/],
      [(({ officer: _officer, ...rest }) => rest)(booking()), /officer: missing/],
      [[booking()], /\(body\): /],
    ];
    for (const [body, message] of cases) {
      const reply = await post(body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.json.error?.kind).toBe('invalid-request');
      expect(reply.json.error?.message).toMatch(message);
    }
    // The core's own refusals of a well-formed request keep their kind.
    expect(await post(booking({ deadline: time.now().toISOString() }))).toMatchObject({ status: 400, json: { error: { kind: 'invalid-request', message: 'The deadline must come after the time it is ready from.' } } });
    expect(await post(booking({ officer: 'PC 0000' }))).toMatchObject({ status: 404, json: { error: { kind: 'not-found', message: 'No officer has collar number PC 0000.' } } });
    expect(bookingRows()).toBe(0);
    expect(auditRows()).toBe(audit);
  });

  it('refuses a body sent more than five minutes from the terminal’s clock (400), so a captured one cannot be replayed later', async () => {
    const now = time.now().getTime();
    for (const sentAt of [now - 6 * 60_000, now + 6 * 60_000]) {
      const reply = await post(booking({ sentAt: new Date(sentAt).toISOString() }));
      expect(reply.status).toBe(400);
      expect(reply.json.error?.message).toMatch(/^sentAt: .* is more than 5 minutes from the terminal's clock/);
    }
    expect(bookingRows()).toBe(0);
    // Four minutes out is inside the window.
    expect((await post(booking({ sentAt: new Date(now - 4 * 60_000).toISOString() }))).status).toBe(201);
  });

  it('refuses other methods (405), paths (404), media types (415) and bodies over 16 KiB (413)', async () => {
    expect(await post(booking(), { method: 'PUT' })).toMatchObject({ status: 405, json: { error: { kind: 'method-not-allowed' } } });
    expect(await post(booking(), { path: '/v1/bookings/all' })).toMatchObject({ status: 404, json: { error: { kind: 'not-found' } } });
    expect(await post(booking(), { headers: { 'content-type': 'text/plain' } })).toMatchObject({ status: 415, json: { error: { kind: 'unsupported-media-type' } } });
    expect(await post(booking({ reference: 'x'.repeat(MAX_BODY_BYTES) }))).toMatchObject({ status: 413, json: { error: { kind: 'too-large' } } });
    expect(bookingRows()).toBe(0);
  });

  it('stops reading a body that grows past 16 KiB without saying its length (413)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: endpoint.port, path: '/v1/bookings', method: 'POST', headers: { 'content-type': 'application/json', [SYSTEM_HEADER]: 'duty-planner' }, agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      // The server cuts the connection once it has answered; only the answer matters here.
      req.on('error', (error) => reject(error));
      for (let i = 0; i < 20; i++) req.write(Buffer.alloc(1024, 0x20));
    });
    expect(status).toBe(413);
    expect(bookingRows()).toBe(0);
  });

  it('answers a booking of an item already booked with a conflict (409)', async () => {
    expect((await post(booking())).status).toBe(201);
    const second = await post(booking({ requestId: 'req-2', reference: 'SECOND' }));
    expect(second).toMatchObject({ status: 409, json: { ok: false, error: { kind: 'conflict', message: 'Airwave radio RAD-0006 is already booked for someone else.' } } });
    expect(bookingRows()).toBe(1);
  });

  it('lets exactly one of 20 parallel bookings of the same item through', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => post(booking({ requestId: `race-${i}`, reference: `RACE-${i}` }))));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(19);
    expect(count("SELECT count(*) AS n FROM bookings WHERE asset_id = (SELECT id FROM assets WHERE serial = 'RAD-0006')")).toBe(1);
  });

  it('does not let one system use or cancel what another booked', async () => {
    const made = await post(booking());
    expect(made.status).toBe(201);
    // The stores system reusing the planner's request id learns nothing about its booking.
    expect(await post(booking({ reference: 'STORES' }), { system: 'stores-system' })).toMatchObject({ status: 409, json: { ok: false, error: { kind: 'conflict' } } });
    const cancelByOther = await post({ requestId: 'req-1', reason: 'not needed' }, { path: '/v1/bookings/cancel', system: 'stores-system' });
    expect(cancelByOther).toMatchObject({ status: 404, json: { ok: false, error: { kind: 'not-found' } } });
    expect(db.prepare<[], { state: string }>("SELECT state FROM bookings WHERE request_id = 'req-1'").get()?.state).toBe('booked');
  });

  it('cancels a booking by its request id, once', async () => {
    const made = await post(booking());
    const cancelled = await post({ requestId: 'req-1', reason: 'duty changed' }, { path: '/v1/bookings/cancel' });
    expect(cancelled).toMatchObject({ status: 200, json: { ok: true, booking: { id: made.json.booking?.id, state: 'cancelled' } } });
    expect(changes).toBe(2);
    expect(await post({ requestId: 'req-1', reason: 'again' }, { path: '/v1/bookings/cancel' })).toMatchObject({ status: 409, json: { error: { kind: 'conflict', message: 'Booking NEW-RADIO is already cancelled.' } } });
    expect(await post({ requestId: 'req-never', reason: 'x' }, { path: '/v1/bookings/cancel' })).toMatchObject({ status: 404 });
    expect(await post({ requestId: 'req-1' }, { path: '/v1/bookings/cancel' })).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/reason: missing/) } } });
    expect(changes).toBe(2);
  });

  it('cuts off a client that sends its headers and stalls, and answers others meanwhile', async () => {
    const stalled = (text: string) =>
      new Promise<{ socket: Socket; closed: Promise<string> }>((resolve) => {
        const socket = connect(endpoint.port, '127.0.0.1', () => {
          socket.write(text);
          resolve({ socket, closed: new Promise((done) => socket.on('close', () => done(received))) });
        });
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
        socket.on('error', () => undefined);
      });
    const started = Date.now();
    // Headers in full, then half the body it promised.
    const slowBody = await stalled(`POST /v1/bookings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n${SYSTEM_HEADER}: duty-planner\r\n\r\n{"requestId":`);
    // Half the headers.
    const slowHeaders = await stalled('POST /v1/bookings HTTP/1.1\r\nHost: x\r\n');
    expect((await post(booking())).status).toBe(201);
    const [bodyAnswer, headersAnswer] = await Promise.all([slowBody.closed, slowHeaders.closed]);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 3000);
    expect(bodyAnswer).toMatch(/^HTTP\/1\.1 408 /);
    expect(headersAnswer).toMatch(/^HTTP\/1\.1 408 /);
    expect(bookingRows()).toBe(1);
    // Still serving.
    expect((await post(booking({ requestId: 'req-after', item: 'RAD-0008' }))).status).toBe(201);
    expect(logs.some((l) => l.includes('cut off: the request did not arrive in time'))).toBe(true);
  });
});

/**
 * A port nothing listens on now, for a configuration that must name one. Below Linux's ephemeral
 * range (32768 up): a port the system handed out for "any port" could be handed straight back to
 * the next server that asks for any (the kiosk's simulated VMS does).
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createNetServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

describe('bookings in a running kiosk', () => {
  it('starts the endpoint from the configuration, pushes the screen a booking, announces its expiry to the webhook, and stops with the kiosk', async () => {
    const receiver = await C2Receiver.start('kiosk booking webhook secret');
    const port = await freePort();
    const h = await startHarness({ overdueCheckSeconds: 1 }, undefined, {
      c2Feed: { terminalId: 'armoury-a-1' },
      bookings: {
        notifyWebhook: { url: receiver.url, secret: 'kiosk booking webhook secret' },
        endpoint: { port, systems: [{ name: 'duty-planner', secret: PLANNER_SECRET }] },
      },
    });
    let closed = false;
    try {
      const pushes: number[] = [];
      h.kiosk.service.onSnapshot((s) => pushes.push(s.revision));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const pushedBefore = pushes.length;
      const now = h.now();
      const reply = await post(
        booking({ requestId: 'kiosk-1', item: 'RAD-0008', readyFrom: now.toISOString(), deadline: new Date(now.getTime() + 1500).toISOString(), sentAt: now.toISOString() }),
        { port },
      );
      expect(reply.status).toBe(201);
      // Pushed on the next turn (nothing else changes in the room meanwhile; the sweep's next run is a second away).
      await until('the screen to be pushed the booking', () => pushes.length > pushedBefore, 500);
      // The kiosk's own sweep expires it on its schedule; the core's notice goes through the configured webhook.
      await until('the expiry notice', () => receiver.received.length === 1, 10_000);
      expect(receiver.received[0]?.key).toBe(`armoury-a-1:booking-${reply.json.booking?.id}-expired`);
      expect(JSON.parse(receiver.received[0]?.raw ?? '{}')).toMatchObject({ event: 'expired', booking: { requestId: 'kiosk-1', serial: 'RAD-0008', officer: 'PC 7890' } });
      await h.close();
      closed = true;
      await expect(post(booking({ requestId: 'kiosk-2' }), { port })).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      if (!closed) await h.close();
      await receiver.down();
    }
  });
});
