import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addSite, addTerminal, type TerminalCredentials } from '../../../estate/admin.ts';
import { AuditLog } from '../../../main/core/audit.ts';
import { Authenticator } from '../../../main/core/auth.ts';
import type { Db } from '../../../main/core/db/database.ts';
import { ReferencePuller } from '../../../main/estate/reference-puller.ts';
import { systemClock, systemScheduler } from '../../../main/system-time.ts';
import { POSTGRES_MISSING, startTestEstate, type TestEstate } from '../../helpers/postgres.ts';
import { until } from '../../helpers/until.ts';
import { join, seededDb, tempDir } from '../../helpers/temp-db.ts';

/**
 * Reference data down, on a real PostgreSQL: rows the estate decides reach a terminal's own
 * tables on the estate's notification, generically by table and column; a revoked card stops
 * working there; a pull that does not fit the terminal's tables changes nothing.
 */


const describeEstate = POSTGRES_MISSING === null ? describe : describe.skip;

describeEstate('reference data from the estate to a terminal', () => {
  let estate: TestEstate;
  let credentials: TerminalCredentials;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    estate = await startTestEstate();
    await addSite(estate.admin, 'north', 'North station');
    credentials = await addTerminal(estate.admin, 'north-1', 'north');
  }, 60_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await estate.admin.query('TRUNCATE estate.reference_rows');
  });
  afterAll(async () => estate?.stop());

  async function terminal(logs: string[] = []): Promise<{ db: Db; puller: ReferencePuller }> {
    const { dir, cleanup } = tempDir('armoury-reference-');
    const db = await seededDb(join(dir, 'armoury.db'), new Date('2026-11-21T10:00:00Z'));
    const puller = new ReferencePuller({ url: estate.urlFor(credentials.roleName, credentials.password), db, scheduler: systemScheduler, now: () => new Date(), log: (l) => logs.push(l), pollMs: 60_000, retryMs: 50, maxRetryMs: 500, timeoutMs: 2000 });
    cleanups.push(async () => {
      await puller.stop();
      db.close();
      cleanup();
    });
    return { db, puller };
  }

  const put = async (table: string, rows: unknown[]): Promise<number> =>
    Number((await estate.admin.query<{ n: number }>('SELECT estate.put_reference($1, $2::jsonb) AS n', [table, JSON.stringify(rows)])).rows[0]?.n);

  it('applies what the estate decides on its notification, and an unchanged re-import sends nothing', async () => {
    const { db, puller } = await terminal();
    puller.start();
    await until('the first (empty) sync', () => db.prepare<[], { s: string | null }>('SELECT reference_synced_at AS s FROM estate_link').get()?.s != null);
    const officers = [
      { id: 100, collar_number: 'PC 9100', display_name: 'Jo Estate', status: 'active', site_id: 1, created_at: '2026-11-20T09:00:00.000Z', unit: 'North', left_on: null },
      { id: 101, collar_number: 'PC 9101', display_name: 'Sam Estate', status: 'active', site_id: 1, created_at: '2026-11-20T09:00:00.000Z', unit: null, left_on: null },
    ];
    expect(await put('officers', officers)).toBe(2);
    expect(await put('cards', [{ uid: 'E57A7E0001', officer_id: 100, issued_at: '2026-11-20T09:00:00.000Z', revoked_at: null }])).toBe(1);
    // Applied in the pull after the notification, not at the 60 s poll.
    await until('the new officers and card', () => db.prepare('SELECT 1 FROM cards WHERE uid = ?').get('E57A7E0001') !== undefined);
    expect(db.prepare('SELECT collar_number, display_name, unit FROM officers WHERE id IN (100, 101) ORDER BY id').all()).toEqual([
      { collar_number: 'PC 9100', display_name: 'Jo Estate', unit: 'North' },
      { collar_number: 'PC 9101', display_name: 'Sam Estate', unit: null },
    ]);
    // The same file again changes nothing in the estate, so nothing is sent.
    expect(await put('officers', officers)).toBe(0);
    const cursor = db.prepare<[], { revision: number }>("SELECT revision FROM estate_reference_cursors WHERE table_name = 'officers'").get();
    expect(cursor?.revision).toBeGreaterThan(0);
  });

  it('a card revoked in the estate stops working at the terminal on the next sync', async () => {
    const { db, puller } = await terminal();
    const auth = new Authenticator(db, new AuditLog(db), systemClock, { maxFailures: 5, lockoutMinutes: 15 });
    const card = db.prepare<[], { uid: string; officer_id: number; issued_at: string }>("SELECT uid, officer_id, issued_at FROM cards WHERE uid = '04A1B2C3D4'").get();
    expect(card).toBeDefined();
    expect(await auth.signIn('04A1B2C3D4', '1234')).toMatchObject({ ok: true });
    puller.start();
    await put('cards', [{ ...card, revoked_at: '2026-11-21T10:05:00.000Z' }]);
    await until('the revocation', () => db.prepare<[], { r: string | null }>("SELECT revoked_at AS r FROM cards WHERE uid = '04A1B2C3D4'").get()?.r != null);
    expect(await auth.signIn('04A1B2C3D4', '1234')).toMatchObject({ ok: false });
  });

  it('deletes what the estate deletes, and a pull that does not fit the terminal changes nothing and says why', async () => {
    const logs: string[] = [];
    const { db, puller } = await terminal(logs);
    puller.start();
    await put('qualifications', [{ id: 50, code: 'PPE', name: 'PPE fitting', validity_months: 24 }]);
    await until('the new qualification', () => db.prepare('SELECT 1 FROM qualifications WHERE id = 50').get() !== undefined);
    await estate.admin.query(`SELECT estate.delete_reference('qualifications', '[{"id": 50}]'::jsonb)`);
    await until('the deletion', () => db.prepare('SELECT 1 FROM qualifications WHERE id = 50').get() === undefined);

    // A column the terminal's table lacks, beside a good row: neither is applied, the cursor stays.
    const before = db.prepare<[], { revision: number }>("SELECT revision FROM estate_reference_cursors WHERE table_name = 'qualifications'").get()?.revision;
    await put('qualifications', [{ id: 51, code: 'OK', name: 'fine', validity_months: null }, { id: 52, code: 'BAD', name: 'odd', validity_months: null, colour: 'red' }]);
    await until('the refusal', () => puller.problem() !== null);
    expect(puller.problem()).toBe("the estate's qualifications row has columns this terminal's qualifications lacks: colour");
    expect(db.prepare('SELECT id FROM qualifications WHERE id IN (51, 52)').all()).toEqual([]);
    expect(db.prepare<[], { revision: number }>("SELECT revision FROM estate_reference_cursors WHERE table_name = 'qualifications'").get()?.revision).toBe(before);
    expect(logs.some((l) => l.includes('reference data not brought up to date'))).toBe(true);
  });

  it('a row that refers to nothing here is refused with its pull, and a table the terminal does not list is never written', async () => {
    const { db, puller } = await terminal();
    await put('officer_roles', [{ officer_id: 999, role: 'officer' }]);
    await estate.admin.query("INSERT INTO estate.reference_tables (table_name, key_columns, apply_order) VALUES ('loans', '{id}', 200)");
    cleanups.push(async () => {
      await estate.admin.query("DELETE FROM estate.reference_rows WHERE table_name = 'loans'");
      await estate.admin.query("DELETE FROM estate.reference_tables WHERE table_name = 'loans'");
    });
    await put('loans', [{ id: 1, asset_id: 1, officer_id: 1, drawn_at: 'x' }]);
    const loansBefore = db.prepare('SELECT count(*) AS n FROM loans').get();
    puller.start();
    await until('the refusal', () => puller.problem() !== null);
    expect(puller.problem()).toMatch(/FOREIGN KEY constraint failed/);
    expect(db.prepare('SELECT 1 FROM officer_roles WHERE officer_id = 999').get()).toBeUndefined();
    expect(db.prepare('SELECT count(*) AS n FROM loans').get()).toEqual(loansBefore);
  });
});
