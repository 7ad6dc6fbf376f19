import type { Exceptions } from './exceptions.ts';
import type { Clock, DoorSensors } from './ports.ts';

/**
 * Watches every door reading for what no transaction explains: a door open with no
 * intent behind it (forced, or a latch that failed) and a door left open too long.
 */
export class DoorWatch {
  private readonly openSince = new Map<number, number>();

  constructor(
    private readonly exceptions: Exceptions,
    private readonly clock: Clock,
    private readonly leftOpenMs: () => number,
  ) {}

  /** `expected` holds the doors that have an active intent or service opening. */
  observe(doors: readonly DoorSensors[], expected: ReadonlySet<number>): void {
    const now = this.clock.now().getTime();
    for (const door of doors) {
      if (!door.open) {
        this.openSince.delete(door.doorNumber);
        continue;
      }
      const since = this.openSince.get(door.doorNumber) ?? now;
      this.openSince.set(door.doorNumber, since);
      const subject = `door:${door.doorNumber}`;
      if (!expected.has(door.doorNumber)) {
        this.exceptions.raise('forced-door', subject, `Door ${door.doorNumber} is open with no draw, return or service opening behind it.`, {
          door: door.doorNumber,
        });
      }
      const openFor = now - since;
      if (openFor >= this.leftOpenMs()) {
        this.exceptions.raise('door-left-open', subject, `Door ${door.doorNumber} has been open for ${Math.round(openFor / 1000)} s.`, {
          door: door.doorNumber,
          seconds: Math.round(openFor / 1000),
        });
      }
    }
  }
}
