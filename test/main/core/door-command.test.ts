import { describe, expect, it } from 'vitest';
import type { DeviceHealthView } from '../../../preload/contract.ts';
import { CONFIRM_POLL_MS, DoorCommand, FAST_CONFIRM_POLL_MS, FAST_CONFIRM_WINDOW_MS } from '../../../main/core/door-command.ts';
import type { DoorSensors, LockerBankPort } from '../../../main/core/ports.ts';
import { ManualTime } from '../../helpers/manual-time.ts';

/** A bank whose door never opens (a jammed latch): records when each status read was made. */
function jammedBank(time: ManualTime) {
  const readsAt: number[] = [];
  const start = time.now().getTime();
  const bank: LockerBankPort = {
    health: (): DeviceHealthView => ({ id: 'bank', label: 'Bank', state: 'online', lastError: null }),
    onHealth: () => () => {},
    unlock: async () => {},
    readDoors: async (): Promise<DoorSensors[]> => {
      readsAt.push(time.now().getTime() - start);
      return [{ doorNumber: 1, open: false, itemPresent: true }];
    },
    onDoors: () => () => {},
  };
  return { bank, readsAt };
}

describe('DoorCommand confirmation polls', () => {
  it('polls every 40 ms for the first two seconds after the unlock, then at the slower pace, until the confirm time runs out', async () => {
    const time = new ManualTime('2026-03-02T10:00:00Z');
    const { bank, readsAt } = jammedBank(time);
    const confirmMs = 3000;
    const command = new DoorCommand(bank, time, time, () => confirmMs, () => {}, () => false, () => {}, () => () => {});
    const result = command.open(1, () => false);
    await time.advance(confirmMs + 500);
    expect(await result).toEqual({ ok: false, reason: 'the door did not read open', stopped: false });

    const fast = readsAt.filter((at) => at <= FAST_CONFIRM_WINDOW_MS);
    expect(fast[0]).toBe(FAST_CONFIRM_POLL_MS);
    expect(new Set(fast.slice(1).map((at, i) => at - (fast[i] as number)))).toEqual(new Set([FAST_CONFIRM_POLL_MS]));
    const slow = readsAt.filter((at) => at > FAST_CONFIRM_WINDOW_MS);
    expect(slow.length).toBeGreaterThan(1);
    expect(new Set(slow.slice(1).map((at, i) => at - (slow[i] as number)))).toEqual(new Set([CONFIRM_POLL_MS]));
    expect(readsAt.at(-1)).toBeLessThanOrEqual(confirmMs + CONFIRM_POLL_MS);
  });

  it('stops polling at the first reading that settles the intent', async () => {
    const time = new ManualTime('2026-03-02T10:00:00Z');
    const { bank, readsAt } = jammedBank(time);
    const command = new DoorCommand(bank, time, time, () => 1500, () => {}, () => false, () => {}, () => () => {});
    const result = command.open(1, () => readsAt.length >= 3);
    await time.advance(1000);
    expect(await result).toEqual({ ok: true });
    expect(readsAt).toEqual([40, 80, 120]);
  });
});
