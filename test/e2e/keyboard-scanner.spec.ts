import { expect, test } from '@playwright/test';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';

// A keyboard-mode scanner with no evdev access types into the kiosk window; the renderer
// tells its bursts from a person's typing by timing and sends them to main as scans.
let shell: RunningShell;
test.afterEach(async () => shell?.stop());

test('a keyboard-mode scan typed into the screen starts a return; slow typing does not', async ({ page }) => {
  shell = await startShell({}, { scanners: [{ id: 'wedge', kind: 'keyboard-fallback' }] });
  await page.goto(shell.url);
  await expect(page.locator('main[data-screen="idle"]')).toBeVisible();
  await page.getByRole('button', { name: 'Simulator' }).click();
  await page.getByRole('button', { name: /^Tap card PC 1234\b/ }).click();
  await page.getByRole('button', { name: 'Simulator' }).click();
  for (const digit of '1234') await page.getByRole('button', { name: digit, exact: true }).click();
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(page.locator('main[data-screen="home"]')).toBeVisible();
  await page.locator('h1').first().click(); // focus away from any button

  // A person typing the same characters, slowly: nothing happens.
  await page.keyboard.type('AKRAD0003', { delay: 120 });
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);
  await expect(page.locator('main[data-screen="home"]')).toBeVisible();

  // The scanner: a burst ended by Enter. Its keys are dispatched in one task of the page, as
  // a scanner's keys arrive together with their own timestamps: Playwright's key-by-key round
  // trips can leave more than a scanner's 30 ms between keys on a loaded machine, which is
  // the person's case above, not this one. The timing rules themselves are tested with
  // recorded fixtures in test/preload/keyboard-scan-timing.test.ts.
  await page.evaluate(`for (const key of [...'AKRAD0003', 'Enter'])
    for (const type of ['keydown', 'keyup']) document.body.dispatchEvent(new KeyboardEvent(type, { key, bubbles: true }));`);
  await expect(page.locator('main[data-screen="return-door-open"]')).toBeVisible({ timeout: 10_000 });
  await expect(page.getByText(/Airwave radio/).first()).toBeVisible();
});
