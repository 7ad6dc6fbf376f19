import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/core/db/database.ts';
import { startHarness, type Harness } from '../../helpers/kiosk-harness.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234' };
const GRACE = { card: '04F6071829', pin: '6789' };
const IT = { card: '044B5C6D7E', pin: '9004' };
const JO = { card: '0418293A4B', pin: '9001' };
let h: Harness;
afterEach(async () => h?.close());

function signIn(who: { card: string; pin: string }): Promise<void> {
  return h.signIn(who);
}

function rows<T>(sql: string): T[] {
  const db = openDatabase(`${h.dataDir}/armoury.db`);
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

function inDays(days: number): string {
  const at = h.now();
  at.setDate(at.getDate() + days);
  return `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}`;
}

/** Alex's swap, done at the demo terminal, leaving LT19-0001 behind door 13 for IT. */
async function swapAlex(): Promise<void> {
  await signIn(ALEX);
  await h.call('startSwap', { orderId: h.latest()!.session!.swapOrders[0]!.orderId });
  await h.waitFor((s) => s.screen.kind === 'swap' && s.screen.step === 'deposit-open');
  await h.call('demoScanTag', { tag: 'AKLT190001' });
  await h.waitFor((s) => s.screen.kind === 'swap' && s.screen.tag === 'matched');
  await h.call('demoDoor', { doorNumber: 13, action: 'put-item' });
  await h.call('demoDoor', { doorNumber: 13, action: 'close' });
  await h.waitFor((s) => s.screen.kind === 'swap' && s.screen.step === 'issue-open', 8000);
  await h.call('demoDoor', { doorNumber: 15, action: 'take-item' });
  await h.call('demoDoor', { doorNumber: 15, action: 'close' });
  await h.waitFor((s) => s.screen.kind === 'swap-done');
  await h.call('signOut', {});
}

describe('swap orders (IT)', () => {
  it('takes in only the device on loan to the officer, one live order per device, even when asked twenty times at once', async () => {
    h = await startHarness();
    await signIn(IT);
    const order = { officer: 'PC 6789', oldAsset: 'AKLT190002', newAsset: null, newAssetTypeId: null, expiresOn: inDays(7) };
    const type = (await h.call('getDeviceRefresh', {})).ok ? (await h.call('getDeviceRefresh', {})) : null;
    const lt26 = type?.ok ? type.value.models.find((m) => m.name === 'Laptop (2026 build)')!.assetTypeId : 0;
    expect(await h.call('createSwapOrder', { ...order, oldAsset: 'LT19-0001' })).toMatchObject({ ok: false, error: { kind: 'conflict', message: expect.stringMatching(/not on loan to PC 6789/) } });
    expect(await h.call('createSwapOrder', { ...order, newAssetTypeId: lt26, expiresOn: '2020-01-01' })).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    expect(await h.call('createSwapOrder', order)).toMatchObject({ ok: false, error: { kind: 'invalid-request', message: expect.stringMatching(/Name the new device/) } });
    const attempts = await Promise.all(Array.from({ length: 20 }, () => h.call('createSwapOrder', { ...order, newAssetTypeId: lt26 })));
    expect(attempts.filter((a) => a.ok)).toHaveLength(1);
    expect(attempts.filter((a) => !a.ok && a.error.kind === 'conflict')).toHaveLength(19);
    expect(rows("SELECT state FROM swap_orders WHERE old_asset_id = (SELECT id FROM assets WHERE serial = 'LT19-0002')")).toEqual([{ state: 'open' }]);

    const created = attempts.find((a) => a.ok);
    const id = created?.ok ? created.value.id : 0;
    expect(await h.call('cancelSwapOrder', { orderId: id, reason: 'officer leaving the force' })).toMatchObject({ ok: true, value: { state: 'cancelled' } });
    await signIn(GRACE);
    expect(h.latest()?.session?.swapOrders).toEqual([]);
    expect(await h.call('startSwap', { orderId: id })).toMatchObject({ ok: false, error: { kind: 'not-found' } });
  });

  it("an officer cannot start someone else's swap", async () => {
    h = await startHarness();
    await signIn(GRACE);
    expect(await h.call('startSwap', { orderId: 1 })).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    expect(h.latest()?.demo?.doors.every((d) => !d.open)).toBe(true);
  });
});

describe("a retired device's path to disposal", () => {
  it('collected from its door by IT only, sanitised (a failed verification kept), then disposed of, every step audited', async () => {
    h = await startHarness();
    await swapAlex();
    const retired = () => rows<{ status: string; door: number | null }>("SELECT a.status, d.number AS door FROM assets a LEFT JOIN doors d ON d.id = a.door_id WHERE serial = 'LT19-0001'")[0];
    expect(retired()).toEqual({ status: 'awaiting-sanitisation', door: 13 });

    // Not deployable, and its door opens for IT only.
    await signIn(JO);
    expect(await h.call('collectRetired', { assetId: 1 })).toMatchObject({ ok: false, error: { kind: 'wrong-role' } });
    const asArmourer = await h.call('getRetiredDevices', {});
    expect(asArmourer.ok && asArmourer.value.map((d) => [d.serial, d.nextStep])).toEqual([['LT19-0001', 'Collect it from door 13']]);

    await signIn(IT);
    const device = (await h.call('getDeviceRefresh', {})).ok ? (await h.call('getDeviceRefresh', {})) : null;
    const assetId = device?.ok ? device.value.devices[0]!.assetId : 0;
    const sanitise = { assetId, method: 'purge', tool: 'Blancco Drive Eraser 7', operator: 'N Hussain', verified: true, certificateId: 'BL-2026-0042' } as const;
    expect(await h.call('recordSanitisation', sanitise)).toMatchObject({ ok: false, error: { kind: 'conflict', message: expect.stringMatching(/still behind door 13/) } });
    expect((await h.call('collectRetired', { assetId })).ok).toBe(true);
    await h.waitFor((s) => s.screen.kind === 'collect-door' && s.screen.opened);
    await h.call('demoDoor', { doorNumber: 13, action: 'take-item' });
    await h.call('demoDoor', { doorNumber: 13, action: 'close' });
    await h.waitFor((s) => s.screen.kind === 'device-refresh' && /collected from door 13/.test(s.screen.message ?? ''));
    expect(retired()).toEqual({ status: 'awaiting-sanitisation', door: null });

    expect(await h.call('recordDisposal', { assetId, outcome: 'donate', receivingOrganisation: 'Lambeth schools', certificate: 'D-1' })).toMatchObject({
      ok: false,
      error: { kind: 'conflict', message: expect.stringMatching(/only a device whose sanitisation was verified/) },
    });
    expect(await h.call('recordSanitisation', { ...sanitise, verified: false })).toMatchObject({ ok: true, value: { status: 'awaiting-sanitisation', nextStep: expect.stringMatching(/again/) } });
    expect(await h.call('recordSanitisation', sanitise)).toMatchObject({ ok: true, value: { status: 'sanitised', sanitisation: { method: 'purge', verified: true, certificateId: 'BL-2026-0042' } } });
    expect(await h.call('recordDisposal', { assetId, outcome: 'donate', receivingOrganisation: null, certificate: 'D-1' })).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    const disposed = await h.call('recordDisposal', { assetId, outcome: 'donate', receivingOrganisation: 'Lambeth schools', certificate: 'D-1' });
    expect(disposed).toMatchObject({ ok: true, value: { status: 'disposed', disposal: { outcome: 'donate', receivingOrganisation: 'Lambeth schools' }, nextStep: 'Disposed of' } });
    expect(rows<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'device.%' OR action LIKE 'collect%' ORDER BY seq").map((r) => r.action)).toEqual([
      'collect.intent',
      'collect.completed',
      'device.sanitisation-failed',
      'device.sanitised',
      'device.disposed',
    ]);
    expect(rows("SELECT count(*) AS n FROM sanitisation_records")).toEqual([{ n: 2 }]);
  });
});
