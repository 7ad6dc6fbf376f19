import { describe, expect, it } from 'vitest';
import { WakeableSleep } from '../../../main/estate/wakeable-sleep.ts';
import { ManualTime } from '../../helpers/manual-time.ts';

describe("an estate link's wait between rounds", () => {
  it('ends when its time is up, or sooner when woken, and holds no timer after a wake', async () => {
    const time = new ManualTime('2026-11-21T10:00:00Z');
    const pause = new WakeableSleep(time);
    const slept = pause.sleep(1000);
    await time.advance(1000);
    expect(await slept).toBe(false);
    const woken = pause.sleep(60_000);
    pause.wake();
    expect(await woken).toBe(true);
    expect(time.pending).toBe(0);
  });

  it('keeps a wake that came while it was not waiting (a notification mid-pull), so the next wait returns at once', async () => {
    const time = new ManualTime('2026-11-21T10:00:00Z');
    const pause = new WakeableSleep(time);
    pause.wake();
    expect(await pause.sleep(60_000)).toBe(true);
    expect(time.pending).toBe(0);
    // Kept once, not for ever.
    const next = pause.sleep(500);
    await time.advance(500);
    expect(await next).toBe(false);
  });
});
