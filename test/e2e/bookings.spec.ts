import { expect, test, type Page } from '@playwright/test';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { door, expectAccessible, lookAt, screen, setSimulator, signIn, signOut, typeOnScreen } from './kiosk-steps.ts';

// PCD 1698: kit booked, staged behind a door by stores, collected by the officer with card and
// PIN. Every word is typed with the on-screen keyboard's keys (the page's keyboard is never
// used), as at a touchscreen with no keyboard.
const KIM = { card: 'STR 01', pin: '9005' }; // stores
const GRACE = { card: 'PC 1202', pin: '147514' }; // holds no radio
const STAGE_DOOR = 13; // the first free door: 13 and 14 are empty in the demo

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

/** Tap a field, then type into it with the on-screen keyboard and close the keyboard. */
async function typeInto(page: Page, field: ReturnType<Page['getByRole']>, text: string): Promise<void> {
  await field.click();
  const keyboard = page.getByRole('region', { name: /^On-screen keyboard, typing into / });
  await expect(keyboard).toBeVisible();
  await typeOnScreen(page, text);
  await expect(field).toHaveValue(text);
  await keyboard.getByRole('button', { name: 'Done', exact: true }).click();
}

test('stores book and stage a radio with the on-screen keyboard; the officer collects it from its door', async ({ page }) => {
  shell = await startShell({ doneSignOutSeconds: 30 });
  await page.goto(shell.url);
  await signIn(page, KIM);
  // Stores see Bookings, not the armourer's console.
  await expect(page.getByRole('button', { name: 'Console' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Bookings' }).click();
  await screen(page, 'bookings');
  // The demo's two bookings wait to be staged, the mobilisation one first.
  const waiting = page.getByRole('list', { name: 'Waiting' });
  await expect(waiting.getByRole('heading', { level: 3 }).first()).toHaveText(/Mobilisation.*Airwave radio RAD-0007 for PC 7890 Ben Wright/);

  const form = page.getByRole('form', { name: 'Book kit' });
  await typeInto(page, form.getByRole('textbox', { name: 'Collecting officer (collar number)' }), 'PC 1202');
  await form.getByRole('radio', { name: 'A specific item' }).check();
  await typeInto(page, form.getByRole('textbox', { name: 'Item (serial or tag)' }), 'RAD-0006');
  await form.getByRole('group', { name: 'Then held for collection for' }).getByRole('radio', { name: '12 hours' }).check();
  const reference = form.getByRole('textbox', { name: 'Reference' });
  await reference.click();
  await expectAccessible(page, 'bookings (form, on-screen keyboard)');
  await typeOnScreen(page, 'NIGHT-1');
  await page.getByRole('region', { name: /^On-screen keyboard/ }).getByRole('button', { name: 'Done', exact: true }).click();
  await form.getByRole('button', { name: 'Book it' }).click();
  await expect(form.getByRole('status')).toHaveText(/Booked Airwave radio RAD-0006 for PC 1202 Grace Silva \(NIGHT-1\)/);

  const booking = waiting.getByRole('listitem').filter({ hasText: 'Airwave radio RAD-0006 for PC 1202 Grace Silva' });
  await expect(booking).toContainText('Stage Airwave radio RAD-0006');
  await lookAt(page, 'bookings', 'bookings', false);
  await booking.getByRole('button', { name: /^Stage it/ }).click();
  await screen(page, 'stage-door');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Door ${STAGE_DOOR} is open`);
  await expect(page.getByText(/held for PC 1202 Grace Silva \(booking NIGHT-1\)/)).toBeVisible();
  await lookAt(page, 'stage door', 'bookings-stage-door', true);
  await door(page, 'Put item in door', STAGE_DOOR);
  await door(page, 'Close door', STAGE_DOOR);
  await screen(page, 'bookings');
  await expect(page.getByText(`Airwave radio RAD-0006 is in door ${STAGE_DOOR}, held for PC 1202 Grace Silva (booking NIGHT-1).`).first()).toBeVisible();
  await expect(booking).toContainText(`Waiting for PC 1202 Grace Silva at door ${STAGE_DOOR}`);
  await setSimulator(page, false);
  await page.getByRole('button', { name: 'Back' }).click();
  await signOut(page);

  await signIn(page, GRACE);
  const panel = page.getByRole('region', { name: 'Booked for you' });
  await expect(panel).toBeVisible();
  await lookAt(page, 'home with a booking', 'bookings-home', false);
  await panel.getByRole('button', { name: new RegExp(`^Collect Airwave radio RAD-0006 from door ${STAGE_DOOR}`) }).click();
  await screen(page, 'draw-door-open');
  await setSimulator(page, true);
  await door(page, 'Take item from door', STAGE_DOOR);
  await door(page, 'Close door', STAGE_DOOR);
  await screen(page, 'draw-done');
  await setSimulator(page, false);
  await expect(page.getByText(/RAD-0006/).first()).toBeVisible();
  await page.getByRole('button', { name: 'Sign out now' }).click();
  await screen(page, 'idle');
});

test('an officer whose booking is not staged yet is told stores are preparing it, and cannot collect', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await signIn(page, { card: 'PC 7890', pin: '7890' });
  const panel = page.getByRole('region', { name: 'Booked for you' });
  await expect(panel).toContainText('Airwave radio RAD-0007 (booking MOB-OP-ASTER): stores are preparing it.');
  await expect(panel.getByRole('button')).toHaveCount(0);
  await expectAccessible(page, 'home with a booking being prepared');
});
