import { expect, test } from '@playwright/test';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { enterPin, expectAccessible, screen, setSimulator, signIn, tapCard } from './kiosk-steps.ts';

const ALEX = { card: 'PC 1234', pin: '1234' }; // Taser in date
const PRIYA = { card: 'PC 2345', pin: '2345' }; // Taser refresher expired

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

test('a qualified officer draws a Taser and returns it', async ({ page }) => {
  // Time to check each done screen before staying signed in (the shipped countdown is 5 s).
  shell = await startShell({ doneSignOutSeconds: 30 });
  await page.goto(shell.url);
  await screen(page, 'idle');
  await expect(page.getByText('Tap your card')).toBeVisible();
  await expectAccessible(page, 'idle');

  await tapCard(page, ALEX.card);
  await screen(page, 'pin');
  await setSimulator(page, false);
  await expectAccessible(page, 'pin');
  await enterPin(page, ALEX.pin);
  await screen(page, 'home');
  await expect(page.getByText('Alex Morgan')).toBeVisible();
  await expectAccessible(page, 'home');

  await page.getByRole('button', { name: /^Draw Taser 7/ }).click();
  await screen(page, 'draw-door-open');
  await expect(page.getByText(/Door 1 is open/)).toBeVisible();
  await expectAccessible(page, 'draw-door-open');
  await page.screenshot({ path: 'test-results/draw-door-open.png' });

  await setSimulator(page, true);
  await page.getByRole('button', { name: 'Take item from door 1', exact: true }).click();
  await page.getByRole('button', { name: 'Close door 1', exact: true }).click();
  await setSimulator(page, false);
  await screen(page, 'draw-done');
  await expect(page.getByText(/T7-0001/).first()).toBeVisible();
  await expectAccessible(page, 'draw-done');
  await page.getByRole('button', { name: 'Stay signed in' }).click();
  await screen(page, 'home');

  await page.getByRole('button', { name: /^Return Taser 7 T7-0001/ }).click();
  await screen(page, 'return-door-open');
  const door = Number((await page.locator('main').innerText()).match(/Door (\d+) is open/)?.[1]);
  expect(door).toBeGreaterThan(0);
  await expectAccessible(page, 'return-door-open');
  await setSimulator(page, true);
  await page.getByRole('button', { name: `Put item in door ${door}`, exact: true }).click();
  await page.getByRole('button', { name: `Close door ${door}`, exact: true }).click();
  await setSimulator(page, false);
  await screen(page, 'return-condition');
  await expectAccessible(page, 'return-condition');
  await page.getByRole('button', { name: 'Discharged' }).click();
  await screen(page, 'return-done');
  await expect(page.getByText(/quarantine/i).first()).toBeVisible();
  await expectAccessible(page, 'return-done');
  await page.screenshot({ path: 'test-results/return-done.png' });
  await page.getByRole('button', { name: 'Stay signed in' }).click();
  await screen(page, 'home');
  await expect(page.getByRole('button', { name: /^Return Taser 7 T7-0001/ })).toHaveCount(0);
});

test('an officer whose Taser refresher has expired is refused and told why', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await signIn(page, PRIYA);
  await expect(page.getByRole('button', { name: /^Draw Taser 7/ })).toHaveCount(0);
  await expect(page.getByText(/Taser refresher expired \d+ \w{3} \d{4}/).first()).toBeVisible();
  await expect(page.getByText(/Book a refresher/).first()).toBeVisible();
  await expectAccessible(page, 'home (refused)');
  await page.screenshot({ path: 'test-results/home-refused.png', fullPage: true });
});

test('five wrong PINs lock the card out, even against the right PIN', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await tapCard(page, ALEX.card);
  await screen(page, 'pin');
  await setSimulator(page, false);
  for (let attempt = 1; attempt <= 4; attempt++) {
    await enterPin(page, '0000');
    await expect(page.getByRole('alert').filter({ hasText: 'Card or PIN not accepted' })).toBeVisible();
  }
  await enterPin(page, '0000');
  await expect(page.getByRole('alert').filter({ hasText: /locked until \d\d:\d\d/ })).toBeVisible();
  await expectAccessible(page, 'pin (locked)');
  await enterPin(page, ALEX.pin);
  await expect(page.getByRole('alert').filter({ hasText: /locked until/ })).toBeVisible();
  await expect(page.locator('main[data-screen="home"]')).toHaveCount(0);
});

test('an idle officer is warned, then signed out to the idle screen', async ({ page }) => {
  shell = await startShell({ idleTimeoutSeconds: 6, idleWarningSeconds: 4 });
  await page.goto(shell.url);
  await signIn(page, ALEX);
  const warning = page.getByRole('alertdialog');
  await expect(warning).toBeVisible({ timeout: 8_000 });
  await expect(warning).toContainText(/Signing you out/);
  await expect(page.getByRole('button', { name: "I'm still here" })).toBeFocused();
  await expectAccessible(page, 'idle warning');
  await screen(page, 'idle');
  await expect(page.getByText('Alex Morgan')).toHaveCount(0);
});

test('a screen that missed a push catches up when main refuses a tap as stale, and keeps main\'s words', async ({ page }) => {
  shell = await startShell({ idleTimeoutSeconds: 6, idleWarningSeconds: 4 });
  // Pass everything through, except pushed snapshots while `dropping`: the page then misses
  // the idle warning and the sign-out, as a page would behind a stalled socket.
  let dropping = false;
  await page.routeWebSocket(/\/api\b/, (socket) => {
    const server = socket.connectToServer();
    socket.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      if (dropping && typeof message === 'string' && message.startsWith('{"type":"snapshot"')) return;
      socket.send(message);
    });
  });
  await page.goto(shell.url);
  await signIn(page, ALEX);
  dropping = true;
  // Main signs Alex out after 6 s idle; the page still shows his home screen.
  await page.waitForTimeout(7_500);
  await expect(page.locator('main[data-screen="home"]')).toBeVisible();
  await page.getByRole('button', { name: /^Draw Taser 7/ }).click();
  // Refused as not signed in: the page reads a fresh snapshot and shows the idle screen, with the reason.
  await screen(page, 'idle');
  await expect(page.getByRole('alert').filter({ hasText: 'Sign in first.' })).toBeVisible();
  await expect(page.getByText('Alex Morgan')).toHaveCount(0);
});
