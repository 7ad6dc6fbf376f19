import { afterEach, describe, expect, it } from 'vitest';
import type { BankWalkView, Result } from '../../../preload/contract.ts';
import { door, live, room, rows, signIn, waitFor, type Cleanups, type Live, type Room } from '../../helpers/live-room.ts';

/**
 * Commissioning the bank door by door, over the Kerong bus on socat ptys. The simulated board
 * reports its lock bits inverted (the configuration keeps the default), and doors 2 and 3 are
 * wired the wrong way round in the layout: the walk must find both and fix them.
 */

const ADMIN_CARD = '043A4B5C6D'; // ADM 01 Chris Patel
const ALEX_CARD = '04A1B2C3D4';

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function walked(result: Result<BankWalkView>): BankWalkView {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** Which physical doors the board has been told to open, in order. */
function unlockLog(r: Room): number[] {
  const opened: number[] = [];
  r.boards.onChange((d) => {
    if (d.open) opened.push(d.lockIndex + 1);
  });
  return opened;
}

async function openAndAnswer(k: Live, r: Room, n: number, opened: number[]): Promise<BankWalkView> {
  const before = opened.length;
  const view = walked(await k.call('bankWalkOpenDoor', {}));
  expect(view.running).toMatchObject({ step: 'answer', doorNumber: n });
  expect(opened.length).toBe(before + 1);
  const physical = opened.at(-1)!;
  door(r, physical).close();
  return physical === n ? walked(await k.call('bankWalkAnswer', { answer: 'yes', otherDoor: null })) : walked(await k.call('bankWalkAnswer', { answer: 'other', otherDoor: physical }));
}

describe('the commissioning walk over the Kerong bus on ptys', () => {
  it('finds the inverted polarity and a swapped pair of doors, fixes both, and records who confirmed each door', async () => {
    const r = await room(cleanups, {
      boardPolarity: { lockOpenWhenBitSet: false, itemPresentWhenBitSet: true },
      configure: (c) => {
        // Doors 2 and 3 wired to each other's locks: a mapping mistake to find before go-live.
        c.lockerBank.doors = c.lockerBank.doors.map((d) => (d.number === 2 ? { ...d, lock: 3 } : d.number === 3 ? { ...d, lock: 2 } : d));
      },
    });
    const opened = unlockLog(r);
    const k = await live(r, cleanups);

    // An officer cannot start it: the permissions table says site admins only.
    await signIn(r, k, ALEX_CARD, '1234');
    const refused = await k.call('startBankWalk', {});
    expect(refused.ok === false && refused.error.kind).toBe('wrong-role');
    await k.call('signOut', {});

    await signIn(r, k, ADMIN_CARD, '9003');
    expect((await k.call('openHardware', {})).ok).toBe(true);
    const before = await k.call('getHardware', {});
    expect(before.ok && before.value.bankWalk).toMatchObject({ commissioned: false, demo: false, running: null, last: null });

    // The probe: door 13 (the lowest with nothing behind it) is unlocked; its reading went open → closed.
    const probed = walked(await k.call('startBankWalk', {}));
    expect(opened).toEqual([13]);
    expect(probed.running).toMatchObject({ step: 'polarity', doorNumber: 1, doorIndex: 0, doorCount: 16 });
    expect(probed.running?.finding).toMatch(/At rest 16 of 16 doors read open\. Door 13 was unlocked and door 13's lock sensor went from open to closed/);
    expect(probed.running?.proposal).toMatch(/bus bus-a, board 0.*lockOpenWhenBitSet: false/);
    // Nothing else may happen until the proposal is answered.
    const early = await k.call('bankWalkOpenDoor', {});
    expect(early.ok === false && early.error.message).toMatch(/polarity setting first/);

    const applied = walked(await k.call('bankWalkPolarity', { apply: true }));
    expect(applied.running?.step).toBe('open');
    door(r, 13).close();
    // The bank now reads true: in service again, by its readings.
    await k.until('readings plausible', (s) => s.lockers.state === 'online');

    let view = await openAndAnswer(k, r, 1, opened);
    expect(view.running).toMatchObject({ step: 'open', doorNumber: 2, doorIndex: 1 });
    // Door 2's unlock opens door 3: the admin says so, and swaps the two in the layout.
    view = await openAndAnswer(k, r, 2, opened);
    expect(view.running).toMatchObject({ step: 'remap', doorNumber: 2, otherDoor: 3 });
    view = walked(await k.call('bankWalkRemap', { apply: true }));
    expect(view.running).toMatchObject({ step: 'open', doorNumber: 2 });
    await k.until('bus back', (s) => s.devices.find((d) => d.id === 'bus:bus-a')?.state === 'online');
    view = await openAndAnswer(k, r, 2, opened);
    expect(opened.at(-1)).toBe(2);
    for (let n = 3; n <= 16; n++) view = await openAndAnswer(k, r, n, opened);
    expect(opened.slice(1)).toEqual([1, 3, 2, ...Array.from({ length: 14 }, (_v, i) => i + 3)]);

    expect(view.running).toBeNull();
    expect(view.commissioned).toBe(true);
    expect(view.last).toMatchObject({ outcome: 'passed', startedBy: 'ADM 01 Chris Patel' });
    expect(view.last?.doors).toHaveLength(16);
    expect(view.last?.doors.every((d) => d.answer === 'yes' && d.answeredBy === 'ADM 01 Chris Patel')).toBe(true);
    expect(view.last?.doors.find((d) => d.doorNumber === 2)).toMatchObject({ remapped: true });
    expect(view.last?.finding).toMatch(/Polarity setting changed: lockerBank\.buses\.0\.boards\.0\.lockOpenWhenBitSet/);

    // The fixes are in the saved configuration.
    const hardware = await k.call('getHardware', {});
    if (!hardware.ok) throw new Error(hardware.error.message);
    const config = JSON.parse(hardware.value.configJson) as { lockerBank: { buses: { boards: { lockOpenWhenBitSet: boolean }[] }[]; doors: { number: number; lock: number }[] } };
    expect(config.lockerBank.buses[0]?.boards[0]?.lockOpenWhenBitSet).toBe(false);
    expect(config.lockerBank.doors.filter((d) => d.number <= 3).sort((a, b) => a.number - b.number).map((d) => d.lock)).toEqual([1, 2, 3]);

    // Every step audited, in order.
    const actions = rows<{ action: string }>(r.dir, "SELECT action FROM audit_log WHERE action LIKE 'bank.walk%' ORDER BY seq").map((x) => x.action);
    expect(actions[0]).toBe('bank.walk-started');
    expect(actions[1]).toBe('bank.walk-polarity');
    expect(actions.filter((a) => a === 'bank.walk-door')).toHaveLength(17);
    expect(actions.filter((a) => a === 'bank.walk-remap')).toHaveLength(1);
    expect(actions.at(-1)).toBe('bank.walk-finished');
    // The doors it opened were committed service openings, so none is a forced door.
    expect(rows(r.dir, "SELECT id FROM exceptions WHERE kind = 'forced-door'")).toEqual([]);
    await waitFor('door 16 shut', () => !door(r, 16).open());
  }, 120_000);

  it('a cancelled walk leaves the bank uncommissioned, and says so', async () => {
    const r = await room(cleanups);
    const k = await live(r, cleanups);
    await signIn(r, k, ADMIN_CARD, '9003');
    const probed = walked(await k.call('startBankWalk', {}));
    // Polarity right: nothing to propose, the first door is next.
    expect(probed.running?.step).toBe('open');
    expect(probed.running?.finding).toMatch(/went from closed to open: the lock-sensor polarity is right/);
    const twice = await k.call('startBankWalk', {});
    expect(twice.ok === false && twice.error.kind).toBe('conflict');
    const cancelled = walked(await k.call('cancelBankWalk', {}));
    expect(cancelled).toMatchObject({ commissioned: false, running: null, last: { outcome: 'abandoned' } });
  }, 60_000);

  it('probes each board of a bus for its own polarity setting, and applies both', async () => {
    const r = await room(cleanups, {
      boards: [0, 1],
      boardPolarity: { lockOpenWhenBitSet: false, itemPresentWhenBitSet: true },
      configure: (c) => {
        // A second board with four empty doors, 17-20.
        const bus = c.lockerBank.buses[0]!;
        bus.boards = [{ address: 0 }, { address: 1 }];
        for (let lock = 1; lock <= 4; lock++) c.lockerBank.doors.push({ number: 16 + lock, bus: 'bus-a', board: 1, lock });
      },
    });
    const opened: string[] = [];
    r.boards.onChange((d) => {
      if (d.open) opened.push(`${d.board}/${d.lockIndex + 1}`);
    });
    const k = await live(r, cleanups);
    await signIn(r, k, ADMIN_CARD, '9003');
    const probed = walked(await k.call('startBankWalk', {}));
    expect(opened).toEqual(['0/13', '1/1']);
    expect(probed.running?.step).toBe('polarity');
    expect(probed.running?.finding).toMatch(/^bus bus-a, board 0: At rest 16 of 16 doors read open\. Door 13 was unlocked .* bus bus-a, board 1: At rest 4 of 4 doors read open\. Door 17 was unlocked and door 17's lock sensor went from open to closed/);
    expect(probed.running?.proposal).toMatch(/for bus bus-a, board 0 .*lockOpenWhenBitSet: false.* for bus bus-a, board 1 .*lockOpenWhenBitSet: false/);
    walked(await k.call('bankWalkPolarity', { apply: true }));
    r.boards.closeDoor(0, 12);
    r.boards.closeDoor(1, 0);
    await k.until('readings plausible', (s) => s.lockers.state === 'online');
    const hardware = await k.call('getHardware', {});
    if (!hardware.ok) throw new Error(hardware.error.message);
    const config = JSON.parse(hardware.value.configJson) as { lockerBank: { buses: { boards: { lockOpenWhenBitSet: boolean }[] }[] } };
    expect(config.lockerBank.buses[0]?.boards.map((b) => b.lockOpenWhenBitSet)).toEqual([false, false]);
    expect(walked(await k.call('cancelBankWalk', {})).last?.outcome).toBe('abandoned');
  }, 60_000);
});
