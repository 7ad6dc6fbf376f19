import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/kiosk-harness.ts';

/** The names officers see are the site admin's: set on the hardware screen, checked in main. */

const ADMIN = { card: '043A4B5C6D', pin: '9003' }; // ADM 01

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function signIn(k: Harness, who: { card: string; pin: string }): Promise<void> {
  await k.call('demoTapCard', { uid: who.card });
  const result = await k.call('submitPin', { pin: who.pin });
  if (!result.ok) throw new Error(result.error.message);
}

async function configWith(k: Harness, change: (config: { lockerBank: Record<string, unknown> }) => void): Promise<string> {
  const view = await k.call('getHardware', {});
  if (!view.ok) throw new Error(view.error.message);
  const config = JSON.parse(view.value.configJson) as { lockerBank: Record<string, unknown> };
  change(config);
  return JSON.stringify(config);
}

describe('device names for officers', () => {
  it('a site admin names the lockers, and every officer screen uses that name at once', async () => {
    h = await startHarness();
    expect(h.latest()?.lockers.name).toBe('Lockers');
    await signIn(h, ADMIN);
    const saved = await h.call('saveHardwareConfig', { configJson: await configWith(h, (c) => (c.lockerBank.displayName = 'Taser lockers')) });
    expect(saved.ok && saved.value).toMatchObject({ saved: true, changes: ['lockerBank.displayName: (none) → "Taser lockers"'] });
    const s = await h.waitFor((x) => x.lockers.name === 'Taser lockers');
    expect(s.devices.find((d) => d.id.startsWith('bus:'))?.label).toBe('Taser lockers');
  }, 60_000);

  it('a name that is a path is refused, with the reason, and nothing changes', async () => {
    h = await startHarness();
    await signIn(h, ADMIN);
    const saved = await h.call('saveHardwareConfig', { configJson: await configWith(h, (c) => (c.lockerBank.displayName = '/dev/ttyUSB0')) });
    expect(saved.ok && saved.value.saved).toBe(false);
    expect(saved.ok && saved.value.problems.join(' ')).toMatch(/lockerBank\.displayName: a name for officers to read/);
    expect(h.latest()?.lockers.name).toBe('Lockers');
  }, 60_000);
});
