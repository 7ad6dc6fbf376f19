import { expect, test, type Locator, type Page } from '@playwright/test';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { door, enterPin, expectAccessible, lookAt, screen, setSimulator, signIn, signOut, tapCard, typeOnScreen } from './kiosk-steps.ts';

// PCD 1698: an exhibit deposited one way by the seizing officer, retrieved by two property
// officers with its seal checked. Every word is typed with the on-screen keyboard's keys.
const ALEX = { card: 'PC 1234', pin: '1234' };
const LEE = { card: 'PRP 01', pin: '9006' };
const RUTH = { card: 'PRP 02', pin: '9007' };
const EXHIBIT_DOOR = 13; // the first free door in the demo

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

async function typeInto(page: Page, field: Locator, text: string): Promise<void> {
  await field.click();
  await expect(page.getByRole('region', { name: /^On-screen keyboard, typing into / })).toBeVisible();
  await typeOnScreen(page, text);
  await expect(field).toHaveValue(text);
}

test('an officer deposits an exhibit one way; two property officers retrieve it with its seal checked', async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await signIn(page, ALEX);
  await page.getByRole('button', { name: 'Deposit an exhibit' }).click();
  await screen(page, 'exhibit-deposit');
  const form = page.getByRole('form', { name: 'Deposit an exhibit' });
  await typeInto(page, form.getByRole('textbox', { name: 'Reference', exact: true }), 'AP/1');
  await typeInto(page, form.getByRole('textbox', { name: 'Crime or occurrence number' }), '23/41877/26');
  await typeInto(page, form.getByRole('textbox', { name: 'At (time, such as 0830)' }), '0830');
  await typeInto(page, form.getByRole('textbox', { name: 'Where', exact: true }), '14 Mill Lane');
  await typeInto(page, form.getByRole('textbox', { name: 'Description', exact: true }), 'Bag of white powder');
  await form.getByRole('radio', { name: 'Drugs' }).check();
  await form.getByRole('radio', { name: 'Small bag' }).check();
  await typeInto(page, form.getByRole('textbox', { name: 'Seal number', exact: true }), 'SEAL-100231');
  await expectAccessible(page, 'exhibit deposit (on-screen keyboard)');
  await page.getByRole('region', { name: /^On-screen keyboard/ }).getByRole('button', { name: 'Done', exact: true }).click();
  await lookAt(page, 'exhibit deposit', 'exhibit-deposit', false);
  await form.getByRole('button', { name: /Open a door for it/ }).click();
  await screen(page, 'exhibit-door');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Door ${EXHIBIT_DOOR} is open`);
  await lookAt(page, 'exhibit door', 'exhibit-door', true);
  await door(page, 'Put item in door', EXHIBIT_DOOR);
  await door(page, 'Close door', EXHIBIT_DOOR);
  await screen(page, 'home');
  await expect(page.getByText(`Exhibit AP/1 (23/41877/26) is deposited behind door ${EXHIBIT_DOOR}. Only the property store can open it now.`).first()).toBeVisible();
  // One way: the officer has no Exhibits screen to open it from.
  await expect(page.getByRole('button', { name: 'Exhibits' })).toHaveCount(0);
  await setSimulator(page, false);
  await signOut(page);

  await signIn(page, LEE);
  await page.getByRole('button', { name: 'Exhibits' }).click();
  await screen(page, 'exhibits');
  const item = page.getByRole('listitem').filter({ hasText: 'AP/1 · 23/41877/26' });
  await expect(item).toContainText(`Behind its door: door ${EXHIBIT_DOOR}`);
  await lookAt(page, 'exhibits', 'exhibits', false);
  await item.getByRole('radio', { name: 'Court' }).check();
  await item.getByRole('button', { name: /^Retrieve it/ }).click();
  await screen(page, 'exhibit-retrieve');
  await expect(page.getByRole('heading', { name: 'A second property officer taps their card' })).toBeVisible();
  await expectAccessible(page, 'exhibit retrieval (witness card)');
  await tapCard(page, RUTH.card);
  await setSimulator(page, false);
  await expect(page.getByRole('heading', { name: 'Second property officer: enter your PIN' })).toBeVisible();
  await expectAccessible(page, 'exhibit retrieval (witness PIN)');
  await enterPin(page, RUTH.pin);
  await expect(page.getByRole('heading', { name: 'Check the seal' })).toBeVisible();
  await typeInto(page, page.getByRole('textbox', { name: 'Seal number on the bag' }), 'SEAL-100231');
  await expectAccessible(page, 'exhibit retrieval (seal)');
  await page.getByRole('region', { name: /^On-screen keyboard/ }).getByRole('button', { name: 'Done', exact: true }).click();
  await page.getByRole('button', { name: 'Check the seal and open the door' }).click();
  await screen(page, 'exhibit-door');
  await setSimulator(page, true);
  await door(page, 'Take item from door', EXHIBIT_DOOR);
  await door(page, 'Close door', EXHIBIT_DOOR);
  await screen(page, 'exhibits');
  await setSimulator(page, false);
  await expect(item).toContainText('Out with the property store');
  await expect(item.getByRole('list', { name: /^Chain of custody/ })).toContainText('retrieved by PRP 01 Lee Carter, witnessed by PRP 02 Ruth Adams (court)');
  const download = page.waitForEvent('download');
  await item.getByRole('button', { name: /^Continuity record \(PDF\)/ }).click();
  expect((await download).suggestedFilename()).toBe('continuity-AP-1-23-41877-26.pdf');
  await expectAccessible(page, 'exhibits after retrieval');
});
