import type { AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import { NO_VIDEO, type VideoStage } from './door-intents.ts';
import type { Clock, DoorSensors } from './ports.ts';

type State = 'pending' | 'open' | 'closed' | 'failed';

/**
 * A door opened from the hardware screen (testing a lock, clearing a jam). It follows the
 * same order as a draw: the opening is committed before the unlock frame is sent, and what
 * the sensors see is committed after, so the audit log explains every door movement.
 */
export class ServiceOpenings {
  private readonly activeRows;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly bankId: number,
    private readonly video: VideoStage = NO_VIDEO,
  ) {
    this.activeRows = db.prepare<[number], { id: number; doorNumber: number; state: State }>(
      // From the partial index of active openings, not the bank's doors (see door-intents.ts).
      `SELECT s.id, d.number AS doorNumber, s.state FROM service_openings s INDEXED BY service_openings_one_active_per_door
         CROSS JOIN doors d ON d.id = s.door_id
        WHERE s.state IN ('pending', 'open') AND d.bank_id = +?`,
    );
  }

  begin(officerId: number, doorNumber: number, reason: string): { ok: true; id: number } | { ok: false; message: string } {
    return this.db
      .transaction(() => {
        const door = this.db.prepare<[number, number], { id: number }>('SELECT id FROM doors WHERE bank_id = ? AND number = ?').get(this.bankId, doorNumber);
        if (!door) return { ok: false as const, message: `There is no door ${doorNumber} in this bank.` };
        const busy = this.db
          .prepare<[number, number], { n: number }>(
            `SELECT (SELECT count(*) FROM door_intents WHERE door_id = ? AND state IN ('pending', 'open', 'closed'))
                  + (SELECT count(*) FROM service_openings WHERE door_id = ? AND state IN ('pending', 'open')) AS n`,
          )
          .get(door.id, door.id);
        if ((busy?.n ?? 0) > 0) return { ok: false as const, message: `Door ${doorNumber} is in use by a draw, return or another test.` };
        const now = this.clock.now();
        const id = Number(
          this.db
            .prepare("INSERT INTO service_openings (door_id, officer_id, reason, state, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?)")
            .run(door.id, officerId, reason, now.toISOString(), now.toISOString()).lastInsertRowid,
        );
        this.audit.append({ actor: `officer:${officerId}`, action: 'service.open-intent', subject: `door:${doorNumber}`, details: { opening: id, reason } }, now);
        // In the opening's transaction, as for an intent: durable with it, before the unlock.
        const officer = this.db.prepare<[number], { collar: string }>('SELECT collar_number AS collar FROM officers WHERE id = ?').get(officerId)?.collar ?? `officer ${officerId}`;
        this.video.stage({ kind: 'DOOR', asset: `door-${doorNumber}`, officer }, now);
        return { ok: true as const, id };
      })
      .immediate();
  }

  fail(id: number, reason: string): void {
    this.move(id, ['pending'], 'failed', reason);
  }

  /** Returns the ids whose state changed, with the new state. */
  observe(doors: readonly DoorSensors[]): { id: number; doorNumber: number; state: State }[] {
    const byNumber = new Map(doors.map((d) => [d.doorNumber, d]));
    const changed: { id: number; doorNumber: number; state: State }[] = [];
    for (const opening of this.activeRows.all(this.bankId)) {
      const door = byNumber.get(opening.doorNumber);
      if (!door) continue;
      if (opening.state === 'pending' && door.open && this.move(opening.id, ['pending'], 'open')) {
        changed.push({ ...opening, state: 'open' });
      } else if (opening.state === 'open' && !door.open && this.move(opening.id, ['open'], 'closed')) {
        changed.push({ ...opening, state: 'closed' });
      }
    }
    return changed;
  }

  state(id: number): State | undefined {
    return this.db.prepare<[number], { state: State }>('SELECT state FROM service_openings WHERE id = ?').get(id)?.state;
  }

  activeDoorNumbers(): Set<number> {
    return new Set(this.activeRows.all(this.bankId).map((o) => o.doorNumber));
  }

  /** `reason` is given for a failed opening only. */
  private move(id: number, from: State[], to: Exclude<State, 'pending'>, reason?: string): boolean {
    return this.db
      .transaction(() => {
        const row = this.db
          .prepare<[number], { state: State; doorNumber: number }>(
            'SELECT s.state, d.number AS doorNumber FROM service_openings s JOIN doors d ON d.id = s.door_id WHERE s.id = ?',
          )
          .get(id);
        if (!row || !from.includes(row.state)) return false;
        const now = this.clock.now();
        this.db.prepare('UPDATE service_openings SET state = ?, updated_at = ? WHERE id = ?').run(to, now.toISOString(), id);
        const subject = `door:${row.doorNumber}`;
        this.audit.append(
          to === 'failed'
            ? { actor: 'system', action: 'service.door-failed', subject, details: { opening: id, reason: reason ?? 'unknown' } }
            : { actor: 'system', action: to === 'open' ? 'service.door-opened' : 'service.door-closed', subject, details: { opening: id } },
          now,
        );
        return true;
      })
      .immediate();
  }
}
