import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import type { DoorIntent } from '../../../main/core/door-intents.ts';
import { beginCollection, beginStage } from '../../../main/core/journeys/booking.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { ManualTime } from '../../helpers/manual-time.ts';
import { join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

/**
 * Pooled stock (PPE by size) on the demo site: counted in the store, booked by quantity, taken
 * from the store as one pack when staged, and a low-stock exception once per fall below the
 * threshold. The store's count is decided by the UPDATE itself, so stagings racing for the last
 * units cannot both take them.
 */

const START = '2026-11-21T10:00:00.000Z';
let dir: string;
let cleanup: () => void;
let db: Db;
let time: ManualTime;
let core: DoorCore;
let hivis: number;

beforeEach(async () => {
  ({ dir, cleanup } = tempDir('armoury-pool-'));
  time = new ManualTime(START);
  db = await seededDb(join(dir, 'armoury.db'), new Date(START));
  core = doorCore(db, time);
  hivis = Number(db.prepare("INSERT INTO asset_types (code, name, category, self_service, size_class, pooled, low_stock_below) VALUES ('HIVIS-L', 'Hi-vis jacket, size L', 'ppe', 1, 'M', 1, 5)").run().lastInsertRowid);
});
afterEach(() => {
  db.close();
  cleanup();
});

const kim = () => officerIdByCollar(db, 'STR 01');
const lowStock = () => db.prepare<[], { n: number }>("SELECT count(*) AS n FROM exceptions WHERE kind = 'low-stock'").get()?.n ?? 0;
const level = () => core.services.pool.levels().find((l) => l.assetTypeId === hivis)!;

function book(quantity: number, reference = 'NEW-STARTER'): number {
  const now = time.now();
  const made = core.services.bookings.create({ officerId: kim() }, { officer: 'PC 7890', onBehalfOf: null, item: null, assetType: { id: hivis }, priority: 'routine', readyFrom: now, deadline: new Date(now.getTime() + 8 * 3_600_000), reference, quantity });
  if (!made.ok) throw new Error(made.message);
  return made.booking.id;
}

function load(intent: DoorIntent): void {
  const { intents } = core.services;
  intents.unlockSent(intent.id);
  intents.apply(intent.id, 'door-opened', 'door opened');
  intents.apply(intent.id, 'closed-with-item', 'door closed');
  intents.finishIn(intent.id, 'loaded');
}

describe('pooled stock', () => {
  it('is received and counted in the store, audited, and refused for a serialised type', () => {
    expect(core.services.pool.receive(kim(), hivis, 6, 'delivery 4471')).toMatchObject({ ok: true, level: { inStore: 6, inLockers: 0, held: 0, onLoan: 0, low: false } });
    expect(core.services.pool.count(kim(), hivis, 5, 'one damaged, thrown away')).toMatchObject({ ok: true, level: { inStore: 5 } });
    const radio = db.prepare<[], { id: number }>("SELECT id FROM asset_types WHERE code = 'RADIO'").get()!.id;
    expect(core.services.pool.receive(kim(), radio, 3, 'x')).toMatchObject({ ok: false, message: 'Airwave radio is counted item by item, not as pooled stock.' });
    expect(db.prepare("SELECT action FROM audit_log WHERE action LIKE 'pool.%' ORDER BY seq").all()).toEqual([{ action: 'pool.received' }, { action: 'pool.counted' }]);
  });

  it('books by quantity only for pooled types, and stages a booking as one pack taken from the store', () => {
    core.services.pool.receive(kim(), hivis, 6, 'delivery');
    const radio = db.prepare<[], { id: number }>("SELECT id FROM asset_types WHERE code = 'RADIO'").get()!.id;
    expect(core.services.bookings.create({ officerId: kim() }, { officer: 'PC 7890', onBehalfOf: null, item: null, assetType: { id: radio }, priority: 'routine', readyFrom: time.now(), deadline: new Date(time.now().getTime() + 3_600_000), reference: 'R', quantity: 2 })).toMatchObject({
      ok: false,
      message: 'Airwave radio is booked one at a time: only pooled stock is booked by quantity.',
    });
    const id = book(2);
    const staged = beginStage(core.services, kim(), id, null, new Set());
    if (!staged.ok || staged.intent === null) throw new Error('not staged through a door');
    expect(staged.intent).toMatchObject({ kind: 'stage', serial: `HIVIS-L-PACK-${id}` });
    load(staged.intent);
    expect(level()).toMatchObject({ inStore: 4, held: 2 });
    // Collected as one loan of the pack.
    const collected = beginCollection(core.services, officerIdByCollar(db, 'PC 7890'), id, new Set());
    if (!collected.ok) throw new Error(collected.message);
    const { intents } = core.services;
    intents.unlockSent(collected.intent.id);
    intents.apply(collected.intent.id, 'door-opened', 'door opened');
    intents.apply(collected.intent.id, 'closed-empty', 'door closed');
    expect(level()).toMatchObject({ inStore: 4, held: 0, onLoan: 2 });
  });

  it('refuses a staging the store cannot supply, writing nothing, and raises low stock once per fall', () => {
    core.services.pool.receive(kim(), hivis, 6, 'delivery');
    expect(lowStock()).toBe(0);
    const big = book(7, 'TOO-MANY');
    const before = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_log').get()!.n;
    expect(beginStage(core.services, kim(), big, null, new Set())).toMatchObject({ ok: false, message: 'Only 6 Hi-vis jacket, size L in the store: booking TOO-MANY needs 7. Receive more stock first.' });
    expect(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_log').get()!.n).toBe(before);
    expect(level()).toMatchObject({ inStore: 6 });
    const first = beginStage(core.services, kim(), book(2, 'A'), null, new Set());
    expect(first.ok).toBe(true);
    expect(level()).toMatchObject({ inStore: 4 });
    expect(lowStock()).toBe(1);
    // Lower still: the same alert stands. Restocked, dealt with, then below again: a new one.
    core.services.pool.count(kim(), hivis, 3, 'counted');
    expect(lowStock()).toBe(1);
    core.services.pool.receive(kim(), hivis, 10, 'delivery');
    expect(level().low).toBe(false);
    const raised = db.prepare<[], { id: number }>("SELECT id FROM exceptions WHERE kind = 'low-stock'").get()!.id;
    core.services.exceptions.resolve(raised, officerIdByCollar(db, 'ARM 01'), 'ordered and delivered');
    core.services.pool.count(kim(), hivis, 1, 'counted after a spill');
    expect(lowStock()).toBe(2);
  });

  it('puts the units of a pack that never reached its door back in the store when its booking is cancelled', () => {
    core.services.pool.receive(kim(), hivis, 6, 'delivery');
    const id = book(2);
    const staged = beginStage(core.services, kim(), id, null, new Set());
    if (!staged.ok || staged.intent === null) throw new Error('not staged through a door');
    const { intents } = core.services;
    intents.unlockSent(staged.intent.id);
    intents.apply(staged.intent.id, 'door-opened', 'door opened');
    intents.apply(staged.intent.id, 'closed-empty', 'door closed');
    expect(level()).toMatchObject({ inStore: 4 });
    expect(core.services.bookings.cancel({ officerId: kim() }, id, 'officer moved station')).toMatchObject({ ok: true });
    expect(level()).toMatchObject({ inStore: 6, held: 0, inLockers: 0 });
  });

  it('two stagings racing for the last units on separate connections: one pack only', async () => {
    core.services.pool.receive(kim(), hivis, 4, 'delivery');
    const ids = [book(3, 'A'), book(3, 'B'), book(3, 'C'), book(3, 'D')];
    // Doors 13 and 14 are free: give each staging its own door to want.
    const connections = ids.map(() => openDatabase(join(dir, 'armoury.db')));
    try {
      const results = await Promise.all(connections.map((c, i) => Promise.resolve().then(() => beginStage(doorCore(c, time).services, kim(), ids[i]!, null, new Set()))));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(level()).toMatchObject({ inStore: 1 });
      expect(db.prepare("SELECT count(*) AS n FROM assets WHERE serial LIKE 'HIVIS-L-PACK-%'").get()).toEqual({ n: 1 });
    } finally {
      for (const c of connections) c.close();
    }
  });
});
