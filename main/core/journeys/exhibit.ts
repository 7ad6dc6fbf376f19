import { TWO_PERSON_CATEGORIES, type BagType, type Result, type RetrievalPurpose, type ScreenView } from '../../../preload/contract.ts';
import { sizeRank, type SizeClass } from '../door-fit.ts';
import type { DoorIntent, IntentChange, IntentKindSpec } from '../door-intents.ts';
import type { DepositInput } from '../exhibits.ts';
import { repeat } from '../ports.ts';
import type { CoreServices } from '../services.ts';
import { defineTable, Machine } from '../state-table.ts';
import { openIntentDoor } from './door-step.ts';
import { fail, OK, plainDoorFailure, signedIn, type Journey, type KioskContext, type KioskModule, type SessionScreen } from './journey.ts';
import { occupiedDoors } from './return.ts';

/**
 * Exhibits (PCD 1698). Deposit is one way: any officer puts a sealed exhibit into the smallest
 * free door kept for exhibits (or that holds anything) that fits its bag, and cannot open it
 * again. Only the property store retrieves: a second property officer with card and PIN for
 * drugs, cash and firearms, then the seal on the bag is checked against the record before the
 * door opens. A seal that does not match is a hard exception and nothing opens.
 */

/** The smallest door each bag or container needs. */
const BAG_SIZE: Readonly<Record<BagType, SizeClass>> = {
  'small bag': 'S',
  'large bag': 'M',
  box: 'L',
  'firearm box': 'L',
  'biohazard container': 'M',
};

export const EXHIBIT_DOOR_TABLE = defineTable({
  name: 'exhibit-door',
  initial: 'opening',
  states: ['opening', 'open', 'done', 'not-done', 'door-failed'],
  events: ['opened', 'item-in', 'taken', 'nothing-in', 'left-inside', 'door-failed'],
  final: ['done', 'not-done', 'door-failed'],
  transitions: {
    opening: { opened: 'open', 'item-in': 'done', taken: 'done', 'nothing-in': 'not-done', 'left-inside': 'not-done', 'door-failed': 'door-failed' },
    open: { 'item-in': 'done', taken: 'done', 'nothing-in': 'not-done', 'left-inside': 'not-done' },
  },
});
type ExhibitDoorEvent = (typeof EXHIBIT_DOOR_TABLE.events)[number];

export function exhibitIntentSpecs(services: CoreServices): IntentKindSpec[] {
  const { exhibits } = services;
  return [
    {
      kind: 'exhibit-deposit',
      actions: {
        opened: 'door.opened',
        'item-in': 'exhibit-deposit.item-in',
        settled: 'exhibit-deposit.completed',
        unsettled: 'exhibit-deposit.completed',
        'nothing-in': 'exhibit-deposit.cancelled',
        'door-failed': 'exhibit-deposit.door-failed',
      },
      effects: {
        'item-in': ({ intent }) => {
          exhibits.recordStored(exhibits.exhibitOfAsset(intent.assetId), intent.doorId, intent.doorNumber, intent.officerId);
          return { actor: `officer:${intent.officerId}` };
        },
        'nothing-in': ({ intent }) => exhibits.recordNotDeposited(exhibits.exhibitOfAsset(intent.assetId)),
        'door-failed': ({ intent }) => exhibits.recordNotDeposited(exhibits.exhibitOfAsset(intent.assetId)),
      },
    },
    {
      kind: 'exhibit-retrieve',
      actions: { opened: 'door.opened', taken: 'exhibit-retrieve.completed', 'left-inside': 'exhibit-retrieve.cancelled', 'door-failed': 'exhibit-retrieve.door-failed' },
      effects: {
        taken: ({ intent }) => {
          exhibits.recordRetrieved(exhibits.exhibitOfAsset(intent.assetId), intent.officerId, intent.doorNumber);
          return { actor: `officer:${intent.officerId}` };
        },
        // Still behind its door: nothing happened to the exhibit.
        'left-inside': ({ intent }) => exhibits.recordPendingRetrieval(exhibits.exhibitOfAsset(intent.assetId), null, ''),
        'door-failed': ({ intent }) => exhibits.recordPendingRetrieval(exhibits.exhibitOfAsset(intent.assetId), null, ''),
      },
    },
  ];
}

type Begun = { ok: true; intent: DoorIntent } | { ok: false; kind: 'conflict' | 'forbidden'; message: string };

/** Step 1 of a deposit, in one IMMEDIATE transaction: the exhibit's record, its door, and the intent to open it. */
export function beginExhibitDeposit(services: CoreServices, officerId: number, input: DepositInput, occupied: ReadonlySet<number>): Begun {
  const { db, audit, clock, intents, exhibits } = services;
  return db
    .transaction((): Begun => {
      const refusal = exhibits.depositRefusal(officerId, input);
      if (refusal !== null) return { ok: false, kind: 'forbidden', message: refusal };
      const door = intents.freeDoorFor({ sizeRank: sizeRank(BAG_SIZE[input.bagType]), purpose: 'exhibits' }, occupied);
      if (!door) return { ok: false, kind: 'conflict', message: `No exhibit door that takes a ${input.bagType} is free. Hand the exhibit to the property store.` };
      const prepared = exhibits.prepareDeposit(officerId, input);
      if (!prepared.ok) return { ok: false, kind: 'conflict', message: prepared.message };
      const name = `${input.reference} (${input.occurrence})`;
      const intent = intents.create({ kind: 'exhibit-deposit', doorId: door.doorId, assetId: prepared.assetId, officerId }, { doorNumber: door.number, serial: name, tag: `EXHIBIT:${input.occurrence}:${input.reference}`, assetTypeName: 'Exhibit' });
      audit.append(
        {
          actor: `officer:${officerId}`,
          action: 'exhibit.deposit-intent',
          subject: `exhibit:${prepared.exhibitId}`,
          details: { exhibit: prepared.exhibitId, intent: intent.id, door: door.number, reference: input.reference, occurrence: input.occurrence, category: input.category },
        },
        clock.now(),
      );
      return { ok: true, intent };
    })
    .immediate();
}

/** An exhibit's door, open for its deposit or its retrieval. */
class ExhibitDoorJourney implements Journey {
  readonly kind: 'exhibit-deposit' | 'exhibit-retrieve';
  private readonly machine = new Machine(EXHIBIT_DOOR_TABLE);
  private failure: string | null = null;

  constructor(
    private readonly ctx: KioskContext,
    private readonly intent: DoorIntent,
    private readonly exhibit: { reference: string; occurrence: string },
  ) {
    this.kind = intent.kind === 'exhibit-deposit' ? 'exhibit-deposit' : 'exhibit-retrieve';
  }

  get finished(): boolean {
    return this.machine.finished;
  }

  screen(): ScreenView {
    return { kind: 'exhibit-door', doorNumber: this.intent.doorNumber, ...this.exhibit, direction: this.kind === 'exhibit-deposit' ? 'in' : 'out', opened: this.machine.state === 'open' };
  }

  outcome(): SessionScreen {
    const door = this.intent.doorNumber;
    const name = `Exhibit ${this.exhibit.reference} (${this.exhibit.occurrence})`;
    const depositing = this.kind === 'exhibit-deposit';
    const message = {
      opening: '',
      open: '',
      done: depositing ? `${name} is deposited behind door ${door}. Only the property store can open it now.` : `${name} retrieved from door ${door}.`,
      'not-done': depositing ? `Door ${door} closed without the exhibit: nothing was deposited. Keep it with you and try again.` : `Door ${door} closed with the exhibit still inside: nothing was retrieved.`,
      'door-failed': `Door ${door} did not open${this.failure ? ` (${this.failure})` : ''}: nothing was ${depositing ? 'deposited' : 'retrieved'}.`,
    }[this.machine.state];
    return depositing ? { kind: 'home', message } : { kind: 'exhibits', message };
  }

  intentsChanged(changes: readonly IntentChange[]): void {
    for (const change of changes) {
      if (change.intent.id !== this.intent.id) continue;
      if (change.effect === 'door-failed') this.failure = plainDoorFailure(change.intent.outcome);
      if ((EXHIBIT_DOOR_TABLE.events as readonly string[]).includes(change.effect)) this.machine.fire(change.effect as ExhibitDoorEvent);
      // In and shut is the whole deposit: close the intent at once.
      if (change.effect === 'item-in') this.ctx.services.intents.finishIn(this.intent.id, 'exhibit in and door shut');
    }
  }

  abandon(): void {}
}

async function runDeposit(ctx: KioskContext, officerId: number, input: DepositInput): Promise<Result<null>> {
  const blocked = ctx.releaseBlocked();
  if (blocked) return { ok: false, error: blocked };
  const begun = beginExhibitDeposit(ctx.services, officerId, input, occupiedDoors(ctx));
  if (!begun.ok) {
    ctx.show({ kind: 'exhibit-deposit', message: begun.message, scanned: null });
    return fail(begun.kind, begun.message);
  }
  ctx.startJourney(new ExhibitDoorJourney(ctx, begun.intent, { reference: input.reference, occurrence: input.occurrence }));
  const opened = await openIntentDoor(ctx, begun.intent);
  return opened.ok ? OK : fail('device', `Door ${begun.intent.doorNumber} did not open: nothing was deposited.`);
}

export const RETRIEVE_TABLE = defineTable({
  name: 'exhibit-retrieve',
  initial: 'witness-card',
  states: ['witness-card', 'witness-pin', 'seal', 'opening', 'refused', 'cancelled'],
  events: ['card-tapped', 'pin-accepted', 'pin-refused', 'not-allowed', 'locked-out', 'seal-matched', 'seal-mismatched', 'cancelled'],
  final: ['opening', 'refused', 'cancelled'],
  transitions: {
    'witness-card': { 'card-tapped': 'witness-pin', cancelled: 'cancelled' },
    'witness-pin': { 'pin-accepted': 'seal', 'pin-refused': 'witness-pin', 'not-allowed': 'witness-card', 'locked-out': 'cancelled', 'card-tapped': 'witness-pin', cancelled: 'cancelled' },
    seal: { 'seal-matched': 'opening', 'seal-mismatched': 'refused', cancelled: 'cancelled' },
  },
});

/**
 * The checks before an exhibit's door opens for retrieval: the witness (where two are needed)
 * and the seal. Once the seal matches, the door opens through its own journey.
 */
class RetrievalChecks implements Journey {
  readonly kind = 'exhibit-checks';
  private readonly machine: Machine<(typeof RETRIEVE_TABLE.states)[number], (typeof RETRIEVE_TABLE.events)[number]>;
  private witnessCard: string | null = null;
  private witnessId: number | null = null;
  private message: string | null = null;
  private ending = 'Retrieval cancelled: nothing was opened.';

  constructor(
    private readonly ctx: KioskContext,
    private readonly officerId: number,
    private readonly exhibitId: number,
    private readonly purpose: RetrievalPurpose,
    twoPerson: boolean,
  ) {
    this.machine = new Machine(RETRIEVE_TABLE, twoPerson ? 'witness-card' : 'seal');
  }

  get finished(): boolean {
    return this.machine.finished;
  }

  screen(): ScreenView {
    const row = this.ctx.services.exhibits.row(this.exhibitId);
    const step = this.machine.state === 'witness-pin' || this.machine.state === 'seal' ? this.machine.state : 'witness-card';
    const witness = this.witnessId === null ? null : this.ctx.services.records.officer(this.witnessId);
    return {
      kind: 'exhibit-retrieve',
      step,
      reference: row?.reference ?? '',
      occurrence: row?.occurrence ?? '',
      category: row?.category ?? 'other',
      doorNumber: row?.doorNumber ?? 0,
      witness: witness ? `${witness.collarNumber} ${witness.displayName}` : null,
      message: this.message,
    };
  }

  outcome(): SessionScreen {
    return { kind: 'exhibits', message: this.machine.state === 'opening' ? null : this.ending };
  }

  card(uid: string): boolean {
    if (!this.machine.fire('card-tapped')) return false;
    this.witnessCard = uid;
    this.message = null;
    this.ctx.touch();
    this.ctx.changed();
    return true;
  }

  async submitPin(pin: string): Promise<Result<null>> {
    const card = this.witnessCard;
    if (this.machine.state !== 'witness-pin' || card === null) return fail('wrong-state', 'The second property officer taps their card first.');
    const result = await this.ctx.services.auth.signIn(card, pin);
    if (this.ctx.journey() !== this || this.machine.state !== 'witness-pin' || this.witnessCard !== card) return fail('wrong-state', 'The retrieval changed while the PIN was checked.');
    if (!result.ok) {
      this.machine.fire(result.locked ? 'locked-out' : 'pin-refused');
      if (result.locked) this.ending = `Retrieval not witnessed. ${result.message}`;
      else this.message = result.message;
      this.ctx.changed();
      return fail('auth-failed', result.message);
    }
    const refusal =
      result.officerId === this.officerId
        ? 'A second person is needed: another property officer, not the one retrieving.'
        : !this.ctx.services.records.officer(result.officerId)?.roles.includes('property')
          ? 'Only a property officer can witness a retrieval.'
          : null;
    if (refusal) {
      this.machine.fire('not-allowed');
      this.witnessCard = null;
      this.message = refusal;
      this.ctx.changed();
      return fail('forbidden', refusal);
    }
    this.machine.fire('pin-accepted');
    this.witnessId = result.officerId;
    this.message = null;
    this.ctx.changed();
    return OK;
  }

  /** The seal on the bag, read or scanned: a match opens the door, anything else is a hard exception. */
  async checkSeal(seal: string): Promise<Result<null>> {
    if (this.machine.state !== 'seal') return fail('wrong-state', this.machine.state === 'witness-card' || this.machine.state === 'witness-pin' ? 'The second property officer signs in first.' : 'The seal has been checked.');
    const { exhibits } = this.ctx.services;
    const row = exhibits.row(this.exhibitId);
    const seals = row ? (JSON.parse(row.seals) as string[]) : [];
    if (!row || !seals.includes(seal.trim())) {
      exhibits.recordSealMismatch(this.exhibitId, this.officerId, this.witnessId, seal.trim());
      this.machine.fire('seal-mismatched');
      this.ending = `Seal ${seal.trim()} is not the seal on record for exhibit ${row?.reference ?? ''}. The door stayed shut and an exception was raised: do not open it until it is investigated.`;
      this.ctx.changed();
      return fail('refused', this.ending);
    }
    this.machine.fire('seal-matched');
    // These checks end here (the kiosk ends a finished journey on a change); the door's own journey follows.
    this.ctx.changed();
    return runRetrieval(this.ctx, this.officerId, this.exhibitId, this.witnessId, this.purpose);
  }

  /** A seal scanned at the seal step is checked as if typed. */
  scan(code: string): boolean {
    if (this.machine.state !== 'seal') return false;
    this.checkSeal(code).catch((error: unknown) => this.ctx.log(`seal check by scan failed: ${error instanceof Error ? error.message : String(error)}`));
    return true;
  }

  cancel(): void {
    if (this.machine.fire('cancelled')) this.ctx.changed();
  }

  abandon(): void {
    this.machine.fire('cancelled');
  }
}

/** Step 1 of the retrieval proper, once witnessed and its seal matched: the intent for its door. */
export function beginExhibitRetrieval(services: CoreServices, officerId: number, exhibitId: number, witnessId: number | null, purpose: RetrievalPurpose, unusable: ReadonlySet<number>): Begun {
  const { db, audit, clock, intents, exhibits } = services;
  return db
    .transaction((): Begun => {
      const row = exhibits.row(exhibitId);
      if (!row || row.state !== 'stored' || row.doorId === null || row.doorNumber === null) return { ok: false, kind: 'conflict', message: 'That exhibit is not behind a door.' };
      if (row.depositedBy === officerId) return { ok: false, kind: 'forbidden', message: 'Deposit is one way: whoever deposited an exhibit cannot open its door. Another property officer retrieves it.' };
      if (TWO_PERSON_CATEGORIES.includes(row.category) && witnessId === null) return { ok: false, kind: 'forbidden', message: `A ${row.category} exhibit is retrieved by two property officers.` };
      if (unusable.has(row.doorNumber)) return { ok: false, kind: 'conflict', message: `Door ${row.doorNumber} cannot be used right now (it reads open or implausibly). Call an armourer.` };
      if (intents.assetBusy(row.assetId)) return { ok: false, kind: 'conflict', message: 'Its door is already open.' };
      exhibits.recordPendingRetrieval(exhibitId, witnessId, purpose);
      const name = `${row.reference} (${row.occurrence})`;
      const intent = intents.create({ kind: 'exhibit-retrieve', doorId: row.doorId, assetId: row.assetId, officerId }, { doorNumber: row.doorNumber, serial: name, tag: `EXHIBIT:${row.occurrence}:${row.reference}`, assetTypeName: 'Exhibit' });
      audit.append({ actor: `officer:${officerId}`, action: 'exhibit.retrieve-intent', subject: `exhibit:${exhibitId}`, details: { exhibit: exhibitId, intent: intent.id, door: row.doorNumber, witness: witnessId, purpose } }, clock.now());
      return { ok: true, intent };
    })
    .immediate();
}

async function runRetrieval(ctx: KioskContext, officerId: number, exhibitId: number, witnessId: number | null, purpose: RetrievalPurpose): Promise<Result<null>> {
  const blocked = ctx.releaseBlocked();
  if (blocked) return { ok: false, error: blocked };
  const begun = beginExhibitRetrieval(ctx.services, officerId, exhibitId, witnessId, purpose, ctx.unusableDoors());
  if (!begun.ok) {
    ctx.show({ kind: 'exhibits', message: begun.message });
    ctx.changed();
    return fail(begun.kind, begun.message);
  }
  const row = ctx.services.exhibits.row(exhibitId);
  ctx.startJourney(new ExhibitDoorJourney(ctx, begun.intent, { reference: row?.reference ?? '', occurrence: row?.occurrence ?? '' }));
  const opened = await openIntentDoor(ctx, begun.intent);
  return opened.ok ? OK : fail('device', `Door ${begun.intent.doorNumber} did not open: nothing was retrieved.`);
}

/** The exhibits module: the deposit form and its door, the property store's screen, retrieval, reseal, dwell alarms, continuity records. */
export function exhibitsModule(ctx: KioskContext): KioskModule {
  const { services } = ctx;
  let stopSweep: (() => void) | null = null;
  const checks = () => {
    const journey = ctx.journey();
    return journey instanceof RetrievalChecks ? journey : null;
  };
  return {
    intentKinds: exhibitIntentSpecs(services),
    start() {
      stopSweep = repeat(services.scheduler, ctx.policy.overdueCheckSeconds * 1000, () => {
        if (services.exhibits.sweepDwell() > 0) ctx.changed();
      });
      if (services.exhibits.sweepDwell() > 0) ctx.changed();
    },
    stop() {
      stopSweep?.();
    },
    // On the deposit form, a scanned seal or exhibit label goes to the field being filled.
    takeScan(code) {
      if (ctx.officerId() === null || ctx.screen()?.kind !== 'exhibit-deposit' || ctx.journey() !== null) return false;
      ctx.touch();
      ctx.show({ kind: 'exhibit-deposit', message: null, scanned: code });
      ctx.changed();
      return true;
    },
    handlers: {
      openExhibitDeposit: () => {
        ctx.show({ kind: 'exhibit-deposit', message: null, scanned: null });
        return OK;
      },
      depositExhibit: (input, officerId) => runDeposit(ctx, signedIn(officerId), input),
      openExhibits: () => {
        ctx.show({ kind: 'exhibits', message: null });
        return OK;
      },
      getExhibits: ({ query }) => ({ ok: true, value: services.exhibits.list(query) }),
      startExhibitRetrieval: ({ exhibitId, purpose }, officerId) => {
        const me = signedIn(officerId);
        const row = services.exhibits.row(exhibitId);
        if (!row || row.state !== 'stored') return fail('not-found', 'That exhibit is not behind a door.');
        if (row.depositedBy === me) return fail('forbidden', 'Deposit is one way: whoever deposited an exhibit cannot open its door. Another property officer retrieves it.');
        ctx.startJourney(new RetrievalChecks(ctx, me, exhibitId, purpose, TWO_PERSON_CATEGORIES.includes(row.category)));
        ctx.changed();
        return OK;
      },
      submitWitnessPin: ({ pin }) => checks()?.submitPin(pin) ?? fail('wrong-state', 'No retrieval is waiting for a witness.'),
      checkSeal: ({ seal }) => checks()?.checkSeal(seal) ?? fail('wrong-state', 'No retrieval is waiting for its seal.'),
      cancelExhibitRetrieval: () => {
        checks()?.cancel();
        return OK;
      },
      resealExhibit: ({ exhibitId, oldSeal, newSeal, reason }, officerId) => {
        const result = services.exhibits.reseal(signedIn(officerId), exhibitId, oldSeal, newSeal, reason);
        if (!result.ok) return fail(result.kind, result.message);
        ctx.changed();
        return { ok: true, value: result.exhibit };
      },
      exportContinuity: async ({ exhibitId }) => {
        const file = await services.continuity(exhibitId);
        return file ? { ok: true, value: file } : fail('not-found', 'There is no such exhibit.');
      },
    },
  };
}
