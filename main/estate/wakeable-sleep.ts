import type { Scheduler } from '../core/ports.ts';

/**
 * A link's wait between rounds: `ms` on the scheduler, or less if woken (new rows to send, the
 * estate's notification, stop). The timer is cancelled when woken, so a stopped link holds none.
 * A wake while the link is busy (a notification arriving mid-pull) is kept: the next sleep
 * returns at once, so a change announced during a round is never left for the slow poll.
 */
export class WakeableSleep {
  private wakeNow: (() => void) | null = null;
  private pending = false;

  constructor(private readonly scheduler: Scheduler) {}

  /** Resolves true when woken, false when `ms` passed. */
  sleep(ms: number): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const cancel = this.scheduler.after(ms, () => {
        this.wakeNow = null;
        resolve(false);
      });
      this.wakeNow = () => {
        cancel();
        resolve(true);
      };
    });
  }

  wake(): void {
    const wake = this.wakeNow;
    this.wakeNow = null;
    if (wake) wake();
    else this.pending = true;
  }
}
