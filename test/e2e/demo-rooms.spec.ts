import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { door, expectAccessible, lookAt, screen, setSimulator, signIn, signOut } from './kiosk-steps.ts';

// The demo as `npm start` shows it: the smart-locker rooms of resources/demo-terminal-config.json
// (a stores section, doors 17-40, and an exhibits section, doors 41-48) seeded on the demo site,
// with two bookings staged, one exhibit deposited and a month of history.
const DEMO_LAYOUT = (JSON.parse(readFileSync(new URL('../../resources/demo-terminal-config.json', import.meta.url), 'utf8')) as { lockerBank: unknown }).lockerBank;

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

test('the demo rooms: a booking ready to collect, an exhibit held, and a dashboard with a month behind it', async ({ page }) => {
  shell = await startShell({}, { lockerBank: DEMO_LAYOUT });
  await page.goto(shell.url);

  await signIn(page, { card: 'PC 1219', pin: '155433' });
  const booked = page.getByRole('region', { name: 'Booked for you' });
  await booked.getByRole('button', { name: /^Collect Airwave radio RAD-0101 from door 17/ }).click();
  await screen(page, 'draw-door-open');
  // A room of several banks: the door screen names the bank as well as the door.
  await expect(page.getByText('In the Stores lockers')).toBeVisible();
  await lookAt(page, 'a door in a named bank', 'demo-stores-door', true);
  await door(page, 'Take item from door', 17);
  await door(page, 'Close door', 17);
  await screen(page, 'draw-done');
  await setSimulator(page, false);
  await page.getByRole('button', { name: 'Sign out now' }).click();
  await screen(page, 'idle');

  // Pooled stock: gloves below their threshold; two hi-vis jackets booked, staged as one pack from the store.
  await signIn(page, { card: 'STR 01', pin: '9005' });
  await page.getByRole('button', { name: 'Bookings' }).click();
  await screen(page, 'bookings');
  const stock = page.getByRole('list', { name: 'Pooled stock' });
  await expect(stock).toContainText('Nitrile gloves, size M (box): 18 in the store, 0 in the lockers, 0 held for bookings, 0 out · low stock (below 20)');
  const jackets = page.getByRole('list', { name: 'Waiting' }).getByRole('listitem').filter({ hasText: '2 × Hi-vis jacket, size L for PC 1253' });
  await expectAccessible(page, 'bookings with pooled stock');
  await jackets.getByRole('button', { name: /^Stage it/ }).click();
  await screen(page, 'stage-door');
  await setSimulator(page, true);
  await door(page, 'Put item in door', 13);
  await door(page, 'Close door', 13);
  await screen(page, 'bookings');
  await setSimulator(page, false);
  await expect(stock).toContainText('Hi-vis jacket, size L: 10 in the store, 0 in the lockers, 2 held for bookings, 0 out');
  await page.getByRole('button', { name: 'Back' }).click();
  await signOut(page);

  await signIn(page, { card: 'PRP 01', pin: '9006' });
  await page.getByRole('button', { name: 'Exhibits' }).click();
  await screen(page, 'exhibits');
  await expect(page.getByRole('listitem').filter({ hasText: 'AM/1 · 23/41877/26 · drugs' })).toContainText('Behind its door: door 41');
  await page.getByRole('button', { name: 'Back' }).click();
  await signOut(page);

  await signIn(page, { card: 'ARM 01', pin: '9001' });
  await page.getByRole('button', { name: 'Console' }).click();
  await screen(page, 'console');
  await page.getByRole('tablist', { name: 'Console sections' }).getByRole('tab', { name: 'Dashboard', exact: true }).click();
  const dash = page.getByRole('tabpanel', { name: 'Dashboard' });
  // A week of the month's history: issues and returns every day, refusals by reason.
  const activity = dash.getByRole('figure', { name: 'Issues and returns per hour' }).getByRole('table');
  await expect(activity.getByRole('row')).not.toHaveCount(1);
  await expect(dash.getByRole('figure', { name: 'Refusals by reason' }).getByRole('table')).toContainText(/qualification/i);
  await lookAt(page, 'dashboard with the demo history', 'demo-dashboard', false);
  await expectAccessible(page, 'console dashboard');
});
