import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/kiosk-harness.ts';

/**
 * A terminal fed by an estate refuses weapons once its reference data is older than the policy
 * allows (default 24 hours), says why, and goes on issuing other kit. Here the estate is
 * configured but unreachable (nothing listens on its port), as when a site's link is down; the
 * age is set in the terminal's own database as a sync would leave it.
 */

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const UNREACHABLE_ESTATE = { url: 'postgresql://terminal_north_1@127.0.0.1:9/armoury_estate', password: 'not-used-here' };

async function signedIn(policy: Record<string, number> = {}): Promise<Harness> {
  const harness = await startHarness(policy, undefined, { estate: UNREACHABLE_ESTATE });
  await harness.call('demoTapCard', { uid: '04A1B2C3D4' });
  await harness.call('submitPin', { pin: '1234' });
  await harness.waitFor((s) => s.screen.kind === 'home');
  return harness;
}

/** What the last sync would have written, through a connection of the test's own. */
function syncedHoursAgo(harness: Harness, hours: number | null): void {
  const db = new Database(join(harness.dataDir, 'armoury.db'));
  try {
    db.prepare('UPDATE estate_link SET reference_synced_at = ? WHERE id = 1').run(hours === null ? null : new Date(harness.now().getTime() - hours * 3_600_000).toISOString());
  } finally {
    db.close();
  }
}

async function options(harness: Harness) {
  // A request that changes nothing, so the home screen's options are decided again now.
  await harness.call('stillHere', {});
  const snapshot = await harness.call('getSnapshot', {});
  if (!snapshot.ok) throw new Error('no snapshot');
  const draw = snapshot.value.session?.drawOptions ?? [];
  return { taser: draw.find((o) => o.name === 'Taser 7'), camera: draw.find((o) => o.category === 'bwv') };
}

describe('reference data from the estate that has gone stale', () => {
  it('refuses a Taser to a qualified officer when this terminal has never synced, and still issues a camera', async () => {
    h = await signedIn();
    const { taser, camera } = await options(h);
    expect(taser).toMatchObject({ allowed: false });
    expect(taser?.reasons).toEqual([
      {
        code: 'reference-stale',
        message: "This terminal's training records have never been brought up to date from the estate, so no weapon is released on them",
        advice: 'Tell an armourer: the terminal cannot reach the estate. Other kit can still be drawn.',
      },
    ]);
    expect(camera).toMatchObject({ allowed: true });
    // The status bar says the estate is out of reach and how old the data is.
    const shown = await h.waitFor((s) => s.devices.some((d) => d.id === 'estate' && d.state === 'offline'));
    expect(shown.devices.find((d) => d.id === 'estate')?.label).toBe('Estate link (reference data from never)');
    // main refuses the draw itself too, not just the button.
    const refused = await h.call('startDraw', { assetTypeId: taser?.assetTypeId ?? 0 });
    expect(refused.ok).toBe(false);
  });

  it('releases while the data is within the policy, and refuses past it with its age', async () => {
    h = await signedIn({ referenceMaxAgeHours: 24 });
    syncedHoursAgo(h, 1);
    expect((await options(h)).taser).toMatchObject({ allowed: true });
    syncedHoursAgo(h, 30);
    const { taser } = await options(h);
    expect(taser?.reasons.map((r) => r.message)).toEqual([
      "This terminal's training records were last brought up to date from the estate 30 hours ago (the limit is 24 hours), so no weapon is released on them",
    ]);
  });

  it('never applies to a terminal that stands alone', async () => {
    h = await startHarness();
    await h.call('demoTapCard', { uid: '04A1B2C3D4' });
    await h.call('submitPin', { pin: '1234' });
    await h.waitFor((s) => s.screen.kind === 'home');
    expect((await options(h)).taser).toMatchObject({ allowed: true });
  });
});
