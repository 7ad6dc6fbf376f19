import type { ReturnCondition, Result, ScreenView } from '../../../preload/contract.ts';
import type { DoorIntent, IntentChange, IntentKindSpec } from '../door-intents.ts';
import type { CoreServices } from '../services.ts';
import { defineTable, Machine } from '../state-table.ts';
import { openIntentDoor } from './door-step.ts';
import { fail, OK, plainDoorFailure, signedIn, type Journey, type KioskContext, type KioskModule, type SessionScreen } from './journey.ts';

export const RETURN_TABLE = defineTable({
  name: 'return',
  initial: 'opening',
  states: ['opening', 'open', 'item-in', 'returned', 'not-returned', 'door-failed', 'left'],
  events: ['opened', 'item-in', 'nothing-in', 'settled', 'unsettled', 'door-failed', 'abandoned'],
  final: ['returned', 'not-returned', 'door-failed', 'left'],
  transitions: {
    opening: { opened: 'open', 'item-in': 'item-in', 'nothing-in': 'not-returned', 'door-failed': 'door-failed', abandoned: 'left' },
    open: { 'item-in': 'item-in', 'nothing-in': 'not-returned', abandoned: 'left' },
    // The item is in and the door shut: the officer gives its condition (settled), or leaves (the terminal settles it).
    'item-in': { settled: 'returned', unsettled: 'returned', abandoned: 'left' },
  },
});
type ReturnEvent = (typeof RETURN_TABLE.events)[number];

export function returnIntentSpec(services: CoreServices): IntentKindSpec {
  const { ledger } = services;
  const settle = (intent: DoorIntent, condition: ReturnCondition | 'not-recorded', now: Date, actor: 'officer' | 'system') => {
    if (intent.loanId !== null) ledger.closeLoan(intent.loanId, condition, intent.id, now);
    const quarantine = condition !== 'ok';
    ledger.setAsset(intent.assetId, quarantine ? 'quarantined' : 'available', intent.doorId);
    return {
      details: { condition, quarantined: quarantine, loan: intent.loanId },
      actor: actor === 'officer' ? (`officer:${intent.officerId}` as const) : ('system' as const),
    };
  };
  return {
    kind: 'return',
    actions: {
      opened: 'door.opened',
      'item-in': 'return.item-in',
      'nothing-in': 'return.cancelled',
      settled: 'return.completed',
      unsettled: 'return.completed',
      'door-failed': 'return.door-failed',
    },
    effects: {
      settled: ({ intent, now, condition }) => settle(intent, condition ?? 'ok', now, 'officer'),
      // An item left in the locker without a condition report goes to quarantine for a check.
      unsettled: ({ intent, now }) => settle(intent, 'not-recorded', now, 'system'),
    },
  };
}

export type BeginReturnResult = { ok: true; intent: DoorIntent } | { ok: false; kind: 'refused' | 'conflict'; message: string };

/**
 * Step 1 of a return: the item must be on loan to this officer and not already behind a
 * door; a weapon goes back to its own door (refused, saying so, if that door is not free),
 * other kit to the smallest free door that can hold it (DoorIntents.freeDoorFor), logged
 * with the intent.
 */
export function beginReturn(services: CoreServices, officerId: number, assetId: number, occupiedDoorNumbers: ReadonlySet<number>): BeginReturnResult {
  const { db, audit, clock, intents, ledger, records } = services;
  return db
    .transaction((): BeginReturnResult => {
      const loan = ledger.openLoanOf(assetId);
      if (!loan) return { ok: false, kind: 'conflict', message: 'That item is not on loan, so it cannot be returned here. Hand it to an armourer.' };
      if (loan.officerId !== officerId) return { ok: false, kind: 'refused', message: 'That item is on loan to another officer. Hand it to an armourer.' };
      if (intents.assetBusy(assetId)) return { ok: false, kind: 'conflict', message: 'A door is already open for that item.' };
      const asset = records.asset(assetId);
      if (!asset) return { ok: false, kind: 'conflict', message: 'That item is not known here. Hand it to an armourer.' };
      // A weapon goes back to its own door; other kit to the smallest free door that fits it.
      const home = intents.homeDoorOf(assetId, occupiedDoorNumbers);
      if (home && !home.free) return { ok: false, kind: 'conflict', message: `Door ${home.number}, this ${asset.assetTypeName}'s own door, is not free. Hand the item to an armourer.` };
      const free = home ?? intents.freeDoorFor(records.doorFit(asset.assetTypeId), occupiedDoorNumbers);
      if (!free) return { ok: false, kind: 'conflict', message: `Every locker door that can take a ${asset.assetTypeName} is full. Hand the item to an armourer.` };
      const intent = intents.create({ kind: 'return', doorId: free.doorId, assetId, officerId, loanId: loan.id }, { ...asset, doorNumber: free.number });
      audit.append({ actor: `officer:${officerId}`, action: 'return.intent', subject: `asset:${assetId}`, details: { intent: intent.id, door: free.number, loan: loan.id } }, clock.now());
      return { ok: true, intent };
    })
    .immediate();
}

/** Doors whose sensors say they are open or hold something, or read implausibly: never picked for an item going in. */
export function occupiedDoors(ctx: KioskContext): Set<number> {
  const occupied = new Set(ctx.unusableDoors());
  for (const d of ctx.latestDoors()) if (d.itemPresent === true || d.open) occupied.add(d.doorNumber);
  return occupied;
}

export class ReturnJourney implements Journey {
  readonly kind = 'return';
  private readonly machine = new Machine(RETURN_TABLE);
  private condition: ReturnCondition | 'not-recorded' = 'not-recorded';
  private failure: string | null = null;

  constructor(
    private readonly ctx: KioskContext,
    readonly intent: DoorIntent,
  ) {}

  get state() {
    return this.machine.state;
  }

  get finished(): boolean {
    return this.machine.finished;
  }

  screen(): ScreenView {
    const asset = { doorNumber: this.intent.doorNumber, assetTypeName: this.intent.assetTypeName, serial: this.intent.serial };
    return this.machine.state === 'item-in' ? { kind: 'return-condition', ...asset } : { kind: 'return-door-open', ...asset, opened: this.machine.state === 'open' };
  }

  outcome(): SessionScreen {
    const { doorNumber, assetTypeName, serial } = this.intent;
    switch (this.machine.state) {
      case 'returned': {
        const condition = this.condition === 'not-recorded' ? 'ok' : this.condition;
        return { kind: 'return-done', assetTypeName, serial, condition, quarantined: this.condition !== 'ok' };
      }
      case 'not-returned':
        return {
          kind: 'problem',
          title: 'Not returned',
          message: `Door ${doorNumber} closed without the ${assetTypeName} inside. It is still on loan to you: try again, or hand it to an armourer.`,
        };
      case 'door-failed':
        return { kind: 'problem', title: `Door ${doorNumber} did not open`, message: this.failureMessage() };
      default:
        return { kind: 'home', message: null };
    }
  }

  failureMessage(): string {
    return `Door ${this.intent.doorNumber} did not open${this.failure ? ` (${this.failure})` : ''}. Nothing was returned: the item is still on loan to you. Try again, or call an armourer.`;
  }

  /** The officer's condition report: settles loan and asset (quarantine unless OK). */
  recordCondition(condition: ReturnCondition): Result<null> {
    if (this.machine.state !== 'item-in') return fail('wrong-state', 'Put the item in the locker and close the door first.');
    this.condition = condition;
    const change = this.ctx.services.intents.completeReturn(this.intent.id, condition);
    if (change) this.ctx.intentsChanged([change]);
    return OK;
  }

  intentsChanged(changes: readonly IntentChange[]): void {
    for (const change of changes) {
      if (change.intent.id !== this.intent.id) continue;
      if (change.effect === 'door-failed') this.failure = plainDoorFailure(change.intent.outcome);
      if (isReturnEvent(change.effect)) this.machine.fire(change.effect);
    }
  }

  abandon(): void {
    if (this.machine.state === 'item-in') this.ctx.services.intents.abandon(this.intent.id);
    this.machine.fire('abandoned');
  }

  owns(intentId: number): boolean {
    return intentId === this.intent.id;
  }
}

function isReturnEvent(effect: string): effect is ReturnEvent {
  return (RETURN_TABLE.events as readonly string[]).includes(effect);
}

export async function runReturn(ctx: KioskContext, officerId: number, assetId: number): Promise<Result<null>> {
  const blocked = ctx.releaseBlocked();
  if (blocked) return { ok: false, error: blocked };
  const begun = beginReturn(ctx.services, officerId, assetId, occupiedDoors(ctx));
  if (!begun.ok) {
    ctx.show({ kind: 'home', message: begun.message });
    return fail(begun.kind, begun.message);
  }
  const journey = new ReturnJourney(ctx, begun.intent);
  ctx.startJourney(journey);
  const opened = await openIntentDoor(ctx, begun.intent);
  return opened.ok ? OK : fail('device', journey.failureMessage());
}

export function returnModule(ctx: KioskContext): KioskModule {
  return {
    intentKinds: [returnIntentSpec(ctx.services)],
    handlers: {
      startReturn: ({ assetId }, officerId) => runReturn(ctx, signedIn(officerId), assetId),
      recordCondition: ({ condition }) => {
        const journey = ctx.journey();
        return journey instanceof ReturnJourney ? journey.recordCondition(condition) : fail('wrong-state', 'There is no return waiting for a condition.');
      },
    },
    // A tag scanned by a signed-in officer with nothing else under way is a return, as at any real terminal.
    takeScan(code) {
      const officerId = ctx.officerId();
      // These screens take scans for their own work (a stock check, staging, a seal number).
      const screen = ctx.screen()?.kind;
      if (officerId === null || screen === 'console' || screen === 'bookings' || screen === 'exhibit-deposit' || screen === 'exhibits') return false;
      ctx.touch();
      const asset = ctx.services.records.assetByTag(code);
      if (!asset) {
        ctx.show({ kind: 'home', message: `Tag ${code} is not recognised. Hand the item to an armourer.` });
        ctx.changed();
        return true;
      }
      runReturn(ctx, officerId, asset.id).catch((error: unknown) => ctx.log(`return by scan of ${code} failed: ${error instanceof Error ? error.message : String(error)}`));
      return true;
    },
  };
}
