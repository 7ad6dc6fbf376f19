import { z } from 'zod';
import type { RefusalReason, ReturnCondition } from '../../preload/contract.ts';
import type { AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import type { Eligibility } from './eligibility.ts';
import type { Clock, DoorSensors } from './ports.ts';
import { dueAt } from './rules.ts';

export type IntentState = 'pending' | 'open' | 'closed' | 'completed' | 'cancelled' | 'failed';
export const ACTIVE_INTENT_STATES: readonly IntentState[] = ['pending', 'open', 'closed'];

export interface DoorIntent {
  id: number;
  kind: 'draw' | 'return';
  doorId: number;
  doorNumber: number;
  assetId: number;
  assetTypeName: string;
  serial: string;
  officerId: number;
  loanId: number | null;
  state: IntentState;
  outcome: string | null;
}

export interface IntentChange {
  intent: DoorIntent;
  from: IntentState;
}

export type BeginResult =
  | { ok: true; intent: DoorIntent }
  | { ok: false; kind: 'refused' | 'conflict' | 'not-found' | 'forbidden'; message: string; reasons?: RefusalReason[] };

/** How long an armourer's override stays usable: it authorises a draw now, not later in the shift. */
export const OVERRIDE_LIFETIME_MS = 10 * 60_000;

/** The refusal an override was granted against, as stored (the decision's reasons); only the codes matter here. */
const storedRefusalSchema = z.array(z.object({ code: z.string() }).loose());

interface OverrideRow {
  id: number;
  officerId: number;
  assetTypeId: number;
  refusal: string;
  createdAt: string;
  usedByIntent: number | null;
}

const INTENT_SELECT = `
  SELECT i.id, i.kind, i.door_id AS doorId, d.number AS doorNumber, i.asset_id AS assetId, t.name AS assetTypeName,
         a.serial, i.officer_id AS officerId, i.loan_id AS loanId, i.state, i.outcome
    FROM door_intents i
    JOIN doors d ON d.id = i.door_id
    JOIN assets a ON a.id = i.asset_id
    JOIN asset_types t ON t.id = a.asset_type_id`;

/**
 * Draw and return as durable door transactions, in the order that keeps the record honest:
 *   1. commit the decision and a pending intent (before any unlock frame is sent);
 *   2. the caller commands the door;
 *   3. commit what the sensors saw (door open; then door closed with or without the item).
 * Each step is one SQLite transaction carrying its audit row. Nothing here touches hardware:
 * the caller sends the unlock and feeds sensor readings to `observe`, so a crash between any
 * two steps leaves an intent that `reconcile` settles from the sensors at the next start.
 */
export class DoorTransactions {
  private readonly byId;
  private readonly active;
  /** Every statement prepared once: the draw commit is a hot path measured against the fsync floor. */
  private readonly sql;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly eligibility: Eligibility,
    private readonly bankId: number,
  ) {
    this.byId = db.prepare<[number], DoorIntent>(`${INTENT_SELECT} WHERE i.id = ?`);
    this.active = db.prepare<[number], DoorIntent>(
      `${INTENT_SELECT} WHERE d.bank_id = ? AND i.state IN ('pending', 'open', 'closed') ORDER BY i.id`,
    );
    this.sql = {
      // In index order (doors are numbered in id order): stops at the first free door, no sort.
      pickForDraw: db.prepare<[number, number], { assetId: number; doorId: number }>(
        `SELECT a.id AS assetId, d.id AS doorId FROM assets a JOIN doors d ON d.id = a.door_id
          WHERE a.asset_type_id = ? AND a.status = 'available' AND d.bank_id = ?
            AND NOT EXISTS (SELECT 1 FROM door_intents i WHERE i.door_id = d.id AND i.state IN ('pending', 'open', 'closed'))
          ORDER BY a.door_id LIMIT 1`,
      ),
      insertIntent: db.prepare<[string, number, number, number, number | null, number | null, number | null, string, string]>(
        `INSERT INTO door_intents (kind, door_id, asset_id, officer_id, loan_id, rule_version, override_id, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      ),
      override: db.prepare<[number], OverrideRow>(
        `SELECT id, officer_id AS officerId, asset_type_id AS assetTypeId, refusal, created_at AS createdAt, used_by_intent AS usedByIntent
           FROM overrides WHERE id = ?`,
      ),
      // Guarded on used_by_intent IS NULL as well: one override, one draw, whatever the caller does.
      useOverride: db.prepare<[number, number]>('UPDATE overrides SET used_by_intent = ? WHERE id = ? AND used_by_intent IS NULL'),
      intentRule: db.prepare<[number], { assetTypeId: number; ruleVersion: number | null }>(
        `SELECT a.asset_type_id AS assetTypeId, i.rule_version AS ruleVersion
           FROM door_intents i JOIN assets a ON a.id = i.asset_id WHERE i.id = ?`,
      ),
      openLoanOfAsset: db.prepare<[number], { id: number; officerId: number }>(
        'SELECT id, officer_id AS officerId FROM loans WHERE asset_id = ? AND returned_at IS NULL',
      ),
      activeIntentForAsset: db.prepare<[number, number], { doorId: number }>(
        `SELECT i.door_id AS doorId FROM door_intents i JOIN doors d ON d.id = i.door_id
          WHERE d.bank_id = ? AND i.asset_id = ? AND i.state IN ('pending', 'open', 'closed')`,
      ),
      freeDoors: db.prepare<[number], { doorId: number; number: number }>(
        `SELECT d.id AS doorId, d.number FROM doors d
          WHERE d.bank_id = ?
            AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.door_id = d.id)
            AND NOT EXISTS (SELECT 1 FROM door_intents i WHERE i.door_id = d.id AND i.state IN ('pending', 'open', 'closed'))
          ORDER BY d.number`,
      ),
      closeLoan: db.prepare<[string, string, number, number | null]>(
        'UPDATE loans SET returned_at = ?, return_condition = ?, return_intent_id = ? WHERE id = ? AND returned_at IS NULL',
      ),
      insertLoan: db.prepare<[number, number, string, number, string | null]>(
        'INSERT INTO loans (asset_id, officer_id, drawn_at, draw_intent_id, due_at) VALUES (?, ?, ?, ?, ?)',
      ),
      setIntentLoan: db.prepare<[number, number]>('UPDATE door_intents SET loan_id = ? WHERE id = ?'),
      setAsset: db.prepare<[string, number | null, string, number]>('UPDATE assets SET status = ?, door_id = ?, updated_at = ? WHERE id = ?'),
      setIntentState: db.prepare<[string, string | null, string, number]>(
        'UPDATE door_intents SET state = ?, outcome = coalesce(?, outcome), updated_at = ? WHERE id = ?',
      ),
    };
  }

  intent(id: number): DoorIntent | undefined {
    return this.byId.get(id);
  }

  activeIntents(): DoorIntent[] {
    return this.active.all(this.bankId);
  }

  /**
   * Step 1 of a draw: decide, pick an item behind a door, and commit the intent with the rule
   * version it was decided under. With `overrideId`, an armourer's override (for this officer
   * and type, unused, and recent) excuses those of the reasons it was granted against which
   * policy lets an armourer override; any other reason still refuses. The draw spends it.
   */
  beginDraw(officerId: number, assetTypeId: number, overrideId?: number): BeginResult {
    return this.db
      .transaction((): BeginResult => {
        const verdict = this.eligibility.decide(officerId, assetTypeId);
        if (!verdict) return { ok: false, kind: 'not-found', message: 'That kind of equipment is not known here.' };
        let excused = new Set<string>();
        if (overrideId !== undefined) {
          const checked = this.checkOverride(overrideId, officerId, assetTypeId);
          if (!checked.ok) {
            this.audit.append(
              { actor: `officer:${officerId}`, action: 'draw.override-rejected', subject: `asset-type:${assetTypeId}`, details: { override: overrideId, why: checked.message } },
              this.clock.now(),
            );
            return { ok: false, kind: 'forbidden', message: checked.message };
          }
          excused = checked.excused;
        }
        const remaining = verdict.decision.reasons.filter((r) => !excused.has(r.code));
        if (remaining.length > 0) {
          this.audit.append(
            {
              actor: `officer:${officerId}`,
              action: 'draw.refused',
              subject: `asset-type:${assetTypeId}`,
              details: {
                reasons: remaining.map((r) => ({ code: r.code, message: r.message })),
                ruleVersion: verdict.ruleVersion,
                override: overrideId ?? null,
              },
            },
            this.clock.now(),
          );
          const message = remaining.map((r) => r.message).join('; ');
          return {
            ok: false,
            kind: 'refused',
            message: overrideId === undefined ? message : `The override does not cover this: ${message}`,
            reasons: remaining,
          };
        }
        const pick = this.sql.pickForDraw.get(assetTypeId, this.bankId);
        if (!pick) return { ok: false, kind: 'conflict', message: `No ${verdict.type.name} is free in the lockers right now.` };
        const now = this.clock.now().toISOString();
        this.sql.setAsset.run('issuing', pick.doorId, now, pick.assetId);
        const intentId = Number(
          this.sql.insertIntent.run('draw', pick.doorId, pick.assetId, officerId, null, verdict.ruleVersion, overrideId ?? null, now, now).lastInsertRowid,
        );
        if (overrideId !== undefined && this.sql.useOverride.run(intentId, overrideId).changes !== 1) {
          // checkOverride saw it unused inside this same transaction, so this cannot happen.
          throw new Error(`override ${overrideId} was spent inside the draw's own transaction`);
        }
        const intent = this.mustGet(intentId);
        this.audit.append(
          {
            actor: `officer:${officerId}`,
            action: 'draw.intent',
            subject: `asset:${pick.assetId}`,
            details: { intent: intentId, door: intent.doorNumber, ruleVersion: verdict.ruleVersion, override: overrideId ?? null },
          },
          this.clock.now(),
        );
        return { ok: true, intent };
      })
      .immediate();
  }

  /** Whether an override may be used for this draw, and which refusal codes it excuses. */
  private checkOverride(overrideId: number, officerId: number, assetTypeId: number): { ok: true; excused: Set<string> } | { ok: false; message: string } {
    const row = this.sql.override.get(overrideId);
    // One message for "no such override" and "someone else's": nothing to learn by guessing ids.
    if (!row || row.officerId !== officerId || row.assetTypeId !== assetTypeId) {
      return { ok: false, message: 'That override is not for you and this equipment. Ask an armourer.' };
    }
    if (row.usedByIntent !== null) return { ok: false, message: 'That override has already been used for a draw. Ask an armourer for a new one.' };
    const ageMs = this.clock.now().getTime() - Date.parse(row.createdAt);
    if (!(ageMs >= 0 && ageMs <= OVERRIDE_LIFETIME_MS)) {
      return { ok: false, message: `That override has lapsed: an override is good for ${OVERRIDE_LIFETIME_MS / 60_000} minutes. Ask an armourer for a new one.` };
    }
    const stored = storedRefusalSchema.safeParse(safeJson(row.refusal));
    if (!stored.success) return { ok: false, message: 'That override cannot be read. Ask an armourer for a new one.' };
    // Only what the armourer saw refused AND what policy lets an armourer override, never more.
    const overridable = new Set<string>(this.eligibility.overridableRefusals);
    return { ok: true, excused: new Set(stored.data.map((r) => r.code).filter((code) => overridable.has(code))) };
  }

  /**
   * Step 1 of a return: the item must be on loan to this officer; pick a free door
   * (no asset recorded there, no active intent, and not reading as occupied).
   */
  beginReturn(officerId: number, assetId: number, occupiedDoorNumbers: ReadonlySet<number>): BeginResult {
    return this.db
      .transaction((): BeginResult => {
        const loan = this.sql.openLoanOfAsset.get(assetId);
        if (!loan) return { ok: false, kind: 'conflict', message: 'That item is not on loan, so it cannot be returned here. Hand it to an armourer.' };
        if (loan.officerId !== officerId) {
          return { ok: false, kind: 'refused', message: 'That item is on loan to another officer. Hand it to an armourer.' };
        }
        const busy = this.sql.activeIntentForAsset.get(this.bankId, assetId);
        if (busy) return { ok: false, kind: 'conflict', message: 'A door is already open for that item.' };
        const free = this.sql.freeDoors.all(this.bankId).find((d) => !occupiedDoorNumbers.has(d.number));
        if (!free) return { ok: false, kind: 'conflict', message: 'Every locker door is full. Hand the item to an armourer.' };
        const now = this.clock.now().toISOString();
        const intentId = Number(this.sql.insertIntent.run('return', free.doorId, assetId, officerId, loan.id, null, null, now, now).lastInsertRowid);
        this.audit.append(
          { actor: `officer:${officerId}`, action: 'return.intent', subject: `asset:${assetId}`, details: { intent: intentId, door: free.number, loan: loan.id } },
          this.clock.now(),
        );
        return { ok: true, intent: this.mustGet(intentId) };
      })
      .immediate();
  }

  /** The unlock could not be sent, or the door never read open: nothing left the locker. */
  fail(intentId: number, reason: string): IntentChange | undefined {
    return this.transition(intentId, ['pending'], (intent) => {
      if (intent.kind === 'draw') this.setAsset(intent.assetId, 'available', intent.doorId);
      return { state: 'failed', outcome: reason, action: `${intent.kind}.door-failed` };
    });
  }

  /**
   * Step 3: commit what the sensors saw. Pending intents whose door reads open become open;
   * open intents whose door reads closed are settled by the item sensor. Returns what changed.
   */
  observe(doors: readonly DoorSensors[]): IntentChange[] {
    const byNumber = new Map(doors.map((d) => [d.doorNumber, d]));
    const changes: IntentChange[] = [];
    for (const intent of this.activeIntents()) {
      const door = byNumber.get(intent.doorNumber);
      if (!door) continue;
      if (intent.state === 'pending' && door.open) {
        const change = this.transition(intent.id, ['pending'], () => ({ state: 'open', action: 'door.opened' }));
        if (change) changes.push(change);
      } else if (intent.state === 'pending' && door.itemPresent !== null && door.itemPresent === (intent.kind === 'return')) {
        // Still closed, but the item moved: the door opened and shut between two polls.
        const change = this.settleClosed(intent.id, door.itemPresent, 'door opened and closed between polls');
        if (change) changes.push(change);
      } else if (intent.state === 'open' && !door.open) {
        const change = this.settleClosed(intent.id, door.itemPresent, 'door closed');
        if (change) changes.push(change);
      }
    }
    return changes;
  }

  /**
   * At start-up: settle every intent left active by a crash or power cut, from the doors
   * as they read now. A door still open stays tracked. A closed door is judged by its item
   * sensor, as if we had watched it close; a return whose condition was never recorded is
   * completed into quarantine so an armourer checks it.
   */
  reconcile(doors: readonly DoorSensors[]): IntentChange[] {
    const byNumber = new Map(doors.map((d) => [d.doorNumber, d]));
    const changes: IntentChange[] = [];
    for (const intent of this.activeIntents()) {
      const door = byNumber.get(intent.doorNumber);
      if (!door) continue;
      let change: IntentChange | undefined;
      if (door.open) {
        if (intent.state === 'pending') change = this.transition(intent.id, ['pending'], () => ({ state: 'open', action: 'door.opened', outcome: 'seen open at start-up' }));
      } else if (intent.state === 'pending' && door.itemPresent === null) {
        // No item sensor and the door never read open: nothing tells whether it moved.
        change = this.fail(intent.id, 'found closed at start-up, never seen open, and the door has no item sensor: check it');
      } else if (intent.state === 'pending' || intent.state === 'open') {
        change = this.settleClosed(intent.id, door.itemPresent, 'found closed at start-up');
        const settled = change?.intent;
        if (settled && settled.kind === 'return' && settled.state === 'closed') change = this.completeReturn(settled.id, 'not-recorded', 'system');
      } else if (intent.state === 'closed') {
        change = this.completeReturn(intent.id, 'not-recorded', 'system');
      }
      if (change) changes.push(change);
    }
    return changes;
  }

  /** A return whose item is in the locker but whose condition the officer did not give. */
  abandonReturn(intentId: number): IntentChange | undefined {
    return this.completeReturn(intentId, 'not-recorded', 'system');
  }

  /** Last step of a return: the officer's condition report settles loan and asset together. */
  completeReturn(intentId: number, condition: ReturnCondition | 'not-recorded', actor: 'officer' | 'system'): IntentChange | undefined {
    return this.transition(intentId, ['closed'], (intent) => {
      const now = this.clock.now().toISOString();
      this.sql.closeLoan.run(now, condition, intent.id, intent.loanId);
      const quarantine = condition !== 'ok';
      this.setAsset(intent.assetId, quarantine ? 'quarantined' : 'available', intent.doorId);
      return {
        state: 'completed',
        outcome: quarantine ? `returned ${condition}: quarantined` : 'returned ok',
        action: 'return.completed',
        details: { condition, quarantined: quarantine, loan: intent.loanId },
        actor: actor === 'officer' ? `officer:${intent.officerId}` : 'system',
      };
    });
  }

  /** A door closed: the item sensor says what happened (null: no sensor, so the opening is taken as done). */
  private settleClosed(intentId: number, itemPresent: boolean | null, how: string): IntentChange | undefined {
    return this.transition(intentId, ['pending', 'open'], (intent) => {
      const now = this.clock.now().toISOString();
      if (intent.kind === 'draw') {
        if (itemPresent === true) {
          this.setAsset(intent.assetId, 'available', intent.doorId);
          return { state: 'cancelled', outcome: `${how} with the item still inside`, action: 'draw.cancelled' };
        }
        const loanId = Number(this.sql.insertLoan.run(intent.assetId, intent.officerId, now, intent.id, this.dueAtFor(intent.id, new Date(now))).lastInsertRowid);
        this.sql.setIntentLoan.run(loanId, intent.id);
        this.setAsset(intent.assetId, 'on-loan', null);
        return { state: 'completed', outcome: `${how}: item taken`, action: 'draw.completed', details: { loan: loanId } };
      }
      if (itemPresent === false) return { state: 'cancelled', outcome: `${how} without the item`, action: 'return.cancelled' };
      return { state: 'closed', outcome: `${how} with the item inside`, action: 'return.item-in' };
    });
  }

  /** When the loan of a draw falls due, from the rule version its intent was decided under. */
  private dueAtFor(intentId: number, drawnAt: Date): string | null {
    const row = this.sql.intentRule.get(intentId);
    if (!row || row.ruleVersion === null) return null;
    const rule = this.eligibility.rules.byVersion(row.assetTypeId, row.ruleVersion);
    return rule ? (dueAt(drawnAt, rule)?.toISOString() ?? null) : null;
  }

  private setAsset(assetId: number, status: string, doorId: number | null): void {
    this.sql.setAsset.run(status, doorId, this.clock.now().toISOString(), assetId);
  }

  /**
   * One state change of an intent, its side effects and its audit row, in one transaction.
   * `from` guards against acting twice on the same sensor reading.
   */
  private transition(
    intentId: number,
    from: readonly IntentState[],
    apply: (intent: DoorIntent) => {
      state: IntentState;
      action: string;
      outcome?: string;
      details?: Record<string, unknown>;
      actor?: 'system' | `officer:${number}`;
    },
  ): IntentChange | undefined {
    return this.db
      .transaction((): IntentChange | undefined => {
        const intent = this.byId.get(intentId);
        if (!intent || !from.includes(intent.state)) return undefined;
        const next = apply(intent);
        const now = this.clock.now();
        this.sql.setIntentState.run(next.state, next.outcome ?? null, now.toISOString(), intentId);
        this.audit.append(
          {
            actor: next.actor ?? 'system',
            action: next.action,
            subject: `door:${intent.doorNumber}`,
            details: { intent: intent.id, kind: intent.kind, asset: intent.assetId, officer: intent.officerId, outcome: next.outcome ?? null, ...next.details },
          },
          now,
        );
        return { intent: this.mustGet(intentId), from: intent.state };
      })
      .immediate();
  }

  private mustGet(id: number): DoorIntent {
    const intent = this.byId.get(id);
    if (!intent) throw new Error(`door intent ${id} vanished inside its own transaction`);
    return intent;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
