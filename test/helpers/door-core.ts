import type { RefusalReason, ReturnCondition } from '../../preload/contract.ts';
import type { Db } from '../../main/core/db/database.ts';
import { bankIdByName } from '../../main/core/demo-seed.ts';
import type { DoorIntent, IntentChange, VideoStage } from '../../main/core/door-intents.ts';
import { collectionIntentSpec, stageIntentSpec } from '../../main/core/journeys/booking.ts';
import { collectIntentSpec } from '../../main/core/journeys/collect.ts';
import { exhibitIntentSpecs } from '../../main/core/journeys/exhibit.ts';
import { beginDraw, drawIntentSpec, type BeginResult } from '../../main/core/journeys/draw.ts';
import { beginReturn, returnIntentSpec, type BeginReturnResult } from '../../main/core/journeys/return.ts';
import { swapIntentSpecs } from '../../main/core/journeys/swap.ts';
import type { KioskPolicy } from '../../main/core/kiosk-deps.ts';
import type { BookingNotices, Clock, DoorSensors, Scheduler } from '../../main/core/ports.ts';
import { createServices, type CoreServices } from '../../main/core/services.ts';

export const TEST_POLICY: KioskPolicy = {
  idleTimeoutSeconds: 60,
  idleWarningSeconds: 15,
  doneSignOutSeconds: 5,
  expiryWarningDays: 30,
  lockout: { maxFailures: 5, lockoutMinutes: 15 },
  doorOpenConfirmMs: 1500,
  doorLeftOpenSeconds: 120,
  overdueCheckSeconds: 60,
  trainingExpiryHorizonYears: 10,
  overridableRefusals: ['qualification-expired'],
};

const noTimers: Scheduler = {
  after() {
    throw new Error('these door tests set no timers');
  },
  soon() {
    throw new Error('these door tests set no timers');
  },
};

/** The core's door side over one database, with every intent kind registered, as a kiosk has it. */
export interface DoorCore {
  services: CoreServices;
  beginDraw(officerId: number, assetTypeId: number, overrideId?: number): BeginResult;
  beginReturn(officerId: number, assetId: number, occupiedDoorNumbers?: ReadonlySet<number>): BeginReturnResult;
  observe(doors: readonly DoorSensors[]): IntentChange[];
  reconcile(doors: readonly DoorSensors[]): IntentChange[];
  fail(intentId: number, reason: string): IntentChange | undefined;
  completeReturn(intentId: number, condition: ReturnCondition): IntentChange | undefined;
  abandonReturn(intentId: number): IntentChange | undefined;
  intent(id: number): DoorIntent | undefined;
  activeIntents(): DoorIntent[];
}

export function doorCore(
  db: Db,
  clock: Clock,
  options: { overridableRefusals?: RefusalReason['code'][]; scheduler?: Scheduler; bankName?: string; expiryWarningDays?: number; video?: VideoStage; bookingNotices?: BookingNotices } = {},
): DoorCore {
  const bankId = bankIdByName(db, options.bankName ?? 'Locker bank A');
  if (bankId === undefined) throw new Error('no bank');
  const policy = {
    ...TEST_POLICY,
    overridableRefusals: options.overridableRefusals ?? TEST_POLICY.overridableRefusals,
    expiryWarningDays: options.expiryWarningDays ?? TEST_POLICY.expiryWarningDays,
  };
  const services = createServices({ db, clock, scheduler: options.scheduler ?? noTimers, policy, bankId, video: options.video, bookingNotices: options.bookingNotices });
  for (const spec of [drawIntentSpec(services), returnIntentSpec(services), ...swapIntentSpecs(services), collectIntentSpec(services), stageIntentSpec(services), collectionIntentSpec(services), ...exhibitIntentSpecs(services)]) services.intents.register(spec);
  const { intents } = services;
  return {
    services,
    beginDraw: (officerId, assetTypeId, overrideId) => beginDraw(services, officerId, assetTypeId, overrideId),
    beginReturn: (officerId, assetId, occupied = new Set()) => beginReturn(services, officerId, assetId, occupied),
    // These tests read the doors as they are after the unlock frame went out (door-step's job in a kiosk).
    observe: (doors) => {
      for (const intent of intents.activeIntents()) intents.unlockSent(intent.id);
      return intents.observe(doors);
    },
    reconcile: (doors) => intents.reconcile(doors),
    fail: (intentId, reason) => intents.fail(intentId, reason),
    completeReturn: (intentId, condition) => intents.completeReturn(intentId, condition),
    abandonReturn: (intentId) => intents.abandon(intentId),
    intent: (id) => intents.intent(id),
    activeIntents: () => intents.activeIntents(),
  };
}
