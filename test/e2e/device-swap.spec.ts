import { expect, test, type Locator, type Page } from '@playwright/test';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { door, enterPin, expectAccessible, lookAt, screen, setSimulator, signIn, signOut, typeOnScreen } from './kiosk-steps.ts';

// PCD 977, the one-for-one device swap, played through the Simulator panel. In the demo site
// PC 1234 holds laptop LT19-0001 (tag AKLT190001) and has a swap order for a "Laptop (2026
// build)"; the new laptops sit behind doors 15 and 16, and the deposit door is the first free
// one (13). He also holds radio RAD-0003 (tag AKRAD0003): a handy wrong tag.
const ALEX = { card: 'PC 1234', pin: '1234' };
const NADIA = { card: 'IT 01', pin: '9004' }; // IT
const JO = { card: 'ARM 01', pin: '9001' }; // armourer
const DEPOSIT_DOOR = 13;
const ISSUE_DOOR = 15;

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

function swapHeading(page: Page): Locator {
  return page.getByRole('heading', { level: 1 });
}

/** The simulated doors as main pushed them, snapshot by snapshot, from the page's own WebSocket. */
interface DoorPicture {
  open: ReadonlySet<number>;
  withItem: ReadonlySet<number>;
}
function watchDoors(page: Page): DoorPicture[] {
  const pictures: DoorPicture[] = [];
  page.on('websocket', (socket) => {
    socket.on('framereceived', ({ payload }) => {
      if (typeof payload !== 'string') return;
      const message = JSON.parse(payload) as {
        type: string;
        snapshot?: { demo?: { doors: { number: number; open: boolean; itemPresent: boolean | null }[] } | null };
        result?: { ok: boolean; value?: { demo?: { doors: { number: number; open: boolean; itemPresent: boolean | null }[] } | null } };
      };
      const doors = message.snapshot?.demo?.doors ?? message.result?.value?.demo?.doors;
      if (!Array.isArray(doors)) return;
      pictures.push({ open: new Set(doors.filter((d) => d.open).map((d) => d.number)), withItem: new Set(doors.filter((d) => d.itemPresent).map((d) => d.number)) });
    });
  });
  return pictures;
}

/** Start PC 1234's laptop swap from the home screen and wait for the deposit door to read open. */
async function startAlexsSwap(page: Page): Promise<void> {
  const panel = page.getByRole('region', { name: 'Swap your laptop' });
  await expect(panel).toBeVisible();
  await panel.getByRole('button', { name: /^Swap your Laptop \(2019 build\) LT19-0001/ }).click();
  await screen(page, 'swap');
  await expect(swapHeading(page)).toHaveText(`Door ${DEPOSIT_DOOR} is open`);
}

/** The whole swap, quickly: for the tests that need the old laptop behind door 13. */
async function alexSwapsHisLaptop(page: Page): Promise<void> {
  await signIn(page, ALEX);
  await startAlexsSwap(page);
  await setSimulator(page, true);
  await page.getByRole('button', { name: /^Scan Laptop \(2019 build\) LT19-0001 / }).click();
  await expect(page.locator('[data-tag="matched"]')).toBeVisible();
  await door(page, 'Put item in door', DEPOSIT_DOOR);
  await door(page, 'Close door', DEPOSIT_DOOR);
  await expect(swapHeading(page)).toHaveText(`Door ${ISSUE_DOOR} is open`);
  await door(page, 'Take item from door', ISSUE_DOOR);
  await door(page, 'Close door', ISSUE_DOOR);
  await screen(page, 'swap-done');
  await setSimulator(page, false);
  await page.getByRole('button', { name: 'Sign out now' }).click();
  await screen(page, 'idle');
}

test('PC 1234 swaps his laptop: door 15 stays shut until the old laptop is in door 13 with its tag matched', async ({ page }) => {
  // Time to check the done screen before staying signed in (the shipped countdown is 5 s).
  shell = await startShell({ doneSignOutSeconds: 30 });
  const pictures = watchDoors(page);
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, ALEX);

  // Home: the swap panel lists the order.
  const panel = page.getByRole('region', { name: 'Swap your laptop' });
  await expect(panel).toContainText('for a Laptop (2026 build)');
  await expect(page.getByRole('region', { name: 'What I hold' })).toContainText('LT19-0001');
  await expectAccessible(page, 'home (swap panel)');
  await page.screenshot({ path: 'test-results/swap-home.png' });

  await startAlexsSwap(page);
  const deposit = page.locator('[data-leg="deposit"]');
  const issue = page.locator('[data-leg="issue"]');
  await expect(deposit).toHaveAttribute('aria-current', 'step');
  await expect(deposit).toContainText('Now');
  await expect(deposit).toContainText(`Door ${DEPOSIT_DOOR}`);
  await expect(deposit.locator('[data-tag="waiting"]')).toHaveText(/Tag not scanned yet/);
  await expect(issue).toContainText('Locked until your old device is in');
  await expect(page.getByRole('status').filter({ hasText: /Scan the tag on your Laptop \(2019 build\) \(serial LT19-0001\)/ })).toBeVisible();
  await expectAccessible(page, 'swap (deposit open)');
  await page.screenshot({ path: 'test-results/swap-deposit-open.png' });

  // The tag, scanned from the Simulator panel.
  await setSimulator(page, true);
  await page.getByRole('button', { name: /^Scan Laptop \(2019 build\) LT19-0001 / }).click();
  await expect(deposit.locator('[data-tag="matched"]')).toHaveText(/Tag matched/);
  await expect(page.getByRole('status').filter({ hasText: `Tag matched: put the Laptop (2019 build) in door ${DEPOSIT_DOOR} and close it.` })).toBeVisible();
  await expectAccessible(page, 'swap (tag matched, simulator open)');
  await page.screenshot({ path: 'test-results/swap-tag-matched.png' });

  // In, and still nothing opens until door 13 is shut.
  await door(page, 'Put item in door', DEPOSIT_DOOR);
  await expect(page.getByRole('list', { name: 'Open doors' }).getByRole('listitem')).toHaveCount(1);
  await expect(page.getByRole('button', { name: `Take item from door ${ISSUE_DOOR}`, exact: true })).toHaveCount(0);
  await door(page, 'Close door', DEPOSIT_DOOR);

  await expect(swapHeading(page)).toHaveText(`Door ${ISSUE_DOOR} is open`);
  await expect(issue).toHaveAttribute('aria-current', 'step');
  await expect(issue).toContainText('LT26-0001');
  await expect(deposit).toContainText('Closed with your old device inside');
  await expect(page.getByRole('status').filter({ hasText: `Take your new Laptop (2026 build) (serial LT26-0001) from door ${ISSUE_DOOR} and close the door.` })).toBeVisible();
  await lookAt(page, 'swap (issue open)', 'swap-issue-open', true);

  await door(page, 'Take item from door', ISSUE_DOOR);
  await door(page, 'Close door', ISSUE_DOOR);
  await screen(page, 'swap-done');
  await setSimulator(page, false);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Done — you now hold Laptop (2026 build) LT26-0001');
  await expect(page.locator('main')).toContainText('Handed in: Laptop (2019 build) LT19-0001');
  await expectAccessible(page, 'swap-done');
  await page.screenshot({ path: 'test-results/swap-done.png' });
  await page.getByRole('button', { name: 'Stay signed in' }).click();

  await screen(page, 'home');
  const holds = page.getByRole('region', { name: 'What I hold' });
  await expect(holds).toContainText('LT26-0001');
  await expect(holds).not.toContainText('LT19-0001');
  await expect(page.getByRole('region', { name: 'Swap your laptop' })).toHaveCount(0);

  // Every pushed picture: door 15 first read open only after door 13 had read closed with the laptop in.
  const firstIssueOpen = pictures.findIndex((p) => p.open.has(ISSUE_DOOR));
  const depositOpened = pictures.findIndex((p) => p.open.has(DEPOSIT_DOOR));
  expect(depositOpened).toBeGreaterThanOrEqual(0);
  expect(firstIssueOpen).toBeGreaterThan(depositOpened);
  const depositShutWithItem = pictures.findIndex((p, i) => i > depositOpened && !p.open.has(DEPOSIT_DOOR) && p.withItem.has(DEPOSIT_DOOR));
  expect(depositShutWithItem).toBeGreaterThan(depositOpened);
  expect(depositShutWithItem).toBeLessThan(firstIssueOpen);
});

test('a wrong tag releases nothing: the message says why, then "Nothing was released", and door 15 never opens', async ({ page }) => {
  shell = await startShell();
  const pictures = watchDoors(page);
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, ALEX);
  await startAlexsSwap(page);

  await setSimulator(page, true);
  await page.getByRole('button', { name: /^Scan Airwave radio RAD-0003 / }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Tag AKRAD0003 is Airwave radio RAD-0003, not your Laptop (2019 build) LT19-0001.' });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText(`close door ${DEPOSIT_DOOR} and call IT`);
  await expect(page.locator('[data-tag="refused"]')).toHaveText(/Tag not matched/);
  await expect(page.locator('[data-leg="issue"]')).toContainText('Locked until your old device is in');
  await lookAt(page, 'swap (wrong tag)', 'swap-wrong-tag', true);

  await door(page, 'Put item in door', DEPOSIT_DOOR);
  await door(page, 'Close door', DEPOSIT_DOOR);
  await screen(page, 'problem');
  await setSimulator(page, false);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Nothing was released');
  await expect(page.locator('main')).toContainText('AKRAD0003');
  await expectAccessible(page, 'problem (swap refused)');
  await page.screenshot({ path: 'test-results/swap-refused.png' });

  // Door 15 still holds the new laptop and never read open.
  await setSimulator(page, true);
  await expect(page.getByRole('list', { name: 'Open doors' })).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'All doors (closed)' }).getByRole('listitem').filter({ hasText: `Door ${ISSUE_DOOR}` })).toContainText('Item inside');
  expect(pictures.length).toBeGreaterThan(0);
  expect(pictures.some((p) => p.open.has(ISSUE_DOOR))).toBe(false);
  await setSimulator(page, false);
  await page.getByRole('button', { name: 'OK' }).click();
  await screen(page, 'home');
  await expect(page.getByRole('region', { name: 'What I hold' })).not.toContainText('LT26-0001');
});

test('the new laptop left in its door waits for him: "Collect your new Laptop (2026 build)" opens door 15 again', async ({ page }) => {
  shell = await startShell({ doneSignOutSeconds: 30 });
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, ALEX);
  await startAlexsSwap(page);
  await setSimulator(page, true);
  await page.getByRole('button', { name: /^Scan Laptop \(2019 build\) LT19-0001 / }).click();
  await expect(page.locator('[data-tag="matched"]')).toBeVisible();
  await door(page, 'Put item in door', DEPOSIT_DOOR);
  await door(page, 'Close door', DEPOSIT_DOOR);
  await expect(swapHeading(page)).toHaveText(`Door ${ISSUE_DOOR} is open`);
  // He shuts door 15 without taking the new laptop: his old one is in, the new one waits.
  await door(page, 'Close door', ISSUE_DOOR);
  await screen(page, 'home');
  await setSimulator(page, false);
  await expect(page.getByRole('status').filter({ hasText: `Door ${ISSUE_DOOR} closed with your new Laptop (2026 build) still inside.` })).toBeVisible();
  const panel = page.getByRole('region', { name: 'Swap your laptop' });
  const collect = panel.getByRole('button', { name: /^Collect your new Laptop \(2026 build\)/ });
  await expect(collect).toContainText('your Laptop (2019 build) LT19-0001 is already in');
  await expect(page.getByRole('region', { name: 'What I hold' })).not.toContainText('LT19-0001');
  await expectAccessible(page, 'home (swap deposited)');

  await collect.click();
  await screen(page, 'swap');
  await expect(swapHeading(page)).toHaveText(`Door ${ISSUE_DOOR} is open`);
  await expect(page.locator('[data-leg="deposit"]')).toContainText('Handed in on an earlier visit');
  await expect(page.locator('[data-leg="issue"]')).toHaveAttribute('aria-current', 'step');
  await expectAccessible(page, 'swap (collect after deposit)');
  await page.screenshot({ path: 'test-results/swap-collect-later.png' });
  await setSimulator(page, true);
  await door(page, 'Take item from door', ISSUE_DOOR);
  await door(page, 'Close door', ISSUE_DOOR);
  await screen(page, 'swap-done');
  await setSimulator(page, false);
  await page.getByRole('button', { name: 'Stay signed in' }).click();
  await screen(page, 'home');
  await expect(page.getByRole('region', { name: 'What I hold' })).toContainText('LT26-0001');
});

test('IT collects the old laptop, records a verified Purge and a donation; the armourer console shows its path', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');
  await alexSwapsHisLaptop(page);

  await signIn(page, NADIA);
  await page.getByRole('button', { name: 'Device refresh' }).click();
  await screen(page, 'device-refresh');
  await expect(page.getByRole('heading', { level: 1, name: 'Device refresh' })).toBeVisible();
  const laptop = page.getByRole('list', { name: 'Retired devices' }).getByRole('listitem', { name: 'Laptop (2019 build) LT19-0001' });
  await expect(laptop).toContainText(`Next step: Collect it from door ${DEPOSIT_DOOR}`);
  await expect(laptop).toContainText('by PC 1234 Alex Morgan');
  await expect(page.getByRole('list', { name: 'Swap orders' }).getByRole('listitem').first()).toContainText('Completed');
  await expectAccessible(page, 'device-refresh');
  await page.screenshot({ path: 'test-results/device-refresh.png' });

  // Collect it from its door.
  await laptop.getByRole('button', { name: new RegExp(`^Collect it from door ${DEPOSIT_DOOR}`) }).click();
  await screen(page, 'collect-door');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Door ${DEPOSIT_DOOR} is open`);
  await expect(page.locator('main')).toContainText('Take out the Laptop (2019 build) (serial LT19-0001)');
  await expectAccessible(page, 'collect-door');
  await page.screenshot({ path: 'test-results/collect-door.png' });
  await setSimulator(page, true);
  await door(page, 'Take item from door', DEPOSIT_DOOR);
  await door(page, 'Close door', DEPOSIT_DOOR);
  await screen(page, 'device-refresh');
  await setSimulator(page, false);
  await expect(page.getByRole('status').filter({ hasText: `Laptop (2019 build) LT19-0001 collected from door ${DEPOSIT_DOOR}.` })).toBeVisible();
  await expect(laptop).toContainText('Next step: Sanitise it and record the certificate');

  // Sanitisation: Purge, verified; the tool typed with the on-screen keyboard.
  await laptop.getByRole('button', { name: /^Record sanitisation…/ }).click();
  const sanitise = laptop.getByRole('form', { name: /^Record sanitisation of/ });
  await sanitise.getByRole('radio', { name: /^Purge/ }).check();
  const tool = sanitise.getByRole('textbox', { name: 'Tool' });
  await tool.click();
  const keyboard = page.getByRole('region', { name: 'On-screen keyboard, typing into Tool' });
  await expect(keyboard).toBeVisible();
  await typeOnScreen(page, 'Blancco 7');
  await expect(tool).toHaveValue('Blancco 7');
  await expect(tool).toBeFocused();
  // The keyboard docks below the page: the field it types into is above it, not under it.
  const toolBox = await tool.boundingBox();
  const keyboardBox = await keyboard.boundingBox();
  expect(toolBox && keyboardBox && toolBox.y + toolBox.height <= keyboardBox.y).toBe(true);
  await expectAccessible(page, 'device-refresh (sanitisation form, on-screen keyboard)');
  await page.screenshot({ path: 'test-results/device-refresh-keyboard.png' });
  await keyboard.getByRole('button', { name: 'Done', exact: true }).click();
  await expect(keyboard).toHaveCount(0);
  await expect(tool).not.toBeFocused();

  await expect(sanitise.getByRole('textbox', { name: 'Operator' })).toHaveValue('IT 01 Nadia Hussain');
  await sanitise.getByRole('radio', { name: 'Verified: it passed' }).check();
  await sanitise.getByRole('textbox', { name: 'Certificate ID' }).fill('BLN-2026-0042');
  await sanitise.getByRole('button', { name: /^Record sanitisation of/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Sanitisation of Laptop (2019 build) LT19-0001 recorded (Purge, certificate BLN-2026-0042).' })).toBeVisible();
  await expect(laptop).toContainText('Next step: Record its disposal');
  await expect(laptop.locator('.path-fact').filter({ hasText: /^Tool/ })).toContainText('Blancco 7');
  await expect(laptop.locator('.path-fact').filter({ hasText: /^Verification/ })).toContainText('Verified');

  // Disposal: donated, with the organisation and its certificate.
  await laptop.getByRole('button', { name: /^Record disposal…/ }).click();
  const dispose = laptop.getByRole('form', { name: /^Record disposal of/ });
  await dispose.getByRole('radio', { name: 'Donate' }).check();
  await dispose.getByRole('textbox', { name: 'Receiving organisation' }).fill('Oakfield Primary School');
  await dispose.getByRole('textbox', { name: 'Certificate number' }).fill('DON-2026-0017');
  await expectAccessible(page, 'device-refresh (disposal form)');
  await dispose.getByRole('button', { name: /^Record disposal of/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Laptop (2019 build) LT19-0001: donated, recorded.' })).toBeVisible();
  await expect(laptop).toContainText('Disposed of');
  await expect(laptop.locator('.path-fact').filter({ hasText: /^Receiving organisation/ })).toContainText('Oakfield Primary School');
  await expect(laptop.locator('[data-step-state="todo"]')).toHaveCount(0);
  await expectAccessible(page, 'device-refresh (disposed)');
  await laptop.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/device-refresh-disposed.png' });
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await screen(page, 'home');
  await signOut(page);

  // The armourer sees the same path, read-only.
  await signIn(page, JO);
  await page.getByRole('button', { name: 'Console', exact: true }).click();
  await screen(page, 'console');
  await page.getByRole('tablist', { name: 'Console sections' }).getByRole('tab', { name: 'Retired devices', exact: true }).click();
  const retired = page.getByRole('tabpanel', { name: 'Retired devices' });
  const path = retired.getByRole('listitem', { name: 'Laptop (2019 build) LT19-0001' });
  await expect(path).toContainText('Handed in');
  await expect(path).toContainText('by PC 1234 Alex Morgan');
  await expect(path).toContainText('by IT 01 Nadia Hussain');
  await expect(path).toContainText('Purge');
  await expect(path).toContainText('BLN-2026-0042');
  await expect(path).toContainText('Donated');
  await expect(path).toContainText('Oakfield Primary School');
  await expect(path).toContainText('DON-2026-0017');
  await expect(path.getByRole('button')).toHaveCount(0);
  await expectAccessible(page, 'console retired devices');
  await page.screenshot({ path: 'test-results/console-retired.png' });
});

test('IT orders a swap and cancels it with a reason; main refuses an order for a device the officer does not hold', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, NADIA);
  await expect(page.getByRole('button', { name: 'Console', exact: true })).toHaveCount(0);
  await page.getByRole('button', { name: 'Device refresh' }).click();
  await screen(page, 'device-refresh');
  await expect(page.getByRole('list', { name: 'Retired devices' })).toHaveCount(0);
  await expect(page.getByText('No retired devices yet')).toBeVisible();

  const form = page.getByRole('form', { name: 'Order a swap' });
  // PC 6789 holds LT19-0002, not LT19-0001: main says so, and nothing is ordered.
  await form.getByRole('textbox', { name: 'Officer (collar number)' }).fill('PC 6789');
  await form.getByRole('textbox', { name: 'Old device (serial or tag)' }).fill('LT19-0001');
  await form.getByRole('radio', { name: /^Laptop \(2026 build\)/ }).check();
  await form.getByRole('button', { name: 'Order swap' }).click();
  await expect(form.getByRole('alert')).toContainText('is not on loan to PC 6789');

  await form.getByRole('textbox', { name: 'Old device (serial or tag)' }).fill('AKLT190002');
  await form.getByRole('button', { name: 'Order swap' }).click();
  await expect(form.getByRole('status')).toContainText(/Swap order #\d+ created: PC 6789 Grace Walsh hands in Laptop \(2019 build\) LT19-0002 for a Laptop \(2026 build\)/);
  const orders = page.getByRole('list', { name: 'Swap orders' });
  const order = orders.getByRole('listitem').filter({ hasText: 'PC 6789' });
  await expect(order).toContainText('Open: waiting for the officer');
  await expectAccessible(page, 'device-refresh (order created)');

  await order.getByRole('button', { name: /^Cancel order…/ }).click();
  const reason = order.getByRole('textbox', { name: 'Why cancel it? (required)' });
  await expect(reason).toBeFocused();
  await order.getByRole('button', { name: /^Cancel the order/ }).click();
  await expect(order.getByRole('alert')).toContainText('Say why');
  await reason.fill('Officer leaving the unit next week.');
  await expectAccessible(page, 'device-refresh (cancelling)');
  await page.screenshot({ path: 'test-results/device-refresh-cancel.png' });
  await order.getByRole('button', { name: /^Cancel the order/ }).click();
  await expect(page.getByRole('status').filter({ hasText: /Swap order #\d+ for PC 6789 cancelled\./ })).toBeVisible();
  await expect(order).toContainText('Cancelled');
  await expect(order).toContainText('cancelled: Officer leaving the unit next week.');
  await expect(order.getByRole('button')).toHaveCount(0);
});

test('the on-screen keyboard types at the caret into any text field, keeps its focus, and leaves dates alone', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');
  // Not while the PIN pad is in use.
  await setSimulator(page, true);
  await page.getByRole('button', { name: /^Tap card ARM 01\b/ }).click();
  await screen(page, 'pin');
  await expect(page.getByRole('region', { name: /^On-screen keyboard/ })).toHaveCount(0);
  await setSimulator(page, false);
  await enterPin(page, JO.pin);
  await screen(page, 'home');
  await page.getByRole('button', { name: 'Console', exact: true }).click();
  await screen(page, 'console');

  // The investigation's date fields have their own picker: no keyboard.
  await page.getByRole('tab', { name: 'Investigation', exact: true }).click();
  await page.getByRole('tabpanel', { name: 'Investigation' }).locator('input[type="datetime-local"]').first().click();
  await expect(page.getByRole('region', { name: /^On-screen keyboard/ })).toHaveCount(0);

  // An existing field (the console's asset status form) gets it too.
  await page.getByRole('tab', { name: 'Assets', exact: true }).click();
  const action = page.locator('form.assets-action');
  const serial = action.getByRole('textbox', { name: 'Serial number' });
  await serial.click();
  const keyboard = page.getByRole('region', { name: 'On-screen keyboard, typing into Serial number' });
  await expect(keyboard).toBeVisible();
  await keyboard.getByRole('button', { name: 'Caps lock' }).click();
  await expect(keyboard.getByRole('button', { name: 'Caps lock' })).toHaveAttribute('aria-pressed', 'true');
  await typeOnScreen(page, 'T7-0002');
  await expect(serial).toHaveValue('T7-0002');
  // Insert at the caret, and Backspace deletes before it.
  await serial.evaluate((input) => (input as unknown as { setSelectionRange(a: number, b: number): void }).setSelectionRange(2, 2));
  await keyboard.getByRole('button', { name: 'X', exact: true }).click();
  await expect(serial).toHaveValue('T7X-0002');
  await keyboard.getByRole('button', { name: 'Backspace' }).click();
  await expect(serial).toHaveValue('T7-0002');
  await expect(serial).toBeFocused();

  // The textarea next to it: symbols and a new line; React sees every change (the form uses the value).
  const reason = action.getByRole('textbox', { name: 'Reason (required)' });
  await reason.click();
  await expect(page.getByRole('region', { name: 'On-screen keyboard, typing into Reason (required)' })).toBeVisible();
  await typeOnScreen(page, 'Cracked');
  await page.getByRole('button', { name: 'Symbols' }).click();
  await page.getByRole('button', { name: '!', exact: true }).click();
  await page.getByRole('button', { name: 'New line' }).click();
  await page.getByRole('button', { name: 'Symbols' }).click();
  await typeOnScreen(page, 'bay');
  await expect(reason).toHaveValue('Cracked!\nbay');
  await action.getByRole('radio', { name: 'Quarantine' }).check();
  await expect(page.getByRole('region', { name: /^On-screen keyboard/ })).toHaveCount(0);
  await action.getByRole('button', { name: 'Apply' }).click();
  await expect(action.getByRole('status')).toContainText('T7-0002 quarantined');
});
