import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../main/core/audit.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { ensureLockerBank, type DoorSpec } from '../../../main/core/demo-seed.ts';
import { DoorIntents } from '../../../main/core/door-intents.ts';
import { Records } from '../../../main/core/records.ts';
import { join, tempDir } from '../../helpers/temp-db.ts';

/**
 * Which door an item going in takes (migration 14): the smallest free door that fits it and may
 * hold it, a door kept for its purpose before a door that holds anything, then the lowest number.
 */

const NOW = new Date('2026-11-21T10:00:00Z');
let db: Db;
let cleanup: () => void;
let intents: DoorIntents;
let records: Records;
let bankId: number;

const LAYOUT: DoorSpec[] = [
  { number: 1, size: 'S' },
  { number: 2, size: 'M' },
  { number: 3, size: 'L' },
  { number: 4, size: 'XL' },
  { number: 5, size: 'M', holds: 'weapons' },
  { number: 6, size: 'M', holds: 'equipment' },
  { number: 7, size: 'S', holds: 'exhibits' },
];

beforeEach(() => {
  let dir: string;
  ({ dir, cleanup } = tempDir('armoury-door-choice-'));
  db = openDatabase(join(dir, 'armoury.db'));
  bankId = ensureLockerBank(db, 'Test bank', LAYOUT, NOW);
  intents = new DoorIntents(db, new AuditLog(db), { now: () => NOW }, bankId);
  records = new Records(db);
  db.exec(`INSERT INTO asset_types (id, code, name, category, size_class) VALUES
    (1, 'RAD', 'Radio', 'radio', 'S'), (2, 'LT', 'Laptop', 'laptop', 'M'), (3, 'RIOT', 'Riot shield', 'ppe', 'XL'), (4, 'T7', 'Taser 7', 'taser', 'M')`);
});
afterEach(() => {
  db.close();
  cleanup();
});

const fitOf = (typeId: number) => records.doorFit(typeId);
const chosen = (typeId: number, occupied: number[] = []) => intents.freeDoorFor(fitOf(typeId), new Set(occupied))?.number;
const fill = (doorNumber: number, serial: string) =>
  db.prepare("INSERT INTO assets (serial, tag, asset_type_id, status, door_id, updated_at) VALUES (?, ?, 1, 'available', (SELECT id FROM doors WHERE bank_id = ? AND number = ?), ?)").run(serial, `TAG-${serial}`, bankId, doorNumber, NOW.toISOString());

describe('the door an item going in takes', () => {
  it('is what the type needs: its size class, and weapons apart from other kit', () => {
    expect(fitOf(1)).toEqual({ sizeRank: 1, purpose: 'equipment' });
    expect(fitOf(3)).toEqual({ sizeRank: 4, purpose: 'equipment' });
    expect(fitOf(4)).toEqual({ sizeRank: 2, purpose: 'weapons' });
  });

  it('is the smallest free door that fits, then the next size up, and none when nothing big enough is free', () => {
    expect(chosen(1)).toBe(1);
    fill(1, 'R1');
    // Door 7 is small too, but holds exhibits only; door 6 is kept for equipment, so it comes before door 2.
    expect(chosen(1)).toBe(6);
    fill(6, 'R2');
    expect(chosen(1)).toBe(2);
    fill(2, 'R3');
    expect(chosen(1)).toBe(3);
    expect(chosen(3)).toBe(4);
    fill(4, 'R4');
    expect(chosen(3)).toBeUndefined();
  });

  it('keeps weapons out of equipment doors and equipment out of weapon doors', () => {
    expect(chosen(4)).toBe(5);
    fill(5, 'T1');
    expect(chosen(4)).toBe(2);
    expect(chosen(2)).toBe(6);
  });

  it('passes over doors whose sensors read occupied, or that a door intent holds', () => {
    expect(chosen(2, [6])).toBe(2);
    expect(chosen(2, [6, 2])).toBe(3);
    db.prepare("INSERT INTO officers (id, collar_number, display_name, status, created_at) VALUES (1, 'PC 1', 'Test Officer', 'active', ?)").run(NOW.toISOString());
    db.prepare("INSERT INTO assets (id, serial, tag, asset_type_id, status, door_id, updated_at) VALUES (99, 'LT-99', 'TAG-99', 2, 'on-loan', NULL, ?)").run(NOW.toISOString());
    db.prepare("INSERT INTO door_intents (kind, door_id, asset_id, officer_id, state, created_at, updated_at) VALUES ('return', (SELECT id FROM doors WHERE number = 6), 99, 1, 'pending', ?, ?)").run(NOW.toISOString(), NOW.toISOString());
    expect(chosen(2)).toBe(2);
  });

  it('follows the layout when it changes, and the audit log says what changed', () => {
    ensureLockerBank(db, 'Test bank', [...LAYOUT.filter((d) => d.number !== 1), { number: 1, size: 'L', holds: 'equipment' }], NOW);
    expect(chosen(1)).toBe(6);
    const row = db.prepare<[], { details: string }>("SELECT details FROM audit_log WHERE action = 'bank.doors-changed'").get();
    expect(JSON.parse(row?.details ?? '{}')).toEqual({ changes: ['door 1: S, any → L, equipment'] });
  });

  it('names the banks of a room with several, and audits a door moved between them', () => {
    expect(records.namedBanks(bankId)).toEqual([]);
    const named = LAYOUT.map((d) => ({ ...d, bank: d.number <= 4 ? 'Stores lockers' : 'Exhibit lockers' }));
    ensureLockerBank(db, 'Test bank', named, NOW);
    expect(records.namedBanks(bankId)).toEqual([
      { name: 'Exhibit lockers', doors: [5, 6, 7] },
      { name: 'Stores lockers', doors: [1, 2, 3, 4] },
    ]);
    ensureLockerBank(db, 'Test bank', named.map((d) => (d.number === 4 ? { ...d, bank: 'Exhibit lockers' } : d)), NOW);
    const rows = db.prepare<[], { details: string }>("SELECT details FROM audit_log WHERE action = 'bank.doors-changed' ORDER BY seq").all();
    expect(JSON.parse(rows.at(-1)?.details ?? '{}')).toEqual({ changes: ['door 4: XL, any, in Stores lockers → XL, any, in Exhibit lockers'] });
  });

  it("gives a weapon the first door it is put in as its own, and says whether that door is free", () => {
    db.prepare("INSERT INTO assets (id, serial, tag, asset_type_id, status, door_id, updated_at) VALUES (50, 'T7-50', 'TAG-T7-50', 4, 'available', (SELECT id FROM doors WHERE number = 5), ?)").run(NOW.toISOString());
    db.prepare("INSERT INTO assets (id, serial, tag, asset_type_id, status, door_id, updated_at) VALUES (51, 'RAD-51', 'TAG-RAD-51', 1, 'available', (SELECT id FROM doors WHERE number = 1), ?)").run(NOW.toISOString());
    // Kit has no door of its own.
    expect(intents.homeDoorOf(51, new Set())).toBeUndefined();
    expect(intents.homeDoorOf(50, new Set())).toMatchObject({ number: 5, free: false });
    db.prepare("UPDATE assets SET door_id = NULL, status = 'on-loan' WHERE id = 50").run();
    expect(intents.homeDoorOf(50, new Set())).toMatchObject({ number: 5, free: true });
    expect(intents.homeDoorOf(50, new Set([5]))).toMatchObject({ number: 5, free: false });
    // Put back in another door by hand, it keeps its own.
    db.prepare("UPDATE assets SET door_id = (SELECT id FROM doors WHERE number = 2), status = 'available' WHERE id = 50").run();
    db.prepare("UPDATE assets SET door_id = NULL, status = 'on-loan' WHERE id = 50").run();
    expect(intents.homeDoorOf(50, new Set())).toMatchObject({ number: 5, free: true });
  });
});
