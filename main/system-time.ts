import type { Clock, Scheduler } from './core/ports.ts';

/**
 * The real clock and timers, given to the core by the composition root. Nothing in
 * main/core reads time any other way.
 */
export const systemClock: Clock = { now: () => new Date() };

export const systemScheduler: Scheduler = {
  after(ms, task) {
    const timer = setTimeout(task, ms);
    return () => clearTimeout(timer);
  },
  soon(task) {
    setImmediate(task);
  },
};

/**
 * A clock that starts at `start` and runs at the real rate: a demo or a test can be run
 * "at 12:00 on 1 Dec" whatever the hour, while door timings still take real time.
 */
export function clockStartingAt(start: Date): Clock {
  const offset = start.getTime() - Date.now();
  return { now: () => new Date(Date.now() + offset) };
}

/** Today at a local time of day ("12:00"), from the system clock. */
export function startOfToday(timeOfDay: string): Date {
  const [hours = 0, minutes = 0] = timeOfDay.split(':').map(Number);
  const at = new Date();
  at.setHours(hours, minutes, 0, 0);
  return at;
}
