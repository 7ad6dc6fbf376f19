import type { Result, ScreenView } from '../../../preload/contract.ts';
import type { DoorIntent, IntentChange, IntentKindSpec } from '../door-intents.ts';
import type { CoreServices } from '../services.ts';
import { defineTable, Machine } from '../state-table.ts';
import { openIntentDoor } from './door-step.ts';
import { fail, OK, plainDoorFailure, signedIn, type Journey, type KioskContext, type KioskModule, type SessionScreen } from './journey.ts';

/**
 * IT collects a device retired by a swap from the door it was deposited in, to sanitise it.
 * Its door opens for the IT role only (the permissions table), with the same commit-first
 * order as any other door.
 */
export const COLLECT_TABLE = defineTable({
  name: 'collect',
  initial: 'opening',
  states: ['opening', 'open', 'collected', 'left-inside', 'door-failed'],
  events: ['opened', 'taken', 'left-inside', 'door-failed'],
  final: ['collected', 'left-inside', 'door-failed'],
  transitions: {
    opening: { opened: 'open', taken: 'collected', 'left-inside': 'left-inside', 'door-failed': 'door-failed' },
    open: { taken: 'collected', 'left-inside': 'left-inside' },
  },
});
type CollectEvent = (typeof COLLECT_TABLE.events)[number];

export function collectIntentSpec(services: CoreServices): IntentKindSpec {
  return {
    kind: 'collect',
    actions: { opened: 'door.opened', taken: 'collect.completed', 'left-inside': 'collect.cancelled', 'door-failed': 'collect.door-failed' },
    effects: {
      // Out of the locker and in IT's hands; still awaiting sanitisation.
      taken: ({ intent }) => {
        services.ledger.setAsset(intent.assetId, 'awaiting-sanitisation', null);
        return { actor: `officer:${intent.officerId}` };
      },
    },
  };
}

type Begun = { ok: true; intent: DoorIntent } | { ok: false; kind: 'not-found' | 'conflict'; message: string };

export function beginCollect(services: CoreServices, officerId: number, assetId: number): Begun {
  const { db, audit, clock, intents, records } = services;
  return db
    .transaction((): Begun => {
      const asset = records.asset(assetId);
      if (!asset) return { ok: false, kind: 'not-found', message: 'There is no such device.' };
      if (asset.status !== 'awaiting-sanitisation' || asset.doorId === null) {
        return { ok: false, kind: 'conflict', message: `${asset.assetTypeName} ${asset.serial} is not waiting behind a door for collection.` };
      }
      if (intents.assetBusy(asset.id)) return { ok: false, kind: 'conflict', message: 'Its door is already open.' };
      const intent = intents.create({ kind: 'collect', doorId: asset.doorId, assetId: asset.id, officerId }, { ...asset, doorNumber: asset.doorNumber ?? 0 });
      audit.append({ actor: `officer:${officerId}`, action: 'collect.intent', subject: `asset:${asset.id}`, details: { intent: intent.id, door: intent.doorNumber, asset: asset.id } }, clock.now());
      return { ok: true, intent };
    })
    .immediate();
}

class CollectJourney implements Journey {
  readonly kind = 'collect';
  private readonly machine = new Machine(COLLECT_TABLE);
  private failure: string | null = null;

  constructor(private readonly intent: DoorIntent) {}

  get finished(): boolean {
    return this.machine.finished;
  }

  screen(): ScreenView {
    const { doorNumber, assetTypeName, serial } = this.intent;
    return { kind: 'collect-door', doorNumber, assetTypeName, serial, opened: this.machine.state === 'open' };
  }

  outcome(): SessionScreen {
    const { doorNumber, assetTypeName, serial } = this.intent;
    const messages: Record<typeof this.machine.state, string> = {
      opening: '',
      open: '',
      collected: `${assetTypeName} ${serial} collected from door ${doorNumber}. Record its sanitisation when it is done.`,
      'left-inside': `Door ${doorNumber} closed with ${assetTypeName} ${serial} still inside: nothing was collected.`,
      'door-failed': this.failureMessage(),
    };
    return { kind: 'device-refresh', message: messages[this.machine.state] };
  }

  failureMessage(): string {
    return `Door ${this.intent.doorNumber} did not open${this.failure ? ` (${this.failure})` : ''}: nothing was collected.`;
  }

  intentsChanged(changes: readonly IntentChange[]): void {
    for (const change of changes) {
      if (change.intent.id !== this.intent.id) continue;
      if (change.effect === 'door-failed') this.failure = plainDoorFailure(change.intent.outcome);
      if ((COLLECT_TABLE.events as readonly string[]).includes(change.effect)) this.machine.fire(change.effect as CollectEvent);
    }
  }

  abandon(): void {}
}

async function runCollect(ctx: KioskContext, officerId: number, assetId: number): Promise<Result<null>> {
  const blocked = ctx.releaseBlocked();
  if (blocked) return { ok: false, error: blocked };
  const begun = beginCollect(ctx.services, officerId, assetId);
  if (!begun.ok) {
    ctx.show({ kind: 'device-refresh', message: begun.message });
    return fail(begun.kind, begun.message);
  }
  const journey = new CollectJourney(begun.intent);
  ctx.startJourney(journey);
  const opened = await openIntentDoor(ctx, begun.intent);
  return opened.ok ? OK : fail('device', journey.failureMessage());
}

export function collectModule(ctx: KioskContext): KioskModule {
  return {
    intentKinds: [collectIntentSpec(ctx.services)],
    handlers: {
      collectRetired: ({ assetId }, officerId) => runCollect(ctx, signedIn(officerId), assetId),
    },
  };
}
