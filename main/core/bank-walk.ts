import type { BankWalkAnswer, BankWalkDoorView, BankWalkView } from '../../preload/contract.ts';
import type { AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import type { Clock, DoorSensors } from './ports.ts';

/** What the polarity probe saw: the bank at rest, then one door unlocked. */
export interface ProbeFinding {
  /** In words, for the hardware screen and the walk's record. */
  text: string;
  /** The lock-sensor setting to propose for the probed door's board, when the bit moved the wrong way. */
  proposal: { doorNumber: number; lockOpenWhenSet: boolean } | null;
}

/**
 * Judge the probe: which door's lock reading changed when `probe` was unlocked, and which way.
 * A door that opens must read open; one whose reading went from open to closed is reported the
 * other way round by its board, so the setting to propose is the opposite of the one in force.
 */
export function judgeProbe(probe: number, rest: readonly DoorSensors[], after: readonly DoorSensors[], lockOpenWhenSet: boolean | null): ProbeFinding {
  const before = new Map(rest.map((d) => [d.doorNumber, d.open]));
  const changed = after.filter((d) => before.has(d.doorNumber) && before.get(d.doorNumber) !== d.open);
  const restOpen = rest.filter((d) => d.open).length;
  const atRest = `At rest ${restOpen} of ${rest.length} doors read open.`;
  if (changed.length === 0) {
    return {
      text: `${atRest} Door ${probe} was unlocked and no door's lock sensor changed: check that door ${probe} opened, its lock's wiring to the board, and the board's address.`,
      proposal: null,
    };
  }
  if (changed.length > 1) {
    return { text: `${atRest} Door ${probe} was unlocked and ${changed.length} doors' lock sensors changed (${changed.map((d) => d.doorNumber).join(', ')}): the readings are unsteady; check the bus wiring and try again.`, proposal: null };
  }
  const [moved] = changed;
  if (!moved) return { text: atRest, proposal: null };
  const where = moved.doorNumber === probe ? `door ${probe}'s lock sensor` : `door ${moved.doorNumber}'s lock sensor (not door ${probe}'s: the doors' mapping needs checking)`;
  if (moved.open) return { text: `${atRest} Door ${probe} was unlocked and ${where} went from closed to open: the lock-sensor polarity is right.`, proposal: null };
  return {
    text: `${atRest} Door ${probe} was unlocked and ${where} went from open to closed: the board reports its lock bits the other way round from the setting.`,
    proposal: lockOpenWhenSet === null ? null : { doorNumber: moved.doorNumber, lockOpenWhenSet: !lockOpenWhenSet },
  };
}

interface WalkRow {
  id: number;
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: 'passed' | 'problems' | 'abandoned' | null;
  finding: string | null;
}

/**
 * The commissioning walk's record: one row per walk and one per door answered. Each write
 * carries its audit row in the same transaction. What step a running walk is at lives with the
 * hardware module; a walk a restart interrupted is closed as abandoned.
 */
export class BankWalks {
  private readonly sql;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly bankId: number,
  ) {
    const walk = `SELECT w.id, o.collar_number || ' ' || o.display_name AS startedBy, w.started_at AS startedAt, w.finished_at AS finishedAt, w.outcome,
                         w.polarity_finding AS finding
                    FROM bank_walks w JOIN officers o ON o.id = w.started_by`;
    this.sql = {
      last: db.prepare<[number], WalkRow>(`${walk} WHERE w.bank_id = ? ORDER BY w.id DESC LIMIT 1`),
      lastPassed: db.prepare<[number], { id: number }>("SELECT id FROM bank_walks WHERE bank_id = ? AND outcome = 'passed' LIMIT 1"),
      doors: db.prepare<[number], BankWalkDoorView>(
        `SELECT d.door_number AS doorNumber, d.answer, d.other_door AS otherDoor, d.remapped = 1 AS remapped,
                o.collar_number || ' ' || o.display_name AS answeredBy, d.answered_at AS answeredAt
           FROM bank_walk_doors d JOIN officers o ON o.id = d.answered_by WHERE d.walk_id = ? ORDER BY d.door_number`,
      ),
      insert: db.prepare<[number, number, string]>('INSERT INTO bank_walks (bank_id, started_by, started_at) VALUES (?, ?, ?)'),
      finding: db.prepare<[string, number]>('UPDATE bank_walks SET polarity_finding = ? WHERE id = ?'),
      answer: db.prepare<[number, number, string, number | null, number, string]>(
        `INSERT INTO bank_walk_doors (walk_id, door_number, answer, other_door, answered_by, answered_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (walk_id, door_number) DO UPDATE SET answer = excluded.answer, other_door = excluded.other_door,
           answered_by = excluded.answered_by, answered_at = excluded.answered_at`,
      ),
      remapped: db.prepare<[number, number]>('UPDATE bank_walk_doors SET remapped = 1 WHERE walk_id = ? AND door_number = ?'),
      finish: db.prepare<[string, string, number]>('UPDATE bank_walks SET finished_at = ?, outcome = ? WHERE id = ? AND finished_at IS NULL'),
      running: db.prepare<[number], { id: number }>('SELECT id FROM bank_walks WHERE bank_id = ? AND finished_at IS NULL'),
    };
  }

  /** Whether a walk has ever ended with every door confirmed. */
  commissioned(): boolean {
    return this.sql.lastPassed.get(this.bankId) !== undefined;
  }

  last(): BankWalkView['last'] {
    const row = this.sql.last.get(this.bankId);
    if (!row) return null;
    return { walkId: row.id, startedBy: row.startedBy, startedAt: row.startedAt, finishedAt: row.finishedAt, outcome: row.outcome, finding: row.finding, doors: this.doors(row.id) };
  }

  doors(walkId: number): BankWalkDoorView[] {
    return this.sql.doors.all(walkId).map((d) => ({ ...d, remapped: Boolean(d.remapped) }));
  }

  /** Begin a walk; null when one is already running (the unique index decides, so two admins cannot both start one). */
  start(officerId: number): number | null {
    return this.db
      .transaction((): number | null => {
        if (this.sql.running.get(this.bankId)) return null;
        const now = this.clock.now();
        const id = Number(this.sql.insert.run(this.bankId, officerId, now.toISOString()).lastInsertRowid);
        this.audit.append({ actor: `officer:${officerId}`, action: 'bank.walk-started', subject: `bank:${this.bankId}`, details: { walk: id } }, now);
        return id;
      })
      .immediate();
  }

  recordFinding(walkId: number, officerId: number, text: string, applied: string[] | null): void {
    this.db
      .transaction(() => {
        this.sql.finding.run(applied ? `${text} Polarity setting changed: ${applied.join('; ')}.` : text, walkId);
        this.audit.append(
          { actor: `officer:${officerId}`, action: 'bank.walk-polarity', subject: `bank:${this.bankId}`, details: { walk: walkId, finding: text, applied: applied ?? [] } },
          this.clock.now(),
        );
      })
      .immediate();
  }

  answer(walkId: number, officerId: number, doorNumber: number, answer: BankWalkAnswer, otherDoor: number | null, sensor: string): void {
    this.db
      .transaction(() => {
        const now = this.clock.now();
        this.sql.answer.run(walkId, doorNumber, answer, answer === 'other' ? otherDoor : null, officerId, now.toISOString());
        this.audit.append(
          { actor: `officer:${officerId}`, action: 'bank.walk-door', subject: `door:${doorNumber}`, details: { walk: walkId, answer, otherDoor: answer === 'other' ? otherDoor : null, sensor } },
          now,
        );
      })
      .immediate();
  }

  remapped(walkId: number, officerId: number, doorNumber: number, otherDoor: number, changes: string[]): void {
    this.db
      .transaction(() => {
        this.sql.remapped.run(walkId, doorNumber);
        this.audit.append({ actor: `officer:${officerId}`, action: 'bank.walk-remap', subject: `door:${doorNumber}`, details: { walk: walkId, otherDoor, changes } }, this.clock.now());
      })
      .immediate();
  }

  /** Passed only when every door's last answer was "yes". */
  finish(walkId: number, officerId: number | null, abandoned: boolean, doorCount: number): 'passed' | 'problems' | 'abandoned' {
    return this.db
      .transaction(() => {
        const doors = this.doors(walkId);
        const outcome = abandoned ? 'abandoned' : doors.length === doorCount && doors.every((d) => d.answer === 'yes') ? 'passed' : 'problems';
        const now = this.clock.now();
        if (this.sql.finish.run(now.toISOString(), outcome, walkId).changes === 1) {
          const confirmed = doors.filter((d) => d.answer === 'yes').map((d) => d.doorNumber);
          this.audit.append(
            { actor: officerId === null ? 'system' : `officer:${officerId}`, action: 'bank.walk-finished', subject: `bank:${this.bankId}`, details: { walk: walkId, outcome, confirmed, doors: doorCount } },
            now,
          );
        }
        return outcome;
      })
      .immediate();
  }

  /** At start-up: a walk a restart interrupted cannot go on (its step was in memory). */
  abandonRunning(): void {
    const running = this.sql.running.get(this.bankId);
    if (running) this.finish(running.id, null, true, 0);
  }
}
