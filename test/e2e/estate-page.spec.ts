import { expect, test } from '@playwright/test';
import pg from 'pg';
import { addSite, addTerminal } from '../../estate/admin.ts';
import { startEstateService, type EstateService } from '../../estate/service.ts';
import { AuditLog } from '../../main/core/audit.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { POSTGRES_MISSING, startTestEstate, type TestEstate } from '../helpers/postgres.ts';
import { join, tempDir } from '../helpers/temp-db.ts';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { drawTaserFromDoor1, expectAccessible, screen, signIn } from './kiosk-steps.ts';

// The control room's read-only estate page in Chromium: the estate's real database, events
// from two terminals' real audit logs, and the service's sign-in rules.

test.skip(POSTGRES_MISSING !== null, POSTGRES_MISSING ?? '');

let estate: TestEstate | null = null;
let service: EstateService | null = null;
let shell: RunningShell | null = null;
const cleanups: (() => void)[] = [];

test.afterEach(async () => {
  await shell?.stop();
  shell = null;
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

test("a terminal connected to the estate shows the whole estate in its console's mobilisation, beside its own", async ({ page }) => {
  test.setTimeout(120_000);
  estate = await startTestEstate();
  const put = (table: string, rows: unknown[]) => estate?.admin.query('SELECT estate.put_reference($1, $2::jsonb)', [table, JSON.stringify(rows)]);
  await addSite(estate.admin, 'demo', 'Demo station');
  await addSite(estate.admin, 'north', 'North station', 101);
  const credentials = await addTerminal(estate.admin, 'demo-1', 'demo');
  shell = await startShell({}, { estate: { url: `postgresql://${credentials.roleName}@127.0.0.1:${estate.cluster.port}/armoury_estate`, password: credentials.password } });
  await page.goto(shell.url);
  await screen(page, 'idle');

  // A Taser drawn here reaches the estate through the terminal's publisher.
  await drawTaserFromDoor1(page, { card: 'PC 1234', pin: '1234' });
  await expect.poll(async () => Number((await estate?.admin.query<{ n: string }>('SELECT count(*) AS n FROM estate.holdings'))?.rows[0]?.n), { timeout: 20_000 }).toBe(1);

  // North's officers and their records, from the estate's reference data (ids clear of the demo site's).
  await put('sites', [{ id: 101, name: 'North' }]);
  await put('qualifications', [{ id: 501, code: 'EST-TASER', name: 'Taser (estate)', validity_months: null }]);
  await put('asset_types', [{ id: 501, code: 'EST-T7', name: 'Taser 7', category: 'taser', max_per_officer: 1, self_service: 1 }]);
  await put('asset_type_requirements', [{ asset_type_id: 501, qualification_id: 501 }]);
  await put('officers', [9001, 9002, 9003].map((id) => ({ id, collar_number: `PC ${id}`, display_name: `North officer ${id}`, status: id === 9003 ? 'suspended' : 'active', site_id: 101, created_at: '2026-01-01T00:00:00.000Z', unit: null, left_on: null })));
  await put('officer_qualifications', [9001, 9002, 9003].map((id) => ({ officer_id: id, qualification_id: 501, awarded_on: '2026-01-01', expires_on: '2099-01-01', source: 'estate', recorded_at: '2026-01-01T00:00:00.000Z', import_id: null, valid_until: '2099-01-01' })));

  await signIn(page, { card: 'ARM 01', pin: '9001' });
  await page.getByRole('button', { name: 'Console', exact: true }).click();
  await screen(page, 'console');
  await page.getByRole('tablist', { name: 'Console sections' }).getByRole('tab', { name: 'Mobilisation', exact: true }).click();
  const panel = page.getByRole('tabpanel', { name: 'Mobilisation' });
  const scope = panel.getByRole('group', { name: 'Show' });
  await expect(scope.getByRole('button', { name: 'This terminal' })).toHaveAttribute('aria-pressed', 'true');
  await scope.getByRole('button', { name: 'Whole estate' }).click();
  await expect(scope.getByRole('button', { name: 'Whole estate' })).toHaveAttribute('aria-pressed', 'true');

  const table = panel.getByRole('table', { name: 'Estate mobilisation per site and type' });
  // The Taser drawn here counts at this terminal's site; North's two active officers are available there.
  await expect(table.getByRole('row', { name: /^Demo station 1 \/ 0 1 \/ 0 Show officers at Demo station$/ })).toBeVisible();
  await expect(table.getByRole('row', { name: /^North station 0 \/ 2 0 \/ 2 Show officers at North station$/ })).toBeVisible();
  await expect(table.getByRole('row', { name: /^Whole estate 1 \/ 2 1 \/ 2$/ })).toBeVisible();
  await table.getByRole('button', { name: 'Show officers at North station' }).click();
  await expect(panel.getByRole('list', { name: 'Taser 7 at North station: available to deploy' }).getByRole('listitem')).toHaveText(['PC 9001 North officer 9001', 'PC 9002 North officer 9002']);
  await expectAccessible(page, 'console estate mobilisation');
  await page.screenshot({ path: 'test-results/console-estate-mobilisation.png', fullPage: true });

  // The estate gone: the console says so, and this terminal's own picture is still there.
  await estate.stop();
  estate = null;
  await panel.getByRole('button', { name: 'Refresh' }).click();
  await expect(panel.getByText(/The estate database did not answer/)).toBeVisible({ timeout: 15_000 });
  await scope.getByRole('button', { name: 'This terminal' }).click();
  await expect(panel.getByRole('list', { name: 'Taser 7: armed now' })).toContainText('PC 1234');
});
