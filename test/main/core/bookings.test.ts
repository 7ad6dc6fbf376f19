import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bookings} from '../../../main/core/bookings.ts';
import { type BookingRequest } from '../../../main/core/bookings.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { beginCollection, beginStage } from '../../../main/core/journeys/booking.ts';
import type { BookingNotice } from '../../../main/core/ports.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { ManualTime } from '../../helpers/manual-time.ts';
import { join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

/**
 * Bookings (PCD 1698) on the demo site: booked, staged behind a door, collected with the gate
 * decided again, or expired on the terminal's clock with its door flagged and the no-show counted.
 */

const START = '2026-11-21T22:00:00.000Z';
const HOUR = 3_600_000;
let dir: string;
let cleanup: () => void;
let db: Db;
let time: ManualTime;
let core: DoorCore;
let notices: BookingNotice[];

beforeEach(async () => {
  ({ dir, cleanup } = tempDir('armoury-bookings-'));
  time = new ManualTime(START);
  db = await seededDb(join(dir, 'armoury.db'), new Date(START));
  notices = [];
  core = doorCore(db, time, { bookingNotices: { stage: (notice) => notices.push(notice) } });
});
afterEach(() => {
  db.close();
  cleanup();
});

const kim = () => officerIdByCollar(db, 'STR 01');
const ben = () => officerIdByCollar(db, 'PC 7890');

function request(overrides: Partial<BookingRequest> = {}): BookingRequest {
  const now = time.now();
  return { officer: 'PC 7890', onBehalfOf: null, item: 'RAD-0006', assetType: null, priority: 'routine', readyFrom: now, deadline: new Date(now.getTime() + 6 * HOUR), reference: 'NEW-RADIO', ...overrides };
}

function book(overrides: Partial<BookingRequest> = {}): number {
  const made = core.services.bookings.create({ officerId: kim() }, request(overrides));
  if (!made.ok) throw new Error(made.message);
  return made.booking.id;
}

const asset = (serial: string) => db.prepare<[string], { status: string; door: number | null }>('SELECT a.status, d.number AS door FROM assets a LEFT JOIN doors d ON d.id = a.door_id WHERE serial = ?').get(serial);
const booking = (id: number) => db.prepare<[number], { state: string; door: number | null; note: string | null }>('SELECT b.state, d.number AS door, b.note FROM bookings b LEFT JOIN doors d ON d.id = b.door_id WHERE b.id = ?').get(id);

describe('booking kit', () => {
  it('books a specific item or any of a type, and refuses what cannot be booked, saying why', () => {
    const id = book();
    expect(core.services.bookings.view().bookings.find((b) => b.id === id)).toMatchObject({ serial: 'RAD-0006', state: 'booked', officer: 'PC 7890 Ben Wright', bookedBy: 'STR 01 Kim Baker', nextStep: 'Stage Airwave radio RAD-0006' });
    const refusals = [
      request(), // RAD-0006 is booked now
      request({ item: 'RAD-0003' }), // on loan to PC 1234
      request({ officer: 'PC 0000' }),
      request({ item: 'NOPE-1' }),
      request({ deadline: new Date(time.now().getTime() - 1) }),
      request({ readyFrom: new Date(time.now().getTime() + 7 * HOUR) }),
      request({ deadline: new Date(time.now().getTime() + 40 * 24 * HOUR) }),
      request({ item: null, assetType: { code: 'NOPE' } }),
    ].map((r) => core.services.bookings.create({ officerId: kim() }, r));
    expect(refusals.map((r) => (r.ok ? 'booked' : r.message))).toEqual([
      'Airwave radio RAD-0006 is already booked for someone else.',
      'Airwave radio RAD-0003 is on loan, so it cannot be booked. Book another, or any Airwave radio.',
      'No officer has collar number PC 0000.',
      'No item has serial or tag NOPE-1.',
      'The deadline must come after the time it is ready from.',
      'The deadline must come after the time it is ready from.',
      'A booking can be held for at most 31 days.',
      'That kind of equipment is not known here.',
    ]);
    // Nothing was written for any refusal: one booking row and one audit row for it.
    expect(db.prepare("SELECT count(*) AS n FROM bookings WHERE reference = 'NEW-RADIO'").get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'booking.created'").get()).toEqual({ n: 1 });
  });

  it('lets one of many bookings of the same item through when they race on separate connections', async () => {
    const connections = Array.from({ length: 8 }, () => openDatabase(join(dir, 'armoury.db')));
    try {
      const services = connections.map((c) => doorCore(c, time).services.bookings);
      const results = await Promise.all(services.map((b, i) => Promise.resolve().then(() => b.create({ officerId: kim() }, request({ reference: `RACE-${i}` })))));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.kind))).toEqual(Array(7).fill('conflict'));
      expect(db.prepare("SELECT count(*) AS n FROM bookings WHERE asset_id = (SELECT id FROM assets WHERE serial = 'RAD-0006')").get()).toEqual({ n: 1 });
    } finally {
      for (const c of connections) c.close();
    }
  });

  it('gives a retried endpoint request the booking it made the first time', () => {
    const system = { system: 'duty-planner', requestId: 'req-77' };
    const first = core.services.bookings.create(system, request());
    const again = core.services.bookings.create(system, request({ reference: 'CHANGED' }));
    expect(first.ok && again.ok).toBe(true);
    expect(again).toMatchObject({ created: false, booking: { id: first.ok ? first.booking.id : -1, reference: 'NEW-RADIO', source: 'endpoint:duty-planner', bookedBy: 'duty-planner' } });
    expect(db.prepare('SELECT count(*) AS n FROM bookings WHERE request_id IS NOT NULL').get()).toEqual({ n: 1 });
  });
});

describe('staging and collection', () => {
  it('stages an item from the store into the smallest free door, and holds an item already in a locker where it is', () => {
    const fromStore = book();
    const staged = beginStage(core.services, kim(), fromStore, null, new Set());
    expect(staged).toMatchObject({ ok: true, intent: { kind: 'stage', doorNumber: 13, serial: 'RAD-0006' } });
    // Held where it is: RAD-0001 behind door 9; no door opens, the booker is told it is ready.
    const inLocker = book({ item: 'RAD-0001', officer: 'PC 3456', reference: 'IN-PLACE' });
    expect(beginStage(core.services, kim(), inLocker, null, new Set())).toMatchObject({ ok: true, intent: null });
    expect(asset('RAD-0001')).toEqual({ status: 'reserved', door: 9 });
    expect(booking(inLocker)).toMatchObject({ state: 'staged', door: 9 });
    expect(notices.map((n) => `${n.event} ${n.reference} door ${n.door}`)).toEqual(['ready IN-PLACE door 9']);
    // A reserved radio is not drawable: door 10's RAD-0002 is the one a draw gets now.
    const radio = db.prepare<[], { id: number }>("SELECT id FROM asset_types WHERE code = 'RADIO'").get()!.id;
    expect(core.beginDraw(officerIdByCollar(db, 'ARM 02'), radio)).toMatchObject({ ok: true, intent: { serial: 'RAD-0002', doorNumber: 10 } });
  });

  it('collects only inside the window, only for its own officer, and decides the competency gate again', async () => {
    const id = book({ item: 'RAD-0001', readyFrom: new Date(time.now().getTime() + HOUR) });
    expect(beginStage(core.services, kim(), id, null, new Set()).ok).toBe(true);
    expect(beginCollection(core.services, officerIdByCollar(db, 'PC 3456'), id, new Set())).toMatchObject({ ok: false, message: 'That booking is not yours. Ask stores.' });
    expect(beginCollection(core.services, ben(), id, new Set())).toMatchObject({ ok: false, kind: 'refused', message: expect.stringMatching(/^It is ready for you from /) });
    // A Taser booked for Ben, who holds no Taser qualification: refused at collection, as a draw is.
    const taser = book({ item: 'T7-0001', reference: 'TASER' });
    expect(beginStage(core.services, kim(), taser, null, new Set()).ok).toBe(true);
    await time.advance(HOUR);
    const refused = beginCollection(core.services, ben(), taser, new Set());
    expect(refused).toMatchObject({ ok: false, kind: 'refused', message: expect.stringMatching(/Taser/) });
    expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'booking.collect-refused'").get()).toEqual({ n: 1 });
    const collected = beginCollection(core.services, ben(), id, new Set());
    expect(collected).toMatchObject({ ok: true, intent: { kind: 'booking-collect', doorNumber: 9, serial: 'RAD-0001' } });
    expect(asset('RAD-0001')).toEqual({ status: 'issuing', door: 9 });
  });

  it('expires a booking at its deadline on the terminal clock: the item back in the pool, the door flagged, the no-show counted', async () => {
    const id = book({ item: 'RAD-0001' });
    expect(beginStage(core.services, kim(), id, null, new Set()).ok).toBe(true);
    const unstaged = book({ item: 'RAD-0008', reference: 'NEVER-STAGED' });
    // An hour before the deadline (the default notice), the booker is told once that it is expiring.
    await time.advance(5 * HOUR + 1);
    expect(core.services.bookings.sweep()).toBe(0);
    core.services.bookings.sweep();
    expect(notices.map((n) => `${n.event} ${n.reference}`)).toEqual(['ready NEW-RADIO', 'expiring NEW-RADIO']);
    await time.advance(HOUR - 1);
    expect(core.services.bookings.sweep()).toBe(2);
    expect(booking(id)).toMatchObject({ state: 'expired', door: 9, note: 'not collected by its deadline' });
    expect(booking(unstaged)).toMatchObject({ state: 'expired', note: 'not staged by its deadline' });
    expect(asset('RAD-0001')).toEqual({ status: 'available', door: 9 });
    const flagged = db.prepare<[], { message: string }>("SELECT message FROM exceptions WHERE kind = 'booking-expired'").all();
    expect(flagged).toHaveLength(1);
    expect(flagged[0]!.message).toMatch(/^Door 9: Airwave radio RAD-0001 staged for PC 7890 Ben Wright \(booking NEW-RADIO\) was not collected by/);
    expect(core.services.bookings.view().noShows).toEqual([{ officer: 'PC 7890 Ben Wright', count: 1 }]);
    expect(notices.slice(2).map((n) => `${n.event} ${n.reference}`).sort()).toEqual(['expired NEVER-STAGED', 'expired NEW-RADIO']);
    expect(beginCollection(core.services, ben(), id, new Set())).toMatchObject({ ok: false, message: 'That booking is expired.' });
    // Swept again: nothing more happens.
    expect(core.services.bookings.sweep()).toBe(0);
  });

  it('neither cancels nor expires a booking while its door is open for loading, and expires it once the door is shut', async () => {
    const id = book({ deadline: new Date(time.now().getTime() + HOUR) });
    const staging = beginStage(core.services, kim(), id, null, new Set());
    if (!staging.ok || staging.intent === null) throw new Error('not staged through a door');
    const { intents } = core.services;
    intents.unlockSent(staging.intent.id);
    intents.apply(staging.intent.id, 'door-opened', 'door opened');
    expect(core.services.bookings.cancel({ officerId: kim() }, id, 'not needed')).toMatchObject({ ok: false, kind: 'conflict' });
    await time.advance(HOUR);
    expect(core.services.bookings.sweep()).toBe(0);
    intents.apply(staging.intent.id, 'closed-with-item', 'door closed');
    intents.finishIn(staging.intent.id, 'loaded');
    expect(booking(id)).toMatchObject({ state: 'staged', door: 13 });
    expect(core.services.bookings.sweep()).toBe(1);
    expect(booking(id)).toMatchObject({ state: 'expired' });
    expect(asset('RAD-0006')).toEqual({ status: 'available', door: 13 });
  });

  it('cancels a staged booking, freeing its item where it is', () => {
    const id = book({ item: 'RAD-0002' });
    expect(beginStage(core.services, kim(), id, null, new Set()).ok).toBe(true);
    expect(core.services.bookings.cancel({ officerId: kim() }, id, 'duty changed')).toMatchObject({ ok: true, booking: { state: 'cancelled', note: 'duty changed' } });
    expect(asset('RAD-0002')).toEqual({ status: 'available', door: 10 });
    expect(core.services.bookings.cancel({ officerId: kim() }, id, 'again')).toMatchObject({ ok: false, kind: 'conflict' });
  });
});

it('a booking service over another connection sees the same rows (no state kept in memory)', () => {
  const id = book();
  const other = openDatabase(join(dir, 'armoury.db'));
  try {
    const bookings: Bookings = doorCore(other, time).services.bookings;
    expect(bookings.row(id)).toMatchObject({ state: 'booked', reference: 'NEW-RADIO' });
  } finally {
    other.close();
  }
});
