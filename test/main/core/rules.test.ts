import { copyFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RuleView } from '../../../preload/contract.ts';
import { AuditLog } from '../../../main/core/audit.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { DEMO_RULES } from '../../../main/core/demo-seed.ts';
import { Eligibility } from '../../../main/core/eligibility.ts';
import { Records } from '../../../main/core/records.ts';
import { dueAt, legacyRule, RuleError, RuleStore } from '../../../main/core/rules.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

// Due times are wall-clock times in the room; pin the zone so "07:00" means the same everywhere.
process.env.TZ = 'Europe/London';

const now = new Date('2026-11-21T10:00:00Z');
const clock = { now: () => now };
let db: Db;
let rules: RuleStore;
let dir: string;
let cleanup: () => void;
let copies = 0;

// Seeding hashes real PINs: seed once, then give each test its own copy of the file.
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  (await seededDb(join(dir, 'template.db'), now)).close();
});
afterAll(() => cleanup());
beforeEach(() => {
  const path = join(dir, `rules-${++copies}.db`);
  copyFileSync(join(dir, 'template.db'), path);
  db = openDatabase(path);
  rules = new RuleStore(db, new AuditLog(db), clock);
});
afterEach(() => db.close());

const TASER_RULE: RuleView = { allOf: ['TASER'], anyOf: [], graceDays: 0, roles: [], units: [], maxLoanHours: 12, returnBy: null };

describe('RuleStore', () => {
  it('the demo seed stores version 1 of every type', () => {
    const list = rules.list();
    expect(list.map((r) => [r.assetTypeName, r.version])).toEqual([
      ['Airwave radio', 1],
      ['Body-worn camera', 1],
      ['Glock 17 pistol', 1],
      ['Laptop (2019 build)', 1],
      ['Laptop (2026 build)', 1],
      ['Taser 7', 1],
    ]);
    expect(rules.current(assetTypeId(db, 'TASER7'))).toEqual({ version: 1, rule: DEMO_RULES.TASER7 });
    expect(rules.current(assetTypeId(db, 'G17'))?.rule).toMatchObject({ allOf: ['AFO'], returnBy: '07:00', maxLoanHours: null });
    expect(list.every((r) => r.changedBy === null && r.changedAt === now.toISOString())).toBe(true);
  });

  it('each save is a new version, the old ones kept, with an audit row that chain-verifies', () => {
    const admin = officerIdByCollar(db, 'ADM 01');
    const taser = assetTypeId(db, 'TASER7');
    const v2 = rules.save(admin, taser, { ...TASER_RULE, graceDays: 7 });
    expect(v2).toMatchObject({ assetTypeId: taser, assetTypeName: 'Taser 7', version: 2, changedBy: 'ADM 01 Chris Patel', changedAt: now.toISOString() });
    const v3 = rules.save(admin, taser, { ...TASER_RULE, units: ['TSG'], roles: ['officer'] });
    expect(v3.version).toBe(3);
    expect(rules.current(taser)).toEqual({ version: 3, rule: { ...TASER_RULE, units: ['TSG'], roles: ['officer'] } });
    expect(rules.byVersion(taser, 1)).toEqual(DEMO_RULES.TASER7);
    expect(rules.byVersion(taser, 2)?.graceDays).toBe(7);
    expect(rules.byVersion(taser, 4)).toBeUndefined();
    expect(rules.list().find((r) => r.assetTypeId === taser)).toMatchObject({ version: 3, changedBy: 'ADM 01 Chris Patel' });

    const audit = db
      .prepare<[], { actor: string; subject: string; details: string }>("SELECT actor, subject, details FROM audit_log WHERE action = 'rule.changed' ORDER BY seq")
      .all();
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ actor: `officer:${admin}`, subject: `asset-type:${taser}` });
    expect(JSON.parse(audit[1]?.details ?? '{}')).toEqual({
      assetType: taser,
      assetTypeName: 'Taser 7',
      fromVersion: 2,
      toVersion: 3,
      before: { ...TASER_RULE, graceDays: 7 },
      after: { ...TASER_RULE, units: ['TSG'], roles: ['officer'] },
    });
    expect(new AuditLog(db).verify().ok).toBe(true);
  });

  it('stores canonical JSON: keys sorted, repeated entries dropped', () => {
    const taser = assetTypeId(db, 'TASER7');
    rules.save(officerIdByCollar(db, 'ADM 01'), taser, { ...TASER_RULE, allOf: ['TASER', 'TASER'], units: ['TSG ', 'TSG'] });
    const text = db.prepare<[number], { rule: string }>('SELECT rule FROM asset_type_rules WHERE asset_type_id = ? AND version = 2').get(taser)?.rule;
    expect(text).toBe('{"allOf":["TASER"],"anyOf":[],"graceDays":0,"maxLoanHours":12,"returnBy":null,"roles":[],"units":["TSG"]}');
  });

  it('refuses an unknown qualification code, naming it, and writes nothing', () => {
    const admin = officerIdByCollar(db, 'ADM 01');
    const taser = assetTypeId(db, 'TASER7');
    const auditRows = () => db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_log').get()?.n;
    const before = auditRows();
    expect(() => rules.save(admin, taser, { ...TASER_RULE, anyOf: ['AFO', 'PAVA'] })).toThrow(RuleError);
    expect(() => rules.save(admin, taser, { ...TASER_RULE, anyOf: ['AFO', 'PAVA'] })).toThrow('Qualification code "PAVA" is not known here');
    expect(() => rules.save(admin, taser, { ...TASER_RULE, allOf: ['X1', 'X2'] })).toThrow('Qualification codes "X1", "X2" are not known here');
    expect(rules.current(taser)?.version).toBe(1);
    expect(auditRows()).toBe(before);
  });

  it('refuses an unknown type, an unknown author and a rule outside the schema', () => {
    const admin = officerIdByCollar(db, 'ADM 01');
    expect(() => rules.save(admin, 999, TASER_RULE)).toThrow(/no asset type 999/);
    expect(() => rules.save(999, assetTypeId(db, 'TASER7'), TASER_RULE)).toThrow(/no officer 999/);
    expect(() => rules.save(admin, assetTypeId(db, 'TASER7'), { ...TASER_RULE, returnBy: '7am' })).toThrow(/returnBy/);
  });

  it('a type with no stored rule lists as version 0 with its requirements, and decides by them', () => {
    db.exec(`INSERT INTO asset_types (code, name, category) VALUES ('PAVA', 'PAVA spray', 'spray');
             INSERT INTO asset_type_requirements (asset_type_id, qualification_id) SELECT t.id, q.id FROM asset_types t, qualifications q WHERE t.code = 'PAVA' AND q.code = 'TASER';`);
    const pava = assetTypeId(db, 'PAVA');
    expect(rules.current(pava)).toBeUndefined();
    expect(rules.list().find((r) => r.assetTypeId === pava)).toEqual({
      assetTypeId: pava,
      assetTypeName: 'PAVA spray',
      version: 0,
      rule: legacyRule(['TASER']),
      changedAt: null,
      changedBy: null,
    });
    const eligibility = new Eligibility(new Records(db), clock, 30, { rules });
    const verdict = eligibility.decide(officerIdByCollar(db, 'PC 7890'), pava); // holds no Taser qualification
    expect(verdict?.ruleVersion).toBeNull();
    expect(verdict?.decision.reasons.map((r) => r.code)).toEqual(['qualification-missing', 'none-available']);
    expect(rules.save(officerIdByCollar(db, 'ADM 01'), pava, legacyRule([])).version).toBe(1);
  });
});

describe('Eligibility with rules', () => {
  it('decides under the current version and reports it', () => {
    const eligibility = new Eligibility(new Records(db), clock, 30, { rules, overridableRefusals: ['qualification-expired'] });
    const alex = officerIdByCollar(db, 'PC 1234');
    const taser = assetTypeId(db, 'TASER7');
    expect(eligibility.decide(alex, taser)).toMatchObject({ ruleVersion: 1, decision: { allowed: true } });
    rules.save(officerIdByCollar(db, 'ADM 01'), taser, { ...TASER_RULE, roles: ['armourer'] });
    const verdict = eligibility.decide(alex, taser);
    expect(verdict?.ruleVersion).toBe(2);
    expect(verdict?.decision.reasons.map((r) => r.code)).toEqual(['role-required']);
  });

  it('marks a refusal overridable only when every reason is in the policy', () => {
    const eligibility = new Eligibility(new Records(db), clock, 30, { rules, overridableRefusals: ['qualification-expired'] });
    const taserOf = (collar: string) => eligibility.drawOptions(officerIdByCollar(db, collar)).find((o) => o.name === 'Taser 7');
    expect(taserOf('PC 1234')).toMatchObject({ allowed: true, overridable: false });
    expect(taserOf('PC 2345')).toMatchObject({ allowed: false, overridable: true }); // expired only
    expect(taserOf('PC 7890')).toMatchObject({ allowed: false, overridable: false }); // never trained
    expect(taserOf('PS 4567')).toMatchObject({ allowed: false, overridable: false }); // suspended
    const strict = new Eligibility(new Records(db), clock, 30, { rules });
    expect(strict.drawOptions(officerIdByCollar(db, 'PC 2345')).every((o) => !o.overridable)).toBe(true);
  });

  it('a qualification in a rule grace period reads as expiring, naming the grace period', () => {
    const records = new Records(db);
    const eligibility = new Eligibility(records, clock, 30, { rules });
    const priya = officerIdByCollar(db, 'PC 2345'); // Taser expired 49 days ago
    expect(eligibility.qualifications(priya).find((q) => q.code === 'TASER')?.state).toBe('expired');
    rules.save(officerIdByCollar(db, 'ADM 01'), assetTypeId(db, 'TASER7'), { ...TASER_RULE, graceDays: 60 });
    const view = eligibility.qualifications(priya).find((q) => q.code === 'TASER');
    expect(view?.state).toBe('expiring');
    expect(view?.label).toMatch(/^Taser refresher expired \d+ \w{3} 2026 and is in its grace period \(until \d+ \w{3} 2026\): book your refresher$/);
    expect(eligibility.decide(priya, assetTypeId(db, 'TASER7'))?.decision.allowed).toBe(true);
  });
});

describe('dueAt', () => {
  const drawn = new Date('2026-11-21T10:00:00Z'); // 10:00 in London (GMT)
  it.each<[string, Pick<RuleView, 'maxLoanHours' | 'returnBy'>, string | null]>([
    ['neither', { maxLoanHours: null, returnBy: null }, null],
    ['12 hours', { maxLoanHours: 12, returnBy: null }, '2026-11-21T22:00:00.000Z'],
    ['by 07:00: tomorrow', { maxLoanHours: null, returnBy: '07:00' }, '2026-11-22T07:00:00.000Z'],
    ['by 23:30: today', { maxLoanHours: null, returnBy: '23:30' }, '2026-11-21T23:30:00.000Z'],
    ['by 10:00 exactly at the draw: the next one', { maxLoanHours: null, returnBy: '10:00' }, '2026-11-22T10:00:00.000Z'],
    ['both: the earlier (hours)', { maxLoanHours: 8, returnBy: '23:00' }, '2026-11-21T18:00:00.000Z'],
    ['both: the earlier (time of day)', { maxLoanHours: 24, returnBy: '07:00' }, '2026-11-22T07:00:00.000Z'],
  ])('%s', (_name, rule, expected) => {
    expect(dueAt(drawn, rule)?.toISOString() ?? null).toBe(expected);
  });

  it('keeps the wall-clock time across the change from BST', () => {
    // 23:00 BST on 24 Oct 2026; clocks go back at 02:00 BST on the 25th, so 07:00 is 07:00 GMT.
    expect(dueAt(new Date('2026-10-24T22:00:00Z'), { maxLoanHours: null, returnBy: '07:00' })?.toISOString()).toBe('2026-10-25T07:00:00.000Z');
  });
});
