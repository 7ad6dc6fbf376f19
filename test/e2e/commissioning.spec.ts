import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { Rdm6300Simulator } from '../../native-bridges/card-reader/rdm6300-simulator.ts';
import { KerongSimulator } from '../../native-bridges/locker-kerong/simulator.ts';
import { openPtyPair, type PtyPair } from '../../native-bridges/sim-args.ts';
import { openSerialTransport } from '../../native-bridges/transport/serial-transport.ts';
import { startShell, type RunningShell } from './browser-shell-fixture.ts';
import { enterPin, expectAccessible, screen } from './kiosk-steps.ts';

/**
 * The README's commissioning walk in the browser shell: a fresh `--live` terminal whose locker
 * bus and 125 kHz card reader are simulators on socat pty pairs, set up through its own screens.
 */

const ROOT = new URL('../../', import.meta.url).pathname;
const ADMIN_CARD = '0AB1C2D3E4';
const ALEX_CARD = '0A11223344';

let shell: RunningShell | null = null;
const closers: (() => Promise<void>)[] = [];
test.afterEach(async () => {
  await shell?.stop();
  shell = null;
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a fresh live terminal is commissioned from nothing through its own screens', async ({ page }) => {
  test.setTimeout(120_000);
  const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'armoury-e2e-ptys-'));
  closers.push(async () => (await import('node:fs')).rmSync(dir, { recursive: true, force: true }));
  const bus: PtyPair = await openPtyPair(dir, { names: ['busApp', 'busSim'] });
  const card: PtyPair = await openPtyPair(dir, { names: ['cardApp', 'cardSim'] });
  closers.push(() => bus.close(), () => card.close());
  const boards = new KerongSimulator(await openSerialTransport(bus.simPath, 19200), { boards: [0] });
  const reader = new Rdm6300Simulator(await openSerialTransport(card.simPath, 9600));
  closers.push(() => boards.close(), () => reader.close());
  for (let lock = 0; lock < 4; lock++) boards.setItemPresent(0, lock, true);
  const tap = async (uid: string) => {
    // The reader counts a card as lifted after 500 ms without a frame: taps closer than that are one.
    await pause(600);
    await reader.tap(uid);
  };

  shell = await startShell(
    {},
    {
      lockerBank: {
        ...(JSON.parse(readFileSync(join(ROOT, 'resources/default-terminal-config.json'), 'utf8')) as { lockerBank: Record<string, unknown> }).lockerBank,
        buses: [{ id: 'bus-a', protocol: 'kerong', link: { kind: 'serial', path: bus.appPath, baudRate: 19200 }, pollIntervalMs: 100, boards: [{ address: 0 }] }],
      },
      cardReaders: [{ id: 'reader', kind: 'rdm6300', link: { kind: 'serial', path: card.appPath, baudRate: 9600 } }],
      scanners: [],
      video: { policy: 'off', camera: 'CAM-1', triggers: [] },
    },
    true,
  );
  await page.goto(shell.url);

  // 1. Setup: the code is on the terminal's console and in a file, never on the screen.
  await screen(page, 'idle');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Set up this terminal');
  const code = readFileSync(join(shell.dataDir, 'setup-code.txt'), 'utf8').trim();
  await expect(page.locator('body')).not.toContainText(code);
  await expectAccessible(page, 'setup (code)');
  await page.screenshot({ path: 'test-results/commission-setup.png' });
  await page.getByLabel('Setup code (12 digits)').fill(code);
  await page.getByLabel('Your collar number').fill('SGT 100');
  await page.getByLabel('Your name').fill('Sam Patel');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Site admin: SGT 100 Sam Patel' })).toBeVisible();

  // 2. The admin's own card, then their PIN, typed twice.
  await tap(ADMIN_CARD);
  await screen(page, 'pin');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Choose your PIN');
  await expectAccessible(page, 'choose PIN');
  await page.screenshot({ path: 'test-results/commission-choose-pin.png' });
  await enterPin(page, '2580');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Type your new PIN again');
  await enterPin(page, '2580');
  await screen(page, 'home');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('SGT 100 Sam Patel');

  // 3. The site register (Rules), then HR's personnel file and a card enrolled by tapping (People).
  await page.getByRole('button', { name: 'Rules' }).click();
  await screen(page, 'rules');
  await page.getByLabel('Site register file (JSON)').setInputFiles(join(ROOT, 'resources/site-register-example.json'));
  await expect(page.locator('.register-upload [data-status="applied"]')).toBeVisible();
  await expect(page.locator('.rule-grid')).toContainText('Taser 7');
  await page.getByRole('button', { name: /Back/ }).click();

  await page.getByRole('button', { name: 'People' }).click();
  await screen(page, 'people');
  await page.getByLabel('Personnel file (CSV or JSON)').setInputFiles(join(ROOT, 'resources/personnel-example.csv'));
  await expect(page.locator('.personnel-upload [data-status="applied"]')).toBeVisible();
  const blessing = page.locator('li.officer[data-collar="PC 2001"]');
  await expect(blessing).toContainText('No card enrolled');
  await blessing.getByRole('button', { name: 'Enrol a card for PC 2001' }).click();
  await expect(page.getByRole('heading', { name: 'Tap the card for PC 2001 Blessing Okoro on the reader now' })).toBeVisible();
  await expectAccessible(page, 'people (enrolling)');
  await page.screenshot({ path: 'test-results/commission-people.png' });
  await tap('0A55667788');
  await expect(page.getByRole('status').filter({ hasText: "Card 0A55667788 is now PC 2001 Blessing Okoro's" })).toBeVisible();
  await expect(blessing).toContainText('Card 0A55667788');
  await page.getByRole('button', { name: /Back/ }).click();

  // 4. Training records for Alex (Taser, in date).
  await page.getByRole('button', { name: 'Training records' }).click();
  await screen(page, 'training');
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('Training export file (CSV or JSON)').setInputFiles({
    name: 'lms.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`collar_number,qualification_code,awarded_on,expires_on\nPC 1234,TASER,${day(-30)},${day(300)}\n`),
  });
  await expect(page.locator('.training-upload [data-status="applied"]')).toBeVisible();
  await page.getByRole('button', { name: /Back/ }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await screen(page, 'idle');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tap your card');

  // 5. Alex's first sign-in: he chooses his PIN and may draw a Taser; a pistol he may not.
  await tap(ALEX_CARD);
  await screen(page, 'pin');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Choose your PIN');
  await enterPin(page, '1111');
  await enterPin(page, '1111');
  await expect(page.getByRole('alert').filter({ hasText: 'not one digit repeated' })).toBeVisible();
  await enterPin(page, '4826');
  await enterPin(page, '4826');
  await screen(page, 'home');
  await expect(page.getByRole('button', { name: /Taser 7/ }).first()).toBeEnabled();
  await expectAccessible(page, 'home (first sign-in)');
  await page.screenshot({ path: 'test-results/commission-alex-home.png' });
});
