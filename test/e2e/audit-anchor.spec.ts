import { expect, test } from '@playwright/test';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { expectAccessible, screen, signIn } from './kiosk-steps.ts';

const JO = { card: 'ARM 01', pin: '9001' }; // armourer

let shell: RunningShell;
test.afterEach(async () => shell?.stop());

test("the investigation tab shows the start-up check, the latest checkpoint and the terminal's key, and exports the key as PEM", async ({ page }) => {
  shell = await startShell();
  await page.goto(shell.url);
  await screen(page, 'idle');
  await signIn(page, JO);
  await page.getByRole('button', { name: 'Console', exact: true }).click();
  await screen(page, 'console');
  await page.getByRole('tablist', { name: 'Console sections' }).getByRole('tab', { name: 'Investigation', exact: true }).click();
  const anchor = page.getByRole('region', { name: 'Audit anchoring' });
  await expect(anchor.getByText(/Start-up check passed/)).toBeVisible();
  await expect(anchor.locator('[data-anchor-checkpoint]')).toHaveText(/^row \d+ of \d+, signed .* after the start-up check$/);
  const fingerprint = (await anchor.locator('[data-anchor-fingerprint]').textContent()) ?? '';
  expect(fingerprint).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  await expectAccessible(page, 'the audit anchoring panel');
  const [download] = await Promise.all([page.waitForEvent('download'), anchor.getByRole('button', { name: 'Export public key (PEM)' }).click()]);
  expect(download.suggestedFilename()).toBe('terminal-1-audit-public-key.pem');
  const pem = readFileSync(await download.path(), 'utf8');
  // A real Ed25519 public key, the one the console names by its fingerprint.
  expect(createPublicKey(pem).asymmetricKeyType).toBe('ed25519');
  await expect(anchor.getByText('Saved terminal-1-audit-public-key.pem.')).toBeVisible();
});
