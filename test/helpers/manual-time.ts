import type { Clock, Scheduler } from '../../main/core/ports.ts';

interface Timer {
  due: number;
  order: number;
  task: () => void;
}

/**
 * A clock and scheduler the test moves by hand: nothing happens until `advance`, which runs
 * every timer that falls due in time order, letting promise chains settle between them.
 */
export class ManualTime implements Clock, Scheduler {
  private current: number;
  private timers: Timer[] = [];
  private order = 0;

  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  after(ms: number, task: () => void): () => void {
    const timer: Timer = { due: this.current + Math.max(0, ms), order: this.order++, task };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Not time: the event loop's next turn, as on the real scheduler (advance() lets it run too). */
  soon(task: () => void): void {
    setImmediate(task);
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.timers.length;
  }

  /** Move time on by `ms`, running each timer that falls due (and any it schedules within the span). */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    await settle();
    for (;;) {
      this.timers.sort((a, b) => a.due - b.due || a.order - b.order);
      const next = this.timers[0];
      if (!next || next.due > end) break;
      this.timers.shift();
      this.current = next.due;
      next.task();
      await settle();
    }
    this.current = end;
    await settle();
  }
}

/** Let pending promise callbacks and I/O callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
