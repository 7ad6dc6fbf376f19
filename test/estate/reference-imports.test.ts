import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/core/db/database.ts';
import { importIntoEstate } from '../../main/estate/estate-import.ts';
import { ReferencePuller } from '../../main/estate/reference-puller.ts';
import { systemScheduler } from '../../main/system-time.ts';
import { addSite, addTerminal } from '../../estate/admin.ts';
import { POSTGRES_MISSING, startTestEstate, type TestEstate } from '../helpers/postgres.ts';
import { join, tempDir } from '../helpers/temp-db.ts';
import { until } from '../helpers/until.ts';

/**
 * HR and training files imported once in the estate, by the terminal's own import code on a
 * staging copy of the estate's reference data, on a real PostgreSQL; and what they change
 * reaching a terminal.
 */

const describeEstate = POSTGRES_MISSING === null ? describe : describe.skip;
const NOW = new Date('2026-11-21T10:00:00Z');
const bytes = (text: string) => Buffer.from(text, 'utf8');

describeEstate('imports in the estate', () => {
  let estate: TestEstate;
  const put = (table: string, rows: unknown[]) => estate.admin.query('SELECT estate.put_reference($1, $2::jsonb)', [table, JSON.stringify(rows)]);
  const estateRows = async (table: string) =>
    (await estate.admin.query<{ data: Record<string, unknown> }>('SELECT data FROM estate.reference_rows WHERE table_name = $1 AND data IS NOT NULL ORDER BY key::text', [table])).rows.map((r) => r.data);
  const maxRevision = async () => Number((await estate.admin.query<{ r: string | null }>('SELECT max(revision) AS r FROM estate.reference_rows')).rows[0]?.r ?? 0);

  beforeAll(async () => {
    estate = await startTestEstate();
    await put('sites', [{ id: 1, name: 'North' }]);
    await put('qualifications', [{ id: 1, code: 'TASER', name: 'Taser initial', validity_months: 12 }]);
  }, 60_000);
  afterAll(async () => estate?.stop());

  it("HR's personnel file adds officers with their roles, cards and home site, with ids of the estate's", async () => {
    const unknownSite = await importIntoEstate(estate.admin, { kind: 'personnel', fileName: 'hr.csv', content: bytes('collar_number,name,site\nPC 7001,Ada Hughes,Atlantis\n'), now: NOW });
    expect(unknownSite.report.status).toBe('rejected');
    expect(unknownSite.report.problems).toEqual([{ row: 1, problem: 'unknown-site', message: 'site "Atlantis" for PC 7001 is not in the site register' }]);
    const file = 'collar_number,name,roles,unit,card_uids,site\nPC 7001,Ada Hughes,officer,TSG,A1B2C3D4, north \nPC 7002,Ben Ito,officer;armourer,,A1B2C3D5,\n';
    const { report, changed } = await importIntoEstate(estate.admin, { kind: 'personnel', fileName: 'hr.csv', content: bytes(file), now: NOW });
    expect(report.status).toBe('applied');
    expect(report.problems).toEqual([]);
    expect(changed.map((c) => c.table).sort()).toEqual(['cards', 'officer_roles', 'officers']);
    const officers = await estateRows('officers');
    expect(officers.map((o) => [o.collar_number, o.display_name, o.unit, o.status, o.site_id])).toEqual([
      ['PC 7001', 'Ada Hughes', 'TSG', 'active', 1],
      ['PC 7002', 'Ben Ito', null, 'active', null],
    ]);
    const ben = officers.find((o) => o.collar_number === 'PC 7002');
    expect((await estateRows('officer_roles')).filter((r) => r.officer_id === ben?.id).map((r) => r.role).sort()).toEqual(['armourer', 'officer']);
    expect((await estateRows('cards')).map((c) => [c.uid, c.revoked_at])).toEqual([
      ['A1B2C3D4', null],
      ['A1B2C3D5', null],
    ]);
    const logged = await estate.admin.query<{ kind: string; status: string; changed: number }>('SELECT kind, status, changed FROM estate.reference_imports ORDER BY id');
    expect(logged.rows).toEqual([
      { kind: 'personnel', status: 'rejected', changed: 0 },
      { kind: 'personnel', status: 'applied', changed: 2 },
    ]);
  });

  it("the training system's export adds records with their last valid day, none tied to a terminal's own import", async () => {
    const file = 'collar_number,qualification_code,awarded_on\nPC 7001,TASER,2026-03-15\nPC 7002,TASER,2026-04-01\n';
    const { report } = await importIntoEstate(estate.admin, { kind: 'training', fileName: 'lms.csv', content: bytes(file), now: NOW });
    expect(report.status).toBe('applied');
    const records = await estateRows('officer_qualifications');
    expect(records.map((r) => [r.awarded_on, r.valid_until, r.import_id, r.source])).toEqual([
      ['2026-03-15', '2027-03-14', null, 'estate: lms.csv'],
      ['2026-04-01', '2027-03-31', null, 'estate: lms.csv'],
    ]);
    // The same file again: unchanged, and not one revision taken.
    const revision = await maxRevision();
    expect((await importIntoEstate(estate.admin, { kind: 'training', fileName: 'lms.csv', content: bytes(file), now: NOW })).report.status).toBe('unchanged');
    expect(await maxRevision()).toBe(revision);
  });

  it('refuses a file a terminal would refuse, row by row, and changes nothing', async () => {
    const revision = await maxRevision();
    const file = 'collar_number,qualification_code,awarded_on\nPC 7001,TASER,2026-05-01\nPC 9999,TASER,2026-05-01\nPC 7002,NOPE,2026-05-01\n';
    const { report, changed } = await importIntoEstate(estate.admin, { kind: 'training', fileName: 'bad.csv', content: bytes(file), now: NOW });
    expect(report.status).toBe('rejected');
    expect(report.problems.map((p) => [p.row, p.problem])).toEqual([
      [2, 'unknown-officer'],
      [3, 'unknown-qualification'],
    ]);
    expect(changed).toEqual([]);
    expect(await maxRevision()).toBe(revision);
    const logged = await estate.admin.query<{ status: string }>("SELECT status FROM estate.reference_imports WHERE file_name = 'bad.csv'");
    expect(logged.rows).toEqual([{ status: 'rejected' }]);
  });

  it("a leaver in HR's file loses their cards at every terminal at its next pull", async () => {
    await addSite(estate.admin, 'north', 'North');
    const credentials = await addTerminal(estate.admin, 'north-1', 'north');
    const { dir, cleanup } = tempDir('armoury-estate-import-');
    const db = openDatabase(join(dir, 'armoury.db'));
    const puller = new ReferencePuller({ url: estate.urlFor(credentials.roleName, credentials.password), db, scheduler: systemScheduler, now: () => NOW, log: () => {}, pollMs: 60_000 });
    const card = db.prepare<[string], { revoked_at: string | null }>('SELECT revoked_at FROM cards WHERE uid = ?');
    try {
      puller.start();
      await until('the imported officers at the terminal', () => card.get('A1B2C3D4') !== undefined);
      expect(card.get('A1B2C3D4')?.revoked_at).toBeNull();
      expect(db.prepare<[], { n: number }>("SELECT count(*) AS n FROM officer_qualifications WHERE source = 'estate: lms.csv'").get()?.n).toBe(2);

      const leaver = 'collar_number,name,status\nPC 7001,Ada Hughes,left\n';
      const { report } = await importIntoEstate(estate.admin, { kind: 'personnel', fileName: 'hr-leavers.csv', content: bytes(leaver), now: NOW });
      expect(report.status).toBe('applied');
      await until("the leaver's card revoked at the terminal", () => card.get('A1B2C3D4')?.revoked_at != null);
      expect(card.get('A1B2C3D5')?.revoked_at).toBeNull();
    } finally {
      await puller.stop();
      db.close();
      cleanup();
    }
  });

  it('put_reference refuses what is not a reference row, lets the last row for a key win, and keeps an unchanged row as it was', async () => {
    await expect(put('audit_log', [{ id: 1 }])).rejects.toThrow('audit_log is not an estate reference table');
    await expect(estate.admin.query("SELECT estate.put_reference('sites', '{\"id\": 1}'::jsonb)")).rejects.toThrow('rows for sites must be a JSON array of objects');
    await expect(put('sites', [{ id: 2, name: 'South' }, { name: 'Nowhere' }])).rejects.toThrow('a row for sites lacks its key (id): {"name": "Nowhere"}');
    const changed = await put('sites', [{ id: 3, name: 'East' }, { id: 3, name: 'East, again' }, { id: 1, name: 'North' }]);
    expect(changed.rows[0]?.put_reference).toBe(1);
    const rows = await estate.admin.query<{ key: unknown; data: unknown; revision: string }>("SELECT key, data, revision FROM estate.reference_rows WHERE table_name = 'sites' ORDER BY key::text");
    expect(rows.rows.map((r) => [r.key, r.data])).toEqual([
      [{ id: 1 }, { id: 1, name: 'North' }],
      [{ id: 3 }, { id: 3, name: 'East, again' }],
    ]);
    // North was not changed, so it kept the revision it was put with in beforeAll, below East's.
    expect(Number(rows.rows[0]?.revision)).toBeLessThan(Number(rows.rows[1]?.revision));
  });
});
