import { expect, test, type Locator, type Page } from '@playwright/test';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { AuditLog } from '../../main/core/audit.ts';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { enterPin, expectAccessible, screen, setSimulator, signIn, signOut, tapCard } from './kiosk-steps.ts';

const PRIYA = { card: 'PC 2345', pin: '2345' }; // Taser refresher expired
const MARCUS = { card: 'ARM 02', pin: '9002' }; // armourer
const JO = { card: 'ARM 01', pin: '9001' }; // armourer
const ADMIN = { card: 'ADM 01', pin: '9003' }; // Chris Patel, site admin

const SAMPLES = new URL('../../resources/training-samples/', import.meta.url).pathname;

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

function exceptionItem(page: Page, kind: string, text: string | RegExp): Locator {
  return page.locator(`li[data-kind="${kind}"]`).filter({ hasText: text });
}

test('an armourer overrides an expired Taser refresher; another acknowledges and resolves the exception', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');

  // Priya is refused, with the date her refresher expired, and asks for an override.
  await signIn(page, PRIYA);
  await expect(page.getByRole('button', { name: /^Draw Taser 7/ })).toHaveCount(0);
  await expect(page.getByText(/Taser refresher expired \d+ \w{3} \d{4}/).first()).toBeVisible();
  await expect(page.getByText('Needed now? Ask an armourer to override.').first()).toBeVisible();
  await expectAccessible(page, 'home (overridable refusal)');
  await page.getByRole('button', { name: 'Override Taser 7', exact: true }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/home-override.png' });
  await page.getByRole('button', { name: 'Override Taser 7', exact: true }).click();

  // Step 1: the armourer's card.
  await screen(page, 'override');
  await expect(page.getByRole('heading', { level: 1, name: 'Override: Taser 7' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 2, name: 'An armourer taps their card' })).toBeVisible();
  await expect(page.locator('[data-reason="qualification-expired"]')).toContainText(/Taser refresher expired \d+ \w{3} \d{4}/);
  await expect(page.locator('[aria-current="step"]')).toContainText("Armourer's card");
  await expectAccessible(page, 'override (card)');

  // Step 2: Marcus taps and enters his PIN; a wrong one first.
  await tapCard(page, MARCUS.card);
  await expect(page.getByRole('heading', { level: 2, name: 'Armourer: enter your PIN' })).toBeVisible();
  await setSimulator(page, false);
  await expect(page.locator('[aria-current="step"]')).toContainText("Armourer's PIN");
  await expectAccessible(page, 'override (PIN)');
  await enterPin(page, '0000');
  await expect(page.getByRole('alert').filter({ hasText: 'Card or PIN not accepted' })).toBeVisible();
  await expectAccessible(page, 'override (PIN refused)');
  await page.screenshot({ path: 'test-results/override-pin.png' });
  await enterPin(page, MARCUS.pin);

  // Step 3: reason and note.
  await expect(page.getByRole('heading', { level: 2, name: /why is this override needed/ })).toBeVisible();
  const reasons = page.getByRole('group', { name: 'Reason' });
  await expect(reasons.getByRole('radio').first()).toBeVisible();
  // The note is required: authorising without one is stopped on the screen.
  await reasons.getByRole('radio', { name: 'Spontaneous incident: immediate deployment' }).check();
  await page.getByRole('button', { name: 'Authorise override and open door' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Write a note' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Note (what happened and why)' }).fill('Armed robbery in progress on the High Street; Taser officer needed now.');
  await expect(reasons.getByRole('radio', { name: 'Spontaneous incident: immediate deployment' })).toBeChecked();
  await expectAccessible(page, 'override (reason)');
  await page.screenshot({ path: 'test-results/override-reason.png' });
  await page.getByRole('button', { name: 'Authorise override and open door' }).click();

  // The door opens under the override; she takes the Taser and closes it.
  await screen(page, 'draw-door-open');
  // "opening…" until a poll has seen it open: the heading names the door either way.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Door \d+ is open$/);
  const door = Number((await page.getByRole('heading', { level: 1 }).innerText()).match(/Door (\d+) is open/)?.[1]);
  expect(door).toBeGreaterThan(0);
  await setSimulator(page, true);
  await page.getByRole('button', { name: `Take item from door ${door}`, exact: true }).click();
  await page.getByRole('button', { name: `Close door ${door}`, exact: true }).click();
  await setSimulator(page, false);
  await screen(page, 'draw-done');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Taser 7');
  await page.getByRole('button', { name: 'Sign out now' }).click();
  await screen(page, 'idle');

  // Jo reviews the exceptions queue.
  await signIn(page, JO);
  await expect(page.getByRole('button', { name: 'Training records' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Rules', exact: true })).toHaveCount(0);
  await page.getByRole('button', { name: 'Exceptions', exact: true }).click();
  await screen(page, 'exceptions');
  await expect(page.getByRole('radio', { name: 'Unresolved' })).toBeChecked();
  const item = exceptionItem(page, 'override-used', 'PC 2345');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('Override used');
  await expect(item).toContainText('ARM 02');
  await expect(item).toContainText('Armed robbery in progress');
  await expect(item).toContainText('Open');
  await expectAccessible(page, 'exceptions');
  await page.screenshot({ path: 'test-results/exceptions.png' });

  await item.getByRole('button', { name: /^Acknowledge/ }).click();
  await expect(page.getByRole('status').filter({ hasText: /acknowledged\./ })).toBeVisible();
  await expect(item).toHaveAttribute('data-state', 'acknowledged');
  await expect(item).toContainText(/Acknowledged by ARM 01 Jo Evans at \d\d:\d\d/);
  await expect(item.getByRole('button', { name: /^Acknowledge/ })).toHaveCount(0);

  await item.getByRole('button', { name: /^Resolve…/ }).click();
  const note = item.getByRole('textbox', { name: 'Resolution note (what was done)' });
  await expect(note).toBeFocused();
  await expectAccessible(page, 'exceptions (resolving)');
  await page.screenshot({ path: 'test-results/exceptions-resolving.png' });
  await note.fill('Spoke to PC 2345 and ARM 02; refresher booked for Monday.');
  await item.getByRole('button', { name: /^Resolve\b(?!…)/ }).click();
  await expect(page.getByRole('status').filter({ hasText: /resolved\./ })).toBeVisible();
  // Resolved: gone from the unresolved view, there with its note under "Resolved".
  await expect(item).toHaveCount(0);
  await page.getByRole('radio', { name: 'Resolved', exact: true }).check();
  const resolved = exceptionItem(page, 'override-used', 'PC 2345');
  await expect(resolved).toHaveAttribute('data-state', 'resolved');
  await expect(resolved).toContainText(/Resolved by ARM 01 Jo Evans at \d\d:\d\d/);
  await expect(resolved).toContainText('Note: Spoke to PC 2345 and ARM 02; refresher booked for Monday.');
  await expectAccessible(page, 'exceptions (resolved)');
  await page.screenshot({ path: 'test-results/exceptions-resolved.png' });
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await screen(page, 'home');
  await signOut(page);

  // Everything above is in the audit chain, and the chain is intact.
  const db = new Database(join(shell.dataDir, 'armoury.db'), { readonly: true, fileMustExist: true });
  try {
    const verdict = new AuditLog(db).verify();
    expect(verdict).toMatchObject({ ok: true });
    const actions = db.prepare<[], { action: string }>('SELECT action FROM audit_log ORDER BY seq').all().map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['override.granted', 'exception.acknowledged', 'exception.resolved']));
  } finally {
    db.close();
  }
});

test('a site admin imports training records, all or nothing, and a renewed officer may draw again', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, ADMIN);
  await expect(page.getByRole('button', { name: 'Exceptions', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Training records' }).click();
  await screen(page, 'training');
  await expect(page.getByText('No imports yet.')).toBeVisible();
  await expectAccessible(page, 'training (empty)');

  const picker = page.getByLabel('Training export file (CSV or JSON)');
  // Like resources/training-samples/renew-taser.csv (PC 2345 and PC 3456 renewed), but dated
  // from today so the test does not expire with the sample.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const renewal = ['collar_number,qualification_code,awarded_on,expires_on', `PC 2345,TASER,${day(-5)},${day(360)}`, `PC 3456,TASER,${day(-12)},${day(353)}`].join('\n');
  await picker.setInputFiles({ name: 'renew-taser.csv', mimeType: 'text/csv', buffer: Buffer.from(`${renewal}\n`) });
  const applied = page.getByRole('status').locator('[data-status="applied"]');
  await expect(applied).toBeVisible();
  await expect(applied).toContainText('Applied');
  await expect(applied.getByRole('definition')).toHaveText(['2', '2', '0']); // rows, changed, problems

  // A bad file: rejected whole, every problem listed with its row.
  await picker.setInputFiles(join(SAMPLES, 'invalid-export.csv'));
  const rejected = page.getByRole('alert').locator('[data-status="rejected"]');
  await expect(rejected).toBeVisible();
  await expect(rejected).toContainText('Rejected: nothing changed');
  const table = rejected.getByRole('table', { name: 'Problems in invalid-export.csv' });
  await expect(table.getByRole('row')).toHaveCount(1 + 8);
  await expect(table.getByRole('row').filter({ hasText: 'Unknown officer' })).toContainText('2');
  await expect(table.getByRole('row').filter({ hasText: 'Unknown qualification' })).toHaveCount(1);
  await expect(table.getByRole('row').filter({ hasText: 'Duplicate row' })).toHaveCount(1);
  await expect(table.getByRole('row').filter({ hasText: 'Malformed' })).toHaveCount(1);
  await expect(rejected.getByRole('definition').nth(1)).toHaveText('0'); // changed

  // Both imports are in the history, newest first, problems behind a disclosure.
  const history = page.getByRole('list', { name: 'Past imports' }).getByRole('listitem');
  await expect(history).toHaveCount(2);
  await expect(history.nth(0)).toContainText('invalid-export.csv');
  await expect(history.nth(0)).toContainText('Rejected: nothing changed');
  await expect(history.nth(1)).toContainText('renew-taser.csv');
  await expect(history.nth(1)).toContainText('Applied');
  await history.nth(0).getByText(/^Show 8 problems/).click();
  await expect(history.nth(0).getByRole('table')).toBeVisible();
  await expect(history.nth(0).getByText(/^Hide 8 problems/)).toBeVisible();
  await expectAccessible(page, 'training (rejected)');
  await page.locator('main').evaluate((main) => main.scrollTo(0, 0));
  await page.screenshot({ path: 'test-results/training.png' });
  await history.nth(0).getByRole('table').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/training-history.png' });

  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await screen(page, 'home');
  await signOut(page);

  // Priya's refresher is renewed: she may draw a Taser again.
  await signIn(page, PRIYA);
  await expect(page.getByRole('button', { name: /^Draw Taser 7/ })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Override Taser 7' })).toHaveCount(0);
});

test('a training upload is read as bytes: a Latin-1 file, or one with no expiry for a Taser, is refused whole with the reason', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, ADMIN);
  await page.getByRole('button', { name: 'Training records' }).click();
  await screen(page, 'training');
  const picker = page.getByLabel('Training export file (CSV or JSON)');

  await picker.setInputFiles(join(SAMPLES, 'latin1-export.csv'));
  const notUtf8 = page.getByRole('alert').locator('[data-status="rejected"]');
  await expect(notUtf8).toContainText('Rejected: nothing changed');
  await expect(notUtf8.getByRole('table', { name: 'Problems in latin1-export.csv' })).toContainText('the file is not UTF-8 text (first bad character on line 3)');

  await picker.setInputFiles(join(SAMPLES, 'no-expiry.csv'));
  const table = page.getByRole('alert').getByRole('table', { name: 'Problems in no-expiry.csv' });
  await expect(table.getByRole('row')).toHaveCount(1 + 2);
  await expect(table.getByRole('row').nth(1)).toContainText('no expiry date, and TASER has no validity period to work one out from');
  await expectAccessible(page, 'training (no expiry)');
  await page.screenshot({ path: 'test-results/training-no-expiry.png' });

  // Nothing was applied: Priya's lapsed refresher still refuses her a Taser.
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await screen(page, 'home');
  await signOut(page);
  await signIn(page, PRIYA);
  await expect(page.getByRole('button', { name: 'Override Taser 7' })).toBeVisible();
});

test('a site admin changes a release rule, saving a new version', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, ADMIN);
  await page.getByRole('button', { name: 'Rules', exact: true }).click();
  await screen(page, 'rules');
  const radio = page.getByRole('region', { name: 'Airwave radio' });
  await expect(radio.locator('.rule-version-number')).toHaveText('1');
  await expectAccessible(page, 'rules');

  const allOf = radio.getByRole('textbox', { name: /^All of/ });
  await expect(allOf).toHaveValue('');
  // An unknown code is refused by main with a reason, and nothing is saved.
  await allOf.fill('NOPE');
  await radio.getByRole('button', { name: /^Save as version 2/ }).click();
  await expect(radio.getByRole('alert')).toContainText('"NOPE"');
  await expect(radio.locator('.rule-version-number')).toHaveText('1');

  await allOf.fill('BWV');
  await radio.getByRole('button', { name: /^Save as version 2/ }).click();
  await expect(radio.getByRole('status')).toContainText('Saved Airwave radio as version 2.');
  await expect(radio.locator('.rule-version-number')).toHaveText('2');
  await expect(radio).toContainText(/Last changed .* by ADM 01 Chris Patel/);
  await expect(radio.getByRole('textbox', { name: /^All of/ })).toHaveValue('BWV');
  await expect(radio.getByRole('button', { name: /^Save as version 3/ })).toBeDisabled();
  await expectAccessible(page, 'rules (saved)');
  await radio.getByRole('status').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/rules.png' });
});
