import type { Result, ScreenView } from '../../../preload/contract.ts';
import type { BookingRequest } from '../bookings.ts';
import type { DoorIntent, IntentChange, IntentKindSpec } from '../door-intents.ts';
import type { AssetRecord } from '../records.ts';
import { repeat } from '../ports.ts';
import type { CoreServices } from '../services.ts';
import { defineTable, Machine } from '../state-table.ts';
import { openIntentDoor } from './door-step.ts';
import { drawThroughDoor } from './draw.ts';
import { fail, OK, plainDoorFailure, signedIn, type Journey, type KioskContext, type KioskModule, type SessionScreen } from './journey.ts';
import { occupiedDoors } from './return.ts';

/**
 * Booked kit (PCD 1698). Stores stage a booking: an item already in a locker is held where it
 * is; one from the store goes into the smallest free door that fits it, which the terminal
 * opens for them (a `stage` intent). The officer collects it at any hour with card and PIN: the
 * competency gate is decided again, as for a draw, and the door opens (a `booking-collect`
 * intent, shown as a draw). Both doors keep the commit-first order of every other door.
 */
export const STAGE_TABLE = defineTable({
  name: 'stage',
  initial: 'opening',
  states: ['opening', 'open', 'staged', 'not-staged', 'door-failed'],
  events: ['opened', 'item-in', 'nothing-in', 'door-failed'],
  final: ['staged', 'not-staged', 'door-failed'],
  transitions: {
    opening: { opened: 'open', 'item-in': 'staged', 'nothing-in': 'not-staged', 'door-failed': 'door-failed' },
    open: { 'item-in': 'staged', 'nothing-in': 'not-staged' },
  },
});
type StageEvent = (typeof STAGE_TABLE.events)[number];

function bookingOf(intent: DoorIntent): number {
  if (intent.bookingId === null) throw new Error(`${intent.kind} intent ${intent.id} names no booking`);
  return intent.bookingId;
}

export function stageIntentSpec(services: CoreServices): IntentKindSpec {
  return {
    kind: 'stage',
    actions: { opened: 'door.opened', 'item-in': 'stage.item-in', settled: 'stage.completed', unsettled: 'stage.completed', 'nothing-in': 'stage.cancelled', 'door-failed': 'stage.door-failed' },
    effects: {
      // The item is in and the door shut: from now on it is held for the booking's officer.
      'item-in': ({ intent }) => {
        services.bookings.markStaged(bookingOf(intent), intent.assetId, intent.doorId, `officer:${intent.officerId}`, intent.doorNumber);
        return { actor: `officer:${intent.officerId}` };
      },
    },
  };
}

export function collectionIntentSpec(services: CoreServices): IntentKindSpec {
  const { ledger, bookings } = services;
  return {
    kind: 'booking-collect',
    actions: { opened: 'door.opened', taken: 'booking-collect.completed', 'left-inside': 'booking-collect.cancelled', 'door-failed': 'booking-collect.door-failed' },
    effects: {
      taken: ({ intent, now }) => {
        const details = ledger.issue(intent, now);
        bookings.markCollected(bookingOf(intent));
        return { details };
      },
      // Still held for them behind its door.
      'left-inside': ({ intent }) => ledger.setAsset(intent.assetId, 'reserved', intent.doorId),
      'door-failed': ({ intent }) => ledger.setAsset(intent.assetId, 'reserved', intent.doorId),
    },
  };
}

type Staged = { ok: true; intent: DoorIntent | null; message: string } | { ok: false; kind: 'not-found' | 'conflict'; message: string };

/**
 * Step 1 of staging, in one IMMEDIATE transaction: the booking must still be waiting; the item
 * is the one it names, else the one stores say they are loading, else one already free in a
 * locker. An item in a locker is held where it is (no door opens); one from the store gets the
 * smallest free door that fits it, and the intent to open it.
 */
export function beginStage(services: CoreServices, stagerId: number, bookingId: number, item: string | null, occupied: ReadonlySet<number>): Staged {
  try {
    return stageInTransaction(services, stagerId, bookingId, item, occupied);
  } catch (error) {
    if (error instanceof StageRefused) return { ok: false, kind: 'conflict', message: error.message };
    throw error;
  }
}

function stageInTransaction(services: CoreServices, stagerId: number, bookingId: number, item: string | null, occupied: ReadonlySet<number>): Staged {
  const { db, intents, records, bookings, bankId } = services;
  return db
    .transaction((): Staged => {
      const booking = bookings.row(bookingId);
      if (!booking) return { ok: false, kind: 'not-found', message: 'There is no such booking.' };
      if (booking.state !== 'booked') return { ok: false, kind: 'conflict', message: `Booking ${booking.reference} is ${booking.state}, not waiting to be staged.` };
      const type = records.assetType(booking.assetTypeId);
      const typeName = type?.name ?? 'item';
      // Pooled stock: its units come from the store as one pack, which then goes in a door like any item.
      if (booking.assetId === null && services.pool.levels().some((l) => l.assetTypeId === booking.assetTypeId)) {
        const pack = services.pool.takePack(`officer:${stagerId}`, booking.assetTypeId, booking.quantity, booking.id);
        if (!pack) return { ok: false, kind: 'conflict', message: `Only ${services.pool.inStore(booking.assetTypeId)} ${typeName} in the store: booking ${booking.reference} needs ${booking.quantity}. Receive more stock first.` };
        if (!bookings.chooseAsset(booking.id, pack.assetId)) throw new Error(`booking ${booking.id} changed inside its own transaction`);
        const packAsset = records.asset(pack.assetId);
        if (!packAsset) throw new Error(`pack ${pack.assetId} vanished inside its own transaction`);
        return stageThroughDoor(services, stagerId, booking.id, packAsset, occupied);
      }
      let asset = booking.assetId === null ? undefined : records.asset(booking.assetId);
      if (booking.assetId !== null && item !== null) {
        const named = records.assetBySerialOrTag(item);
        if (named?.id !== booking.assetId) return { ok: false, kind: 'conflict', message: `Booking ${booking.reference} is for ${asset?.assetTypeName ?? typeName} ${asset?.serial ?? ''}, not ${item}.` };
      }
      if (asset === undefined && item !== null) {
        asset = records.assetBySerialOrTag(item);
        if (!asset) return { ok: false, kind: 'not-found', message: `No item has serial or tag ${item}.` };
        if (asset.assetTypeId !== booking.assetTypeId) return { ok: false, kind: 'conflict', message: `${asset.assetTypeName} ${asset.serial} is not a ${typeName}.` };
      }
      if (asset === undefined) {
        const free = records.firstAvailableBehindDoor(booking.assetTypeId, bankId, occupied);
        asset = free && records.asset(free.assetId);
        if (!asset) return { ok: false, kind: 'conflict', message: `No ${typeName} is free in the lockers: enter or scan the serial of the one you are loading.` };
      }
      if (asset.status !== 'available') return { ok: false, kind: 'conflict', message: `${asset.assetTypeName} ${asset.serial} is ${asset.status.replace(/-/g, ' ')}, so it cannot be staged.` };
      if (intents.assetBusy(asset.id)) return { ok: false, kind: 'conflict', message: 'A door is already open for that item.' };
      if (booking.assetId === null && !bookings.chooseAsset(booking.id, asset.id)) throw new Error(`booking ${booking.id} changed inside its own transaction`);
      if (asset.doorId !== null && asset.doorNumber !== null) {
        bookings.markStaged(booking.id, asset.id, asset.doorId, `officer:${stagerId}`, asset.doorNumber);
        return { ok: true, intent: null, message: `${asset.assetTypeName} ${asset.serial} is staged where it is, behind door ${asset.doorNumber}: the door is held for the officer.` };
      }
      return stageThroughDoor(services, stagerId, booking.id, asset, occupied);
    })
    .immediate();
}

/** Inside the staging's transaction: the smallest free door that fits the item, and the intent to open it for loading. */
function stageThroughDoor(services: CoreServices, stagerId: number, bookingId: number, asset: AssetRecord, occupied: ReadonlySet<number>): Staged {
  const { audit, clock, intents, records } = services;
  const door = intents.freeDoorFor(records.doorFit(asset.assetTypeId), occupied);
  // Nothing is written for a refusal: the transaction this runs in rolls back with the error.
  if (!door) throw new StageRefused(`Every locker door that can take a ${asset.assetTypeName} is full.`);
  const intent = intents.create({ kind: 'stage', doorId: door.doorId, assetId: asset.id, officerId: stagerId, bookingId }, { ...asset, doorNumber: door.number });
  audit.append({ actor: `officer:${stagerId}`, action: 'stage.intent', subject: `booking:${bookingId}`, details: { booking: bookingId, intent: intent.id, door: door.number, asset: asset.id } }, clock.now());
  return { ok: true, intent, message: '' };
}

/** A staging refused after something was written in its transaction (a pack taken from the store): thrown, so it rolls back. */
class StageRefused extends Error {}

/** Stores at the open door, loading the booked item. */
class StageJourney implements Journey {
  readonly kind = 'stage';
  private readonly machine = new Machine(STAGE_TABLE);
  private failure: string | null = null;

  constructor(
    private readonly ctx: KioskContext,
    private readonly intent: DoorIntent,
    private readonly booking: { reference: string; officer: string },
  ) {}

  get finished(): boolean {
    return this.machine.finished;
  }

  screen(): ScreenView {
    const { doorNumber, assetTypeName, serial } = this.intent;
    return { kind: 'stage-door', doorNumber, assetTypeName, serial, reference: this.booking.reference, officer: this.booking.officer, opened: this.machine.state === 'open' };
  }

  outcome(): SessionScreen {
    const { doorNumber, assetTypeName, serial } = this.intent;
    const messages: Record<typeof this.machine.state, string> = {
      opening: '',
      open: '',
      staged: `${assetTypeName} ${serial} is in door ${doorNumber}, held for ${this.booking.officer} (booking ${this.booking.reference}).`,
      'not-staged': `Door ${doorNumber} closed without the ${assetTypeName}: nothing was staged.`,
      'door-failed': `Door ${doorNumber} did not open${this.failure ? ` (${this.failure})` : ''}: nothing was staged.`,
    };
    return { kind: 'bookings', message: messages[this.machine.state] };
  }

  intentsChanged(changes: readonly IntentChange[]): void {
    for (const change of changes) {
      if (change.intent.id !== this.intent.id) continue;
      if (change.effect === 'door-failed') this.failure = plainDoorFailure(change.intent.outcome);
      if ((STAGE_TABLE.events as readonly string[]).includes(change.effect)) this.machine.fire(change.effect as StageEvent);
      // In and shut is all there is to staging: close the intent at once.
      if (change.effect === 'item-in') this.ctx.services.intents.finishIn(this.intent.id, 'loaded: held for the booking');
    }
  }

  abandon(): void {}
}

async function runStage(ctx: KioskContext, stagerId: number, bookingId: number, item: string | null): Promise<Result<null>> {
  const blocked = ctx.releaseBlocked();
  if (blocked) return { ok: false, error: blocked };
  const begun = beginStage(ctx.services, stagerId, bookingId, item, occupiedDoors(ctx));
  if (!begun.ok) {
    ctx.show({ kind: 'bookings', message: begun.message });
    return fail(begun.kind, begun.message);
  }
  if (begun.intent === null) {
    ctx.show({ kind: 'bookings', message: begun.message });
    ctx.changed();
    return OK;
  }
  const booking = ctx.services.bookings.view().bookings.find((b) => b.id === bookingId);
  const journey = new StageJourney(ctx, begun.intent, { reference: booking?.reference ?? String(bookingId), officer: booking?.officer ?? 'its officer' });
  ctx.startJourney(journey);
  const opened = await openIntentDoor(ctx, begun.intent);
  return opened.ok ? OK : fail('device', `Door ${begun.intent.doorNumber} did not open: nothing was staged.`);
}

export type CollectionBegun = { ok: true; intent: DoorIntent } | { ok: false; kind: 'not-found' | 'refused' | 'conflict'; message: string };

/**
 * Step 1 of a collection, in one IMMEDIATE transaction: the booking is this officer's, staged,
 * and inside its window; the competency gate is decided again now (the same rule as a draw, a
 * radio may need nothing); then the intent for its door.
 */
export function beginCollection(services: CoreServices, officerId: number, bookingId: number, unusableDoors: ReadonlySet<number>): CollectionBegun {
  const { db, audit, clock, intents, records, bookings, eligibility, ledger } = services;
  return db
    .transaction((): CollectionBegun => {
      const booking = bookings.row(bookingId);
      // One answer for "no such booking" and "someone else's": nothing to learn by guessing ids.
      if (!booking || booking.officerId !== officerId) return { ok: false, kind: 'not-found', message: 'That booking is not yours. Ask stores.' };
      if (booking.state !== 'staged' || booking.assetId === null || booking.doorId === null) {
        return { ok: false, kind: 'conflict', message: booking.state === 'booked' ? 'Stores have not put it in a locker yet.' : `That booking is ${booking.state}.` };
      }
      const now = clock.now();
      if (now.toISOString() < booking.readyFrom) return { ok: false, kind: 'refused', message: `It is ready for you from ${new Date(booking.readyFrom).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}.` };
      if (now.toISOString() >= booking.deadline) return { ok: false, kind: 'refused', message: 'That booking has passed its deadline. Ask stores.' };
      const asset = records.asset(booking.assetId);
      if (!asset || asset.status !== 'reserved' || asset.doorId !== booking.doorId || asset.doorNumber === null) {
        return { ok: false, kind: 'conflict', message: 'The booked item is not behind its door. Ask stores.' };
      }
      if (unusableDoors.has(asset.doorNumber)) return { ok: false, kind: 'conflict', message: `Door ${asset.doorNumber} cannot be used right now (it reads open or implausibly). Call an armourer.` };
      // The same decision as a draw, with the booked item as the one available.
      const verdict = eligibility.decide(officerId, booking.assetTypeId, { availableCount: 1 });
      if (!verdict) return { ok: false, kind: 'not-found', message: 'That kind of equipment is not known here.' };
      if (verdict.decision.reasons.length > 0) {
        const reasons = verdict.decision.reasons.map((r) => ({ code: r.code, message: r.message }));
        audit.append({ actor: `officer:${officerId}`, action: 'booking.collect-refused', subject: `booking:${booking.id}`, details: { booking: booking.id, reasons, ruleVersion: verdict.ruleVersion } }, now);
        return { ok: false, kind: 'refused', message: reasons.map((r) => r.message).join('; ') };
      }
      ledger.setAsset(asset.id, 'issuing', asset.doorId);
      const intent = intents.create(
        { kind: 'booking-collect', doorId: asset.doorId, assetId: asset.id, officerId, ruleVersion: verdict.ruleVersion, bookingId: booking.id },
        { ...asset, doorNumber: asset.doorNumber },
      );
      audit.append({ actor: `officer:${officerId}`, action: 'booking-collect.intent', subject: `asset:${asset.id}`, details: { booking: booking.id, intent: intent.id, door: intent.doorNumber, ruleVersion: verdict.ruleVersion } }, now);
      return { ok: true, intent };
    })
    .immediate();
}

/** At the door a collection is a draw like any other: take it, close the door. */
function runCollection(ctx: KioskContext, officerId: number, bookingId: number): Promise<Result<null>> {
  return drawThroughDoor(ctx, () => beginCollection(ctx.services, officerId, bookingId, ctx.unusableDoors()));
}

const HOUR_MS = 3_600_000;

/** Bookings: the stores screen, staging, collection, and the expiry sweep on the terminal's schedule. */
export function bookingsModule(ctx: KioskContext): KioskModule {
  const { services } = ctx;
  let stopSweep: (() => void) | null = null;
  const sweep = () => {
    if (services.bookings.sweep() > 0) ctx.changed();
  };
  const answer = (result: ReturnType<typeof services.bookings.create>) => {
    if (!result.ok) return fail<never>(result.kind, result.message);
    ctx.changed();
    return { ok: true as const, value: result.booking };
  };
  return {
    intentKinds: [stageIntentSpec(services), collectionIntentSpec(services)],
    start() {
      stopSweep = repeat(services.scheduler, ctx.policy.overdueCheckSeconds * 1000, sweep);
      sweep();
    },
    stop() {
      stopSweep?.();
    },
    // On the bookings screen, scanning an item stages the first waiting booking it answers: the
    // one naming it, else the most urgent booking of any item of its kind.
    takeScan(code) {
      const officerId = ctx.officerId();
      if (officerId === null || ctx.screen()?.kind !== 'bookings' || ctx.journey() !== null) return false;
      ctx.touch();
      const asset = services.records.assetByTag(code);
      const waiting = services.bookings.view().bookings.filter((b) => b.state === 'booked');
      const booking = asset && (waiting.find((b) => b.serial === asset.serial) ?? waiting.find((b) => b.serial === null && b.assetTypeId === asset.assetTypeId));
      if (!asset || !booking) {
        ctx.show({ kind: 'bookings', message: asset ? `No booking is waiting for ${asset.assetTypeName} ${asset.serial}.` : `Tag ${code} is not recognised.` });
        ctx.changed();
        return true;
      }
      runStage(ctx, officerId, booking.id, asset.serial).catch((error: unknown) => ctx.log(`staging by scan of ${code} failed: ${error instanceof Error ? error.message : String(error)}`));
      return true;
    },
    handlers: {
      openBookings: () => {
        ctx.show({ kind: 'bookings', message: null });
        return OK;
      },
      getBookings: () => ({ ok: true, value: { ...services.bookings.view(), pools: services.pool.levels() } }),
      receiveStock: ({ assetTypeId, quantity, note }, officerId) => {
        const result = services.pool.receive(signedIn(officerId), assetTypeId, quantity, note);
        if (!result.ok) return fail(result.kind, result.message);
        ctx.changed();
        return { ok: true, value: result.level };
      },
      countStock: ({ assetTypeId, counted, reason }, officerId) => {
        const result = services.pool.count(signedIn(officerId), assetTypeId, counted, reason);
        if (!result.ok) return fail(result.kind, result.message);
        ctx.changed();
        return { ok: true, value: result.level };
      },
      createBooking: (input, officerId) => {
        const readyFrom = new Date(services.clock.now().getTime() + input.readyInHours * HOUR_MS);
        const request: BookingRequest = {
          officer: input.officer,
          onBehalfOf: input.onBehalfOf,
          item: input.item,
          assetType: input.assetTypeId === null ? null : { id: input.assetTypeId },
          priority: input.priority,
          readyFrom,
          deadline: new Date(readyFrom.getTime() + input.collectWithinHours * HOUR_MS),
          reference: input.reference,
          quantity: input.quantity ?? 1,
        };
        return answer(services.bookings.create({ officerId: signedIn(officerId) }, request));
      },
      cancelBooking: ({ bookingId, reason }, officerId) => answer(services.bookings.cancel({ officerId: signedIn(officerId) }, bookingId, reason)),
      stageBooking: ({ bookingId, item }, officerId) => runStage(ctx, signedIn(officerId), bookingId, item),
      startCollection: ({ bookingId }, officerId) => runCollection(ctx, signedIn(officerId), bookingId),
    },
  };
}
