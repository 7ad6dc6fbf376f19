import { copyFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssetAdmin, type AssetAction } from '../../../main/core/asset-admin.ts';
import { AuditLog } from '../../../main/core/audit.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

process.env.TZ = 'Europe/London';

let now = new Date('2026-11-21T10:00:00Z');
const clock = { now: () => now };
let dir: string;
let cleanup: () => void;
let copies = 0;
let db: Db;
let audit: AuditLog;
let assets: AssetAdmin;
let armourer: number;

// Seeding hashes real PINs: seed once, then give each test its own copy of the file.
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  (await seededDb(join(dir, 'template.db'), now)).close();
});
afterAll(() => cleanup());
beforeEach(() => {
  now = new Date('2026-11-21T10:00:00Z');
  const path = join(dir, `assets-${++copies}.db`);
  copyFileSync(join(dir, 'template.db'), path);
  db = openDatabase(path);
  audit = new AuditLog(db);
  assets = new AssetAdmin(db, audit, clock);
  armourer = officerIdByCollar(db, 'ARM 01');
});
afterEach(() => {
  if (db.open) {
    expect(audit.verify().ok).toBe(true);
    db.close();
  }
});

interface AssetState {
  id: number;
  status: string;
  door: number | null;
}

function bySerial(serial: string): AssetState {
  const row = db
    .prepare<[string], AssetState>('SELECT a.id, a.status, d.number AS door FROM assets a LEFT JOIN doors d ON d.id = a.door_id WHERE a.serial = ?')
    .get(serial);
  if (!row) throw new Error(`no asset ${serial}`);
  return row;
}

function auditCount(): number {
  return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_log').get()?.n ?? 0;
}

function lastAudit(): { actor: string; action: string; subject: string; details: Record<string, unknown> } {
  const row = db.prepare<[], { actor: string; action: string; subject: string; details: string }>(
    "SELECT actor, action, subject, details FROM audit_log WHERE action LIKE 'asset.%' ORDER BY seq DESC LIMIT 1",
  ).get();
  if (!row) throw new Error('no asset audit row');
  return { ...row, details: JSON.parse(row.details) as Record<string, unknown> };
}

function exceptionsFor(subject: string, kind: string): { state: string; message: string }[] {
  return db.prepare<[string, string], { state: string; message: string }>('SELECT state, message FROM exceptions WHERE subject = ? AND kind = ?').all(subject, kind);
}

function doorTransactions(): DoorCore {
  return doorCore(db, clock);
}

// Seeded: T7-0001 available behind door 1; T7-0011 quarantined and T7-0012 in maintenance (both in
// the store); RAD-0006 available in the store; T7-0007 on loan to PC 3456 Tom Fletcher.
describe('allowed transitions', () => {
  const cases: { serial: string; action: AssetAction; from: string; to: string; door: number | null }[] = [
    { serial: 'T7-0001', action: 'quarantine', from: 'available', to: 'quarantined', door: 1 },
    { serial: 'T7-0001', action: 'maintenance', from: 'available', to: 'maintenance', door: 1 },
    { serial: 'RAD-0006', action: 'maintenance', from: 'available', to: 'maintenance', door: null },
    { serial: 'T7-0012', action: 'quarantine', from: 'maintenance', to: 'quarantined', door: null },
    { serial: 'T7-0011', action: 'maintenance', from: 'quarantined', to: 'maintenance', door: null },
    { serial: 'T7-0011', action: 'return-to-service', from: 'quarantined', to: 'available', door: null },
    { serial: 'T7-0012', action: 'return-to-service', from: 'maintenance', to: 'available', door: null },
    { serial: 'T7-0001', action: 'retire', from: 'available', to: 'retired', door: null },
    { serial: 'T7-0011', action: 'retire', from: 'quarantined', to: 'retired', door: null },
    { serial: 'T7-0012', action: 'retire', from: 'maintenance', to: 'retired', door: null },
  ];
  const auditActions: Record<AssetAction, string> = {
    quarantine: 'asset.quarantined',
    maintenance: 'asset.sent-to-maintenance',
    'return-to-service': 'asset.returned-to-service',
    retire: 'asset.retired',
  };

  it.each(cases)('$action: $serial $from -> $to', ({ serial, action, from, to, door }) => {
    const before = bySerial(serial);
    expect(before.status).toBe(from);
    const result = assets.action(armourer, before.id, action, '  checked by the armourer  ');
    expect(result).toEqual({ ok: true, value: { assetId: before.id, status: to } });
    expect(bySerial(serial)).toEqual({ id: before.id, status: to, door });
    expect(lastAudit()).toMatchObject({
      actor: `officer:${armourer}`,
      action: auditActions[action],
      subject: `asset:${before.id}`,
      details: { from, to, reason: 'checked by the armourer' },
    });
  });

  it('keeps the door through quarantine, maintenance and back to service, so the item can be drawn again', () => {
    const { id } = bySerial('T7-0001');
    expect(assets.action(armourer, id, 'quarantine', 'dropped on the range').ok).toBe(true);
    expect(assets.action(armourer, id, 'maintenance', 'sent for testing').ok).toBe(true);
    expect(assets.action(armourer, id, 'return-to-service', 'passed the function test').ok).toBe(true);
    expect(bySerial('T7-0001')).toEqual({ id, status: 'available', door: 1 });
    const draw = doorTransactions().beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    expect(draw.ok && draw.intent.assetId).toBe(id);
  });

  it('frees the door of a retired item and records which', () => {
    const { id } = bySerial('T7-0002');
    expect(assets.action(armourer, id, 'retire', 'end of service life').ok).toBe(true);
    expect(bySerial('T7-0002')).toEqual({ id, status: 'retired', door: null });
    expect(lastAudit().details).toMatchObject({ from: 'available', to: 'retired', door: 2, doorFreed: 2 });
  });
});

describe('refused transitions', () => {
  function expectRefused(serial: string, action: AssetAction, kind: string, ...words: string[]): void {
    expectRefusedWith('because I say so', serial, action, kind, ...words);
  }
  function expectRefusedWith(reason: string, serial: string, action: AssetAction, kind: string, ...words: string[]): void {
    const before = bySerial(serial);
    const rows = auditCount();
    const result = assets.action(armourer, before.id, action, reason);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe(kind);
    for (const word of words) expect(result.error.message).toContain(word);
    // Nothing moved and nothing was written.
    expect(bySerial(serial)).toEqual(before);
    expect(auditCount()).toBe(rows);
  }

  it.each<AssetAction>(['quarantine', 'maintenance', 'return-to-service', 'retire'])('%s of an item on loan names the holder', (action) => {
    expectRefused('T7-0007', action, 'conflict', 'T7-0007', 'on loan to PC 3456 Tom Fletcher', 'returned first');
  });

  it.each<AssetAction>(['quarantine', 'maintenance', 'return-to-service', 'retire'])('%s of an item being drawn', (action) => {
    const draw = doorTransactions().beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    if (!draw.ok) throw new Error(draw.message);
    expect(bySerial('T7-0001').status).toBe('issuing');
    expectRefused('T7-0001', action, 'conflict', 'being drawn');
  });

  it('any action on an item behind an active door intent, whatever its status says', () => {
    // Not a state the door transactions make for an available item; the guard holds regardless.
    const { id } = bySerial('T7-0003');
    const doorId = db.prepare<[number], { door_id: number }>('SELECT door_id FROM assets WHERE id = ?').get(id)?.door_id;
    db.prepare(
      "INSERT INTO door_intents (kind, door_id, asset_id, officer_id, state, created_at, updated_at) VALUES ('return', ?, ?, ?, 'open', ?, ?)",
    ).run(doorId, id, officerIdByCollar(db, 'PC 1234'), now.toISOString(), now.toISOString());
    for (const action of ['quarantine', 'maintenance', 'retire'] as const) expectRefused('T7-0003', action, 'conflict', 'Door 3 is open for a return');
  });

  it.each<AssetAction>(['quarantine', 'maintenance', 'return-to-service', 'retire'])('%s of a retired item: retirement is final', (action) => {
    const { id } = bySerial('RAD-0006');
    expect(assets.action(armourer, id, 'retire', 'written off').ok).toBe(true);
    expectRefused('RAD-0006', action, 'conflict', 'RAD-0006 is retired', 'final');
  });

  it('return to service of an item already in service', () => {
    expectRefused('T7-0001', 'return-to-service', 'conflict', 'is available', 'nothing to return to service');
  });

  it('an action that would leave the state as it is', () => {
    expectRefused('T7-0011', 'quarantine', 'conflict', 'already quarantined');
    expectRefused('T7-0012', 'maintenance', 'conflict', 'already in maintenance');
  });

  it('an unknown asset', () => {
    expect(assets.action(armourer, 99_999, 'quarantine', 'no such thing')).toEqual({ ok: false, error: { kind: 'not-found', message: 'There is no asset 99999.' } });
  });

  it('an action without a reason', () => {
    expectRefusedWith('  ', 'T7-0001', 'quarantine', 'invalid-request', 'Say why');
    expectRefusedWith('ok', 'T7-0001', 'quarantine', 'invalid-request', 'Say why');
  });
});

describe('quarantine exception', () => {
  it('is raised once, with the asset as its subject, in the same commit as the quarantine', () => {
    const { id } = bySerial('T7-0004');
    expect(assets.action(armourer, id, 'quarantine', 'cartridge bay cracked').ok).toBe(true);
    const raised = exceptionsFor(`asset:${id}`, 'quarantine');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ state: 'open' });
    expect(raised[0]?.message).toContain('T7-0004');
    expect(raised[0]?.message).toContain('ARM 01');
    expect(raised[0]?.message).toContain('cartridge bay cracked');

    // Refused a second time, and out and back in while the first is still open: still one.
    expect(assets.action(armourer, id, 'quarantine', 'again').ok).toBe(false);
    expect(assets.action(armourer, id, 'return-to-service', 'repaired').ok).toBe(true);
    expect(assets.action(armourer, id, 'quarantine', 'cracked again').ok).toBe(true);
    expect(exceptionsFor(`asset:${id}`, 'quarantine')).toHaveLength(1);
  });

  it('is not raised by the other actions', () => {
    const { id } = bySerial('T7-0005');
    expect(assets.action(armourer, id, 'maintenance', 'annual service').ok).toBe(true);
    expect(assets.action(armourer, id, 'retire', 'beyond repair').ok).toBe(true);
    expect(db.prepare('SELECT count(*) AS n FROM exceptions').get()).toEqual({ n: 0 });
  });
});

describe('register', () => {
  it('adds an available item in the store, audited', () => {
    const result = assets.register(armourer, { assetTypeId: assetTypeId(db, 'BWC'), serial: ' BWC-0099 ', tag: 'AKBWC0099' });
    if (!result.ok) throw new Error(result.error.message);
    expect(bySerial('BWC-0099')).toEqual({ id: result.value.assetId, status: 'available', door: null });
    expect(lastAudit()).toMatchObject({
      actor: `officer:${armourer}`,
      action: 'asset.registered',
      subject: `asset:${result.value.assetId}`,
      details: { assetType: 'Body-worn camera', serial: 'BWC-0099', tag: 'AKBWC0099' },
    });
  });

  it.each([
    { serial: 'T7-0001', tag: 'AKNEW0001', says: 'serial number T7-0001' },
    { serial: 'T7-9999', tag: 'AKT70001', says: 'tag AKT70001' },
    { serial: 'T7-0001', tag: 'AKT70001', says: 'serial number T7-0001 and tag AKT70001' },
  ])('refuses a duplicate: $says', ({ serial, tag, says }) => {
    const rows = auditCount();
    const count = db.prepare('SELECT count(*) AS n FROM assets').get();
    const result = assets.register(armourer, { assetTypeId: assetTypeId(db, 'TASER7'), serial, tag });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe('conflict');
    expect(result.error.message).toContain(says);
    expect(db.prepare('SELECT count(*) AS n FROM assets').get()).toEqual(count);
    expect(auditCount()).toBe(rows);
  });

  it('refuses an unknown asset type', () => {
    const result = assets.register(armourer, { assetTypeId: 99_999, serial: 'X-1', tag: 'X1' });
    expect(result.ok || result.error.kind).toBe('not-found');
  });
});
