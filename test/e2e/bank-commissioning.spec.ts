import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { door, expectAccessible, lookAt, screen, setSimulator, signIn, signOut } from './kiosk-steps.ts';

const ADMIN = { card: 'ADM 01', pin: '9003' }; // Chris Patel, site admin
const ALEX = { card: 'PC 1234', pin: '1234' }; // Taser in date, holds a radio

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

/** The demo configuration with the name a site admin chose for the lockers. */
function namedBank(): Record<string, unknown> {
  const config = JSON.parse(readFileSync(new URL('../../resources/default-terminal-config.json', import.meta.url), 'utf8')) as { lockerBank: Record<string, unknown> };
  return { lockerBank: { ...config.lockerBank, displayName: 'Taser lockers' } };
}

/** What an officer's screen shows must never name a port, a bus or a driver. */
async function expectNoDeviceInternals(page: Page): Promise<void> {
  await setSimulator(page, false);
  const text = await page.locator('body').innerText();
  expect(text).not.toContain('/dev/');
  expect(text).not.toMatch(/bus-a|Locker bus|kerong|Kerong/);
}

test('a site admin walks the bank door by door, and records a door that opened another', async ({ page }) => {
  shell = await startShell({}, namedBank());
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, ADMIN);
  await page.getByRole('button', { name: 'Hardware', exact: true }).click();
  await screen(page, 'hardware');
  const bank = page.getByRole('region', { name: 'Devices and tests' }).locator('section.hw-bank');
  await expect(bank.getByRole('heading', { name: 'Bank: Taser lockers' })).toBeVisible();
  await expect(bank.getByText('Demo bank: counts as commissioned.')).toBeVisible();

  await bank.getByRole('button', { name: 'Start the commissioning walk' }).click();
  // The probe opened door 13 (nothing behind it) and found the polarity right.
  await expect(bank.getByText(/Polarity probe: At rest 0 of 16 doors read open\. Door 13 was unlocked and door 13's lock sensor went from closed to open/)).toBeVisible({ timeout: 10_000 });
  await expect(bank.getByText('Door 1 of 16')).toBeVisible();
  await bank.getByRole('button', { name: 'Open door 1', exact: true }).click();
  await expect(bank.getByText('Door 1 is opening: did door 1 open?')).toBeVisible({ timeout: 10_000 });
  await lookAt(page, 'commissioning walk: did the door open?', 'bank-walk-question', false);

  await bank.getByRole('button', { name: 'A different door opened' }).click();
  const which = bank.getByRole('group', { name: 'Which door opened?' });
  await which.getByRole('button', { name: 'Door 2', exact: true }).click();
  await expect(bank.getByText('Door 2 opened when door 1 was unlocked. Swap the two doors in the layout?')).toBeVisible();
  await expectAccessible(page, 'commissioning walk: remap');
  await bank.getByRole('button', { name: 'Leave it as a finding' }).click();
  await expect(bank.getByText('Door 2 of 16')).toBeVisible();

  // Shut what the walk opened, then stop here: the walk is kept as a record.
  await setSimulator(page, true);
  await door(page, 'Close door', 13);
  await door(page, 'Close door', 1);
  await setSimulator(page, false);
  await bank.getByRole('button', { name: 'Cancel the walk' }).click();
  const table = bank.getByRole('table', { name: 'Doors answered in the last walk' });
  await expect(table.locator('tr[data-door="1"]')).toContainText('⇄ A different door opened (door 2)');
  await expect(table.locator('tr[data-door="1"]')).toContainText('ADM 01 Chris Patel');
  await expect(bank.getByText(/by ADM 01 Chris Patel · ✕ Cancelled/)).toBeVisible();
  await lookAt(page, 'commissioning walk: the record', 'bank-walk-record', false);
});

test('officers see the lockers out of service before they touch anything, by name, with the buttons off', async ({ page }) => {
  shell = await startShell({}, namedBank());
  await page.goto(shell.url);
  await screen(page, 'idle');
  await expect(page.getByRole('alert').filter({ hasText: 'out of service' })).toHaveCount(0);

  // A Taser leaves door 1 with nothing to record it: opened for service, taken, shut.
  await signIn(page, ADMIN);
  await page.getByRole('button', { name: 'Hardware', exact: true }).click();
  await screen(page, 'hardware');
  await page.getByRole('button', { name: 'Open door 1', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Last test result' })).toContainText('Door 1 opened', { timeout: 10_000 });
  await setSimulator(page, true);
  await door(page, 'Take item from door', 1);
  await door(page, 'Close door', 1);
  await setSimulator(page, false);
  const bank = page.locator('section.hw-bank');
  await expect(bank.getByText(/Door 1 should hold Taser 7 \S+, but its item sensor reads empty/)).toBeVisible({ timeout: 10_000 });
  await expect(bank.getByText('Out of service for officers (degraded)')).toBeVisible();
  await page.getByRole('button', { name: 'Back' }).first().click();
  await screen(page, 'home');
  await signOut(page);

  // Idle: said at once, in words, by the admin's name for the lockers.
  const notice = page.getByRole('alert').filter({ hasText: 'Taser lockers: out of service' });
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('their door sensors are giving readings that cannot be right');
  await expectNoDeviceInternals(page);
  await lookAt(page, 'idle, lockers out of service', 'idle-out-of-service', false);

  await signIn(page, ALEX);
  await expect(page.getByRole('alert').filter({ hasText: 'Taser lockers: out of service' })).toBeVisible();
  const draw = page.getByRole('button', { name: /^Draw Taser 7/ });
  await expect(draw).toBeDisabled();
  await expect(draw).toContainText('not now: Taser lockers are out of service');
  const giveBack = page.getByRole('button', { name: /^Return .*not now, Taser lockers are out of service/ }).first();
  await expect(giveBack).toBeDisabled();
  const swap = page.getByRole('button', { name: /^Swap your Laptop/ });
  await expect(swap).toBeDisabled();
  await expect(swap).toContainText('Not now: Taser lockers are out of service');
  await expectNoDeviceInternals(page);
  await lookAt(page, 'home, lockers out of service', 'home-out-of-service', false);
});

test('no port path reaches an officer, in the page or in any snapshot main sends; the hardware screen keeps it', async ({ page }) => {
  const missing = '/dev/ttyArmouryMissing0';
  shell = await startShell({}, {
    ...namedBank(),
    // A second scanner on a port that is not there: offline, and its error names the port.
    scanners: [
      { id: 'scanner', kind: 'simulator' },
      { id: 'door-scanner', displayName: 'Door scanner', kind: 'serial', link: { kind: 'serial', path: missing, baudRate: 9600 } },
    ],
  });
  const frames: string[] = [];
  page.on('websocket', (socket) => socket.on('framereceived', (frame) => frames.push(typeof frame.payload === 'string' ? frame.payload : frame.payload.toString('utf8'))));
  await page.goto(shell.url);
  await screen(page, 'idle');
  await expect(page.getByText('Door scanner:', { exact: false })).toBeVisible();
  await signIn(page, ALEX);
  await expectNoDeviceInternals(page);
  await signOut(page);
  expect(frames.length).toBeGreaterThan(0);
  expect(frames.filter((f) => f.includes(missing) || f.includes('ttyArmoury'))).toEqual([]);

  // The site admin sees the port and the driver's own error on the hardware screen.
  await signIn(page, ADMIN);
  await page.getByRole('button', { name: 'Hardware', exact: true }).click();
  await screen(page, 'hardware');
  await expect(page.locator('[data-device="scanner:door-scanner"]')).toContainText(missing);
});

