import { copyFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RefusalReason } from '../../../preload/contract.ts';
import { AuditLog } from '../../../main/core/audit.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import type { DoorSensors } from '../../../main/core/ports.ts';
import { RuleStore } from '../../../main/core/rules.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

// Due times are wall-clock times in the room; pin the zone so "07:00" means the same everywhere.
process.env.TZ = 'Europe/London';

let now = new Date('2026-11-21T10:00:00Z');
const clock = { now: () => now };
let dbPath: string;
let db: Db;
let doors: DoorCore;
let cleanup: () => void;

function open(path: string): { db: Db; doors: DoorCore } {
  const d = openDatabase(path);
  return { db: d, doors: doorCore(d, clock, { overridableRefusals: ['qualification-expired'] }) };
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

// Seeding hashes real PINs: seed once, then give each test its own copy of the file.
let dir: string;
let copies = 0;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  (await seededDb(join(dir, 'template.db'), new Date('2026-11-21T10:00:00Z'))).close();
});
afterAll(() => cleanup());
beforeEach(() => {
  now = new Date('2026-11-21T10:00:00Z');
  dbPath = join(dir, `doors-${++copies}.db`);
  copyFileSync(join(dir, 'template.db'), dbPath);
  ({ db, doors } = open(dbPath));
});
afterEach(() => {
  if (db.open) {
    expectConsistent(db);
    db.close();
  }
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

describe('rules and overrides', () => {
  const intentRow = (id: number) =>
    db.prepare<[number], { rule_version: number | null; override_id: number | null }>('SELECT rule_version, override_id FROM door_intents WHERE id = ?').get(id);
  const lastIntentAudit = () =>
    JSON.parse(db.prepare<[], { details: string }>("SELECT details FROM audit_log WHERE action = 'draw.intent' ORDER BY seq DESC LIMIT 1").get()?.details ?? '{}') as Record<string, unknown>;

  /** An armourer's override, as the kiosk records it: the refusal it was granted against, as JSON. */
  function grantOverride(officer: string, typeCode: string, refusal: Pick<RefusalReason, 'code'>[], createdAt = now): number {
    return Number(
      db
        .prepare(
          `INSERT INTO overrides (officer_id, armourer_id, asset_type_id, reason_code, note, refusal, rule_version, created_at)
           VALUES (?, ?, ?, 'REFRESHER-BOOKED', 'refresher passed on Tuesday', ?, 1, ?)`,
        )
        .run(officerIdByCollar(db, officer), officerIdByCollar(db, 'ARM 01'), assetTypeId(db, typeCode), JSON.stringify(refusal), createdAt.toISOString()).lastInsertRowid,
    );
  }

  /** Draw, and let the door open and close empty: the loan is made. */
  function drawAndTake(officer: string, typeCode: string): { loanId: number } {
    const begun = doors.beginDraw(officerIdByCollar(db, officer), assetTypeId(db, typeCode));
    if (!begun.ok) throw new Error(begun.message);
    doors.observe(sensors({ doorNumber: begun.intent.doorNumber, open: true, itemPresent: true }));
    const [done] = doors.observe(sensors({ doorNumber: begun.intent.doorNumber }));
    if (done?.intent.loanId == null) throw new Error('no loan');
    return { loanId: done.intent.loanId };
  }
  const dueOf = (loanId: number) => db.prepare<[number], { due_at: string | null }>('SELECT due_at FROM loans WHERE id = ?').get(loanId)?.due_at;

  it('records the rule version the draw was decided under, on the intent and in its audit row', () => {
    const alex = officerIdByCollar(db, 'PC 1234');
    const taser = assetTypeId(db, 'TASER7');
    const first = doors.beginDraw(alex, taser);
    if (!first.ok) throw new Error(first.message);
    expect(intentRow(first.intent.id)).toEqual({ rule_version: 1, override_id: null });
    expect(lastIntentAudit()).toMatchObject({ ruleVersion: 1, override: null });
    doors.fail(first.intent.id, 'test');

    new RuleStore(db, new AuditLog(db), clock).save(officerIdByCollar(db, 'ADM 01'), taser, {
      allOf: ['TASER'], anyOf: [], graceDays: 0, roles: [], units: [], maxLoanHours: 6, returnBy: null,
    });
    const second = doors.beginDraw(alex, taser);
    if (!second.ok) throw new Error(second.message);
    expect(intentRow(second.intent.id)?.rule_version).toBe(2);
  });

  it('an override lets an expired officer draw once, and is refused a second time', () => {
    const priya = officerIdByCollar(db, 'PC 2345');
    const taser = assetTypeId(db, 'TASER7');
    expect(doors.beginDraw(priya, taser)).toMatchObject({ ok: false, kind: 'refused' });
    const overrideId = grantOverride('PC 2345', 'TASER7', [{ code: 'qualification-expired' }]);

    const begun = doors.beginDraw(priya, taser, overrideId);
    if (!begun.ok) throw new Error(begun.message);
    expect(intentRow(begun.intent.id)).toEqual({ rule_version: 1, override_id: overrideId });
    expect(db.prepare('SELECT used_by_intent FROM overrides WHERE id = ?').get(overrideId)).toEqual({ used_by_intent: begun.intent.id });
    expect(lastIntentAudit()).toMatchObject({ ruleVersion: 1, override: overrideId });
    doors.fail(begun.intent.id, 'door jammed'); // even a draw that fails has spent the override

    const again = doors.beginDraw(priya, taser, overrideId);
    expect(again).toMatchObject({ ok: false, kind: 'forbidden' });
    expect(!again.ok && again.message).toMatch(/already been used/);
    expect(doors.activeIntents()).toEqual([]);
  });

  it('an override never covers a suspended officer, nor a reason it was not granted against', () => {
    const dan = officerIdByCollar(db, 'PS 4567'); // suspended, Taser in date
    const taser = assetTypeId(db, 'TASER7');
    // Even if the stored refusal names the suspension, policy does not let an armourer override it.
    const overrideId = grantOverride('PS 4567', 'TASER7', [{ code: 'officer-suspended' }]);
    const result = doors.beginDraw(dan, taser, overrideId);
    expect(result).toMatchObject({ ok: false, kind: 'refused', reasons: [expect.objectContaining({ code: 'officer-suspended' })] });
    expect(!result.ok && result.message).toBe('The override does not cover this: You are suspended from duty');
    expect(db.prepare('SELECT used_by_intent FROM overrides WHERE id = ?').get(overrideId)).toEqual({ used_by_intent: null });

    // Granted for an expired qualification; the officer has since been suspended.
    db.prepare("UPDATE officers SET status = 'suspended' WHERE id = ?").run(officerIdByCollar(db, 'PC 2345'));
    const expiredThenSuspended = grantOverride('PC 2345', 'TASER7', [{ code: 'qualification-expired' }]);
    expect(doors.beginDraw(officerIdByCollar(db, 'PC 2345'), taser, expiredThenSuspended)).toMatchObject({
      ok: false,
      kind: 'refused',
      reasons: [expect.objectContaining({ code: 'officer-suspended' })],
    });
  });

  it('refuses an override that is stale, for someone else, for another type, or unknown', () => {
    const priya = officerIdByCollar(db, 'PC 2345');
    const taser = assetTypeId(db, 'TASER7');
    const stale = grantOverride('PC 2345', 'TASER7', [{ code: 'qualification-expired' }], new Date(now.getTime() - 10 * 60_000 - 1000));
    expect(doors.beginDraw(priya, taser, stale)).toMatchObject({ ok: false, kind: 'forbidden', message: expect.stringMatching(/lapsed/) });
    const justInTime = grantOverride('PC 2345', 'TASER7', [{ code: 'qualification-expired' }], new Date(now.getTime() - 10 * 60_000));
    const theirs = grantOverride('PC 3456', 'TASER7', [{ code: 'qualification-expired' }]);
    expect(doors.beginDraw(priya, taser, theirs)).toMatchObject({ ok: false, kind: 'forbidden' });
    const otherType = grantOverride('PC 2345', 'G17', [{ code: 'qualification-missing' }]);
    expect(doors.beginDraw(priya, taser, otherType)).toMatchObject({ ok: false, kind: 'forbidden' });
    expect(doors.beginDraw(priya, taser, 9999)).toMatchObject({ ok: false, kind: 'forbidden' });
    expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'draw.override-rejected'").get()).toEqual({ n: 4 });
    expect(doors.beginDraw(priya, taser, justInTime).ok).toBe(true);
  });

  it('sets the loan due time from the rule: 12 hours for a Taser, by 07:00 for a pistol', () => {
    const taser = drawAndTake('PC 1234', 'TASER7');
    expect(dueOf(taser.loanId)).toBe('2026-11-21T22:00:00.000Z');
    now = new Date('2026-11-21T23:30:00Z'); // a night-shift draw: due at the end of the tour, not 24 h later
    const pistol = drawAndTake('ARM 01', 'G17');
    expect(dueOf(pistol.loanId)).toBe('2026-11-22T07:00:00.000Z');
    const radio = drawAndTake('PC 7890', 'RADIO'); // no deadline
    expect(dueOf(radio.loanId)).toBeNull();
  });

  it('a rule changed while the door is open does not change the due time of that draw', () => {
    const begun = doors.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    if (!begun.ok) throw new Error(begun.message);
    new RuleStore(db, new AuditLog(db), clock).save(officerIdByCollar(db, 'ADM 01'), assetTypeId(db, 'TASER7'), {
      allOf: ['TASER'], anyOf: [], graceDays: 0, roles: [], units: [], maxLoanHours: 2, returnBy: null,
    });
    doors.observe(sensors({ doorNumber: begun.intent.doorNumber, open: true, itemPresent: true }));
    const [done] = doors.observe(sensors({ doorNumber: begun.intent.doorNumber }));
    expect(dueOf(done?.intent.loanId ?? 0)).toBe('2026-11-21T22:00:00.000Z');
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
    const done = doors.completeReturn(begun.intent.id, 'discharged');
    expect(done?.intent.state).toBe('completed');
    const door13 = db.prepare<[], { id: number }>('SELECT id FROM doors WHERE number = 13').get()?.id;
    expect(asset(assetId)).toEqual({ status: 'quarantined', door_id: door13 });
    expect(db.prepare('SELECT return_condition FROM loans WHERE asset_id = ? ORDER BY id DESC').get(assetId)).toEqual({ return_condition: 'discharged' });
  });

  it('skips a door whose sensor reads occupied, and says so when no door is left', () => {
    const begun = doors.beginReturn(officerIdByCollar(db, 'PC 1234'), radioOfAlex(), new Set([13]));
    expect(begun.ok && begun.intent.doorNumber).toBe(14);
    doors.fail(begun.ok ? begun.intent.id : 0, 'test');
    // 15 and 16 hold the new laptops, so with 13 and 14 reading occupied every door is taken.
    expect(doors.beginReturn(officerIdByCollar(db, 'PC 1234'), radioOfAlex(), new Set([13, 14]))).toMatchObject({ ok: false, message: expect.stringMatching(/full/) });
  });

  it('takes a Taser back only to its own door, and says so when that door is not free', () => {
    const alex = officerIdByCollar(db, 'PC 1234');
    const drawn = doors.beginDraw(alex, assetTypeId(db, 'TASER7'));
    if (!drawn.ok) throw new Error(drawn.message);
    const home = drawn.intent.doorNumber;
    doors.observe(sensors({ doorNumber: home, open: true, itemPresent: true }));
    doors.observe(sensors({ doorNumber: home, itemPresent: false }));
    // Its door reads occupied (something left in it): not put in any other door instead.
    expect(doors.beginReturn(alex, drawn.intent.assetId, new Set([home]))).toMatchObject({ ok: false, kind: 'conflict', message: `Door ${home}, this Taser 7's own door, is not free. Hand the item to an armourer.` });
    const back = doors.beginReturn(alex, drawn.intent.assetId, new Set());
    expect(back.ok && back.intent.doorNumber).toBe(home);
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
