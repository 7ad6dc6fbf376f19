import { expect, test } from '@playwright/test';
import pg from 'pg';
import { addSite, addTerminal } from '../../estate/admin.ts';
import { startEstateService, type EstateService } from '../../estate/service.ts';
import { AuditLog } from '../../main/core/audit.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { POSTGRES_MISSING, startTestEstate, type TestEstate } from '../helpers/postgres.ts';
import { join, tempDir } from '../helpers/temp-db.ts';
import { expectAccessible } from './kiosk-steps.ts';

// The control room's read-only estate page in Chromium: the estate's real database, events
// from two terminals' real audit logs, and the service's sign-in rules.

test.skip(POSTGRES_MISSING !== null, POSTGRES_MISSING ?? '');

let estate: TestEstate | null = null;
let service: EstateService | null = null;
const cleanups: (() => void)[] = [];

test.afterEach(async () => {
  await service?.close();
  await estate?.stop();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A terminal's draws, as its AuditLog writes them, ingested as its publisher would send them. */
async function terminalDraws(id: string, site: string, draws: { serial: string; type: string; officer: number; loan: number; due?: string }[]): Promise<void> {
  if (!estate) throw new Error('no estate');
  const credentials = await addTerminal(estate.admin, id, site);
  const { dir, cleanup } = tempDir('armoury-estate-page-');
  const db = openDatabase(join(dir, 'armoury.db'));
  cleanups.push(() => (db.close(), cleanup()));
  const audit = new AuditLog(db);
  for (const d of draws) {
    db.transaction(() => audit.append({ actor: `officer:${d.officer}`, action: 'draw.completed', subject: 'door:1', details: { intent: d.loan, kind: 'draw', asset: d.loan, serial: d.serial, type: d.type, officer: d.officer, outcome: 'taken', loan: d.loan, due: d.due ?? null } }, new Date('2026-11-21T07:30:00Z')))();
  }
  const client = new pg.Client({ connectionString: estate.urlFor(credentials.roleName, credentials.password) });
  await client.connect();
  await client.query('SELECT estate.ingest_events($1::jsonb)', [JSON.stringify(db.prepare('SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log ORDER BY seq').all())]);
  await client.end();
}

test('the control room sees the mobilisation, items out per site and type, who holds them, and each terminal, after signing in once', async ({ page, request }) => {
  test.setTimeout(90_000);
  estate = await startTestEstate();
  const put = (table: string, rows: unknown[]) => estate?.admin.query('SELECT estate.put_reference($1, $2::jsonb)', [table, JSON.stringify(rows)]);
  await put('sites', [{ id: 1, name: 'North' }, { id: 2, name: 'South' }]);
  await addSite(estate.admin, 'north', 'North station', 1);
  await addSite(estate.admin, 'south', 'South station', 2);
  await put('officers', [
    { id: 1, collar_number: 'PC 1234', display_name: 'Alex Morgan', status: 'active', site_id: 1 },
    { id: 2, collar_number: 'PC 2345', display_name: 'Sam Patel', status: 'active', site_id: 2 },
    { id: 3, collar_number: 'PC 3456', display_name: 'Jo Evans', status: 'active', site_id: 2 },
  ]);
  await put('qualifications', [{ id: 1, code: 'TASER', name: 'Taser initial' }]);
  await put('asset_types', [
    { id: 1, code: 'T7', name: 'Taser 7', category: 'taser' },
    { id: 2, code: 'BWV', name: 'Body-worn camera', category: 'camera' },
  ]);
  await put('asset_type_requirements', [{ asset_type_id: 1, qualification_id: 1 }]);
  await put('officer_qualifications', [1, 2, 3].map((id) => ({ officer_id: id, qualification_id: 1, awarded_on: '2026-01-01', valid_until: '2099-01-01' })));
  await terminalDraws('north-1', 'north', [
    // Due back in 2020: overdue by the estate's clock whenever the test runs.
    { serial: 'T7-0001', type: 'Taser 7', officer: 1, loan: 1, due: '2020-01-01T07:00:00.000Z' },
    { serial: 'BWV-0001', type: 'Body-worn camera', officer: 1, loan: 2 },
  ]);
  await terminalDraws('south-1', 'south', [{ serial: 'T7-0100', type: 'Taser 7', officer: 2, loan: 1 }]);
  service = await startEstateService({ databaseUrl: estate.cluster.adminUrl, estateName: 'Demo Borough estate' });

  // Nothing without the session the one-use link gives.
  const refused = await request.get(`${service.origin}/`);
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toBe('Open the sign-in link the estate service printed.');

  await page.goto(service.launchUrl);
  await expect(page.getByRole('heading', { level: 1, name: 'Demo Borough estate: estate picture' })).toBeVisible();
  // Mobilisation: armed where they drew; qualified and available at their home site.
  const mobilisation = page.getByRole('table', { name: "Mobilisation per site and type, with the estate's totals" });
  await expect(mobilisation.getByRole('row', { name: /^North station 1 0 1 0$/ })).toBeVisible();
  await expect(mobilisation.getByRole('row', { name: /^South station 1 1 1 1$/ })).toBeVisible();
  await expect(mobilisation.getByRole('row', { name: /^Whole estate 2 1 2 1$/ })).toBeVisible();
  const out = page.getByRole('table', { name: 'Items out now, per site and type, with totals' });
  await expect(out.getByRole('row', { name: /^Whole estate All types 3 2$/ })).toBeVisible();
  await expect(out.getByRole('row', { name: /^north Taser 7 1 1$/ })).toBeVisible();
  await expect(out.getByRole('row', { name: /^south All types 1 1$/ })).toBeVisible();
  const holdings = page.getByRole('table', { name: 'Every item out now, overdue first' });
  await expect(page.getByText('1 item is overdue, listed first.')).toBeVisible();
  await expect(holdings.getByRole('row').nth(1)).toHaveAccessibleName(/T7-0001 PC 1234 Alex Morgan north-1 .* Overdue since 2020-01-01T07:00:00.000Z$/);
  await expect(holdings.getByRole('row', { name: /BWV-0001 .* no due time$/ })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Every terminal and its link' }).getByRole('row', { name: /^north-1 north Accepted 2/ })).toBeVisible();
  await expectAccessible(page, 'estate page');
  await page.screenshot({ path: 'test-results/estate-page.png', fullPage: true });

  // The link works once; a foreign Host is refused; the page is read only.
  const again = await request.get(service.launchUrl, { maxRedirects: 0 });
  expect(again.status()).toBe(403);
  const rebound = await request.get(`${service.origin}/`, { headers: { host: 'evil.example' } });
  expect(rebound.status()).toBe(421);
  const cookies = await page.context().cookies();
  const posted = await request.post(`${service.origin}/`, { headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') } });
  expect(posted.status()).toBe(405);
  const csp = (await page.request.get(`${service.origin}/`)).headers()['content-security-policy'];
  expect(csp).toContain("default-src 'none'");
});
