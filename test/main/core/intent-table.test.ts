import { copyFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../main/core/db/database.ts';
import { openDatabase } from '../../../main/core/db/database.ts';
import type { DoorIntent } from '../../../main/core/door-intents.ts';
import {
  INTENT_DIRECTION,
  INTENT_EVENTS,
  INTENT_KINDS,
  INTENT_STATES,
  liveEvent,
  startupEvent,
  transitionFor,
  type IntentEffect,
  type IntentEvent,
  type IntentKind,
  type IntentState,
} from '../../../main/core/intent-table.ts';
import { beginCollection, beginStage, collectionIntentSpec, stageIntentSpec } from '../../../main/core/journeys/booking.ts';
import { beginCollect, collectIntentSpec } from '../../../main/core/journeys/collect.ts';
import { beginExhibitDeposit, beginExhibitRetrieval, exhibitIntentSpecs } from '../../../main/core/journeys/exhibit.ts';
import { drawIntentSpec } from '../../../main/core/journeys/draw.ts';
import { returnIntentSpec } from '../../../main/core/journeys/return.ts';
import { beginDeposit, beginIssue, swapIntentSpecs } from '../../../main/core/journeys/swap.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { exhibitSample } from '../../helpers/exhibit-sample.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

process.env.TZ = 'Europe/London';
const clock = { now: () => new Date('2026-11-21T12:00:00Z') };

let dir: string;
let cleanup: () => void;
let copies = 0;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  (await seededDb(join(dir, 'template.db'), clock.now())).close();
});
afterAll(() => cleanup());

interface World {
  db: Db;
  core: DoorCore;
}

function world(): World {
  const path = join(dir, `cell-${++copies}.db`);
  copyFileSync(join(dir, 'template.db'), path);
  const db = openDatabase(path);
  return { db, core: doorCore(db, clock) };
}

const ALEX = 'PC 1234';

function assetId(db: Db, serial: string): number {
  const row = db.prepare<[string], { id: number }>('SELECT id FROM assets WHERE serial = ?').get(serial);
  if (!row) throw new Error(`no asset ${serial}`);
  return row.id;
}

function orderId(db: Db): number {
  const row = db.prepare<[], { id: number }>('SELECT id FROM swap_orders ORDER BY id LIMIT 1').get();
  if (!row) throw new Error('no swap order');
  return row.id;
}

function must<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error(`not begun: ${JSON.stringify(result)}`);
  return result as Extract<T, { ok: true }>;
}

/** A real intent of each kind, begun the way its journey begins it, on the demo site. */
function begin(w: World, kind: IntentKind): DoorIntent {
  const { db, core } = w;
  const alex = officerIdByCollar(db, ALEX);
  switch (kind) {
    case 'draw':
      return must(core.beginDraw(alex, assetTypeId(db, 'TASER7'))).intent;
    case 'return':
      return must(core.beginReturn(alex, assetId(db, 'RAD-0003'))).intent;
    case 'swap-deposit':
      return must(beginDeposit(core.services, alex, orderId(db), new Set())).intent;
    case 'swap-issue': {
      // Straight to the issue leg: the old laptop in and verified, the order deposited.
      const deposit = must(beginDeposit(core.services, alex, orderId(db), new Set())).intent;
      core.services.intents.apply(deposit.id, 'closed-with-item', 'test');
      core.services.intents.verify(deposit.id);
      return must(beginIssue(core.services, alex, orderId(db))).intent;
    }
    case 'collect': {
      // A laptop handed in by an earlier swap, waiting behind door 14 for IT.
      db.prepare("UPDATE loans SET returned_at = '2026-11-20T10:00:00.000Z' WHERE asset_id = (SELECT id FROM assets WHERE serial = 'LT19-0002')").run();
      db.prepare("UPDATE assets SET status = 'awaiting-sanitisation', door_id = (SELECT id FROM doors WHERE number = 14) WHERE serial = 'LT19-0002'").run();
      return must(beginCollect(core.services, officerIdByCollar(db, 'IT 01'), assetId(db, 'LT19-0002'))).intent;
    }
    case 'stage': {
      // Stores loading a booked radio from the store: the terminal opens a free door for it.
      const booking = bookRadio(w, 'RAD-0006');
      return must(beginStage(core.services, officerIdByCollar(db, 'STR 01'), booking, null, new Set())).intent!;
    }
    case 'booking-collect': {
      // A radio staged where it is, behind door 9, collected by the officer it is booked for.
      const booking = bookRadio(w, 'RAD-0001');
      must(beginStage(core.services, officerIdByCollar(db, 'STR 01'), booking, null, new Set()));
      return must(beginCollection(core.services, officerIdByCollar(db, 'PC 7890'), booking, new Set())).intent;
    }
    case 'exhibit-deposit':
      return must(beginExhibitDeposit(core.services, alex, EXHIBIT, new Set())).intent;
    case 'exhibit-retrieve': {
      // Deposited by Alex (its door shut on it), retrieved by a property officer.
      const deposit = must(beginExhibitDeposit(core.services, alex, EXHIBIT, new Set())).intent;
      core.services.intents.apply(deposit.id, 'closed-with-item', 'test');
      core.services.intents.finishIn(deposit.id, 'test');
      const exhibit = core.services.exhibits.list('')[0]!;
      return must(beginExhibitRetrieval(core.services, officerIdByCollar(db, 'PRP 01'), exhibit.id, null, 'court', new Set())).intent;
    }
  }
}

/** A digital exhibit, one property officer enough to retrieve it. */
const EXHIBIT = exhibitSample({ category: 'digital', description: 'Mobile phone' });

/** A booking of one radio for PC 7890, ready now and for four hours. */
function bookRadio(w: World, serial: string): number {
  const booked = w.core.services.bookings.create(
    { officerId: officerIdByCollar(w.db, 'STR 01') },
    { officer: 'PC 7890', onBehalfOf: null, item: serial, assetType: null, priority: 'routine', readyFrom: clock.now(), deadline: new Date(clock.now().getTime() + 4 * 3600_000), reference: 'T-1' },
  );
  if (!booked.ok) throw new Error(booked.message);
  return booked.booking.id;
}

interface Facts {
  state: IntentState;
  assetStatus: string;
  assetDoor: number | null;
  openLoan: boolean;
  order: string | null;
  mismatches: number;
  lastAction: string;
  booking: string | null;
  exhibit: string | null;
}

function facts(w: World, intent: DoorIntent): Facts {
  const { db } = w;
  const row = db
    .prepare<[number], { state: IntentState; status: string; door: number | null }>(
      `SELECT i.state, a.status, d.number AS door FROM door_intents i JOIN assets a ON a.id = i.asset_id LEFT JOIN doors d ON d.id = a.door_id WHERE i.id = ?`,
    )
    .get(intent.id);
  if (!row) throw new Error('intent vanished');
  const openLoan = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM loans WHERE asset_id = ? AND returned_at IS NULL').get(intent.assetId)?.n === 1;
  const order = intent.swapOrderId === null ? null : (db.prepare<[number], { state: string }>('SELECT state FROM swap_orders WHERE id = ?').get(intent.swapOrderId)?.state ?? null);
  const mismatches = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM exceptions WHERE kind = 'swap-mismatch'").get()?.n ?? 0;
  const lastAction = db.prepare<[], { action: string }>('SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1').get()?.action ?? '';
  const booking = intent.bookingId === null ? null : (db.prepare<[number], { state: string }>('SELECT state FROM bookings WHERE id = ?').get(intent.bookingId)?.state ?? null);
  const exhibit = db.prepare<[number], { state: string }>('SELECT state FROM exhibits WHERE asset_id = ?').get(intent.assetId)?.state ?? null;
  return { state: row.state, assetStatus: row.status, assetDoor: row.door, openLoan, order, mismatches, lastAction, booking, exhibit };
}

/** What each kind's effect must leave behind: the contract between the table and the journeys. */
function expectEffect(kind: IntentKind, effect: IntentEffect, before: Facts, after: Facts, intent: DoorIntent): void {
  const door = intent.doorNumber;
  const unchanged = () => expect({ ...after, state: before.state, lastAction: before.lastAction }).toEqual(before);
  switch (`${kind}:${effect}`) {
    case 'draw:taken':
    case 'swap-issue:taken':
      expect(after).toMatchObject({ assetStatus: 'on-loan', assetDoor: null, openLoan: true });
      if (kind === 'swap-issue') expect(after.order).toBe('completed');
      return;
    case 'draw:left-inside':
    case 'draw:door-failed':
    case 'swap-issue:left-inside':
    case 'swap-issue:door-failed':
      expect(after).toMatchObject({ assetStatus: 'available', assetDoor: door, openLoan: false });
      if (kind === 'swap-issue') expect(after.order).toBe('deposited');
      return;
    case 'return:settled':
      expect(after).toMatchObject({ assetStatus: 'available', assetDoor: door, openLoan: false });
      return;
    case 'return:unsettled':
      expect(after).toMatchObject({ assetStatus: 'quarantined', assetDoor: door, openLoan: false });
      return;
    case 'swap-deposit:settled':
      expect(after).toMatchObject({ assetStatus: 'awaiting-sanitisation', assetDoor: door, openLoan: false, order: 'deposited' });
      return;
    case 'swap-deposit:unsettled':
    case 'swap-deposit:nothing-in':
      expect(after).toMatchObject({ assetStatus: 'on-loan', openLoan: true, order: 'open', mismatches: before.mismatches + 1 });
      return;
    case 'collect:taken':
      expect(after).toMatchObject({ assetStatus: 'awaiting-sanitisation', assetDoor: null });
      return;
    case 'booking-collect:taken':
      expect(after).toMatchObject({ assetStatus: 'on-loan', assetDoor: null, openLoan: true, booking: 'collected' });
      return;
    case 'exhibit-deposit:item-in':
      expect(after).toMatchObject({ assetStatus: 'evidence', assetDoor: door, exhibit: 'stored' });
      return;
    case 'exhibit-deposit:nothing-in':
    case 'exhibit-deposit:door-failed':
      expect(after).toMatchObject({ assetStatus: 'evidence-out', assetDoor: null, exhibit: 'not-deposited' });
      return;
    case 'exhibit-retrieve:taken':
      expect(after).toMatchObject({ assetStatus: 'evidence-out', assetDoor: null, exhibit: 'retrieved' });
      return;
    case 'exhibit-retrieve:left-inside':
    case 'exhibit-retrieve:door-failed':
      expect(after).toMatchObject({ assetStatus: 'evidence', assetDoor: door, exhibit: 'stored' });
      return;
    case 'stage:item-in':
    case 'booking-collect:left-inside':
    case 'booking-collect:door-failed':
      expect(after).toMatchObject({ assetStatus: 'reserved', assetDoor: door, openLoan: false, booking: 'staged' });
      return;
    default:
      // opened, item-in, and the rest: the door moved, nothing else did yet.
      unchanged();
  }
}

const CELLS = INTENT_KINDS.flatMap((kind) => INTENT_STATES.flatMap((state) => INTENT_EVENTS.map((event) => ({ kind, state, event }))));

describe('the door intent table, walked cell by cell on a real database', () => {
  it.each(CELLS)('$kind in $state on $event', ({ kind, state, event }: { kind: IntentKind; state: IntentState; event: IntentEvent }) => {
    const w = world();
    try {
      const intent = begin(w, kind);
      // Put the intent in the state under test, as an earlier transition would have.
      w.db.prepare('UPDATE door_intents SET state = ? WHERE id = ?').run(state, intent.id);
      if (kind === 'swap-deposit' && event === 'tag-verified') w.db.prepare('UPDATE door_intents SET verified_at = ? WHERE id = ?').run(clock.now().toISOString(), intent.id);
      const before = facts(w, intent);
      const change = w.core.services.intents.apply(intent.id, event, 'test', event === 'condition-given' ? 'ok' : null);
      const after = facts(w, intent);
      const cell = transitionFor(kind, state, event);
      if (!cell) {
        expect(change).toBeUndefined();
        expect(after).toEqual(before);
        return;
      }
      expect(change).toMatchObject({ from: state, event, effect: cell.effect, intent: { state: cell.to } });
      expect(after.state).toBe(cell.to);
      expect(after.lastAction).not.toBe(before.lastAction);
      expectEffect(kind, cell.effect, before, after, intent);
      // The chain stays whole through every transition.
      expect(w.core.services.audit.verify().ok).toBe(true);
    } finally {
      w.db.close();
    }
  });

  it('says what the door did in the terms that matter to the item', () => {
    const cell = (kind: IntentKind, state: IntentState, event: IntentEvent) => {
      const t = transitionFor(kind, state, event);
      return t ? `${t.to} (${t.effect})` : 'refused';
    };
    // Out of the locker: gone is issued, still there is nothing issued, never opened is failed.
    expect(cell('draw', 'open', 'closed-empty')).toBe('completed (taken)');
    expect(cell('draw', 'open', 'closed-with-item')).toBe('cancelled (left-inside)');
    expect(cell('draw', 'pending', 'closed-empty')).toBe('completed (taken)');
    expect(cell('draw', 'pending', 'unlock-unconfirmed')).toBe('failed (door-failed)');
    expect(cell('draw', 'open', 'unlock-unconfirmed')).toBe('refused');
    expect(cell('draw', 'open', 'closed-unsensed')).toBe('completed (taken)');
    // Into the locker: in waits for its last step, empty is nothing returned.
    expect(cell('return', 'open', 'closed-with-item')).toBe('closed (item-in)');
    expect(cell('return', 'open', 'closed-empty')).toBe('cancelled (nothing-in)');
    expect(cell('return', 'closed', 'condition-given')).toBe('completed (settled)');
    expect(cell('return', 'closed', 'abandoned')).toBe('completed (unsettled)');
    expect(cell('swap-deposit', 'closed', 'tag-verified')).toBe('completed (settled)');
    expect(cell('swap-deposit', 'open', 'condition-given')).toBe('refused');
    expect(cell('return', 'pending', 'crash-recovery')).toBe('failed (door-failed)');
  });

  it('has a row for every state an intent can rest in, and final states no row at all', () => {
    for (const kind of INTENT_KINDS) {
      for (const state of ['completed', 'cancelled', 'failed'] as const) for (const event of INTENT_EVENTS) expect(transitionFor(kind, state, event)).toBeUndefined();
      for (const state of ['pending', 'open'] as const) expect(INTENT_EVENTS.some((event) => transitionFor(kind, state, event))).toBe(true);
      // Only items going in rest in "closed" (waiting for a condition or a tag).
      expect(INTENT_EVENTS.some((event) => transitionFor(kind, 'closed', event))).toBe(INTENT_DIRECTION[kind] === 'in');
    }
  });

  it('every kind names an audit action for every effect its direction can have', () => {
    const w = world();
    try {
      const { services } = w.core;
      const specs = [drawIntentSpec(services), returnIntentSpec(services), ...swapIntentSpecs(services), collectIntentSpec(services), stageIntentSpec(services), collectionIntentSpec(services), ...exhibitIntentSpecs(services)];
      expect(specs.map((s) => s.kind).sort()).toEqual([...INTENT_KINDS].sort());
      for (const spec of specs) {
        const effects = new Set(INTENT_STATES.flatMap((state) => INTENT_EVENTS.map((event) => transitionFor(spec.kind, state, event)?.effect)).filter((e) => e !== undefined));
        for (const effect of effects) expect(spec.actions[effect], `${spec.kind} ${effect}`).toBeDefined();
      }
    } finally {
      w.db.close();
    }
  });
});

const READINGS = [
  { open: true, itemPresent: true },
  { open: true, itemPresent: false },
  { open: false, itemPresent: true },
  { open: false, itemPresent: false },
  { open: false, itemPresent: null },
] as const;

describe('what a reading means for an intent', () => {
  it.each(INTENT_KINDS.flatMap((kind) => (['pending', 'open', 'closed'] as const).flatMap((state) => READINGS.map((reading) => ({ kind, state, reading })))))(
    '$kind $state, door $reading.open item $reading.itemPresent',
    ({ kind, state, reading }) => {
      const door = { doorNumber: 1, ...reading };
      const live = liveEvent(kind, state, door);
      const startup = startupEvent(state, door);
      const out = INTENT_DIRECTION[kind] === 'out';
      if (reading.open) {
        // A door seen open only moves a pending intent, live or at start-up.
        expect(live?.event ?? null).toBe(state === 'pending' ? 'door-opened' : null);
        expect(startup?.event ?? null).toBe(state === 'pending' ? 'door-opened' : null);
        return;
      }
      const closed = reading.itemPresent === null ? 'closed-unsensed' : reading.itemPresent ? 'closed-with-item' : 'closed-empty';
      if (state === 'open') expect(live?.event).toBe(closed);
      if (state === 'pending') {
        // Live, a pending door that still reads as before is just waiting; only an item that moved means it opened and shut.
        const moved = out ? reading.itemPresent === false : reading.itemPresent === true;
        expect(live?.event ?? null).toBe(moved ? closed : null);
        // At start-up nobody is waiting any more: a closed door settles it (no item sensor: crash recovery fails it).
        expect(startup?.event).toBe(reading.itemPresent === null ? 'crash-recovery' : closed);
      }
      if (state === 'closed') {
        expect(live).toBeNull();
        expect(startup).toBeNull();
      }
    },
  );
});
