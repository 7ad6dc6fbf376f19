export interface PollerOptions {
  /** The reads one poll cycle makes, in order. */
  reads: () => readonly (() => Promise<unknown>)[];
  /** Idle time between cycles. */
  intervalMs: number;
  /** False once the device is gone for good; the loop then ends and start() does nothing. */
  canPoll: () => boolean;
}

interface Pause {
  wake(): void;
  /** Brings the wake-up forward to at most `ms` from now. */
  shorten(ms: number): void;
}

/**
 * Reads a device over and over, with a pause between cycles. A read that fails does not
 * stop the loop: the driver has already recorded the failure in its health. Times come from
 * the global `performance`, the clock that fake timers in tests replace.
 */
export class Poller {
  private readonly reads: () => readonly (() => Promise<unknown>)[];
  private readonly intervalMs: number;
  private readonly canPoll: () => boolean;
  private polling = false;
  /**
   * Bumped by every start and stop, so a loop still awaiting a read when it is stopped (and
   * maybe restarted) ends there, instead of two loops sharing the bus.
   */
  private generation = 0;
  private currentPause: Pause | null = null;
  private fastUntil = Number.NEGATIVE_INFINITY;
  private fastIntervalMs = Number.POSITIVE_INFINITY;

  constructor(options: PollerOptions) {
    this.reads = options.reads;
    this.intervalMs = options.intervalMs;
    this.canPoll = options.canPoll;
  }

  get isPolling(): boolean {
    return this.polling;
  }

  start(): void {
    if (this.polling || !this.canPoll()) return;
    this.polling = true;
    void this.loop(++this.generation);
  }

  stop(): void {
    this.polling = false;
    this.generation++;
    this.currentPause?.wake();
  }

  /**
   * Polls every `intervalMs` for the next `forMs`, then at the normal interval again. A call
   * while a window is open extends it, and the faster of the two intervals holds until it ends.
   * On a stopped poller it only takes effect if polling starts before the window closes.
   */
  pollFast(forMs: number, intervalMs: number): void {
    if (!(forMs >= 0) || !Number.isFinite(forMs)) throw new RangeError(`pollFast forMs must be a finite number >= 0, got ${forMs}`);
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`pollFast intervalMs must be a finite number > 0, got ${intervalMs}`);
    const now = performance.now();
    this.fastIntervalMs = this.fastUntil > now ? Math.min(this.fastIntervalMs, intervalMs) : intervalMs;
    this.fastUntil = Math.max(this.fastUntil, now + forMs);
    // A loop part-way through a normal pause would otherwise speed up only after it.
    this.currentPause?.shorten(this.fastIntervalMs);
  }

  private currentIntervalMs(): number {
    return performance.now() < this.fastUntil ? Math.min(this.fastIntervalMs, this.intervalMs) : this.intervalMs;
  }

  private async loop(generation: number): Promise<void> {
    const active = (): boolean => this.polling && this.generation === generation && this.canPoll();
    while (active()) {
      for (const read of this.reads()) {
        if (!active()) return;
        await read().catch(() => undefined);
      }
      if (!active()) return;
      await this.idle(this.currentIntervalMs());
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let wakeAt = performance.now() + ms;
      const wake = (): void => {
        clearTimeout(timer);
        if (this.currentPause === pause) this.currentPause = null;
        resolve();
      };
      let timer = setTimeout(wake, ms);
      const pause: Pause = {
        wake,
        shorten: (shorterMs) => {
          const at = performance.now() + shorterMs;
          if (at >= wakeAt) return;
          wakeAt = at;
          clearTimeout(timer);
          timer = setTimeout(wake, shorterMs);
        },
      };
      this.currentPause = pause;
    });
  }
}
