import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { drawTaserFromDoor1, expectAccessible, screen, setSimulator, signIn, signOut } from './kiosk-steps.ts';

const ALEX = { card: 'PC 1234', pin: '1234' }; // Taser refresher in date
const JO = { card: 'ARM 01', pin: '9001' }; // armourer

/** The bits of HTMLCanvasElement the check uses (the test tsconfig has no DOM lib). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

/** Every Content Security Policy complaint the page logs (chart.js must need none). */
function watchCsp(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

/** PC 1234 draws a Taser 7 from door 1 and signs out. */
const alexDrawsATaser = (page: Page) => drawTaserFromDoor1(page, ALEX);

async function openConsole(page: Page): Promise<void> {
  await signIn(page, JO);
  await page.getByRole('button', { name: 'Console', exact: true }).click();
  await screen(page, 'console');
  await expect(page.getByRole('heading', { level: 1, name: 'Armourer console' })).toBeVisible();
}

function tab(page: Page, name: string) {
  return page.getByRole('tablist', { name: 'Console sections' }).getByRole('tab', { name, exact: true });
}

test('the console is a tablist of eight sections, each accessible; officers do not see it', async ({ page }) => {
  shell = await startShell();
  const csp = watchCsp(page);
  await page.goto(shell.url);
  await screen(page, 'idle');

  // An officer has no Console button.
  await signIn(page, ALEX);
  await expect(page.getByRole('button', { name: 'Console', exact: true })).toHaveCount(0);
  await signOut(page);

  await openConsole(page);
  const tabs = page.getByRole('tablist', { name: 'Console sections' }).getByRole('tab');
  await expect(tabs).toHaveText(['Board', 'Mobilisation', 'Investigation', 'Dashboard', 'Assets', 'Stock check', 'Retired devices', 'Ammunition'].map((t) => new RegExp(`${t}$`)));
  await expect(tab(page, 'Board')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel', { name: 'Board' })).toBeVisible();

  // Keyboard: arrows move along the tabs (roving focus), Home/End jump.
  await tab(page, 'Board').focus();
  await page.keyboard.press('ArrowRight');
  await expect(tab(page, 'Mobilisation')).toBeFocused();
  await expect(tab(page, 'Mobilisation')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('End');
  await expect(tab(page, 'Ammunition')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowRight');
  await expect(tab(page, 'Board')).toHaveAttribute('aria-selected', 'true');

  for (const name of ['Board', 'Mobilisation', 'Investigation', 'Dashboard', 'Assets', 'Stock check', 'Retired devices', 'Ammunition']) {
    await tab(page, name).click();
    await expect(page.getByRole('tabpanel', { name })).toBeVisible();
    await expectAccessible(page, `console ${name}`);
  }

  // Assets: a reason is required before anything is sent.
  await tab(page, 'Assets').click();
  const action = page.locator('form.assets-action');
  await action.getByRole('textbox', { name: 'Serial number' }).fill('T7-0002');
  await action.getByRole('radio', { name: 'Quarantine' }).check();
  await action.getByRole('button', { name: 'Apply' }).click();
  await expect(action.getByRole('alert')).toContainText('A reason is required');
  await expectAccessible(page, 'console Assets (reason missing)');

  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await screen(page, 'home');
  expect(csp).toEqual([]);
});

test('board → investigation → CSV export: PC 1234 holds a Taser 7, the chain is verified', async ({ page }) => {
  shell = await startShell();
  const csp = watchCsp(page);
  await page.goto(shell.url);
  await screen(page, 'idle');
  await alexDrawsATaser(page);
  await openConsole(page);

  // Board: who holds what now (the demo site has other loans too: PC 1234 also holds a radio).
  const board = page.getByRole('tabpanel', { name: 'Board' });
  const row = board.getByRole('row').filter({ hasText: 'PC 1234' }).filter({ hasText: 'Taser 7' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('T7-0001');
  await expect(row).toContainText(/On loan|Overdue/);
  await expectAccessible(page, 'console board');
  await page.screenshot({ path: 'test-results/console-board.png' });

  // The category filter narrows it.
  await board.getByRole('radio', { name: 'Radio' }).check();
  await expect(board.getByRole('row').filter({ hasText: 'Airwave radio' }).first()).toBeVisible();
  await expect(board.getByRole('row').filter({ hasText: 'Taser 7' })).toHaveCount(0);
  await board.getByRole('radio', { name: 'Taser' }).check();
  await expect(row).toHaveCount(1);
  await expect(board.getByRole('row').filter({ hasText: 'Airwave radio' })).toHaveCount(0);

  // Pressing the officer opens the investigation, searched by collar number.
  await row.getByRole('button', { name: /^PC 1234 .*show timeline/ }).click();
  await expect(tab(page, 'Investigation')).toHaveAttribute('aria-selected', 'true');
  const inv = page.getByRole('tabpanel', { name: 'Investigation' });
  await expect(inv.getByRole('radio', { name: 'Officer' })).toBeChecked();
  await expect(inv.getByRole('textbox', { name: 'Collar number' })).toHaveValue('PC 1234');
  // One sentence per event, as a court would read it: who (collar and name), did what, to which item, where.
  const summaries = inv.locator('.inv-summary');
  await expect(summaries.filter({ hasText: /^PC 1234 Alex Morgan was cleared to draw Taser 7 T7-0001 from door 1 under release rule version \d+$/ })).toHaveCount(1);
  await expect(summaries.filter({ hasText: /^Door 1 opened for PC 1234 Alex Morgan to draw Taser 7 T7-0001$/ })).toHaveCount(1);
  await expect(summaries.filter({ hasText: /^PC 1234 Alex Morgan drew Taser 7 T7-0001 from door 1$/ })).toHaveCount(1);
  await expect(summaries.filter({ hasText: /^PC 1234 Alex Morgan signed in with card 04A1B2C3D4 and PIN$/ }).first()).toBeVisible();
  await expect(summaries.filter({ hasText: /^PC 1234 Alex Morgan signed out$/ }).first()).toBeVisible();
  await expect(summaries.filter({ hasText: /was released|\(signed out\)|undefined/ })).toHaveCount(0);
  await expect(inv.locator('[data-chain="ok"]')).toContainText(/✓\s*Audit chain verified: \d+ rows?/);
  await expectAccessible(page, 'console investigation');
  await inv.locator('[data-chain="ok"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/console-investigation.png' });

  // Export CSV: main makes the file, the page saves it.
  const [download] = await Promise.all([page.waitForEvent('download'), inv.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  expect(lines.length).toBeGreaterThan(1);
  expect(lines[0]).toMatch(/[a-z]/i);
  expect(lines[0]).not.toContain('T7-0001'); // a header row, not data
  expect(lines.slice(1).some((line) => line.includes('T7-0001'))).toBe(true);
  await expect(inv.getByRole('status')).toContainText(/Saved .*\.csv/);

  // Pressing the item searches by serial.
  await tab(page, 'Board').click();
  await row.getByRole('button', { name: /^Taser 7 T7-0001.*show timeline/ }).click();
  await expect(inv.getByRole('radio', { name: 'Asset' })).toBeChecked();
  await expect(inv.getByRole('textbox', { name: 'Asset serial or tag' })).toHaveValue('T7-0001');
  await expect(inv.locator('[data-chain="ok"]')).toBeVisible();

  // Mobilisation lists PC 1234 as armed with a Taser 7.
  await tab(page, 'Mobilisation').click();
  const mob = page.getByRole('tabpanel', { name: 'Mobilisation' });
  await expect(mob.getByRole('list', { name: 'Taser 7: armed now' })).toContainText('PC 1234');
  await expectAccessible(page, 'console mobilisation');
  // Print shows just the lists, black on white.
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.topbar')).not.toBeVisible();
  await page.screenshot({ path: 'test-results/console-mobilisation-print.png' });
  await page.emulateMedia({ media: 'screen' });
  const [mobCsv] = await Promise.all([page.waitForEvent('download'), mob.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(readFileSync(await mobCsv.path(), 'utf8')).toContain('PC 1234');
  expect(csp).toEqual([]);
});

test('the dashboard draws its charts with chart.js, each with a text alternative', async ({ page }) => {
  shell = await startShell();
  const csp = watchCsp(page);
  await page.goto(shell.url);
  await screen(page, 'idle');
  await alexDrawsATaser(page);
  await openConsole(page);
  await tab(page, 'Dashboard').click();
  const dash = page.getByRole('tabpanel', { name: 'Dashboard' });
  // Activity and utilisation always have something to draw here; refusals may be none yet.
  await expect(dash.locator('[data-chart="activity"] canvas')).toHaveCount(1);
  await expect(dash.locator('[data-chart="utilisation"] canvas')).toHaveCount(1);
  // chart.js has drawn: the canvas is not blank.
  const inked = await dash.locator('[data-chart="utilisation"] canvas').evaluate((node) => {
    const canvas = node as unknown as CanvasLike;
    const context = canvas.getContext('2d');
    if (!context) return 0;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) count++;
    return count;
  });
  expect(inked).toBeGreaterThan(1000);
  for (const name of ['Issues and returns per hour', 'Refusals by reason', 'Utilisation by type (on loan now)']) {
    const figure = dash.getByRole('figure', { name });
    await expect(figure).toBeVisible();
    await expect(figure.locator('figcaption')).not.toBeEmpty();
    await expect(figure.getByRole('table')).toHaveCount(1);
  }
  await expect(dash.getByRole('figure', { name: 'Utilisation by type (on loan now)' }).getByRole('table')).toContainText('Taser 7');
  await expect(dash.locator('[data-figure="overdue"] dd')).toHaveText(/\d/);
  await expectAccessible(page, 'console dashboard');
  // The page scrolls inside <main>: a tall window shows every chart in one picture.
  await page.setViewportSize({ width: 1280, height: 1700 });
  await page.waitForTimeout(800); // resize, then the 400 ms chart animation settles
  await page.screenshot({ path: 'test-results/dashboard.png' });
  expect(csp).toEqual([]);
});

test('assets: register, refuse a duplicate with main\'s message, quarantine with a reason', async ({ page }) => {
  shell = await startShell();
  const csp = watchCsp(page);
  await page.goto(shell.url);
  await screen(page, 'idle');
  await openConsole(page);
  await tab(page, 'Assets').click();
  const register = page.locator('form.assets-register');
  await register.getByRole('combobox', { name: 'Type' }).selectOption({ label: 'Taser 7' });
  await register.getByRole('textbox', { name: 'Serial number' }).fill('T7-9001');
  await register.getByRole('textbox', { name: 'Tag' }).fill('AKT79001');
  await register.getByRole('button', { name: 'Register asset' }).click();
  await expect(register.getByRole('status')).toContainText(/Registered Taser 7 T7-9001 \(asset #\d+\)/);

  // The same serial again: main refuses, and its words are shown in an alert.
  await register.getByRole('textbox', { name: 'Serial number' }).fill('T7-9001');
  await register.getByRole('textbox', { name: 'Tag' }).fill('AKT79002');
  await register.getByRole('button', { name: 'Register asset' }).click();
  await expect(register.getByRole('alert')).toContainText(/\S/);
  await expectAccessible(page, 'console assets (refused)');

  const action = page.locator('form.assets-action');
  await action.getByRole('textbox', { name: 'Serial number' }).fill('T7-9001');
  await action.getByRole('radio', { name: 'Quarantine' }).check();
  await action.getByRole('textbox', { name: 'Reason (required)' }).fill('Probe cartridge bay cracked on arrival.');
  await action.getByRole('button', { name: 'Apply' }).click();
  await expect(action.getByRole('status')).toContainText(/T7-9001 quarantined; its status is now \S+/);
  await expectAccessible(page, 'console assets (done)');
  await page.screenshot({ path: 'test-results/console-assets.png' });
  expect(csp).toEqual([]);
});

test('stock check: start, scans counted live, finish, report missing and unexpected', async ({ page }) => {
  shell = await startShell();
  const csp = watchCsp(page);
  await page.goto(shell.url);
  await screen(page, 'idle');
  await openConsole(page);
  await tab(page, 'Stock check').click();
  const stock = page.getByRole('tabpanel', { name: 'Stock check' });
  await stock.getByRole('button', { name: 'Start stock check' }).click();
  await expect(stock.getByText('Scan every item present')).toBeVisible();
  await expect(stock.locator('.stock-count')).toContainText('0 items scanned');
  await expectAccessible(page, 'console stock check (running)');

  // The scanner is in main: scans arrive there and the count follows (polled every second).
  await setSimulator(page, true);
  await page.getByRole('button', { name: /^Scan Taser 7 T7-0002 \(/ }).click();
  await expect(stock.locator('.stock-count')).toContainText('1 item scanned');
  await page.getByRole('button', { name: /^Scan .* \(on loan to / }).first().click();
  await expect(stock.locator('.stock-count')).toContainText('2 items scanned');
  await setSimulator(page, false);
  await page.screenshot({ path: 'test-results/console-stock-running.png' });

  await stock.getByRole('button', { name: 'Finish stock check' }).click();
  await expect(stock.getByRole('status').first()).toContainText('Stock check finished: 2 items scanned.');
  const missing = stock.getByRole('list', { name: 'Missing items' });
  await expect(missing).toContainText('T7-0003');
  await expect(missing).not.toContainText('T7-0002');
  await expect(stock.getByRole('list', { name: 'Unexpected scans' })).toContainText(/on loan to/);
  await expectAccessible(page, 'console stock check (report)');
  await page.screenshot({ path: 'test-results/console-stock-report.png' });
  expect(csp).toEqual([]);
});

test('ammunition: an armourer adds a lot, issues rounds at the counter, recalls the lot and sees who holds it', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');
  await openConsole(page);
  await tab(page, 'Ammunition').click();
  const panel = page.getByRole('tabpanel', { name: 'Ammunition' });
  const add = panel.getByRole('form', { name: 'Add an ammunition lot' });
  await add.getByRole('textbox', { name: 'Manufacturer' }).fill('Lapua');
  await add.getByRole('textbox', { name: 'Lot number' }).fill('L-2026-17');
  await add.getByRole('textbox', { name: 'Use by (yyyy-mm-dd, optional)' }).fill('2030-01-31');
  await add.getByRole('textbox', { name: 'Rounds delivered' }).fill('500');
  await add.getByRole('button', { name: 'Add the lot' }).click();
  const lot = panel.getByRole('listitem').filter({ hasText: 'Lapua lot L-2026-17' });
  await expect(lot).toContainText('500 in the store · 0 held by officers');
  const move = lot.getByRole('form', { name: 'Record a movement of lot L-2026-17' });
  await move.getByRole('radio', { name: 'Issued' }).check();
  await move.getByRole('textbox', { name: 'Rounds', exact: true }).fill('34');
  await move.getByRole('textbox', { name: 'Officer (collar number)' }).fill('PC 6789');
  await move.getByRole('textbox', { name: 'Why (incident, range day, delivery note)' }).fill('Glock kit, issued at the counter');
  await move.getByRole('button', { name: /^Record it/ }).click();
  await expect(lot).toContainText('466 in the store · 34 held by officers');
  await expectAccessible(page, 'console Ammunition');
  const recall = lot.getByRole('form', { name: 'Recall lot L-2026-17' });
  await recall.getByRole('textbox', { name: 'Recall reason' }).fill('Manufacturer recall 2026/14');
  await recall.getByRole('button', { name: /^Recall it/ }).click();
  await expect(panel.getByRole('list', { name: 'Holding rounds of recalled lot L-2026-17' })).toContainText('PC 6789 Grace Walsh: 34 rounds');
  await expect(lot).toContainText('Recalled: Manufacturer recall 2026/14');
  const download = page.waitForEvent('download');
  await lot.getByRole('button', { name: /^Holders \(CSV\)/ }).click();
  expect((await download).suggestedFilename()).toBe('recall-L-2026-17.csv');
  await expectAccessible(page, 'console Ammunition after a recall');
});
