import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/core/db/database.ts';
import { noonToday, startHarness, type Harness } from '../helpers/kiosk-harness.ts';
import { ManualTime } from '../helpers/manual-time.ts';

/** Wait (real time: the simulated bank polls at its own pace) until `ok` holds; fail after 5 s. */
async function until(ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ADMIN = { card: '043A4B5C6D', pin: '9003' };
const OFFICER = { card: '04A1B2C3D4', pin: '1234' };
const ARMOURER = { card: '0418293A4B', pin: '9001' };
let h: Harness;
afterEach(async () => h?.close());

function signIn(who: { card: string; pin: string }): Promise<void> {
  return h.signIn(who);
}

function auditActions(): string[] {
  const db = openDatabase(`${h.dataDir}/armoury.db`);
  try {
    return db.prepare<[], { action: string }>('SELECT action FROM audit_log ORDER BY seq').all().map((r) => r.action);
  } finally {
    db.close();
  }
}

describe('hardware screen: roles are enforced in main', () => {
  it('refuses every hardware request without a session, and from an officer or armourer', async () => {
    h = await startHarness();
    const attempts = async () => [
      await h.call('openHardware', {}),
      await h.call('getHardware', {}),
      await h.call('hardwareTest', { action: 'open-door', doorNumber: 3 }),
      await h.call('saveHardwareConfig', { configJson: '{}' }),
      await h.call('hardwareFrames', { since: 0 }),
    ];
    for (const result of await attempts()) expect(result).toMatchObject({ ok: false, error: { kind: 'not-signed-in' } });
    for (const who of [OFFICER, ARMOURER]) {
      await signIn(who);
      for (const result of await attempts()) expect(result).toMatchObject({ ok: false, error: { kind: 'wrong-role', message: 'Only a site admin can use the hardware screen.' } });
      await h.call('signOut', {});
    }
    expect(h.latest()?.demo?.doors.find((d) => d.number === 3)?.open).toBe(false);
    expect(auditActions()).not.toContain('service.open-intent');
  });
});

describe('hardware screen for a site admin', () => {
  it('opens a door with a committed service opening, and reads board status', async () => {
    h = await startHarness();
    await signIn(ADMIN);
    const opened = await h.call('openHardware', {});
    expect(opened.ok && opened.value.screen.kind).toBe('hardware');
    const view = await h.call('getHardware', {});
    expect(view.ok && view.value.buses).toEqual([{ id: 'bus-a', protocol: 'kerong', doorNumbers: Array.from({ length: 16 }, (_v, i) => i + 1) }]);

    const result = await h.call('hardwareTest', { action: 'open-door', doorNumber: 3 });
    expect(result).toEqual({ ok: true, value: { ok: true, message: 'Door 3 opened.' } });
    expect(h.latest()?.demo?.doors.find((d) => d.number === 3)?.open).toBe(true);
    const actions = auditActions();
    expect(actions.indexOf('service.open-intent')).toBeGreaterThan(-1);
    expect(actions.indexOf('service.door-opened')).toBeGreaterThan(actions.indexOf('service.open-intent'));

    const status = await h.call('hardwareTest', { action: 'board-status', busId: 'bus-a' });
    expect(status.ok && status.value.message).toMatch(/^board 0: door open 0010000000000000 · item present 1111111111110011/);

    const frames = await h.call('hardwareFrames', { since: 0 });
    expect(frames.ok && frames.value.some((f) => f.direction === 'tx' && f.hex === '02 02 31 03 38')).toBe(true);
  });

  it('refuses a configuration with problems, listing them, and applies a good one at once', async () => {
    h = await startHarness();
    await signIn(ADMIN);
    const view = await h.call('getHardware', {});
    if (!view.ok) throw new Error(view.error.message);
    const config = JSON.parse(view.value.configJson) as { lockerBank: { doors: { number: number; bus: string; board: number; lock: number }[] } };

    const broken = structuredClone(config);
    broken.lockerBank.doors[0]!.bus = 'nowhere';
    const refused = await h.call('saveHardwareConfig', { configJson: JSON.stringify(broken) });
    expect(refused.ok && refused.value).toMatchObject({ saved: false, problems: [expect.stringContaining('door 1 is on bus "nowhere"')] });

    // Swap the locks behind doors 3 and 5.
    const swapped = structuredClone(config);
    swapped.lockerBank.doors[2]!.lock = 5;
    swapped.lockerBank.doors[4]!.lock = 3;
    const saved = await h.call('saveHardwareConfig', { configJson: JSON.stringify(swapped) });
    expect(saved.ok && saved.value.saved).toBe(true);
    expect(saved.ok && saved.value.changes).toEqual(['lockerBank.doors.2.lock: 3 → 5', 'lockerBank.doors.4.lock: 5 → 3']);
    await h.waitFor((s) => s.devices.some((d) => d.id === 'bus:bus-a' && d.state === 'online'));

    const result = await h.call('hardwareTest', { action: 'open-door', doorNumber: 3 });
    expect(result.ok && result.value.ok).toBe(true);
    const frames = await h.call('hardwareFrames', { since: 0 });
    expect(frames.ok && frames.value.some((f) => f.direction === 'tx' && f.hex === '02 04 31 03 3a')).toBe(true);
    expect(auditActions()).toContain('config.changed');
  });

  it('routes the next card to a read-card test instead of signing in', async () => {
    h = await startHarness();
    await signIn(ADMIN);
    const pending = h.call('hardwareTest', { action: 'read-card' });
    await new Promise((r) => setTimeout(r, 50));
    await h.call('demoTapCard', { uid: '0A0B0C0D0E' });
    expect(await pending).toEqual({ ok: true, value: { ok: true, message: 'Card read: 0A0B0C0D0E' } });
    expect(h.latest()?.session?.collarNumber).toBe('ADM 01');
  });
});

describe('doors nobody asked to open', () => {
  it('a door forced open raises one forced-door exception, and one door-left-open', async () => {
    const time = new ManualTime(noonToday());
    h = await startHarness({ doorLeftOpenSeconds: 120 }, undefined, {}, time);
    const exceptions = () => {
      const db = openDatabase(`${h.dataDir}/armoury.db`);
      try {
        return db.prepare<[], { kind: string; subject: string }>('SELECT kind, subject FROM exceptions ORDER BY id').all();
      } finally {
        db.close();
      }
    };
    await h.call('demoDoor', { doorNumber: 7, action: 'open' });
    await until(() => exceptions().length > 0);
    await time.advance(119_000);
    await new Promise((r) => setTimeout(r, 600)); // polls at the board's pace (real time), the clock standing at 119 s
    expect(exceptions()).toEqual([{ kind: 'forced-door', subject: 'door:7' }]);
    await time.advance(1_000);
    await until(() => exceptions().length > 1);
    await new Promise((r) => setTimeout(r, 600)); // more polls: still one of each
    expect(exceptions()).toEqual([
      { kind: 'forced-door', subject: 'door:7' },
      { kind: 'door-left-open', subject: 'door:7' },
    ]);
  });
});

describe('secrets on the hardware screen', () => {
  it('are masked in the view, kept when saved back masked, and required for a new trigger', async () => {
    const secret = 'the-original-shared-secret';
    h = await startHarness({}, undefined, { video: { policy: 'best-effort', camera: 'CAM-1', triggers: [{ id: 'vms', kind: 'webhook', url: 'http://127.0.0.1:9/hook', secret }] } });
    await signIn(ADMIN);
    const view = await h.call('getHardware', {});
    if (!view.ok) throw new Error(view.error.message);
    expect(view.value.configJson).not.toContain(secret);
    const config = JSON.parse(view.value.configJson) as { terminalName: string; video: { triggers: Record<string, unknown>[] } };
    config.terminalName = 'Armoury A, terminal 2';
    const saved = await h.call('saveHardwareConfig', { configJson: JSON.stringify(config) });
    expect(saved).toMatchObject({ ok: true, value: { saved: true, changes: ['terminalName: "Armoury A, terminal 1" → "Armoury A, terminal 2"'] } });
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(`${h.dataDir}/terminal-config.json`, 'utf8')).toContain(secret);

    config.video.triggers.push({ ...config.video.triggers[0], id: 'vms-2' });
    const refused = await h.call('saveHardwareConfig', { configJson: JSON.stringify(config) });
    expect(refused).toMatchObject({ ok: true, value: { saved: false, problems: [expect.stringContaining('video.triggers.vms-2: give the secret')] } });
  });
});
