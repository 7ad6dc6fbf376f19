import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/core/db/database.ts';
import { startHarness, type Harness } from '../../helpers/kiosk-harness.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234' };
let h: Harness;
afterEach(async () => h?.close());

function signIn(who: { card: string; pin: string }): Promise<void> {
  return h.signIn(who);
}

function query<T>(sql: string, ...params: (string | number)[]): T[] {
  const db = openDatabase(`${h.dataDir}/armoury.db`);
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

describe('device swap in the demo room', () => {
  it('releases the new laptop only after the old one is in and its tag matched', async () => {
    h = await startHarness();
    await signIn(ALEX);
    const home = await h.waitFor((s) => s.screen.kind === 'home');
    const order = home.session?.swapOrders[0];
    expect(order).toMatchObject({ oldSerial: 'LT19-0001', newTypeName: 'Laptop (2026 build)', deposited: false });
    // Laptops are issued by order only: never offered as a draw, and refused if asked for anyway.
    expect(home.session?.drawOptions.map((o) => o.name)).not.toContain('Laptop (2026 build)');
    const laptopType = query<{ id: number }>("SELECT id FROM asset_types WHERE code = 'LT26'")[0]!.id;
    expect(await h.call('startDraw', { assetTypeId: laptopType })).toMatchObject({ ok: false, error: { message: 'Laptop (2026 build) is issued by order, not drawn here.' } });
    const started = await h.call('startSwap', { orderId: order!.orderId });
    expect(started.ok).toBe(true);
    const deposit = await h.waitFor((s) => s.screen.kind === 'swap' && s.screen.step === 'deposit-open');
    const depositDoor = deposit.screen.kind === 'swap' ? deposit.screen.depositDoor! : 0;
    expect(depositDoor).toBe(13);
    // The new laptop's door stays shut while the old one is not in.
    expect(h.latest()?.demo?.doors.find((d) => d.number === 15)?.open).toBe(false);
    await h.call('demoScanTag', { tag: 'AKLT190001' });
    await h.waitFor((s) => s.screen.kind === 'swap' && s.screen.tag === 'matched');
    await h.call('demoDoor', { doorNumber: depositDoor, action: 'put-item' });
    expect(h.latest()?.demo?.doors.find((d) => d.number === 15)?.open).toBe(false);
    await h.call('demoDoor', { doorNumber: depositDoor, action: 'close' });
    const issue = await h.waitFor((s) => s.screen.kind === 'swap' && s.screen.step === 'issue-open', 8000);
    const issueDoor = issue.screen.kind === 'swap' ? issue.screen.issueDoor! : 0;
    expect(issueDoor).toBe(15);
    await h.call('demoDoor', { doorNumber: issueDoor, action: 'take-item' });
    await h.call('demoDoor', { doorNumber: issueDoor, action: 'close' });
    const done = await h.waitFor((s) => s.screen.kind === 'swap-done');
    expect(done.screen).toMatchObject({ kind: 'swap-done', oldSerial: 'LT19-0001', newSerial: 'LT26-0001', doorNumber: 15 });
    expect(done.session?.holdings.map((x) => x.serial)).toContain('LT26-0001');
    expect(done.session?.holdings.map((x) => x.serial)).not.toContain('LT19-0001');
    expect(query<{ status: string }>("SELECT status FROM assets WHERE serial = 'LT19-0001'")).toEqual([{ status: 'awaiting-sanitisation' }]);
    expect(query<{ state: string }>('SELECT state FROM swap_orders')).toEqual([{ state: 'completed' }]);
  });

  it('a wrong tag releases nothing and raises a swap-mismatch exception', async () => {
    h = await startHarness();
    await signIn(ALEX);
    const home = await h.waitFor((s) => s.screen.kind === 'home');
    await h.call('startSwap', { orderId: home.session!.swapOrders[0]!.orderId });
    const deposit = await h.waitFor((s) => s.screen.kind === 'swap' && s.screen.step === 'deposit-open');
    const depositDoor = deposit.screen.kind === 'swap' ? deposit.screen.depositDoor! : 0;
    await h.call('demoScanTag', { tag: 'AKRAD0003' }); // Alex's radio, not the laptop
    await h.waitFor((s) => s.screen.kind === 'swap' && /not your Laptop/.test(s.screen.message ?? ''));
    await h.call('demoDoor', { doorNumber: depositDoor, action: 'put-item' });
    await h.call('demoDoor', { doorNumber: depositDoor, action: 'close' });
    const problem = await h.waitFor((s) => s.screen.kind === 'problem');
    expect(problem.screen).toMatchObject({ title: 'Nothing was released' });
    expect(h.latest()?.demo?.doors.filter((d) => d.open)).toEqual([]);
    expect(query('SELECT kind FROM exceptions WHERE kind = ?', 'swap-mismatch')).toHaveLength(1);
    expect(query<{ status: string }>("SELECT status FROM assets WHERE serial IN ('LT19-0001', 'LT26-0001') ORDER BY serial")).toEqual([{ status: 'on-loan' }, { status: 'available' }]);
    expect(query<{ state: string }>('SELECT state FROM swap_orders')).toEqual([{ state: 'open' }]);
  });
});
