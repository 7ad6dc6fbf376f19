import { copyFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StockCheckView } from '../../../preload/contract.ts';
import { AssetAdmin } from '../../../main/core/asset-admin.ts';
import { AuditLog } from '../../../main/core/audit.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { doorCore } from '../../helpers/door-core.ts';
import type { DoorSensors } from '../../../main/core/ports.ts';
import { StockChecks } from '../../../main/core/stock-check.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

process.env.TZ = 'Europe/London';

let now = new Date('2026-11-21T10:00:00Z');
const clock = { now: () => now };
let dir: string;
let cleanup: () => void;
let copies = 0;
let db: Db;
let audit: AuditLog;
let stock: StockChecks;
let armourer: number;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  (await seededDb(join(dir, 'template.db'), now)).close();
});
afterAll(() => cleanup());
beforeEach(() => {
  now = new Date('2026-11-21T10:00:00Z');
  const path = join(dir, `stock-${++copies}.db`);
  copyFileSync(join(dir, 'template.db'), path);
  db = openDatabase(path);
  audit = new AuditLog(db);
  stock = new StockChecks(db, audit, clock);
  armourer = officerIdByCollar(db, 'ARM 01');
});
afterEach(() => {
  if (db.open) {
    expect(audit.verify().ok).toBe(true);
    db.close();
  }
});

function later(seconds: number): void {
  now = new Date(now.getTime() + seconds * 1000);
}

function value<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** Tags of every item the database says is in the armoury (lockers or store). */
function expectedTags(): string[] {
  return db
    .prepare<[], { tag: string }>("SELECT tag FROM assets WHERE status IN ('available', 'quarantined', 'maintenance') ORDER BY tag")
    .all()
    .map((r) => r.tag);
}

function tagsOf(view: StockCheckView): { missing: string[]; unexpected: string[] } {
  return { missing: view.missing.map((m) => m.tag).sort(), unexpected: view.unexpected.map((u) => u.tag).sort() };
}

function wrongItems(): { subject: string; message: string }[] {
  return db.prepare<[], { subject: string; message: string }>("SELECT subject, message FROM exceptions WHERE kind = 'wrong-item' ORDER BY id").all();
}

function assetId(serial: string): number {
  const row = db.prepare<[string], { id: number }>('SELECT id FROM assets WHERE serial = ?').get(serial);
  if (!row) throw new Error(`no asset ${serial}`);
  return row.id;
}

describe('with no check running', () => {
  it('is inactive, has no view, ignores scans and refuses to finish', () => {
    expect(stock.active()).toBe(false);
    expect(stock.current()).toBeNull();
    stock.scan('AKT70001');
    expect(db.prepare('SELECT count(*) AS n FROM stock_check_scans').get()).toEqual({ n: 0 });
    expect(stock.finish(armourer)).toEqual({ ok: false, error: { kind: 'conflict', message: 'No stock check is running.' } });
  });
});

describe('a stock check', () => {
  it('starts with everything expected missing, and only one runs at a time', () => {
    const view = value(stock.start(armourer));
    expect(view).toMatchObject({ startedAt: now.toISOString(), finishedAt: null, scanned: 0, unexpected: [] });
    expect(tagsOf(view).missing).toEqual(expectedTags());
    // The demo's lockers, quarantine, maintenance and store items are all expected.
    expect(view.missing.find((m) => m.tag === 'AKT70011')).toMatchObject({ serial: 'T7-0011', status: 'quarantined', assetTypeName: 'Taser 7' });
    expect(view.missing.find((m) => m.tag === 'AKG170004')?.status).toBe('maintenance');
    expect(view.missing.find((m) => m.tag === 'AKRAD0006')?.status).toBe('available');
    expect(view.missing.some((m) => m.tag === 'AKT70007')).toBe(false); // on loan
    expect(stock.active()).toBe(true);
    expect(stock.current()).toEqual(view);

    const again = stock.start(officerIdByCollar(db, 'ARM 02'));
    expect(again.ok).toBe(false);
    if (!again.ok) {
      expect(again.error.kind).toBe('conflict');
      expect(again.error.message).toContain('already running');
      expect(again.error.message).toContain('ARM 01 Jo Evans');
    }
    expect(db.prepare('SELECT count(*) AS n FROM stock_checks').get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT action FROM audit_log WHERE action LIKE 'stock.%'").all()).toEqual([{ action: 'stock.started' }]);
  });

  it('is one-at-a-time in the schema too, not only in code', () => {
    value(stock.start(armourer));
    expect(() => db.prepare('INSERT INTO stock_checks (started_by, started_at) VALUES (?, ?)').run(armourer, now.toISOString())).toThrow(/UNIQUE/);
  });

  it('sorts scans into present, missing and unexpected, live and at the finish', () => {
    const started = value(stock.start(armourer));
    const present = expectedTags().filter((t) => t !== 'AKT70002' && t !== 'AKRAD0007');
    for (const tag of present) {
      later(2);
      stock.scan(tag);
    }
    later(2);
    stock.scan('AKT70001'); // again: ignored
    stock.scan(' AKT70003\r\n'); // again, with a scanner's line ending: ignored
    stock.scan('ZZ-UNKNOWN-1'); // unknown
    stock.scan('ZZ-UNKNOWN-1');
    stock.scan('AKT70007'); // on loan to PC 3456 Tom Fletcher
    stock.scan(''); // nothing read
    stock.scan('   ');

    const live = stock.current();
    if (!live) throw new Error('no live view');
    expect(live).toMatchObject({ id: started.id, finishedAt: null, scanned: present.length + 2 });
    expect(tagsOf(live)).toEqual({ missing: ['AKRAD0007', 'AKT70002'], unexpected: ['AKT70007', 'ZZ-UNKNOWN-1'] });
    expect(live.unexpected.find((u) => u.tag === 'ZZ-UNKNOWN-1')).toMatchObject({ assetTypeName: null, serial: null });
    expect(live.unexpected.find((u) => u.tag === 'ZZ-UNKNOWN-1')?.why).toContain('not registered');
    expect(live.unexpected.find((u) => u.tag === 'AKT70007')).toMatchObject({ assetTypeName: 'Taser 7', serial: 'T7-0007' });
    expect(live.unexpected.find((u) => u.tag === 'AKT70007')?.why).toContain('on loan to PC 3456 Tom Fletcher');
    // Nothing is raised while the check is still running: the armourer may yet find the rest.
    expect(wrongItems()).toEqual([]);

    later(60);
    const finished = value(stock.finish(officerIdByCollar(db, 'ARM 02')));
    expect(finished).toEqual({ ...live, finishedAt: now.toISOString() });
    expect(stock.active()).toBe(false);
    expect(stock.current()).toBeNull();
    expect(db.prepare('SELECT finished_by, finished_at FROM stock_checks WHERE id = ?').get(started.id)).toEqual({
      finished_by: officerIdByCollar(db, 'ARM 02'),
      finished_at: now.toISOString(),
    });

    const row = db.prepare<[], { actor: string; subject: string; details: string }>("SELECT actor, subject, details FROM audit_log WHERE action = 'stock.checked'").get();
    expect(row).toMatchObject({ actor: `officer:${officerIdByCollar(db, 'ARM 02')}`, subject: `stock-check:${started.id}` });
    expect(JSON.parse(row?.details ?? '{}')).toMatchObject({ scanned: present.length + 2, missing: 2, unexpected: 2, missingTags: ['AKRAD0007', 'AKT70002'] });

    // One wrong-item exception per stray tag.
    const raised = wrongItems();
    expect(raised.map((e) => e.subject).sort()).toEqual([`asset:${assetId('T7-0007')}`, 'tag:ZZ-UNKNOWN-1']);
    expect(raised.find((e) => e.subject === 'tag:ZZ-UNKNOWN-1')?.message).toContain(`Stock check ${started.id}`);
    expect(raised.find((e) => e.subject.startsWith('asset:'))?.message).toContain('PC 3456');

    // Finished is finished: scans go nowhere, a second finish is refused, a new check may start.
    stock.scan('AKT70002');
    expect(db.prepare('SELECT count(*) AS n FROM stock_check_scans WHERE tag = ?').get('AKT70002')).toEqual({ n: 0 });
    expect(stock.finish(armourer).ok).toBe(false);
    const next = value(stock.start(armourer));
    expect(next.id).not.toBe(started.id);
    expect(next.scanned).toBe(0);
  });

  it('reports retired and issuing items as unexpected, but raises wrong-item only for unknown and on-loan ones', () => {
    const admin = new AssetAdmin(db, audit, clock);
    value(admin.action(armourer, assetId('RAD-0006'), 'retire', 'written off'));
    const doors = doorCore(db, clock);
    const draw = doors.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    if (!draw.ok) throw new Error(draw.message);

    value(stock.start(armourer));
    stock.scan('AKRAD0006');
    stock.scan('AKT70001'); // the one being drawn, behind door 1
    const view = value(stock.finish(armourer));
    expect(view.unexpected.find((u) => u.tag === 'AKRAD0006')?.why).toContain('retired');
    expect(view.unexpected.find((u) => u.tag === 'AKT70001')?.why).toContain('door 1');
    // Neither retired nor issuing items are expected, so they are never missing either.
    expect(view.missing.some((m) => m.tag === 'AKRAD0006' || m.tag === 'AKT70001')).toBe(false);
    expect(wrongItems()).toEqual([]);
  });

  it('counts an item scanned and then drawn during the check as present, not unexpected', () => {
    const doors = doorCore(db, clock);
    value(stock.start(armourer));
    stock.scan('AKT70001');
    later(30);
    const draw = doors.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    if (!draw.ok) throw new Error(draw.message);
    // The officer opens door 1 and takes the item.
    const door1 = (open: boolean): DoorSensors[] => [{ doorNumber: 1, open, itemPresent: false }];
    doors.observe(door1(true));
    later(5);
    doors.observe(door1(false));
    expect(db.prepare("SELECT status FROM assets WHERE tag = 'AKT70001'").get()).toEqual({ status: 'on-loan' });

    const view = value(stock.finish(armourer));
    expect(view.unexpected).toEqual([]);
    expect(view.missing.some((m) => m.tag === 'AKT70001')).toBe(false);
    expect(wrongItems()).toEqual([]);
  });

  it('does not raise a second wrong-item exception for a tag whose first is still open', () => {
    value(stock.start(armourer));
    stock.scan('ZZ-UNKNOWN-2');
    value(stock.finish(armourer));
    value(stock.start(armourer));
    stock.scan('ZZ-UNKNOWN-2');
    value(stock.finish(armourer));
    expect(wrongItems()).toHaveLength(1);
  });

  it('never throws from a scan, even when the database is gone', () => {
    value(stock.start(armourer));
    expect(audit.verify().ok).toBe(true);
    db.close();
    expect(() => stock.scan('AKT70001')).not.toThrow();
  });
});
