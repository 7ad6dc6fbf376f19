/**
 * The Training records screen's file upload in Chromium with a 5 MB export, through the
 * browser shell's socket (whose message cap once closed the socket on a 79 KB file).
 */
import { expect, test } from '@playwright/test';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { expectAccessible, screen, signIn } from './kiosk-steps.ts';

const ADMIN = { card: 'ADM 01', pin: '9003' }; // Chris Patel, site admin
const FIVE_MB = 5 * 1024 * 1024;

let shell: RunningShell | null = null;
test.afterEach(async () => {
  await shell?.stop();
  shell = null;
});

test('a site admin uploads a 5 MB export: main refuses it whole and the screen lists the rows', async ({ page }) => {
  // 140,000 rows validated, 1,000 of them drawn in the report and checked by axe: slow on a busy 2-core machine.
  test.setTimeout(180_000);
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, ADMIN);
  await page.getByRole('button', { name: 'Training records' }).click();
  await screen(page, 'training');

  // A force-wide export: officers this terminal does not know, 140,000 rows of them.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const rows = Array.from({ length: 140_000 }, (_, i) => `PC ${100_000 + i},TASER,${day(-5)},${day(360)}`);
  const buffer = Buffer.from(['collar_number,qualification_code,awarded_on,expires_on', ...rows].join('\n'));
  expect(buffer.length).toBeGreaterThan(FIVE_MB);
  const started = Date.now();
  await page.getByLabel('Training export file (CSV or JSON)').setInputFiles({ name: 'force-export.csv', mimeType: 'text/csv', buffer });
  const rejected = page.getByRole('alert').locator('[data-status="rejected"]');
  await expect(rejected).toBeVisible({ timeout: 30_000 });
  test.info().annotations.push({ type: 'upload', description: `${buffer.length} bytes, report shown after ${Date.now() - started} ms` });
  await expect(rejected).toContainText('Rejected: nothing changed');
  const table = rejected.getByRole('table', { name: 'Problems in force-export.csv' });
  // Row numbers count data rows: the first officer is row 1.
  await expect(table.getByRole('row').filter({ hasText: '"PC 100000"' }).locator('td, th').first()).toHaveText('1');
  await expect(rejected).toContainText('139000 more problems are not listed');
  await expect(table.getByRole('row').filter({ hasText: 'Unknown officer' }).first()).toBeVisible();
  // The socket stayed up: the screen still talks to main.
  await expect(page.getByText('Lost contact')).toHaveCount(0);
  await expectAccessible(page, 'training (5 MB rejected)');
});
