import type { ReturnCondition } from '../../preload/contract.ts';
import type { AuditActor, AuditLog, IntentAuditAction } from './audit.ts';
import type { Db } from './db/database.ts';
import type { DoorFit } from './door-fit.ts';
import { ACTIVE_INTENT_STATES, liveEvent, startupEvent, transitionFor, type IntentEffect, type IntentEvent, type IntentKind, type IntentState } from './intent-table.ts';
import type { Clock, DoorSensors, VideoEventInput, VideoPort } from './ports.ts';

export interface DoorIntent {
  id: number;
  kind: IntentKind;
  doorId: number;
  doorNumber: number;
  assetId: number;
  assetTypeName: string;
  serial: string;
  tag: string;
  officerId: number;
  loanId: number | null;
  swapOrderId: number | null;
  /** The booking a stage or collection intent serves. */
  bookingId: number | null;
  state: IntentState;
  outcome: string | null;
  /** When the item's own tag was matched to this intent (swap deposits); null until then. */
  verifiedAt: string | null;
}

export interface IntentChange {
  intent: DoorIntent;
  from: IntentState;
  event: IntentEvent;
  /** What the transition did (the table's effect): journeys move on it. */
  effect: IntentEffect;
}

/** What an effect may add to the transition's audit row. */
export interface EffectResult {
  details?: Record<string, unknown>;
  actor?: AuditActor;
}

export interface EffectInput {
  intent: DoorIntent;
  now: Date;
  /** The condition the officer gave, for 'condition-given'. */
  condition: ReturnCondition | null;
}

/**
 * An intent kind, as the journey that owns it defines it: the audit action for each effect
 * and what each effect does to loans, assets and orders. Effects run inside the transition's
 * transaction, so a state change, its consequences and its audit row commit together.
 */
export interface IntentKindSpec {
  kind: IntentKind;
  actions: Partial<Record<IntentEffect, IntentAuditAction>>;
  effects: Partial<Record<IntentEffect, (input: EffectInput) => EffectResult | void>>;
}

export interface NewIntent {
  kind: IntentKind;
  doorId: number;
  assetId: number;
  officerId: number;
  loanId?: number | null;
  ruleVersion?: number | null;
  overrideId?: number | null;
  swapOrderId?: number | null;
  bookingId?: number | null;
}

/** The CCTV / body-worn-video event each kind of door opening records. */
const VIDEO_KIND: Readonly<Record<IntentKind, VideoEventInput['kind']>> = {
  draw: 'ISSUE',
  'swap-issue': 'ISSUE',
  return: 'RETURN',
  'swap-deposit': 'RETURN',
  collect: 'DOOR',
  stage: 'DOOR',
  'booking-collect': 'ISSUE',
  // The door's bookmark; the exhibit's event asks the VMS to keep the footage (an evidence lock).
  'exhibit-deposit': 'DOOR',
  'exhibit-retrieve': 'DOOR',
};

/** Where a door opening's video event is written, inside the opening's own transaction. */
export type VideoStage = Pick<VideoPort, 'stage'>;

interface FreeDoor {
  doorId: number;
  number: number;
  sizeRank: number;
}
export const NO_VIDEO: VideoStage = { stage: () => {} };

const INTENT_SELECT = `
  SELECT i.id, i.kind, i.door_id AS doorId, d.number AS doorNumber, i.asset_id AS assetId, t.name AS assetTypeName,
         a.serial, a.tag, i.officer_id AS officerId, i.loan_id AS loanId, i.swap_order_id AS swapOrderId, i.booking_id AS bookingId, i.state, i.outcome,
         i.verified_at AS verifiedAt
    FROM door_intents i
    JOIN doors d ON d.id = i.door_id
    JOIN assets a ON a.id = i.asset_id
    JOIN asset_types t ON t.id = a.asset_type_id`;

/**
 * Door intents as durable transactions, in the order that keeps the record honest:
 *   1. a journey commits its decision and a pending intent (before any unlock frame);
 *   2. the door command sends the unlock;
 *   3. what the sensors saw is committed through the intent table (door open; door closed
 *      with or without the item), each step one transaction carrying its audit row.
 * Nothing here touches hardware, so a crash between any two steps leaves an intent that
 * `reconcile` settles from the sensors at the next start, through the same table.
 */
export class DoorIntents {
  private readonly specs = new Map<IntentKind, IntentKindSpec>();
  private readonly sql;
  /**
   * Intents committed whose unlock has not gone out yet. A door that reads open now opened
   * before anything released it (or its sensor lies), so its intent fails instead of taking
   * the reading as the door opening. In memory: after a restart none is waiting for an unlock.
   */
  private readonly unlockNotSent = new Set<number>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly bankId: number,
    private readonly video: VideoStage = NO_VIDEO,
  ) {
    const active = `('${ACTIVE_INTENT_STATES.join("', '")}')`;
    this.sql = {
      collarOf: db.prepare<[number], { collarNumber: string }>('SELECT collar_number AS collarNumber FROM officers WHERE id = ?'),
      byId: db.prepare<[number], DoorIntent>(`${INTENT_SELECT} WHERE i.id = ?`),
      // Every poll asks this: walked from the partial index of active intents (a handful), never
      // from the bank's doors (thousands); +? keeps the plan fixed (see records.ts).
      active: db.prepare<[number], DoorIntent>(
        `SELECT i.id, i.kind, i.door_id AS doorId, d.number AS doorNumber, i.asset_id AS assetId, t.name AS assetTypeName,
                a.serial, a.tag, i.officer_id AS officerId, i.loan_id AS loanId, i.swap_order_id AS swapOrderId, i.booking_id AS bookingId, i.state, i.outcome,
                i.verified_at AS verifiedAt
           FROM door_intents i INDEXED BY door_intents_one_active_per_door
           CROSS JOIN doors d ON d.id = i.door_id
           JOIN assets a ON a.id = i.asset_id
           JOIN asset_types t ON t.id = a.asset_type_id
          WHERE i.state IN ${active} AND d.bank_id = +? ORDER BY i.id`,
      ),
      insert: db.prepare<[string, number, number, number, number | null, number | null, number | null, number | null, number | null, string, string]>(
        `INSERT INTO door_intents (kind, door_id, asset_id, officer_id, loan_id, rule_version, override_id, swap_order_id, booking_id, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      ),
      setState: db.prepare<[string, string | null, string, number]>('UPDATE door_intents SET state = ?, outcome = coalesce(?, outcome), updated_at = ? WHERE id = ?'),
      verify: db.prepare<[string, number]>('UPDATE door_intents SET verified_at = ? WHERE id = ? AND verified_at IS NULL'),
      activeForAsset: db.prepare<[number, number], { id: number }>(
        `SELECT i.id FROM door_intents i JOIN doors d ON d.id = i.door_id WHERE d.bank_id = ? AND i.asset_id = ? AND i.state IN ${active}`,
      ),
      // A weapon's own door (migration 15), and whether anything is behind it or under way on it.
      homeDoor: db.prepare<[number, number], { doorId: number; number: number; taken: number }>(
        `SELECT d.id AS doorId, d.number,
                EXISTS (SELECT 1 FROM assets x WHERE x.door_id = d.id)
                  OR EXISTS (SELECT 1 FROM door_intents i WHERE i.door_id = d.id AND i.state IN ${active})
                  OR EXISTS (SELECT 1 FROM service_openings s WHERE s.door_id = d.id AND s.state IN ('pending', 'open')) AS taken
           FROM assets a JOIN doors d ON d.id = a.home_door_id
          WHERE a.id = ? AND d.bank_id = ?`,
      ),
      // A bank's doors of one purpose that fit, smallest first, by the doors_by_fit index: the
      // walk stops at the limit, so a choice among 2,000 doors reads a handful.
      freeDoorsFitting: db.prepare<[number, string, number, number], FreeDoor>(
        `SELECT d.id AS doorId, d.number, d.size_rank AS sizeRank FROM doors d INDEXED BY doors_by_fit
          WHERE d.bank_id = ? AND d.holds = ? AND d.size_rank >= ?
            AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.door_id = d.id)
            AND NOT EXISTS (SELECT 1 FROM door_intents i WHERE i.door_id = d.id AND i.state IN ${active})
            AND NOT EXISTS (SELECT 1 FROM service_openings s WHERE s.door_id = d.id AND s.state IN ('pending', 'open'))
          ORDER BY d.size_rank, d.number LIMIT ?`,
      ),
    };
  }

  /** Journeys register the kinds they own before the first reading is reconciled. */
  register(spec: IntentKindSpec): void {
    if (this.specs.has(spec.kind)) throw new Error(`intent kind ${spec.kind} registered twice`);
    this.specs.set(spec.kind, spec);
  }

  registeredKinds(): IntentKind[] {
    return [...this.specs.keys()];
  }

  intent(id: number): DoorIntent | undefined {
    return this.sql.byId.get(id);
  }

  activeIntents(): DoorIntent[] {
    return this.sql.active.all(this.bankId);
  }

  /** Whether some active intent already holds this asset (a second door for it would put it in two places). */
  assetBusy(assetId: number): boolean {
    return this.sql.activeForAsset.get(this.bankId, assetId) !== undefined;
  }

  /** The lowest free door of any size or purpose (a deposit with nothing to fit: see freeDoorFor). */
  freeDoor(occupiedDoorNumbers: ReadonlySet<number>): { doorId: number; number: number } | undefined {
    return this.freeDoorFor({ sizeRank: 1, purpose: 'equipment' }, occupiedDoorNumbers);
  }

  /**
   * A weapon's own door (the first it was put in), if it has one in this bank, and whether it
   * is free now: nothing recorded behind it, nothing under way on it, not reading occupied.
   */
  homeDoorOf(assetId: number, occupiedDoorNumbers: ReadonlySet<number>): { doorId: number; number: number; free: boolean } | undefined {
    const home = this.sql.homeDoor.get(assetId, this.bankId);
    return home && { doorId: home.doorId, number: home.number, free: home.taken === 0 && !occupiedDoorNumbers.has(home.number) };
  }

  /**
   * The door an item going in takes: free (nothing recorded behind it, no intent or service
   * opening on it, not reading as occupied), big enough, and allowed to hold it. The smallest
   * such door; at one size, a door kept for its purpose before a door that holds anything (those
   * stay free for the rest); then the lowest number.
   */
  freeDoorFor(fit: DoorFit, occupiedDoorNumbers: ReadonlySet<number>): { doorId: number; number: number } | undefined {
    // Of the first (occupied + 1) free doors by the records, one at least is not occupied by the sensors.
    const limit = occupiedDoorNumbers.size + 1;
    const usable = (doors: FreeDoor[]) => doors.find((d) => !occupiedDoorNumbers.has(d.number));
    const kept = usable(this.sql.freeDoorsFitting.all(this.bankId, fit.purpose, fit.sizeRank, limit));
    const shared = usable(this.sql.freeDoorsFitting.all(this.bankId, 'any', fit.sizeRank, limit));
    const best = kept === undefined || (shared !== undefined && shared.sizeRank < kept.sizeRank) ? shared : kept;
    return best && { doorId: best.doorId, number: best.number };
  }

  /**
   * Step 1: the pending intent. The caller holds the transaction its decision ran in, and
   * says what the intent shows (door number, item), which it has just read: no read-back.
   */
  create(fields: NewIntent, shown: Pick<DoorIntent, 'doorNumber' | 'serial' | 'tag' | 'assetTypeName'>): DoorIntent {
    if (!this.db.inTransaction) throw new Error('an intent is created inside the transaction of the decision behind it');
    if (!this.specs.has(fields.kind)) throw new Error(`intent kind ${fields.kind} is not registered`);
    const now = this.clock.now().toISOString();
    const id = Number(
      this.sql.insert.run(
        fields.kind,
        fields.doorId,
        fields.assetId,
        fields.officerId,
        fields.loanId ?? null,
        fields.ruleVersion ?? null,
        fields.overrideId ?? null,
        fields.swapOrderId ?? null,
        fields.bookingId ?? null,
        now,
        now,
      ).lastInsertRowid,
    );
    // In this same transaction: the intent's one fsync makes its video event durable too.
    const officer = this.sql.collarOf.get(fields.officerId)?.collarNumber ?? `officer ${fields.officerId}`;
    this.video.stage({ kind: VIDEO_KIND[fields.kind], asset: shown.serial, officer }, this.clock.now());
    this.unlockNotSent.add(id);
    return {
      id,
      kind: fields.kind,
      doorId: fields.doorId,
      assetId: fields.assetId,
      officerId: fields.officerId,
      loanId: fields.loanId ?? null,
      swapOrderId: fields.swapOrderId ?? null,
      bookingId: fields.bookingId ?? null,
      state: 'pending',
      outcome: null,
      verifiedAt: null,
      doorNumber: shown.doorNumber,
      serial: shown.serial,
      tag: shown.tag,
      assetTypeName: shown.assetTypeName,
    };
  }

  /** The unlock could not be sent, or the door never read open: nothing moved. */
  fail(intentId: number, reason: string): IntentChange | undefined {
    this.unlockNotSent.delete(intentId);
    return this.apply(intentId, 'unlock-unconfirmed', reason);
  }

  /** The unlock frame for this intent's door is on the wire: from now on a reading of it open is the door opening. */
  unlockSent(intentId: number): void {
    this.unlockNotSent.delete(intentId);
  }

  /** Whether the intent is committed and its unlock not yet sent. */
  awaitingUnlock(intentId: number): boolean {
    return this.unlockNotSent.has(intentId);
  }

  /** The last step of a return: the officer's condition report settles loan and asset together. */
  completeReturn(intentId: number, condition: ReturnCondition): IntentChange | undefined {
    const outcome = condition === 'ok' ? 'returned ok' : `returned ${condition}: quarantined`;
    return this.apply(intentId, 'condition-given', outcome, condition);
  }

  /** The item's tag was scanned and matched: recorded at once (so crash recovery knows), and settles an intent already closed. */
  verify(intentId: number): IntentChange | undefined {
    return this.db
      .transaction(() => {
        this.sql.verify.run(this.clock.now().toISOString(), intentId);
        const intent = this.intent(intentId);
        return intent?.state === 'closed' ? this.apply(intentId, 'tag-verified', 'tag matched: item verified') : undefined;
      })
      .immediate();
  }

  /** A wrong tag was scanned after a right one: the earlier match no longer counts. */
  unverify(intentId: number): void {
    this.db.prepare<[number]>('UPDATE door_intents SET verified_at = NULL WHERE id = ?').run(intentId);
  }

  /** The last step will not be done (the officer left, or the journey refused the item): settled as abandoned. */
  abandon(intentId: number): IntentChange | undefined {
    return this.apply(intentId, 'abandoned', 'left without finishing: the terminal settled it');
  }

  /** An in-direction intent whose item in is all there is to it (stores loading a booked item): closed, with how. */
  finishIn(intentId: number, how: string): IntentChange | undefined {
    return this.apply(intentId, 'abandoned', how);
  }

  /**
   * An in-direction intent closed with its item inside and nobody there to finish it (its
   * journey ended, or a restart): settled as verified when its tag had matched, else abandoned.
   */
  settleLeft(intent: DoorIntent): IntentChange | undefined {
    return intent.verifiedAt !== null ? this.apply(intent.id, 'tag-verified', 'tag matched; settled by the terminal') : this.abandon(intent.id);
  }

  /**
   * Step 3, live: commit what a poll saw, through the table. Returns what changed. A door that
   * reads open before its intent's unlock was sent fails the intent (it is never used), and is
   * reported through `openedEarly`.
   */
  observe(doors: readonly DoorSensors[], openedEarly: (doorNumber: number) => void = () => {}): IntentChange[] {
    const byNumber = new Map(doors.map((d) => [d.doorNumber, d]));
    const changes: IntentChange[] = [];
    for (const intent of this.activeIntents()) {
      const door = byNumber.get(intent.doorNumber);
      if (door?.open && intent.state === 'pending' && this.unlockNotSent.has(intent.id)) {
        const failed = this.fail(intent.id, `door ${intent.doorNumber} read open before it was unlocked, so it was not used`);
        if (failed) changes.push(failed);
        openedEarly(intent.doorNumber);
        continue;
      }
      const seen = door ? liveEvent(intent.kind, intent.state, door) : null;
      const change = seen ? this.apply(intent.id, seen.event, seen.how) : undefined;
      if (change) changes.push(change);
    }
    return changes;
  }

  /**
   * Crash recovery: settle every intent a crash left active from the first reading of the
   * doors, through the same table. A door still open stays tracked; an in-direction intent
   * left with its item inside and its last step undone is settled as abandoned (or as
   * verified, when its tag had matched before the crash).
   */
  reconcile(doors: readonly DoorSensors[]): IntentChange[] {
    const byNumber = new Map(doors.map((d) => [d.doorNumber, d]));
    const changes: IntentChange[] = [];
    for (const intent of this.activeIntents()) {
      const door = byNumber.get(intent.doorNumber);
      if (!door) continue;
      const seen = startupEvent(intent.state, door);
      const change = seen ? this.apply(intent.id, seen.event, seen.how) : undefined;
      if (change) changes.push(change);
      const now = change?.intent ?? intent;
      if (now.state === 'closed' && !door.open) {
        const settled = this.settleLeft(now);
        if (settled) changes.push(settled);
      }
    }
    return changes;
  }

  /**
   * One event through the table: the state change, the kind's effect and the audit row, in
   * one transaction. An event the table does not allow in the intent's current state changes
   * nothing (so the same reading twice, or a late timer, is harmless).
   */
  apply(intentId: number, event: IntentEvent, how: string, condition: ReturnCondition | null = null): IntentChange | undefined {
    return this.db
      .transaction((): IntentChange | undefined => {
        const intent = this.sql.byId.get(intentId);
        if (!intent) return undefined;
        const cell = transitionFor(intent.kind, intent.state, event);
        if (!cell) return undefined;
        const spec = this.specs.get(intent.kind);
        if (!spec) throw new Error(`intent kind ${intent.kind} is not registered`);
        const now = this.clock.now();
        const outcome = cell.outcome(how);
        const result = spec.effects[cell.effect]?.({ intent, now, condition }) ?? {};
        this.sql.setState.run(cell.to, outcome, now.toISOString(), intentId);
        const action = spec.actions[cell.effect];
        if (!action) throw new Error(`intent kind ${intent.kind} names no audit action for ${cell.effect}`);
        this.audit.append(
          {
            actor: result.actor ?? 'system',
            action,
            subject: `door:${intent.doorNumber}`,
            // The order too, for a swap's intents: both legs of a swap read as one trail.
            // The item's serial and type too, so a copy of the trail elsewhere (the estate) names the item, not this terminal's row id.
            details: { intent: intent.id, kind: intent.kind, asset: intent.assetId, serial: intent.serial, type: intent.assetTypeName, officer: intent.officerId, outcome, ...(intent.swapOrderId === null ? {} : { order: intent.swapOrderId }), ...(intent.bookingId === null ? {} : { booking: intent.bookingId }), ...result.details },
          },
          now,
        );
        return { intent: this.mustGet(intentId), from: intent.state, event, effect: cell.effect };
      })
      .immediate();
  }

  private mustGet(id: number): DoorIntent {
    const intent = this.sql.byId.get(id);
    if (!intent) throw new Error(`door intent ${id} vanished inside its own transaction`);
    return intent;
  }
}
