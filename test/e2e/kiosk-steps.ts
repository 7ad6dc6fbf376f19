import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** What a person does at the kiosk in the e2e specs, said once: the Simulator panel plays the hardware. */

export interface Person {
  card: string;
  pin: string;
}

export async function screen(page: Page, kind: string): Promise<void> {
  await expect(page.locator(`main[data-screen="${kind}"]`)).toBeVisible({ timeout: 10_000 });
}

/** No axe violations of any impact on what is showing now. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${what}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

export async function setSimulator(page: Page, open: boolean): Promise<void> {
  const toggle = page.getByRole('button', { name: 'Simulator' });
  if (((await toggle.getAttribute('aria-expanded')) === 'true') !== open) await toggle.click();
}

/**
 * Check the screen with axe and keep a picture of it as an officer sees it (the Simulator
 * panel shut) in test-results/<file>.png; the panel is left as `simulatorAfter` says.
 */
export async function lookAt(page: Page, what: string, file: string, simulatorAfter: boolean): Promise<void> {
  await expectAccessible(page, what);
  await setSimulator(page, false);
  await page.screenshot({ path: `test-results/${file}.png` });
  await setSimulator(page, simulatorAfter);
}

/** Tap a demo card in the Simulator panel (left open). */
export async function tapCard(page: Page, collar: string): Promise<void> {
  await setSimulator(page, true);
  await page.getByRole('button', { name: new RegExp(`^Tap card ${collar}\\b`) }).click();
}

export async function enterPin(page: Page, pin: string): Promise<void> {
  for (const digit of pin) await page.getByRole('button', { name: digit, exact: true }).click();
  await page.getByRole('button', { name: 'Enter', exact: true }).click();
}

export async function signIn(page: Page, who: Person): Promise<void> {
  await tapCard(page, who.card);
  await screen(page, 'pin');
  await setSimulator(page, false);
  await enterPin(page, who.pin);
  await screen(page, 'home');
}

/** An officer signs in, draws a Taser 7 from door 1 (the demo's first Taser door) and signs out. */
export async function drawTaserFromDoor1(page: Page, who: Person): Promise<void> {
  await signIn(page, who);
  await page.getByRole('button', { name: /^Draw Taser 7/ }).click();
  await screen(page, 'draw-door-open');
  await expect(page.getByText(/Door 1 is open/)).toBeVisible();
  await setSimulator(page, true);
  await page.getByRole('button', { name: 'Take item from door 1', exact: true }).click();
  await page.getByRole('button', { name: 'Close door 1', exact: true }).click();
  await setSimulator(page, false);
  await screen(page, 'draw-done');
  await page.getByRole('button', { name: 'Sign out now' }).click();
  await screen(page, 'idle');
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await screen(page, 'idle');
}

/** Play a door in the Simulator panel (which must be open). */
export async function door(page: Page, action: 'Close door' | 'Put item in door' | 'Take item from door', number: number): Promise<void> {
  await page.getByRole('button', { name: `${action} ${number}`, exact: true }).click();
}

/** Type with the on-screen keyboard's keys (letters, digits, space and hyphen), as a finger would. */
export async function typeOnScreen(page: Page, text: string): Promise<void> {
  const keyboard = page.getByRole('region', { name: /^On-screen keyboard/ });
  for (const char of text) {
    if (char === ' ') await keyboard.getByRole('button', { name: 'Space', exact: true }).click();
    else if (/[A-Z]/.test(char)) {
      // Capitals come from Shift (one letter) unless Caps lock is already on.
      if ((await keyboard.getByRole('button', { name: 'Caps lock' }).getAttribute('aria-pressed')) !== 'true') {
        await keyboard.getByRole('button', { name: 'Shift', exact: true }).click();
      }
      await keyboard.getByRole('button', { name: char, exact: true }).click();
    } else if (/[a-z]/.test(char) && (await keyboard.getByRole('button', { name: 'Caps lock' }).getAttribute('aria-pressed')) === 'true') {
      await keyboard.getByRole('button', { name: 'Caps lock' }).click();
      await keyboard.getByRole('button', { name: char, exact: true }).click();
    } else await keyboard.getByRole('button', { name: char, exact: true }).click();
  }
}
