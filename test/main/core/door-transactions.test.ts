import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../main/core/audit.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { bankIdByName } from '../../../main/core/demo-seed.ts';
import { DoorTransactions } from '../../../main/core/door-transactions.ts';
import { Eligibility } from '../../../main/core/eligibility.ts';
import type { DoorSensors } from '../../../main/core/ports.ts';
import { Records } from '../../../main/core/records.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

const now = new Date('2026-11-21T10:00:00Z');
const clock = { now: () => now };
let dbPath: string;
let db: Db;
let doors: DoorTransactions;
let cleanup: () => void;

function open(path: string): { db: Db; doors: DoorTransactions } {
  const d = openDatabase(path);
  const records = new Records(d);
  const bankId = bankIdByName(d, 'Locker bank A');
  if (bankId === undefined) throw new Error('no bank');
  return { db: d, doors: new DoorTransactions(d, new AuditLog(d), clock, new Eligibility(records, clock, 30), bankId) };
}

/** Sensors for every door: closed and empty unless listed. */
function sensors(...overrides: Partial<DoorSensors & { doorNumber: number }>[]): DoorSensors[] {
  return Array.from({ length: 16 }, (_v, i) => {
    const o = overrides.find((x) => x.doorNumber === i + 1);
    return { doorNumber: i + 1, open: o?.open ?? false, itemPresent: o?.itemPresent ?? false };
  });
}

function asset(id: number) {
  return db.prepare<[number], { status: string; door_id: number | null }>('SELECT status, door_id FROM assets WHERE id = ?').get(id);
}

/** No asset is ever in two states: loans and asset status agree everywhere. */
function expectConsistent(d: Db): void {
  const bad = d
    .prepare(
      `SELECT a.id, a.status, (SELECT count(*) FROM loans l WHERE l.asset_id = a.id AND l.returned_at IS NULL) AS open_loans
         FROM assets a
        WHERE (a.status = 'on-loan') != ((SELECT count(*) FROM loans l WHERE l.asset_id = a.id AND l.returned_at IS NULL) = 1)
           OR (a.status = 'on-loan' AND a.door_id IS NOT NULL)`,
    )
    .all();
  expect(bad).toEqual([]);
  expect(new AuditLog(d).verify().ok).toBe(true);
}

beforeEach(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  dbPath = join(t.dir, 'doors.db');
  (await seededDb(dbPath, now)).close();
  ({ db, doors } = open(dbPath));
});
afterEach(() => {
  if (db.open) {
    expectConsistent(db);
    db.close();
  }
  cleanup();
});

describe('draw', () => {
  it('commits the intent before the door, then the loan when the door closes empty', () => {
    const alex = officerIdByCollar(db, 'PC 1234');
    const begun = doors.beginDraw(alex, assetTypeId(db, 'TASER7'));
    if (!begun.ok) throw new Error(begun.message);
    const { intent } = begun;
    expect(intent).toMatchObject({ kind: 'draw', state: 'pending', doorNumber: 1, officerId: alex });
    expect(asset(intent.assetId)?.status).toBe('issuing');

    expect(doors.observe(sensors({ doorNumber: 1, open: true, itemPresent: true }))).toHaveLength(1);
    expect(doors.intent(intent.id)?.state).toBe('open');
    // The same reading again changes nothing.
    expect(doors.observe(sensors({ doorNumber: 1, open: true, itemPresent: true }))).toHaveLength(0);

    const [closed] = doors.observe(sensors({ doorNumber: 1, open: false, itemPresent: false }));
    expect(closed?.intent.state).toBe('completed');
    expect(asset(intent.assetId)).toEqual({ status: 'on-loan', door_id: null });
    const loan = db.prepare('SELECT officer_id, returned_at FROM loans WHERE asset_id = ? AND returned_at IS NULL').get(intent.assetId);
    expect(loan).toEqual({ officer_id: alex, returned_at: null });
    const actions = db.prepare<[], { action: string }>('SELECT action FROM audit_log ORDER BY seq DESC LIMIT 3').all().map((r) => r.action);
    expect(actions).toEqual(['draw.completed', 'door.opened', 'draw.intent']);
  });

  it('issues nothing when the door closes with the item still inside', () => {
    const begun = doors.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    if (!begun.ok) throw new Error(begun.message);
    doors.observe(sensors({ doorNumber: 1, open: true, itemPresent: true }));
    const [change] = doors.observe(sensors({ doorNumber: 1, itemPresent: true }));
    expect(change?.intent.state).toBe('cancelled');
    expect(asset(begun.intent.assetId)?.status).toBe('available');
  });

  it('refuses an expired officer with the reason, audited, and opens nothing', () => {
    const result = doors.beginDraw(officerIdByCollar(db, 'PC 2345'), assetTypeId(db, 'TASER7'));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.kind).toBe('refused');
      expect(result.reasons?.[0]?.code).toBe('qualification-expired');
      expect(result.message).toMatch(/^Taser refresher expired \d+ \w{3} \d{4}$/);
    }
    expect(doors.activeIntents()).toEqual([]);
    expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'draw.refused'").get()).toEqual({ n: 1 });
  });

  it('does not offer the same door twice while an intent is active', () => {
    const a = doors.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    const b = doors.beginDraw(officerIdByCollar(db, 'ARM 01'), assetTypeId(db, 'TASER7'));
    expect(a.ok && b.ok && a.intent.doorNumber !== b.intent.doorNumber).toBe(true);
  });

  it('a door that never opens fails the intent and frees the item', () => {
    const begun = doors.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    if (!begun.ok) throw new Error(begun.message);
    expect(doors.fail(begun.intent.id, 'no answer')?.intent.state).toBe('failed');
    expect(asset(begun.intent.assetId)?.status).toBe('available');
    expect(doors.fail(begun.intent.id, 'again')).toBeUndefined();
  });
});

describe('return', () => {
  function radioOfAlex(): number {
    const row = db.prepare<[], { asset_id: number }>(
      "SELECT l.asset_id FROM loans l JOIN officers o ON o.id = l.officer_id WHERE o.collar_number = 'PC 1234' AND l.returned_at IS NULL",
    ).get();
    if (!row) throw new Error('PC 1234 holds nothing');
    return row.asset_id;
  }

  it('opens a free door, waits for the item, then settles loan and asset on the condition', () => {
    const alex = officerIdByCollar(db, 'PC 1234');
    const assetId = radioOfAlex();
    const begun = doors.beginReturn(alex, assetId, new Set());
    if (!begun.ok) throw new Error(begun.message);
    expect(begun.intent.doorNumber).toBe(13); // first door with no asset recorded
    doors.observe(sensors({ doorNumber: 13, open: true }));
    const [inside] = doors.observe(sensors({ doorNumber: 13, itemPresent: true }));
    expect(inside?.intent.state).toBe('closed');
    expect(asset(assetId)?.status).toBe('on-loan'); // not returned until the condition is given
    const done = doors.completeReturn(begun.intent.id, 'discharged', 'officer');
    expect(done?.intent.state).toBe('completed');
    const door13 = db.prepare<[], { id: number }>('SELECT id FROM doors WHERE number = 13').get()?.id;
    expect(asset(assetId)).toEqual({ status: 'quarantined', door_id: door13 });
    expect(db.prepare('SELECT return_condition FROM loans WHERE asset_id = ? ORDER BY id DESC').get(assetId)).toEqual({ return_condition: 'discharged' });
  });

  it('skips a door whose sensor reads occupied', () => {
    const begun = doors.beginReturn(officerIdByCollar(db, 'PC 1234'), radioOfAlex(), new Set([13, 14]));
    expect(begun.ok && begun.intent.doorNumber).toBe(15);
  });

  it("refuses someone else's item", () => {
    const result = doors.beginReturn(officerIdByCollar(db, 'PC 6789'), radioOfAlex(), new Set());
    expect(result).toMatchObject({ ok: false, kind: 'refused' });
  });

  it('keeps the loan open when the door closes without the item', () => {
    const assetId = radioOfAlex();
    const begun = doors.beginReturn(officerIdByCollar(db, 'PC 1234'), assetId, new Set());
    if (!begun.ok) throw new Error(begun.message);
    doors.observe(sensors({ doorNumber: 13, open: true }));
    expect(doors.observe(sensors())[0]?.intent.state).toBe('cancelled');
    expect(asset(assetId)?.status).toBe('on-loan');
  });
});

describe('crash recovery', () => {
  it('a draw interrupted after its intent is settled from the sensors at the next start', () => {
    const begun = doors.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    if (!begun.ok) throw new Error(begun.message);
    db.close(); // the process dies with the intent committed and the door unknown
    ({ db, doors } = open(dbPath));
    const [change] = doors.reconcile(sensors()); // found closed and empty: the officer took it
    expect(change?.intent.state).toBe('completed');
    expect(asset(begun.intent.assetId)?.status).toBe('on-loan');
  });

  it('a draw whose door is still open at start-up stays tracked', () => {
    const begun = doors.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    if (!begun.ok) throw new Error(begun.message);
    db.close();
    ({ db, doors } = open(dbPath));
    doors.reconcile(sensors({ doorNumber: 1, open: true, itemPresent: true }));
    expect(doors.intent(begun.intent.id)?.state).toBe('open');
    doors.observe(sensors({ doorNumber: 1, itemPresent: true }));
    expect(asset(begun.intent.assetId)?.status).toBe('available');
  });

  it('a return left without a condition is completed into quarantine', () => {
    const row = db.prepare<[], { asset_id: number; officer_id: number }>('SELECT asset_id, officer_id FROM loans WHERE returned_at IS NULL LIMIT 1').get();
    if (!row) throw new Error('no loans');
    const begun = doors.beginReturn(row.officer_id, row.asset_id, new Set());
    if (!begun.ok) throw new Error(begun.message);
    doors.observe(sensors({ doorNumber: begun.intent.doorNumber, open: true }));
    doors.observe(sensors({ doorNumber: begun.intent.doorNumber, itemPresent: true }));
    db.close();
    ({ db, doors } = open(dbPath));
    const [change] = doors.reconcile(sensors({ doorNumber: begun.intent.doorNumber, itemPresent: true }));
    expect(change?.intent.state).toBe('completed');
    expect(asset(row.asset_id)?.status).toBe('quarantined');
    expect(db.prepare('SELECT return_condition FROM loans WHERE asset_id = ? ORDER BY id DESC').get(row.asset_id)).toEqual({ return_condition: 'not-recorded' });
  });
});

describe('fast hands', () => {
  it('a door opened and shut between two polls is settled by the item sensor', () => {
    const begun = doors.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    if (!begun.ok) throw new Error(begun.message);
    // Closed with the item still in: nothing happened yet.
    expect(doors.observe(sensors({ doorNumber: 1, itemPresent: true }))).toEqual([]);
    // Closed and empty without ever reading open: the item was taken.
    expect(doors.observe(sensors())[0]?.intent.state).toBe('completed');
    expect(asset(begun.intent.assetId)?.status).toBe('on-loan');
  });
});
