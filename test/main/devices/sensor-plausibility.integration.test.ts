import { afterEach, describe, expect, it } from 'vitest';
import type { KioskSnapshot } from '../../../preload/contract.ts';
import { door, live, room, rows, signIn, waitFor, type Cleanups, type Live, type Room } from '../../helpers/live-room.ts';

/**
 * A board whose lock bits are the other way round from the configuration: every door reads
 * open while none was unlocked. Real drivers over socat ptys; the simulated board reports with
 * inverted lock polarity, the configuration keeps the default.
 */

const ALEX_CARD = '04A1B2C3D4'; // PC 1234, Taser in date
const ADMIN_CARD = '043A4B5C6D'; // ADM 01

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const INVERTED = { lockOpenWhenBitSet: false, itemPresentWhenBitSet: true };

/** Nothing an officer is sent may name a port, a driver or a bus. */
function expectNoLeaks(snapshot: KioskSnapshot, r: Room): void {
  const text = JSON.stringify({ ...snapshot, demo: null });
  expect(text).not.toContain('/dev/');
  expect(text).not.toContain(r.dir);
  expect(text).not.toMatch(/Kerong|kerong|Locker bus|board \d/);
  for (const device of snapshot.devices) {
    expect(device.lastError).toBeNull();
    expect(device.label).not.toContain('bus-a');
  }
}

function exceptions(r: Room): { kind: string; subject: string }[] {
  return rows<{ kind: string; subject: string }>(r.dir, 'SELECT kind, subject FROM exceptions ORDER BY id');
}

describe('sensor plausibility over the Kerong bus on socat ptys', () => {
  it('an inverted-polarity board makes the bank degraded: no Taser draw, no unlock, and nothing leaves without a record', async () => {
    const r = await room(cleanups, {
      boardPolarity: INVERTED,
      configure: (c) => (c.lockerBank.displayName = 'Taser lockers'),
    });
    const unlocked: number[] = [];
    r.boards.onChange((d) => {
      if (d.open) unlocked.push(d.lockIndex + 1);
    });
    const k: Live = await live(r, cleanups);

    // At once, before anyone touches the screen: out of service, by the name the admin chose.
    // (The audit trail's start-up check may hold releases for a moment too; it has its own reason.)
    const idle = await k.until('out of service for the sensors', (s) => /door sensors/.test(s.lockers.reason ?? ''));
    expect(idle.screen.kind).toBe('idle');
    expect(idle.lockers).toMatchObject({ name: 'Taser lockers', state: 'degraded', inService: false });
    expect(idle.lockers.reason).toMatch(/^Taser lockers are out of service: their door sensors/);
    expect(idle.devices.find((d) => d.id === 'bus:bus-a')).toMatchObject({ label: 'Taser lockers', state: 'degraded' });
    expectNoLeaks(idle, r);

    await signIn(r, k, ALEX_CARD, '1234');
    const home = k.latest()!;
    expectNoLeaks(home, r);
    const taser = home.session!.drawOptions.find((o) => o.name.startsWith('Taser'));
    expect(taser?.allowed).toBe(true);
    const draw = await k.call('startDraw', { assetTypeId: taser!.assetTypeId });
    expect(draw.ok).toBe(false);
    if (!draw.ok) {
      expect(draw.error.kind).toBe('device');
      expect(draw.error.message).toMatch(/Taser lockers are out of service/);
      expect(draw.error.message).not.toMatch(/\/dev\/|bus-a/);
    }
    await new Promise((resolve) => setTimeout(resolve, 400)); // several polls
    expect(unlocked).toEqual([]);
    expect(rows(r.dir, 'SELECT id FROM door_intents')).toEqual([]);

    // One exception for the bank, not a forced door per door.
    expect(exceptions(r).filter((e) => e.kind === 'forced-door')).toEqual([]);
    expect(exceptions(r).filter((e) => e.kind === 'sensor-implausible')).toEqual([{ kind: 'sensor-implausible', subject: expect.stringMatching(/^bank:/) as unknown as string }]);

    // Someone opens door 1 by hand (it reads closed while open, on this board) and takes the Taser.
    const one = door(r, 1);
    one.force();
    one.take();
    one.close();
    await waitFor('the mismatch raised', () => exceptions(r).some((e) => e.kind === 'sensor-mismatch' && e.subject === 'door:1'));
    expect(rows(r.dir, "SELECT a.status, d.number FROM assets a JOIN doors d ON d.id = a.door_id WHERE d.number = 1")).toEqual([{ status: 'available', number: 1 }]);
    // Polls go on; the exception is not raised again.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(exceptions(r).filter((e) => e.kind === 'sensor-mismatch')).toHaveLength(1);

    // The admin sees what is wrong and what to check; officers never see it.
    await k.call('signOut', {});
    await signIn(r, k, ADMIN_CARD, '9003');
    const view = await k.call('getHardware', {});
    expect(view.ok).toBe(true);
    if (view.ok) {
      expect(view.value.bank.state).toBe('degraded');
      expect(view.value.bank.problems.join(' ')).toMatch(/Every door reads open while none was unlocked: check the lock-sensor polarity setting/);
      expect(view.value.bank.problems.join(' ')).toMatch(/Door 1 should hold Taser 7 \S+, but its item sensor reads empty/);
      expect(view.value.bankWalk.commissioned).toBe(false);
    }
  }, 60_000);

  it('a stocked door reading empty degrades the bank and raises its exception; nothing is unlocked', async () => {
    const r = await room(cleanups);
    // Door 1's Taser went missing with the terminal off: the board reads it empty.
    door(r, 1).take();
    const k = await live(r, cleanups);
    await signIn(r, k, ALEX_CARD, '1234');
    await waitFor('the mismatch raised', () => exceptions(r).some((e) => e.kind === 'sensor-mismatch' && e.subject === 'door:1'));
    // One stocked door reading empty: the bank is degraded, and says so before the touch.
    const s = await k.until('out of service for the sensors', (x) => /door sensors/.test(x.lockers.reason ?? ''));
    expect(s.lockers.state).toBe('degraded');
    const taser = s.session!.drawOptions.find((o) => o.name.startsWith('Taser'))!;
    expect((await k.call('startDraw', { assetTypeId: taser.assetTypeId })).ok).toBe(false);
    expect(door(r, 1).open()).toBe(false);
  }, 60_000);

  it('a bank that stops answering is out of service by name, its port path only on the hardware screen', async () => {
    const r = await room(cleanups, { configure: (c) => (c.lockerBank.displayName = 'Taser lockers') });
    const k = await live(r, cleanups);
    await signIn(r, k, ADMIN_CARD, '9003');
    await k.until('in service', (s) => s.lockers.inService);
    // The bus's cable is pulled: socat goes, and the port with it.
    await r.pairs.bus.close();
    const down = await k.until('offline', (s) => s.lockers.state === 'offline');
    expect(down.lockers.reason).toBe('Taser lockers are out of service: they are not answering. Nothing can be drawn or returned here right now: call an armourer.');
    expectNoLeaks(down, r);
    const view = await k.call('getHardware', {});
    if (!view.ok) throw new Error(view.error.message);
    expect(view.value.bank.state).toBe('offline');
    expect(view.value.devices.find((d) => d.id === 'bus:bus-a')?.lastError).not.toBeNull();
  }, 60_000);
});
