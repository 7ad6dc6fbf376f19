import { expect, test } from '@playwright/test';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { expectAccessible, screen, setSimulator, signIn } from './kiosk-steps.ts';

const ADMIN = { card: 'ADM 01', pin: '9003' }; // Chris Patel, site admin
const ALEX = { card: 'PC 1234', pin: '1234' }; // officer only

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

interface DoorLayout {
  number: number;
  bus: string;
  board?: number;
  lock?: number;
}
interface ConfigShape {
  lockerBank: { doors: DoorLayout[] };
}

function door(config: ConfigShape, number: number): DoorLayout {
  const found = config.lockerBank.doors.find((d) => d.number === number);
  if (!found) throw new Error(`door ${number} is not in the configuration`);
  return found;
}

test('a site admin remaps doors, tests them and watches the frames', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, ADMIN);

  await page.getByRole('button', { name: 'Hardware', exact: true }).click();
  await screen(page, 'hardware');
  await expect(page.getByRole('heading', { level: 1, name: 'Hardware' })).toBeVisible();
  const editor = page.getByRole('textbox', { name: 'Terminal configuration (JSON)' });
  await expect(editor).toHaveValue(/"lockerBank"/);
  await expect(page.getByRole('list', { name: 'Doors on bus bus-a' }).getByRole('listitem')).toHaveCount(16);
  await expectAccessible(page, 'hardware');
  await page.screenshot({ path: 'test-results/hardware-top.png' });

  // Swap doors 3 and 5: door 3 -> lock 5, door 5 -> lock 3.
  const config = JSON.parse(await editor.inputValue()) as ConfigShape;
  expect(door(config, 3).lock).toBe(3);
  expect(door(config, 5).lock).toBe(5);
  door(config, 3).lock = 5;
  door(config, 5).lock = 3;
  await editor.fill(JSON.stringify(config, null, 2));
  await page.getByRole('button', { name: 'Check and save' }).click();
  await expect(page.getByRole('status').getByText(/^✓ Saved$/)).toBeVisible();
  const changes = page.getByRole('list', { name: 'Changes' });
  await expect(changes.getByRole('listitem').filter({ hasText: /^lockerBank\.doors\.\d+\.lock: 3 → 5$/ })).toHaveCount(1);
  await expect(changes.getByRole('listitem').filter({ hasText: /^lockerBank\.doors\.\d+\.lock: 5 → 3$/ })).toHaveCount(1);
  await expect(page.getByText('No unsaved edits.')).toBeVisible();

  // A broken configuration: every problem is listed and nothing is saved.
  const broken = JSON.parse(await editor.inputValue()) as ConfigShape;
  expect(door(broken, 3).lock).toBe(5);
  door(broken, 1).bus = 'bus-z';
  door(broken, 2).board = 7;
  await editor.fill(JSON.stringify(broken, null, 2));
  await page.getByRole('button', { name: 'Check and save' }).click();
  const problems = page.getByRole('alert').getByRole('list', { name: 'Configuration problems' });
  await expect(problems.getByRole('listitem').filter({ hasText: /bus "bus-z", which is not configured/ })).toHaveCount(1);
  await expect(problems.getByRole('listitem').filter({ hasText: /board 7/ })).toHaveCount(1);
  await expect(page.getByRole('alert').filter({ hasText: 'Not saved: 2 problems to fix' })).toBeVisible();
  await expect(page.getByRole('status').getByText(/^✓ Saved$/)).toHaveCount(0);
  await expectAccessible(page, 'hardware (problems)');
  await page.getByRole('button', { name: 'Discard my edits' }).click();
  const kept = JSON.parse(await editor.inputValue()) as ConfigShape;
  expect(door(kept, 1).bus).toBe('bus-a');
  expect(door(kept, 3).lock).toBe(5);

  // Open door 3: it is now lock 5, i.e. board 0 lock index 4.
  await page.getByRole('button', { name: 'Open door 3', exact: true }).click();
  const status = page.getByRole('status', { name: 'Last test result' });
  await expect(status).toContainText('Door 3 opened', { timeout: 10_000 });
  const door3 = page.locator('[data-door="3"]');
  await expect(door3).toHaveAttribute('data-state', 'open');
  await expect(door3.locator('.hw-door-state')).toHaveText('○ Open');
  await expect(page.locator('[data-door="5"]')).toHaveAttribute('data-state', 'closed');

  const log = page.getByRole('list', { name: 'Device frame log' });
  // Unlock board 0 lock index 4: address (0 << 4) | 4, command 0x31, ETX, checksum.
  await expect(log.locator('li[data-direction="tx"]').filter({ hasText: '02 04 31 03 3a' }).first()).toBeVisible({ timeout: 5_000 });
  // ...and never the old mapping's unlock (lock index 2).
  await expect(log.locator('li[data-direction="tx"]').filter({ hasText: '02 02 31 03 38' })).toHaveCount(0);
  await expect(log.locator('li[data-direction="event"]').filter({ hasText: 'open-door: Door 3 opened' }).first()).toBeVisible({ timeout: 5_000 });

  // The simulated room agrees: door 3 is the one standing open.
  await setSimulator(page, true);
  const openDoors = page.getByRole('list', { name: 'Open doors' });
  await expect(openDoors.getByRole('listitem')).toHaveCount(1);
  await expect(openDoors.getByRole('listitem').first()).toContainText('Door 3');
  await expect(openDoors.getByRole('listitem').first()).toContainText('Open');
  await expect(page.getByRole('button', { name: 'Close door 3', exact: true })).toBeVisible();
  await expectAccessible(page, 'hardware (simulator open)');
  await page.screenshot({ path: 'test-results/hardware-simulator.png' });
  await setSimulator(page, false);

  await page.getByRole('button', { name: 'Read board status' }).click();
  await expect(page.locator('pre.hw-pre')).toContainText('board 0', { timeout: 10_000 });
  await expect(status).toContainText('board 0');

  // Pause keeps the log still.
  const pause = page.getByRole('button', { name: 'Pause', exact: true });
  await pause.click();
  await expect(pause).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByText(/^Paused · \d+ shown$/)).toBeVisible();
  const frozen = await log.locator('li').count();
  await page.waitForTimeout(1_500);
  expect(await log.locator('li').count()).toBe(frozen);
  const lastFrozen = await log.locator('li').last().innerText();
  await page.waitForTimeout(1_200);
  expect(await log.locator('li').last().innerText()).toBe(lastFrozen);
  await pause.click();
  await expect(pause).toHaveAttribute('aria-pressed', 'false');

  await expectAccessible(page, 'hardware (after tests)');
  await page.screenshot({ path: 'test-results/hardware.png' });

  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await screen(page, 'home');
});

test('an officer does not see the Hardware button', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await signIn(page, ALEX);
  await expect(page.getByText('Alex Morgan')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Hardware' })).toHaveCount(0);
});
