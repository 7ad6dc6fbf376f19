import type { Db } from './db/database.ts';
import type { Exceptions } from './exceptions.ts';
import type { DoorSensors } from './ports.ts';

/** What the hardware screen shows about the bank's readings: empty when they make sense. */
export interface PlausibilityVerdict {
  /** Plain sentences, each saying what is wrong and what to check: any of these makes the bank degraded. */
  problems: string[];
  /**
   * Doors holding something the record does not know of: not offered and raised as exceptions,
   * but the bank stays in service (nothing can leave unrecorded through a door nobody is offered).
   */
  notices: string[];
  /** Doors never picked for a draw or return while this stands. */
  unusableDoors: ReadonlySet<number>;
  /** Every door reads open while none was unlocked: each one's forced-door exception would only repeat this. */
  everyDoorOpen: boolean;
}

const PLAUSIBLE: PlausibilityVerdict = { problems: [], notices: [], unusableDoors: new Set(), everyDoorOpen: false };

/**
 * Judges each reading of the bank against what cannot be true: every door open at rest, a
 * stocked door reading empty, or a door reading open before its unlock was sent. A bank reading
 * any of these is degraded. A door whose item sensor disagrees with the record either way is
 * not offered, and an armourer hears of each through the exceptions queue, once per door or
 * bank while it stands; an empty door reading full does not take the bank out of service.
 *
 * Readings arrive every poll; the record is read again only when the reading or the database
 * has changed since the last judgement (total_changes for this connection, data_version for
 * the others), so a quiet bank costs one tiny query per poll.
 */
export class SensorPlausibility {
  private verdictNow: PlausibilityVerdict = PLAUSIBLE;
  private lastKey = '';
  /** Doors seen open before their unlock went out; cleared when the door reads closed. */
  private readonly openedEarly = new Set<number>();
  private readonly recorded;
  private readonly version;

  constructor(
    private readonly db: Db,
    private readonly bankId: number,
    private readonly exceptions: Exceptions,
  ) {
    this.recorded = db.prepare<[number], { number: number; label: string }>(
      `SELECT d.number, t.name || ' ' || a.serial AS label FROM doors d JOIN assets a ON a.door_id = d.id JOIN asset_types t ON t.id = a.asset_type_id WHERE d.bank_id = ?`,
    );
    this.version = db.prepare<[], { changes: number; version: number }>('SELECT total_changes() AS changes, (SELECT data_version FROM pragma_data_version) AS version');
  }

  verdict(): PlausibilityVerdict {
    return this.verdictNow;
  }

  /** A door read open while its intent was still waiting for the unlock: the reading cannot be trusted. */
  openBeforeUnlock(doorNumber: number): void {
    this.openedEarly.add(doorNumber);
    this.lastKey = '';
    this.exceptions.raise(
      'sensor-implausible',
      `door:${doorNumber}`,
      `Door ${doorNumber} read open before it was unlocked, so it was not used. Check that the door is shut, its lock sensor, and the board's lock-sensor polarity setting.`,
      { door: doorNumber },
    );
  }

  /** `expected` holds the doors with a draw, return, service opening or commissioning step under way. */
  observe(doors: readonly DoorSensors[], expected: ReadonlySet<number>): PlausibilityVerdict {
    for (const door of doors) if (!door.open) this.openedEarly.delete(door.doorNumber);
    const v = this.version.get();
    const key = `${v?.changes}:${v?.version}:${[...expected].join(',')}:${[...this.openedEarly].join(',')}:${doors.map((d) => `${d.doorNumber}${d.open ? 'o' : 'c'}${d.itemPresent === null ? 'n' : d.itemPresent ? 'i' : 'e'}`).join('')}`;
    if (key === this.lastKey) return this.verdictNow;
    this.lastKey = key;
    this.verdictNow = this.judge(doors, expected);
    return this.verdictNow;
  }

  private judge(doors: readonly DoorSensors[], expected: ReadonlySet<number>): PlausibilityVerdict {
    if (doors.length === 0) return PLAUSIBLE;
    const problems: string[] = [];
    const notices: string[] = [];
    const unusable = new Set<number>(this.openedEarly);
    const atRest = doors.filter((d) => !expected.has(d.doorNumber));
    const everyDoorOpen = atRest.length >= 2 && atRest.every((d) => d.open);
    if (everyDoorOpen) {
      for (const d of doors) unusable.add(d.doorNumber);
      const message = 'Every door reads open while none was unlocked: check the lock-sensor polarity setting for this board (lockOpenWhenBitSet), or run the commissioning walk, which finds it.';
      problems.push(message);
      this.exceptions.raise('sensor-implausible', `bank:${this.bankId}`, message, { doors: doors.length });
    }
    for (const door of this.openedEarly) {
      problems.push(`Door ${door} read open before it was unlocked: check that it is shut, its lock sensor, and the board's lock-sensor polarity setting.`);
    }

    const stocked = new Map(this.recorded.all(this.bankId).map((r) => [r.number, r.label]));
    const mismatched: { door: number; message: string; stocked: boolean }[] = [];
    let sensed = 0;
    // Open doors too: a door reading open with nothing under way may be forced, or its lock bit the
    // wrong way round, and either way its item sensor still says whether the item is there.
    for (const door of atRest) {
      if (door.itemPresent === null) continue;
      sensed++;
      const label = stocked.get(door.doorNumber);
      if (label !== undefined && !door.itemPresent) {
        mismatched.push({ door: door.doorNumber, stocked: true, message: `Door ${door.doorNumber} should hold ${label}, but its item sensor reads empty. Check the door: if the item is gone, nothing recorded it leaving.` });
      } else if (label === undefined && door.itemPresent) {
        mismatched.push({ door: door.doorNumber, stocked: false, message: `Door ${door.doorNumber} should be empty, but its item sensor reads an item. Check the door and what is in it.` });
      }
    }
    if (sensed >= 2 && mismatched.length === sensed) {
      // Every item sensor says the opposite of the record: the board's setting, not every door at once.
      const message = 'Every door\'s item sensor disagrees with the record (stocked doors read empty, empty doors read full): check the item-sensor polarity setting for this board (itemPresentWhenBitSet).';
      problems.push(message);
      this.exceptions.raise('sensor-implausible', `bank:${this.bankId}:items`, message, { doors: sensed });
    } else {
      for (const m of mismatched) {
        (m.stocked ? problems : notices).push(m.message);
        this.exceptions.raise('sensor-mismatch', `door:${m.door}`, m.message, { door: m.door });
      }
    }
    for (const m of mismatched) unusable.add(m.door);
    return problems.length === 0 && notices.length === 0 ? PLAUSIBLE : { problems, notices, unusableDoors: unusable, everyDoorOpen };
  }
}
