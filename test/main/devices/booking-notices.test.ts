import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BookingRequest } from '../../../main/core/bookings.ts';
import type { Db } from '../../../main/core/db/database.ts';
import { BookingNoticeWebhook, noticeId } from '../../../main/devices/booking-notices.ts';
import { C2Receiver } from '../../helpers/c2-receiver.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { ManualTime } from '../../helpers/manual-time.ts';
import { join, seededDb, tempDir } from '../../helpers/temp-db.ts';
import { until } from '../../helpers/until.ts';

/**
 * The booking webhook (docs/bookings.md) over a real database and a real loopback receiver:
 * a notice goes out exactly when the change it announces committed, signed, once, and is
 * retried until the receiver takes it.
 */

const START = '2026-11-21T22:00:00.000Z';
const HOUR = 3_600_000;
const SECRET = 'booking notices test shared secret';
const TERMINAL_ID = 'armoury-a-1';
const FAST = { minMs: 10, maxMs: 50 };

let dir: string;
let cleanup: () => void;
let db: Db;
let time: ManualTime;
let receiver: C2Receiver;
let logs: string[];
const stops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = tempDir('armoury-booking-notices-'));
  time = new ManualTime(START);
  db = await seededDb(join(dir, 'armoury.db'), new Date(START));
  receiver = await C2Receiver.start(SECRET);
  logs = [];
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await receiver.down();
  db.close();
  cleanup();
});

async function startNotices(url: string | null = receiver.url): Promise<BookingNoticeWebhook> {
  const notices = await BookingNoticeWebhook.start(url === null ? null : { url, secret: SECRET }, { db, terminalId: TERMINAL_ID, terminalName: 'Armoury A, terminal 1', log: (l) => logs.push(l), backoff: FAST });
  stops.push(() => notices.stop());
  return notices;
}

/** The core over the test's database, announcing through `notices`. */
function coreWith(notices: BookingNoticeWebhook): DoorCore {
  return doorCore(db, time, { bookingNotices: notices });
}

/** A booking of a free radio for Ben Wright, with its deadline an hour away: it expires (an 'expired' notice) once time passes that. */
function book(core: DoorCore, requestId: string, item = 'RAD-0006', hours = 1): number {
  const now = time.now();
  const request: BookingRequest = { officer: 'PC 7890', onBehalfOf: null, item, assetType: null, priority: 'routine', readyFrom: now, deadline: new Date(now.getTime() + hours * HOUR), reference: `REF-${requestId}` };
  const made = core.services.bookings.create({ system: 'duty-planner', requestId }, request);
  if (!made.ok) throw new Error(made.message);
  return made.booking.id;
}

const outboxRows = () => db.prepare<[], { id: string; status: string; attempts: number }>("SELECT m.id, d.status, d.attempts FROM outbox_messages m JOIN outbox_deliveries d ON d.message_seq = m.seq WHERE m.owner = 'bookings' ORDER BY m.seq").all();
const state = (id: number) => db.prepare<[number], { state: string }>('SELECT state FROM bookings WHERE id = ?').get(id)?.state;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('booking notices', () => {
  it('never sends a notice whose change rolled back, and sends one that committed once, signed, in the documented body', async () => {
    const notices = await startNotices();
    const core = coreWith(notices);
    const id = book(core, 'req-1');
    await time.advance(2 * HOUR);

    // The sweep stages the 'expired' notice inside its transaction; an enclosing one that fails takes both back.
    expect(() =>
      db.transaction(() => {
        expect(core.services.bookings.sweep()).toBe(1);
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    expect(state(id)).toBe('booked');
    expect(outboxRows()).toEqual([]);
    await sleep(200);
    expect(receiver.requests).toBe(0);

    expect(core.services.bookings.sweep()).toBe(1);
    expect(state(id)).toBe('expired');
    await until('the notice to arrive', () => receiver.received.length === 1);
    await notices.whenDelivered();
    await sleep(100);
    // Once, with a signature the receiver checked (it records only signed requests).
    expect(receiver.requests).toBe(1);
    expect(receiver.badSignatures).toBe(0);
    const [received] = receiver.received;
    const expectedId = noticeId(TERMINAL_ID, { booking: id, event: 'expired' });
    expect(expectedId).toBe(`armoury-a-1:booking-${id}-expired`);
    expect(received?.key).toBe(expectedId);
    const body = JSON.parse(received?.raw ?? '{}') as Record<string, unknown>;
    // Fixed key order: the same notice is always the same bytes.
    expect(Object.keys(body)).toEqual(['id', 'event', 'terminal', 'at', 'booking']);
    expect(body).toEqual({
      id: expectedId,
      event: 'expired',
      terminal: 'Armoury A, terminal 1',
      at: time.now().toISOString(),
      booking: {
        id,
        requestId: 'req-1',
        reference: 'REF-req-1',
        officer: 'PC 7890',
        onBehalfOf: null,
        item: 'Airwave radio',
        serial: 'RAD-0006',
        door: null,
        readyFrom: START,
        deadline: new Date(Date.parse(START) + HOUR).toISOString(),
        priority: 'routine',
      },
    });
    expect(outboxRows()).toEqual([{ id: expectedId, status: 'delivered', attempts: 1 }]);
  });

  it('retries a notice the receiver is not ready for (503) until it is accepted, and logs the failure', async () => {
    const notices = await startNotices();
    const core = coreWith(notices);
    const id = book(core, 'req-retry');
    await time.advance(2 * HOUR);
    receiver.answerNext.push(503, 503);
    core.services.bookings.sweep();
    await until('the notice to arrive', () => receiver.received.length === 1);
    expect(receiver.requests).toBe(3);
    expect(receiver.received[0]?.key).toBe(`${TERMINAL_ID}:booking-${id}-expired`);
    await until('the delivery to be recorded', () => outboxRows()[0]?.status === 'delivered');
    expect(outboxRows()).toEqual([{ id: `${TERMINAL_ID}:booking-${id}-expired`, status: 'delivered', attempts: 3 }]);
    expect(logs.some((l) => /booking notices: .*-expired to http:\/\/127\.0\.0\.1:\d+: attempt 1 failed \(retrying\): booking webhook .* answered HTTP 503/.test(l))).toBe(true);
    expect(logs).toContain(`booking notices: ${TERMINAL_ID}:booking-${id}-expired delivered after 3 attempts`);
  });

  it('logs a notice the receiver refuses (4xx) and does not retry it', async () => {
    const notices = await startNotices();
    const core = coreWith(notices);
    book(core, 'req-refused');
    await time.advance(2 * HOUR);
    receiver.answerNext.push(422);
    core.services.bookings.sweep();
    await until('the refusal to be recorded', () => outboxRows()[0]?.status === 'failed');
    await sleep(200);
    expect(receiver.requests).toBe(1);
    expect(logs.some((l) => /attempt 1 failed \(refused, not retried\): booking webhook .* answered HTTP 422/.test(l))).toBe(true);
  });

  it('keeps what it could not deliver for the next start, including a notice staged while it was stopping', async () => {
    await receiver.down();
    const first = await startNotices();
    // As the composition root has it: the core stages through whichever service is current.
    let current = first;
    const core = doorCore(db, time, { bookingNotices: { stage: (notice, at) => current.stage(notice, at) } });
    const a = book(core, 'req-a');
    const b = book(core, 'req-b', 'RAD-0008', 3);
    await time.advance(2 * HOUR);
    // a's notice is staged, and the service stops before the turn that would hand it to the outbox...
    expect(core.services.bookings.sweep()).toBe(1);
    const stopping = first.stop();
    // ...and b's is staged while it is stopping (a saved configuration replacing it).
    await time.advance(2 * HOUR);
    expect(core.services.bookings.sweep()).toBe(1);
    await stopping;
    expect(outboxRows().map((r) => r.status)).toEqual(['pending', 'pending']);
    expect(state(a)).toBe('expired');
    expect(state(b)).toBe('expired');

    await receiver.up();
    current = await startNotices();
    await until('both notices to arrive', () => receiver.received.length === 2);
    expect(receiver.received.map((r) => r.key).sort()).toEqual([`${TERMINAL_ID}:booking-${a}-expired`, `${TERMINAL_ID}:booking-${b}-expired`]);
  });

  it('writes nothing without a webhook configured', async () => {
    const notices = await startNotices(null);
    const core = coreWith(notices);
    book(core, 'req-quiet');
    await time.advance(2 * HOUR);
    expect(core.services.bookings.sweep()).toBe(1);
    await sleep(50);
    expect(outboxRows()).toEqual([]);
    expect(notices.pending()).toBe(0);
  });
});
