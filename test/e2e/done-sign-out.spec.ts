import { expect, test, type Page } from '@playwright/test';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { door, enterPin, expectAccessible, screen, setSimulator, signIn, tapCard } from './kiosk-steps.ts';
import { countTouches, resetTouches, touches, type Touches } from './touches.ts';

// Issue #10, point 6: after a completed draw, return or swap the done screen counts down and
// main signs the officer out, so a draw from the idle screen is card, PIN, Enter and one touch.

const ALEX = { card: 'PC 1234', pin: '1234' }; // Taser in date; holds radio RAD-0003 and laptop LT19-0001 (swap ordered)
const PRIYA = { card: 'PC 2345', pin: '2345' }; // Taser refresher expired: overridable
const MARCUS = { card: 'ARM 02', pin: '9002' }; // armourer

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

const NONE: Touches = { card: 0, screen: 0, key: 0, scan: 0, door: 0 };

/** The door number the screen's heading says is open ("Door 13 is open"). */
async function openDoor(page: Page): Promise<number> {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Door \d+ is open/);
  return Number((await page.getByRole('heading', { level: 1 }).innerText()).match(/Door (\d+) is open/)?.[1]);
}

/** At the lockers: take the item (or put it in), and shut the door. */
async function atTheLockers(page: Page, action: 'Take item from door' | 'Put item in door'): Promise<void> {
  const number = await openDoor(page);
  await setSimulator(page, true);
  await door(page, action, number);
  await door(page, 'Close door', number);
}

/** The done screen appeared with its countdown, and main signs the officer out at its end, touching nothing. */
async function signedOutByTheCountdown(page: Page, done: 'draw-done' | 'return-done' | 'swap-done'): Promise<void> {
  await screen(page, done);
  await expect(page.getByRole('timer')).toHaveText(/Signing you out in \d s/);
  await screen(page, 'idle');
}

test('touches per journey, from the idle screen back to it: the done screen signs the officer out', async ({ page }) => {
  test.setTimeout(120_000);
  shell = await startShell(); // the shipped countdown, 5 s
  await countTouches(page);
  await page.goto(shell.url);
  await screen(page, 'idle');
  const counted: Record<string, Touches> = {};

  // Draw: card, PIN, Enter, the draw button; take the Taser and shut the door.
  await resetTouches(page);
  await signIn(page, ALEX);
  await page.getByRole('button', { name: /^Draw Taser 7/ }).click();
  await atTheLockers(page, 'Take item from door');
  await signedOutByTheCountdown(page, 'draw-done');
  counted.draw = await touches(page);
  expect(counted.draw).toEqual({ ...NONE, card: 1, screen: 6, door: 2 });

  // Return: card, PIN, Enter, the return button; put it in, shut the door; its condition.
  await resetTouches(page);
  await signIn(page, ALEX);
  await page.getByRole('button', { name: 'Return Airwave radio RAD-0003', exact: true }).click();
  await atTheLockers(page, 'Put item in door');
  await setSimulator(page, false);
  await page.getByRole('button', { name: 'OK', exact: true }).click();
  await signedOutByTheCountdown(page, 'return-done');
  counted.return = await touches(page);
  expect(counted.return).toEqual({ ...NONE, card: 1, screen: 7, door: 2 });

  // Swap: card, PIN, Enter, the swap button; scan the old laptop, put it in, shut; take the new one, shut.
  await resetTouches(page);
  await signIn(page, ALEX);
  await page.getByRole('button', { name: /^Swap your Laptop \(2019 build\) LT19-0001/ }).click();
  const deposit = await openDoor(page);
  await setSimulator(page, true);
  await page.getByRole('button', { name: /^Scan Laptop \(2019 build\) LT19-0001 / }).click();
  await expect(page.locator('[data-tag="matched"]')).toBeVisible();
  await door(page, 'Put item in door', deposit);
  await door(page, 'Close door', deposit);
  await expect(page.getByRole('heading', { level: 1 })).not.toHaveText(`Door ${deposit} is open`);
  await atTheLockers(page, 'Take item from door');
  await signedOutByTheCountdown(page, 'swap-done');
  counted.swap = await touches(page);
  expect(counted.swap).toEqual({ ...NONE, card: 1, screen: 6, scan: 1, door: 4 });

  // Override: the officer's card, PIN, Enter, "Override"; the armourer's card, PIN, Enter; a reason,
  // the note (a tap on its box, then typed), "Authorise"; take the Taser and shut the door.
  const note = 'Armed robbery';
  await resetTouches(page);
  await signIn(page, PRIYA);
  await page.getByRole('button', { name: 'Override Taser 7', exact: true }).click();
  await screen(page, 'override');
  await tapCard(page, MARCUS.card);
  await expect(page.getByRole('heading', { level: 2, name: 'Armourer: enter your PIN' })).toBeVisible();
  await setSimulator(page, false);
  await enterPin(page, MARCUS.pin);
  await page.getByRole('group', { name: 'Reason' }).getByRole('radio', { name: 'Spontaneous incident: immediate deployment' }).check();
  await page.getByRole('textbox', { name: 'Note (what happened and why)' }).click();
  await page.keyboard.type(note);
  await page.getByRole('button', { name: 'Authorise override and open door' }).click();
  await screen(page, 'draw-door-open');
  await atTheLockers(page, 'Take item from door');
  await signedOutByTheCountdown(page, 'draw-done');
  counted.override = await touches(page);
  expect(counted.override).toEqual({ ...NONE, card: 2, screen: 14, key: note.length, door: 2 });

  // For the README's table ("Touches per journey").
  console.log(`touches per journey: ${JSON.stringify(counted)}`);
});

test('the done screen counts down from main, says so once, and "Stay signed in" or a touch anywhere keeps the officer', async ({ page }) => {
  shell = await startShell({ doneSignOutSeconds: 20 });
  await page.goto(shell.url);
  await signIn(page, ALEX);
  await page.getByRole('button', { name: /^Draw Taser 7/ }).click();
  await atTheLockers(page, 'Take item from door');
  await setSimulator(page, false);
  await screen(page, 'draw-done');

  // Seen and said: the seconds in words (not colour alone), announced once by a polite status, not each second.
  const timer = page.getByRole('timer');
  await expect(timer).toHaveText(/^Signing you out in (20|19|18) s$/);
  await expect(timer).not.toHaveAttribute('aria-live', /polite|assertive/);
  await expect(page.getByRole('status').filter({ hasText: 'You will be signed out in 20 seconds. To carry on, press Stay signed in.' })).toHaveCount(1);
  const stay = page.getByRole('button', { name: 'Stay signed in' });
  const signOutNow = page.getByRole('button', { name: 'Sign out now' });
  for (const button of [stay, signOutNow]) expect((await button.boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(96);
  await expectAccessible(page, 'draw-done (counting down)');
  await page.screenshot({ path: 'test-results/draw-done-countdown.png' });
  // Main pushes each second from its own clock: the seconds go down without a touch.
  await expect(timer).toHaveText(/Signing you out in 1[0-7] s/, { timeout: 8_000 });
  await stay.click();
  await screen(page, 'home');
  await expect(page.getByText('Alex Morgan')).toBeVisible();

  // A touch anywhere on the done screen (here its text) keeps the officer too, and goes home.
  await page.getByRole('button', { name: /^Return Taser 7 T7-0001/ }).click();
  await atTheLockers(page, 'Put item in door');
  await setSimulator(page, false);
  await page.getByRole('button', { name: 'OK', exact: true }).click();
  await screen(page, 'return-done');
  await expect(page.getByRole('timer')).toBeVisible();
  await expectAccessible(page, 'return-done (counting down)');
  await page.locator('.done-text').click();
  await screen(page, 'home');
  await expect(page.getByRole('timer')).toHaveCount(0);
  await expect(page.getByText('Alex Morgan')).toBeVisible();
});
