import { copyFileSync } from 'node:fs';
import { seededRandom } from '../../helpers/seeded-random.ts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BoardEntry, MobilisationView, RuleView } from '../../../preload/contract.ts';
import { addDays } from '../../../main/core/dates.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import type { DoorSensors } from '../../../main/core/ports.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

// Dates are the room's local time: pin the zone so midnight means the same everywhere.
process.env.TZ = 'Europe/London';

const SEEDED_AT = new Date('2026-11-21T10:00:00Z');
const TODAY = '2026-11-21';
/** Officers added to the demo site's eleven, with every mix of status, unit, role and record. */
const VARIED = 300;
const UNITS = [null, 'TSG', ' tsg ', 'Lambeth Response', 'lambeth response', 'Armed Response', 'Ärmed Response'];

let now = SEEDED_AT;
const clock = { now: () => now };
const at = (local: string) => new Date(local);

let dir: string;
let cleanup: () => void;
let copies = 0;
let db: Db;
let core: DoorCore;


/**
 * The varied force: statuses, units (case and spacing as people type them, one non-ASCII),
 * roles, and records of every qualification whose last valid days cluster around today, so
 * days moving on lapse some; a few with no end. A second Taser type with no stored rule (its
 * requirements decide it) allows two per officer. Some officers already hold items.
 */
function addVariedForce(target: Db): void {
  const next = seededRandom(2026);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const qualification = (code: string) => target.prepare<[string], { id: number }>('SELECT id FROM qualifications WHERE code = ?').get(code)?.id as number;
  const codes = ['TASER', 'AFO', 'BWV'];
  target.transaction(() => {
    const taser10 = Number(
      target.prepare("INSERT INTO asset_types (code, name, category, max_per_officer) VALUES ('TASER10', 'Taser 10', 'taser', 2)").run().lastInsertRowid,
    );
    target.prepare('INSERT INTO asset_type_requirements (asset_type_id, qualification_id) VALUES (?, ?)').run(taser10, qualification('TASER'));
    const insertOfficer = target.prepare<[string, string, string, string | null]>(
      "INSERT INTO officers (collar_number, display_name, status, unit, created_at) VALUES (?, ?, ?, ?, '2026-01-01T00:00:00Z')",
    );
    const insertRole = target.prepare<[number, string]>('INSERT INTO officer_roles (officer_id, role) VALUES (?, ?)');
    const insertRecord = target.prepare<[number, number, string | null, string | null]>(
      "INSERT INTO officer_qualifications (officer_id, qualification_id, awarded_on, expires_on, valid_until, source, recorded_at) VALUES (?, ?, '2025-11-01', ?, ?, 'test', 'x')",
    );
    const insertAsset = target.prepare<[string, string, number, string]>("INSERT INTO assets (serial, tag, asset_type_id, status, updated_at) VALUES (?, ?, ?, ?, 'x')");
    const insertLoan = target.prepare<[number, number, string]>('INSERT INTO loans (asset_id, officer_id, drawn_at) VALUES (?, ?, ?)');
    const heldTypes = [assetTypeId(target, 'TASER7'), assetTypeId(target, 'G17'), taser10];
    for (let i = 0; i < VARIED; i++) {
      const r = next();
      const status = i === 0 ? 'active' : r < 0.8 ? 'active' : r < 0.9 ? 'suspended' : 'restricted';
      const id = Number(insertOfficer.run(`PC ${9000 + i}`, `Varied ${i}`, status, i === 0 ? null : pick(UNITS)).lastInsertRowid);
      insertRole.run(id, 'officer');
      if (next() < 0.2) insertRole.run(id, 'armourer');
      if (next() < 0.05) insertRole.run(id, 'it');
      for (const code of codes) {
        // PC 9000's Taser refresher runs out tonight; their AFO tomorrow night.
        if (i === 0 && code !== 'BWV') {
          const last = code === 'TASER' ? TODAY : addDays(TODAY, 1);
          insertRecord.run(id, qualification(code), last, last);
          continue;
        }
        if (next() >= 0.75) continue;
        const last = next() < 0.1 ? null : addDays(TODAY, Math.floor(next() * 40) - 32);
        insertRecord.run(id, qualification(code), last, last);
      }
      // One in ten holds an item of a counted type already (drawn earlier, from the store).
      if (i > 0 && next() < 0.1) {
        const type = pick(heldTypes);
        const asset = Number(insertAsset.run(`HELD-${i}`, `HELDTAG${i}`, type, 'on-loan').lastInsertRowid);
        insertLoan.run(asset, id, new Date(SEEDED_AT.getTime() - (1 + i) * 60_000).toISOString());
      }
    }
    // Store items of the new type, for loans written outside the door transactions.
    for (let n = 0; n < 4; n++) insertAsset.run(`T10-${n}`, `T10TAG${n}`, taser10, 'available');
  })();
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  const template = await seededDb(join(dir, 'template.db'), SEEDED_AT);
  addVariedForce(template);
  template.close();
});
afterAll(() => cleanup());
beforeEach(() => {
  now = SEEDED_AT;
  const path = join(dir, `model-${++copies}.db`);
  copyFileSync(join(dir, 'template.db'), path);
  db = openDatabase(path);
  core = doorCore(db, clock);
});
afterEach(() => {
  if (db.open) db.close();
});

const id = (collar: string) => officerIdByCollar(db, collar);
const mobilisation = (): MobilisationView => core.services.console.mobilisation();
const availableFor = (code: string): string[] =>
  mobilisation()
    .types.find((t) => t.assetTypeId === assetTypeId(db, code))
    ?.available.map((a) => a.collarNumber) ?? [];

/**
 * The decision engine's answer, officer by officer, type by type: the officers it would
 * release one to now (refused, if at all, only because the lockers are empty) who hold none,
 * in collar-number order.
 */
function engineAnswer(): Map<number, string[]> {
  const byType = new Map<number, string[]>();
  const officers = db.prepare<[], { id: number; collar: string }>('SELECT id, collar_number AS collar FROM officers ORDER BY collar_number').all();
  for (const officer of officers) {
    const holding = new Set(core.services.records.holdings(officer.id).map((h) => h.assetTypeId));
    for (const option of core.services.eligibility.drawOptions(officer.id)) {
      if (option.category !== 'firearm' && option.category !== 'taser') continue;
      const released = option.reasons.every((r) => r.code === 'none-available');
      if (released && !holding.has(option.assetTypeId)) byType.set(option.assetTypeId, [...(byType.get(option.assetTypeId) ?? []), officer.collar]);
    }
  }
  return byType;
}

/** Who holds what, straight from the tables: the joins the in-memory views replace. */
function boardFromTables(): Omit<BoardEntry, 'overdue'>[] {
  return db
    .prepare<[], Omit<BoardEntry, 'overdue'>>(
      `SELECT l.id AS loanId, o.id AS officerId, o.collar_number AS collarNumber, o.display_name AS officerName,
              a.id AS assetId, t.name AS assetTypeName, t.category, a.serial, l.drawn_at AS drawnAt, l.due_at AS dueAt
         FROM loans l JOIN assets a ON a.id = l.asset_id JOIN asset_types t ON t.id = a.asset_type_id JOIN officers o ON o.id = l.officer_id
        WHERE l.returned_at IS NULL ORDER BY l.drawn_at DESC, l.id DESC`,
    )
    .all();
}

/** The view and the board against the engine and the tables, at the clock's time. */
function expectTheTruth(): void {
  const view = mobilisation();
  const want = engineAnswer();
  const counted = db.prepare<[], { id: number }>("SELECT id FROM asset_types WHERE category IN ('firearm', 'taser') ORDER BY category, name").all();
  expect(view.types.map((t) => t.assetTypeId)).toEqual(counted.map((t) => t.id));
  const board = boardFromTables();
  for (const type of view.types) {
    expect(type.available.map((a) => a.collarNumber), `available for ${type.assetTypeName}`).toEqual(want.get(type.assetTypeId) ?? []);
    const armed = board
      .filter((e) => e.assetTypeName === type.assetTypeName)
      .map((e) => ({ officerId: e.officerId, collarNumber: e.collarNumber, name: e.officerName, serial: e.serial, since: e.drawnAt }))
      .sort((a, b) => (a.collarNumber < b.collarNumber ? -1 : a.collarNumber > b.collarNumber ? 1 : a.serial < b.serial ? -1 : 1));
    expect(type.armed, `armed with ${type.assetTypeName}`).toEqual(armed);
  }
  const iso = now.toISOString();
  expect(core.services.console.board(null)).toEqual(board.map((e) => ({ ...e, overdue: e.dueAt !== null && e.dueAt < iso })));
}

/** Sensors for every demo door: closed and empty unless listed. */
function sensors(...overrides: (Partial<DoorSensors> & { doorNumber: number })[]): DoorSensors[] {
  return Array.from({ length: 16 }, (_v, i) => {
    const o = overrides.find((x) => x.doorNumber === i + 1);
    return { doorNumber: i + 1, open: o?.open ?? false, itemPresent: o?.itemPresent ?? false };
  });
}

/** A whole draw through the door transactions; the asset drawn. */
function draw(collar: string, typeCode: string): number {
  const begun = core.beginDraw(id(collar), assetTypeId(db, typeCode));
  if (!begun.ok) throw new Error(`draw refused: ${begun.message}`);
  core.observe(sensors({ doorNumber: begun.intent.doorNumber, open: true, itemPresent: true }));
  core.observe(sensors({ doorNumber: begun.intent.doorNumber, open: false, itemPresent: false }));
  return begun.intent.assetId;
}

function giveBack(collar: string, assetId: number): void {
  const begun = core.beginReturn(id(collar), assetId, new Set());
  if (!begun.ok) throw new Error(`return refused: ${begun.message}`);
  const door = begun.intent.doorNumber;
  core.observe(sensors({ doorNumber: door, open: true, itemPresent: false }));
  core.observe(sensors({ doorNumber: door, open: false, itemPresent: true }));
  core.services.console.board(null); // read between the door events and the report, as a polling console does
  core.completeReturn(begun.intent.id, 'ok');
}

function saveRule(typeCode: string, patch: Partial<RuleView>): void {
  const typeId = assetTypeId(db, typeCode);
  const current = core.services.rules.current(typeId);
  if (!current) throw new Error('no rule');
  core.services.rules.save(id('ADM 01'), typeId, { ...current.rule, ...patch });
}

/** Nothing was written: neither the reference data's generation nor the loan log moved. */
function writes(): string {
  const n = (sql: string) => db.prepare<[], { n: number }>(sql).get()?.n;
  return `${n('SELECT n FROM reference_generation')}/${n('SELECT coalesce(max(change), 0) AS n FROM loan_changes')}`;
}

describe('the mobilisation view is the decision engine’s answer', () => {
  it('for every officer and type of a varied force', () => {
    const view = mobilisation();
    // The force is varied enough to mean something: many on both sides, for every counted type.
    expect(view.types.map((t) => t.assetTypeName)).toEqual(['Glock 17 pistol', 'Taser 10', 'Taser 7']);
    for (const type of view.types) expect(type.available.length, type.assetTypeName).toBeGreaterThan(20);
    expect(view.types.reduce((n, t) => n + t.armed.length, 0)).toBeGreaterThan(20);
    expectTheTruth();
  });

  it('after draws and returns, read between each', () => {
    expectTheTruth();
    const taser = draw('PC 1234', 'TASER7');
    expect(availableFor('TASER7')).not.toContain('PC 1234');
    expectTheTruth();
    const firstVaried = availableFor('G17').find((c) => c.startsWith('PC 9'));
    if (!firstVaried) throw new Error('no varied officer may draw a pistol');
    const pistol = draw(firstVaried, 'G17');
    expectTheTruth();
    giveBack('PC 1234', taser);
    expect(availableFor('TASER7')).toContain('PC 1234');
    expectTheTruth();
    giveBack(firstVaried, pistol);
    expectTheTruth();
  });

  it('after writes from another connection: loans, an item changing type or serial, a suspension', () => {
    expectTheTruth();
    const path = db.name;
    const other = openDatabase(path);
    try {
      const taser10 = assetTypeId(other, 'TASER10');
      const someone = availableFor('TASER10')[0] as string;
      const store = other.prepare<[number], { id: number }>("SELECT id FROM assets WHERE asset_type_id = ? AND status = 'available' AND door_id IS NULL").get(taser10)?.id as number;
      other.prepare("UPDATE assets SET status = 'on-loan' WHERE id = ?").run(store);
      other.prepare('INSERT INTO loans (asset_id, officer_id, drawn_at, due_at) VALUES (?, ?, ?, ?)').run(store, id(someone), now.toISOString(), '2026-11-21T09:00:00.000Z');
      expect(availableFor('TASER10')).not.toContain(someone);
      expect(core.services.console.board(null)[0]).toMatchObject({ collarNumber: someone, assetTypeName: 'Taser 10', overdue: true });
      expectTheTruth();
      // The item is re-registered as a Taser 7 with a new serial: the loan moves lists with it.
      other.prepare("UPDATE assets SET asset_type_id = ?, serial = 'T7-RELABELLED' WHERE id = ?").run(assetTypeId(other, 'TASER7'), store);
      expect(mobilisation().types.find((t) => t.assetTypeName === 'Taser 7')?.armed.map((a) => a.serial)).toContain('T7-RELABELLED');
      expectTheTruth();
      const suspended = availableFor('G17')[1] as string;
      other.prepare("UPDATE officers SET status = 'suspended' WHERE collar_number = ?").run(suspended);
      expect(availableFor('G17')).not.toContain(suspended);
      expectTheTruth();
      other.prepare("UPDATE officers SET display_name = 'Renamed' WHERE collar_number = ?").run(someone);
      expect(core.services.console.board(null).find((e) => e.collarNumber === someone)?.officerName).toBe('Renamed');
      expectTheTruth();
      other.prepare("UPDATE asset_types SET name = 'Taser 7 (2019)' WHERE code = 'TASER7'").run();
      expect(core.services.console.board('taser').find((e) => e.serial === 'T7-RELABELLED')?.assetTypeName).toBe('Taser 7 (2019)');
      expectTheTruth();
    } finally {
      other.close();
    }
  });

  it('when a qualification lapses at midnight, with no write', () => {
    saveRule('G17', { graceDays: 0 });
    now = at('2026-11-21T23:59:59.999Z');
    expect(availableFor('TASER7')).toContain('PC 9000');
    expect(availableFor('G17')).toContain('PC 9000');
    expectTheTruth();
    const before = writes();

    now = at('2026-11-22T00:00:00.000Z');
    expect(availableFor('TASER7')).not.toContain('PC 9000');
    expect(availableFor('G17')).toContain('PC 9000');
    expectTheTruth();
    now = at('2026-11-23T00:00:00.000Z');
    expect(availableFor('G17')).not.toContain('PC 9000');
    expectTheTruth();
    expect(writes()).toBe(before);

    // Decided again on the 23rd (a rule saved), then the clock is put back before that day: decided afresh.
    saveRule('TASER7', {});
    expect(availableFor('TASER7')).not.toContain('PC 9000');
    now = at('2026-11-21T12:00:00.000Z');
    expect(availableFor('TASER7')).toContain('PC 9000');
    expectTheTruth();
  });

  it('when a qualification in its grace period runs out, with no write', () => {
    saveRule('TASER7', { graceDays: 2 });
    now = at('2026-11-23T23:59:00.000Z');
    expect(availableFor('TASER7')).toContain('PC 9000');
    // Taser 10 has no stored rule: its requirements decide it, with no grace.
    expect(availableFor('TASER10')).not.toContain('PC 9000');
    expectTheTruth();
    const before = writes();
    now = at('2026-11-24T00:00:00.000Z');
    expect(availableFor('TASER7')).not.toContain('PC 9000');
    expectTheTruth();
    expect(writes()).toBe(before);
  });

  it('after rule changes: grace, any-of, roles and units', () => {
    expectTheTruth();
    saveRule('TASER7', { graceDays: 14 });
    expectTheTruth();
    saveRule('TASER7', { allOf: ['BWV'], anyOf: ['TASER', 'AFO'], graceDays: 3, roles: ['officer'] });
    expectTheTruth();
    saveRule('G17', { units: ['TSG', 'Ärmed response'], roles: ['armourer'] });
    expect(availableFor('G17').length).toBeGreaterThan(0);
    expectTheTruth();
    saveRule('G17', { allOf: [], anyOf: [], units: [], roles: [] });
    expectTheTruth();
  });

  it('after a training import and a personnel import', () => {
    expectTheTruth();
    const lapsed = db
      .prepare<[], { collar: string }>(
        `SELECT o.collar_number AS collar FROM officers o JOIN officer_qualifications oq ON oq.officer_id = o.id JOIN qualifications q ON q.id = oq.qualification_id
          WHERE q.code = 'TASER' AND oq.valid_until < '2026-11-21' AND o.status = 'active' AND o.collar_number LIKE 'PC 9%'
            AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.officer_id = o.id AND l.returned_at IS NULL)
          ORDER BY o.collar_number LIMIT 3`,
      )
      .all()
      .map((r) => r.collar);
    expect(lapsed).toHaveLength(3);
    for (const collar of lapsed) expect(availableFor('TASER7')).not.toContain(collar);
    const csv = ['collar_number,qualification_code,awarded_on,expires_on', ...lapsed.map((c) => `${c},TASER,2026-11-20,2027-11-19`), 'PC 9001,AFO,2026-11-20,2027-11-19'].join('\n');
    expect(core.services.training.importText({ fileName: 'renewals.csv', content: csv, source: 'upload', officerId: null })).toMatchObject({ status: 'applied' });
    for (const collar of lapsed) expect(availableFor('TASER7')).toContain(collar);
    expectTheTruth();

    const people = ['collar_number,name,roles,unit,status', `${lapsed[0]},Varied,officer,TSG,suspended`, `${lapsed[1]},Varied,officer,TSG,left`].join('\n');
    expect(core.services.personnel.importText({ fileName: 'hr.csv', content: people, source: 'upload', officerId: id('ADM 01') })).toMatchObject({ status: 'applied' });
    expect(availableFor('TASER7')).not.toContain(lapsed[0]);
    expect(availableFor('TASER7')).not.toContain(lapsed[1]);
    expect(availableFor('TASER7')).toContain(lapsed[2]);
    expectTheTruth();
  });
});

describe('the board', () => {
  it('is overdue by the clock alone, and a shared list never leaks a caller’s edit', () => {
    saveRule('TASER7', { maxLoanHours: 1 });
    draw('PC 1234', 'TASER7');
    const entry = () => core.services.console.board('taser').find((e) => e.collarNumber === 'PC 1234');
    expect(entry()).toMatchObject({ overdue: false });
    const before = writes();
    now = new Date(now.getTime() + 3_600_001);
    expect(entry()).toMatchObject({ overdue: true });
    expectTheTruth();
    now = new Date(now.getTime() - 2);
    expect(entry()).toMatchObject({ overdue: false });
    expect(writes()).toBe(before);
    now = new Date(now.getTime() + 2);
    expectTheTruth();

    // What the views hand out is the caller's to keep: changing it changes nothing here.
    const view = mobilisation();
    view.types[0]?.available.splice(0);
    view.types[0]?.armed.splice(0);
    core.services.console.board(null).splice(0);
    expect(() => {
      const first = mobilisation().types[0]?.available[0];
      if (first) first.name = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      const first = core.services.console.board(null)[0];
      if (first) first.overdue = !first.overdue;
    }).toThrow(TypeError);
    expectTheTruth();
  });
});
