import { z } from 'zod';
import type { RefusalReason, Result, ScreenView } from '../../../preload/contract.ts';
import type { DoorIntent, IntentChange, IntentKindSpec } from '../door-intents.ts';
import type { CoreServices } from '../services.ts';
import { defineTable, Machine } from '../state-table.ts';
import { openIntentDoor } from './door-step.ts';
import { fail, OK, plainDoorFailure, signedIn, type Journey, type KioskContext, type KioskModule, type SessionScreen } from './journey.ts';

export const DRAW_TABLE = defineTable({
  name: 'draw',
  initial: 'opening',
  states: ['opening', 'open', 'issued', 'not-taken', 'door-failed'],
  events: ['opened', 'taken', 'left-inside', 'door-failed'],
  final: ['issued', 'not-taken', 'door-failed'],
  transitions: {
    // taken/left-inside straight from opening: the door opened and shut between two polls.
    opening: { opened: 'open', taken: 'issued', 'left-inside': 'not-taken', 'door-failed': 'door-failed' },
    open: { taken: 'issued', 'left-inside': 'not-taken' },
  },
});
type DrawEvent = (typeof DRAW_TABLE.events)[number];

/** How long an armourer's override stays usable: it authorises a draw now, not later in the shift. */
export const OVERRIDE_LIFETIME_MS = 10 * 60_000;

export type BeginResult =
  | { ok: true; intent: DoorIntent }
  | { ok: false; kind: 'refused' | 'conflict' | 'not-found' | 'forbidden'; message: string; reasons?: RefusalReason[] };

/** The refusal an override was granted against, as stored (the decision's reasons); only the codes matter here. */
const storedRefusalSchema = z.array(z.object({ code: z.string() }).loose());

/** What happens to the item behind the door as a draw's intent moves. */
export function drawIntentSpec(services: CoreServices): IntentKindSpec {
  const { ledger } = services;
  return {
    kind: 'draw',
    actions: { opened: 'door.opened', taken: 'draw.completed', 'left-inside': 'draw.cancelled', 'door-failed': 'draw.door-failed' },
    effects: {
      // The loan and when it falls due, in the audit row: the estate follows loans from it.
      taken: ({ intent, now }) => ({ details: ledger.issue(intent, now) }),
      'left-inside': ({ intent }) => ledger.setAsset(intent.assetId, 'available', intent.doorId),
      'door-failed': ({ intent }) => ledger.setAsset(intent.assetId, 'available', intent.doorId),
    },
  };
}

/**
 * Step 1 of a draw: decide, pick an item behind a door, and commit the intent with the rule
 * version it was decided under, in one IMMEDIATE transaction (so two draws at once cannot
 * both pass a limit). With `overrideId`, an armourer's override (for this officer and type,
 * unused, and recent) excuses those of the reasons it was granted against which policy lets
 * an armourer override; any other reason still refuses. The draw spends it.
 */
export function beginDraw(services: CoreServices, officerId: number, assetTypeId: number, overrideId?: number, unusableDoors: ReadonlySet<number> = new Set()): BeginResult {
  const { db, audit, clock, eligibility, intents, ledger, bankId } = services;
  return db
    .transaction((): BeginResult => {
      // The door first: whether there is a free item is the decision's availability fact too.
      // A door reading open or implausibly is never picked.
      const pick = services.records.firstAvailableBehindDoor(assetTypeId, bankId, unusableDoors);
      const verdict = eligibility.decide(officerId, assetTypeId, { availableCount: pick ? 1 : 0 });
      if (!verdict || !verdict.type.selfService) return { ok: false, kind: 'not-found', message: verdict ? `${verdict.type.name} is issued by order, not drawn here.` : 'That kind of equipment is not known here.' };
      let excused = new Set<string>();
      if (overrideId !== undefined) {
        const checked = checkOverride(services, overrideId, officerId, assetTypeId);
        if (!checked.ok) {
          audit.append(
            { actor: `officer:${officerId}`, action: 'draw.override-rejected', subject: `asset-type:${assetTypeId}`, details: { override: overrideId, why: checked.message } },
            clock.now(),
          );
          return { ok: false, kind: 'forbidden', message: checked.message };
        }
        excused = checked.excused;
      }
      const remaining = verdict.decision.reasons.filter((r) => !excused.has(r.code));
      if (remaining.length > 0) {
        audit.append(
          {
            actor: `officer:${officerId}`,
            action: 'draw.refused',
            subject: `asset-type:${assetTypeId}`,
            details: { reasons: remaining.map((r) => ({ code: r.code, message: r.message })), ruleVersion: verdict.ruleVersion, override: overrideId ?? null },
          },
          clock.now(),
        );
        const message = remaining.map((r) => r.message).join('; ');
        return { ok: false, kind: 'refused', message: overrideId === undefined ? message : `The override does not cover this: ${message}`, reasons: remaining };
      }
      if (!pick) return { ok: false, kind: 'conflict', message: `No ${verdict.type.name} is free in the lockers right now.` };
      ledger.setAsset(pick.assetId, 'issuing', pick.doorId);
      const intent = intents.create(
        { kind: 'draw', doorId: pick.doorId, assetId: pick.assetId, officerId, ruleVersion: verdict.ruleVersion, overrideId: overrideId ?? null },
        { doorNumber: pick.doorNumber, serial: pick.serial, tag: pick.tag, assetTypeName: verdict.type.name },
      );
      if (overrideId !== undefined && !services.records.spendOverride(overrideId, intent.id)) {
        // checkOverride saw it unused inside this same transaction, so this cannot happen.
        throw new Error(`override ${overrideId} was spent inside the draw's own transaction`);
      }
      audit.append(
        {
          actor: `officer:${officerId}`,
          action: 'draw.intent',
          subject: `asset:${pick.assetId}`,
          details: { intent: intent.id, door: intent.doorNumber, ruleVersion: verdict.ruleVersion, override: overrideId ?? null },
        },
        clock.now(),
      );
      return { ok: true, intent };
    })
    .immediate();
}

/** Whether an override may be used for this draw, and which refusal codes it excuses. */
function checkOverride(services: CoreServices, overrideId: number, officerId: number, assetTypeId: number): { ok: true; excused: Set<string> } | { ok: false; message: string } {
  const row = services.records.override(overrideId);
  // One message for "no such override" and "someone else's": nothing to learn by guessing ids.
  if (!row || row.officerId !== officerId || row.assetTypeId !== assetTypeId) {
    return { ok: false, message: 'That override is not for you and this equipment. Ask an armourer.' };
  }
  if (row.usedByIntent !== null) return { ok: false, message: 'That override has already been used for a draw. Ask an armourer for a new one.' };
  const ageMs = services.clock.now().getTime() - Date.parse(row.createdAt);
  if (!(ageMs >= 0 && ageMs <= OVERRIDE_LIFETIME_MS)) {
    return { ok: false, message: `That override has lapsed: an override is good for ${OVERRIDE_LIFETIME_MS / 60_000} minutes. Ask an armourer for a new one.` };
  }
  const stored = storedRefusalSchema.safeParse(safeJson(row.refusal));
  if (!stored.success) return { ok: false, message: 'That override cannot be read. Ask an armourer for a new one.' };
  // Only what the armourer saw refused AND what policy lets an armourer override, never more.
  const overridable = new Set<string>(services.eligibility.overridableRefusals);
  return { ok: true, excused: new Set(stored.data.map((r) => r.code).filter((code) => overridable.has(code))) };
}

/** The officer at the open door, waiting for them to take the item and close it. */
export class DrawJourney implements Journey {
  readonly kind = 'draw';
  private readonly machine = new Machine(DRAW_TABLE);
  private failure: string | null = null;

  constructor(private readonly intent: DoorIntent) {}

  get state() {
    return this.machine.state;
  }

  get finished(): boolean {
    return this.machine.finished;
  }

  screen(): ScreenView {
    return { kind: 'draw-door-open', doorNumber: this.intent.doorNumber, assetTypeName: this.intent.assetTypeName, serial: this.intent.serial, opened: this.machine.state === 'open' };
  }

  outcome(): SessionScreen {
    const { doorNumber, assetTypeName, serial } = this.intent;
    switch (this.machine.state) {
      case 'issued':
        return { kind: 'draw-done', assetTypeName, serial, doorNumber };
      case 'not-taken':
        return { kind: 'problem', title: 'Nothing drawn', message: `Door ${doorNumber} closed with the ${assetTypeName} still inside, so nothing was issued to you.` };
      default:
        return { kind: 'problem', title: `Door ${doorNumber} did not open`, message: this.failureMessage() };
    }
  }

  failureMessage(): string {
    return `Door ${this.intent.doorNumber} did not open${this.failure ? ` (${this.failure})` : ''}. Nothing was issued. Try again, or call an armourer.`;
  }

  intentsChanged(changes: readonly IntentChange[]): void {
    for (const change of changes) {
      if (change.intent.id !== this.intent.id) continue;
      if (change.effect === 'door-failed') this.failure = plainDoorFailure(change.intent.outcome);
      if (isDrawEvent(change.effect)) this.machine.fire(change.effect);
    }
  }

  /** Walking away from an open door changes nothing: the sensors settle the draw. */
  abandon(): void {}
}

function isDrawEvent(effect: string): effect is DrawEvent {
  return (DRAW_TABLE.events as readonly string[]).includes(effect);
}

/**
 * Decide, commit the intent, then open its door and confirm it (the override journey draws
 * through here too). Answers once the door has read open, or with why it did not.
 */
export function runDraw(ctx: KioskContext, officerId: number, assetTypeId: number, overrideId?: number): Promise<Result<null>> {
  return drawThroughDoor(ctx, () => beginDraw(ctx.services, officerId, assetTypeId, overrideId, ctx.unusableDoors()));
}

/**
 * An item going out to the officer at their door, as a draw (a booked collection goes out the
 * same way): refused while nothing may be released; a refusal shown on the home screen; else the
 * draw journey at the open door.
 */
export async function drawThroughDoor(ctx: KioskContext, begin: () => { ok: true; intent: DoorIntent } | { ok: false; kind: Exclude<BeginResult, { ok: true }>['kind']; message: string }): Promise<Result<null>> {
  const blocked = ctx.releaseBlocked();
  if (blocked) return { ok: false, error: blocked };
  const begun = begin();
  if (!begun.ok) {
    ctx.show({ kind: 'home', message: begun.message });
    return fail(begun.kind, begun.message);
  }
  const journey = new DrawJourney(begun.intent);
  ctx.startJourney(journey);
  const opened = await openIntentDoor(ctx, begun.intent);
  return opened.ok ? OK : fail('device', journey.failureMessage());
}

export function drawModule(ctx: KioskContext): KioskModule {
  return {
    intentKinds: [drawIntentSpec(ctx.services)],
    handlers: {
      startDraw: ({ assetTypeId }, officerId) => runDraw(ctx, signedIn(officerId), assetTypeId),
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
