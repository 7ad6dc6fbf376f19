import { copyFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/core/db/database.ts';
import type { Db } from '../../../main/core/db/database.ts';
import { beginDraw } from '../../../main/core/journeys/draw.ts';
import { plainDoorFailure } from '../../../main/core/journeys/journey.ts';
import type { DoorSensors } from '../../../main/core/ports.ts';
import { SensorPlausibility } from '../../../main/core/sensor-plausibility.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

const now = new Date('2026-11-21T10:00:00Z');
const clock = { now: () => now };

let cleanup: () => void;
let dir: string;
let n = 0;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  (await seededDb(join(dir, 'template.db'), now)).close();
});
afterAll(() => cleanup());

function fresh(): { db: Db; core: DoorCore; plausibility: SensorPlausibility; stocked: Set<number> } {
  // Seeding hashes real PINs: seed once, then give each test its own copy of the file.
  const path = join(dir, `t${++n}.db`);
  copyFileSync(join(dir, 'template.db'), path);
  const db = openDatabase(path);
  const core = doorCore(db, clock);
  const plausibility = new SensorPlausibility(db, core.services.bankId, core.services.exceptions);
  const stocked = new Set(db.prepare<[], { number: number }>('SELECT d.number FROM doors d JOIN assets a ON a.door_id = d.id').all().map((r) => r.number));
  return { db, core, plausibility, stocked };
}

/** Every door as the record says it is (closed, stocked where an item is recorded), with overrides. */
function truthful(stocked: ReadonlySet<number>, ...overrides: (Partial<DoorSensors> & { doorNumber: number })[]): DoorSensors[] {
  return Array.from({ length: 16 }, (_v, i) => ({ doorNumber: i + 1, open: false, itemPresent: stocked.has(i + 1), ...overrides.find((o) => o.doorNumber === i + 1) }));
}

function exceptionRows(db: Db): { kind: string; subject: string }[] {
  return db.prepare<[], { kind: string; subject: string }>('SELECT kind, subject FROM exceptions ORDER BY id').all();
}

describe('sensor plausibility', () => {
  it('readings that match the record are plausible, and raise nothing', () => {
    const { db, plausibility, stocked } = fresh();
    const verdict = plausibility.observe(truthful(stocked), new Set());
    expect(verdict.problems).toEqual([]);
    expect(verdict.unusableDoors.size).toBe(0);
    expect(exceptionRows(db)).toEqual([]);
  });

  it('every door open at rest is implausible: every door unusable, one exception for the bank however many polls', () => {
    const { db, plausibility, stocked } = fresh();
    const allOpen = truthful(stocked).map((d) => ({ ...d, open: true }));
    for (let i = 0; i < 3; i++) plausibility.observe(allOpen, new Set());
    const verdict = plausibility.verdict();
    expect(verdict.everyDoorOpen).toBe(true);
    expect(verdict.problems[0]).toMatch(/^Every door reads open while none was unlocked: check the lock-sensor polarity setting/);
    expect(verdict.unusableDoors.size).toBe(16);
    expect(exceptionRows(db)).toEqual([{ kind: 'sensor-implausible', subject: expect.stringMatching(/^bank:\d+$/) as unknown as string }]);
  });

  it('doors open with something under way on them are not "at rest"', () => {
    const { plausibility, stocked } = fresh();
    const twoOpen = truthful(stocked, { doorNumber: 3, open: true }, { doorNumber: 4, open: true });
    expect(plausibility.observe(twoOpen, new Set([3, 4])).problems).toEqual([]);
  });

  it('a stocked door reading empty, and an empty door reading full, are each one exception and unusable; only the first degrades the bank', () => {
    const { db, plausibility, stocked } = fresh();
    const full = Math.min(...stocked);
    const empty = [...Array(16).keys()].map((i) => i + 1).find((d) => !stocked.has(d))!;
    const reading = truthful(stocked, { doorNumber: full, itemPresent: false }, { doorNumber: empty, itemPresent: true });
    plausibility.observe(reading, new Set());
    plausibility.observe(reading, new Set());
    const verdict = plausibility.verdict();
    expect([...verdict.unusableDoors].sort((a, b) => a - b)).toEqual([full, empty].sort((a, b) => a - b));
    // The stocked door reading empty takes the bank out of service; the unrecorded item only its door.
    expect(verdict.problems).toEqual([expect.stringMatching(new RegExp(`^Door ${full} should hold .+, but its item sensor reads empty`)) as unknown as string]);
    expect(verdict.notices).toEqual([expect.stringMatching(new RegExp(`^Door ${empty} should be empty, but its item sensor reads an item`)) as unknown as string]);
    expect(exceptionRows(db).map((e) => `${e.kind} ${e.subject}`).sort()).toEqual([`sensor-mismatch door:${empty}`, `sensor-mismatch door:${full}`].sort());
    // Put right (the item back in): plausible again.
    expect(plausibility.observe(truthful(stocked), new Set()).problems).toEqual([]);
  });

  it('every item sensor the wrong way round is the board setting: one bank exception, not one per door', () => {
    const { db, plausibility, stocked } = fresh();
    plausibility.observe(truthful(stocked).map((d) => ({ ...d, itemPresent: !d.itemPresent })), new Set());
    expect(plausibility.verdict().problems).toEqual([expect.stringMatching(/item-sensor polarity setting/) as unknown as string]);
    expect(exceptionRows(db).map((e) => e.kind)).toEqual(['sensor-implausible']);
  });
});

describe('doors that read open before their unlock', () => {
  it('a draw never picks a door it may not use, and takes the next door with the type', () => {
    const { db, core } = fresh();
    const officer = officerIdByCollar(db, 'PC 1234');
    const taser = assetTypeId(db, 'TASER7');
    const doorsWithTasers = db
      .prepare<[number], { number: number }>("SELECT d.number FROM assets a JOIN doors d ON d.id = a.door_id WHERE a.asset_type_id = ? AND a.status = 'available' ORDER BY d.number")
      .all(taser)
      .map((r) => r.number);
    expect(doorsWithTasers.length).toBeGreaterThanOrEqual(2);
    const [first, second] = doorsWithTasers;
    const begun = beginDraw(core.services, officer, taser, undefined, new Set([first!]));
    expect(begun.ok && begun.intent.doorNumber).toBe(second);
    // No Taser door usable: nothing is free, and nothing is committed.
    const none = beginDraw(core.services, officerIdByCollar(db, 'PC 6789'), taser, undefined, new Set(doorsWithTasers));
    expect(none.ok).toBe(false);
  });

  it('a door reading open while its intent waits for the unlock fails the intent and is reported; after the unlock it is the door opening', () => {
    const { db, core, stocked } = fresh();
    const { intents } = core.services;
    const officer = officerIdByCollar(db, 'PC 1234');
    const taser = assetTypeId(db, 'TASER7');
    const early = beginDraw(core.services, officer, taser);
    if (!early.ok) throw new Error(early.message);
    const reported: number[] = [];
    const door = early.intent.doorNumber;
    const [change] = intents.observe(truthful(stocked, { doorNumber: door, open: true }), (d) => reported.push(d));
    expect(change?.intent.state).toBe('failed');
    expect(change?.intent.outcome).toMatch(/read open before it was unlocked/);
    expect(reported).toEqual([door]);
    expect(db.prepare<[number], { status: string }>('SELECT status FROM assets WHERE id = ?').get(early.intent.assetId)).toEqual({ status: 'available' });

    const next = beginDraw(core.services, officer, taser);
    if (!next.ok) throw new Error(next.message);
    intents.unlockSent(next.intent.id);
    const [opened] = intents.observe(truthful(stocked, { doorNumber: next.intent.doorNumber, open: true }), (d) => reported.push(d));
    expect(opened?.intent.state).toBe('open');
    expect(reported).toEqual([door]);
  });
});

describe('what an officer is told when a door did not open', () => {
  it('keeps plain reasons, and never passes on a driver error, port or bus', () => {
    expect(plainDoorFailure('the door did not read open')).toBe('the door did not read open');
    expect(plainDoorFailure('door 4 read open before it was unlocked, so it was not used')).toBe('door 4 read open before it was unlocked, so it was not used');
    const raw = 'the unlock command could not be sent: locker bus bus-a is not connected (Error: cannot open /dev/ttyUSB0)';
    expect(plainDoorFailure(raw)).toBe('the lockers did not take the unlock command');
    expect(plainDoorFailure('The video event for ISSUE of T7-0001 could not be queued: EACCES /data/video-outbox')).toBe('the video recording could not be started');
    expect(plainDoorFailure(null)).toBeNull();
  });
});
