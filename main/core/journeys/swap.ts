import type { Result, ScreenView } from '../../../preload/contract.ts';
import { localDate } from '../dates.ts';
import type { DoorIntent, IntentChange, IntentKindSpec } from '../door-intents.ts';
import type { CoreServices } from '../services.ts';
import { defineTable, Machine } from '../state-table.ts';
import { openIntentDoor } from './door-step.ts';
import { fail, OK, plainDoorFailure, signedIn, type Journey, type KioskContext, type KioskModule, type SessionScreen } from './journey.ts';
import { occupiedDoors } from './return.ts';

/**
 * The one-for-one device swap (PCD 977: new devices only in exchange for old ones). A deposit
 * door opens first; the officer scans the old device's tag and puts it in. Only when that
 * door reads closed with the item inside and the tag matched does the new device's door open.
 * A mismatch (a wrong tag, someone else's device, the door shut empty, or an item nobody
 * verified) releases nothing and raises a swap-mismatch exception.
 */
export const SWAP_TABLE = defineTable({
  name: 'swap',
  initial: 'deposit-opening',
  states: ['deposit-opening', 'deposit-open', 'mismatch-open', 'issue-opening', 'issue-open', 'swapped', 'mismatch', 'deposit-failed', 'issue-failed', 'issue-left', 'left'],
  events: ['deposit-opened', 'tag-matched', 'tag-mismatched', 'deposited', 'deposit-refused', 'deposit-failed', 'issue-opened', 'issue-taken', 'issue-left', 'issue-failed', 'abandoned'],
  final: ['swapped', 'mismatch', 'deposit-failed', 'issue-failed', 'issue-left', 'left'],
  transitions: {
    'deposit-opening': {
      'deposit-opened': 'deposit-open',
      'tag-matched': 'deposit-opening',
      'tag-mismatched': 'mismatch-open',
      // The door opened and shut between two polls.
      deposited: 'issue-opening',
      'deposit-refused': 'mismatch',
      'deposit-failed': 'deposit-failed',
      abandoned: 'left',
    },
    'deposit-open': { 'tag-matched': 'deposit-open', 'tag-mismatched': 'mismatch-open', deposited: 'issue-opening', 'deposit-refused': 'mismatch', abandoned: 'left' },
    // A wrong tag: nothing new will be released; the deposit door is still to be shut.
    'mismatch-open': { 'deposit-refused': 'mismatch', 'tag-mismatched': 'mismatch-open', abandoned: 'left' },
    'issue-opening': { 'issue-opened': 'issue-open', 'issue-taken': 'swapped', 'issue-left': 'issue-left', 'issue-failed': 'issue-failed', abandoned: 'left' },
    'issue-open': { 'issue-taken': 'swapped', 'issue-left': 'issue-left', abandoned: 'left' },
  },
});
type SwapState = (typeof SWAP_TABLE.states)[number];

/** One exception per order while it stays unresolved, whatever went wrong how many times. */
function mismatch(services: CoreServices, orderId: number, message: string, details: Record<string, unknown>): void {
  services.exceptions.raise('swap-mismatch', `swap-order:${orderId}`, message, { order: orderId, ...details });
  services.refresh.note(orderId, message);
}

export function swapIntentSpecs(services: CoreServices): IntentKindSpec[] {
  const { ledger, refresh } = services;
  const deposit: IntentKindSpec = {
    kind: 'swap-deposit',
    actions: {
      opened: 'door.opened',
      'item-in': 'swap-deposit.item-in',
      'nothing-in': 'swap-deposit.cancelled',
      settled: 'swap-deposit.completed',
      unsettled: 'swap-deposit.unverified',
      'door-failed': 'swap-deposit.door-failed',
    },
    effects: {
      // In, closed, tag matched: the old device leaves the officer and waits for IT behind its door.
      settled: ({ intent, now }) => {
        if (intent.loanId !== null) ledger.closeLoan(intent.loanId, 'not-recorded', intent.id, now);
        ledger.setAsset(intent.assetId, 'awaiting-sanitisation', intent.doorId);
        if (intent.swapOrderId !== null) {
          refresh.advance(intent.swapOrderId, 'open', 'deposited');
          refresh.note(intent.swapOrderId, `old device in door ${intent.doorNumber}: new device to be issued`);
        }
        return { actor: `officer:${intent.officerId}`, details: { loan: intent.loanId, order: intent.swapOrderId } };
      },
      unsettled: ({ intent }) => {
        if (intent.swapOrderId !== null) {
          mismatch(services, intent.swapOrderId, `Door ${intent.doorNumber} closed with an item whose tag was never matched to ${intent.assetTypeName} ${intent.serial}: nothing was released. IT must open door ${intent.doorNumber} and check it.`, { door: intent.doorNumber });
        }
        return { details: { order: intent.swapOrderId } };
      },
      'nothing-in': ({ intent }) => {
        if (intent.swapOrderId !== null) {
          mismatch(services, intent.swapOrderId, `Door ${intent.doorNumber} closed empty during the swap of ${intent.assetTypeName} ${intent.serial}: nothing was released.`, { door: intent.doorNumber });
        }
        return { details: { order: intent.swapOrderId } };
      },
    },
  };
  const issue: IntentKindSpec = {
    kind: 'swap-issue',
    actions: { opened: 'door.opened', taken: 'swap-issue.completed', 'left-inside': 'swap-issue.cancelled', 'door-failed': 'swap-issue.door-failed' },
    effects: {
      taken: ({ intent, now }) => {
        const { loan, due } = ledger.issue(intent, now);
        if (intent.swapOrderId !== null) {
          refresh.advance(intent.swapOrderId, 'deposited', 'completed');
          refresh.note(intent.swapOrderId, `swapped: ${intent.assetTypeName} ${intent.serial} issued from door ${intent.doorNumber}`);
        }
        return { details: { loan, due, order: intent.swapOrderId } };
      },
      // Still reserved for the order, which stays deposited: the officer collects it next time.
      'left-inside': ({ intent }) => ledger.setAsset(intent.assetId, 'available', intent.doorId),
      'door-failed': ({ intent }) => ledger.setAsset(intent.assetId, 'available', intent.doorId),
    },
  };
  return [deposit, issue];
}

type Begun = { ok: true; intent: DoorIntent } | { ok: false; kind: 'refused' | 'conflict' | 'not-found'; message: string };

/** The order is live, the officer's, in date, and the device it takes in is still on loan to them. */
function liveOrder(services: CoreServices, officerId: number, orderId: number) {
  const order = services.refresh.order(orderId);
  if (!order || order.officerId !== officerId) return { ok: false as const, kind: 'not-found' as const, message: 'There is no such swap waiting for you.' };
  if (order.state !== 'open' && order.state !== 'deposited') return { ok: false as const, kind: 'conflict' as const, message: `That swap is ${order.state}.` };
  if (order.expiresOn < localDate(services.clock.now())) return { ok: false as const, kind: 'conflict' as const, message: 'That swap order has lapsed. Ask IT for a new one.' };
  return { ok: true as const, order };
}

/**
 * Whether the officer may be issued the new device, decided as a draw of its type is, except
 * that the device being handed in does not count against the one-each limit.
 */
function refusal(services: CoreServices, officerId: number, newTypeId: number, handingInSameType: boolean): string | null {
  const verdict = services.eligibility.decide(officerId, newTypeId);
  if (!verdict) return 'That model is not known here.';
  const reasons = verdict.decision.reasons.filter((r) => r.code !== 'none-available' && !(handingInSameType && r.code === 'limit-reached'));
  return reasons.length === 0 ? null : reasons.map((r) => r.message).join('; ');
}

/**
 * Step 1 of the deposit leg, in one transaction: the order, the officer's standing for the new
 * device, a new device held for the order (so another swap cannot take it), and the deposit
 * door's intent.
 */
export function beginDeposit(services: CoreServices, officerId: number, orderId: number, occupied: ReadonlySet<number>): Begun {
  const { db, audit, clock, intents, ledger, records, refresh, bankId } = services;
  return db
    .transaction((): Begun => {
      const live = liveOrder(services, officerId, orderId);
      if (!live.ok) return live;
      const { order } = live;
      if (order.state !== 'open') return { ok: false, kind: 'conflict', message: 'Your old device is already in: collect the new one.' };
      const loan = ledger.openLoanOf(order.oldAssetId);
      const old = records.asset(order.oldAssetId);
      if (!old || loan?.officerId !== officerId) return { ok: false, kind: 'conflict', message: 'The device this swap takes in is no longer on loan to you. Ask IT.' };
      if (intents.assetBusy(old.id)) return { ok: false, kind: 'conflict', message: 'A door is already open for that device.' };
      const refused = refusal(services, officerId, order.newAssetTypeId, old.assetTypeId === order.newAssetTypeId);
      if (refused) return { ok: false, kind: 'refused', message: refused };
      if (order.newAssetId === null) {
        const pick = records.firstAvailableBehindDoor(order.newAssetTypeId, bankId);
        if (!pick) return { ok: false, kind: 'conflict', message: 'No new device of that model is in the lockers yet. Try again later, or ask IT.' };
        refresh.reserve(orderId, pick.assetId);
      } else {
        const reserved = records.asset(order.newAssetId);
        if (reserved?.status !== 'available' || reserved.doorId === null) return { ok: false, kind: 'conflict', message: 'Your new device is not in the lockers yet. Try again later, or ask IT.' };
      }
      const free = intents.freeDoor(occupied);
      if (!free) return { ok: false, kind: 'conflict', message: 'Every locker door is full, so there is nowhere to put the old device. Ask IT.' };
      const intent = intents.create({ kind: 'swap-deposit', doorId: free.doorId, assetId: old.id, officerId, loanId: loan.id, swapOrderId: orderId }, { ...old, doorNumber: free.number });
      audit.append(
        { actor: `officer:${officerId}`, action: 'swap.deposit-intent', subject: `swap-order:${orderId}`, details: { order: orderId, intent: intent.id, door: free.number, asset: old.id } },
        clock.now(),
      );
      return { ok: true, intent };
    })
    .immediate();
}

/** Step 1 of the issue leg, once the old device is in: decided again, then the new device's door. */
export function beginIssue(services: CoreServices, officerId: number, orderId: number): Begun {
  const { db, audit, clock, intents, ledger, records, eligibility } = services;
  return db
    .transaction((): Begun => {
      const live = liveOrder(services, officerId, orderId);
      if (!live.ok) return live;
      const { order } = live;
      if (order.state !== 'deposited' || order.newAssetId === null) return { ok: false, kind: 'conflict', message: 'The old device must be in before the new one is released.' };
      const device = records.asset(order.newAssetId);
      if (!device || device.status !== 'available' || device.doorId === null) return { ok: false, kind: 'conflict', message: 'Your new device is not in the lockers. Ask IT.' };
      if (intents.assetBusy(device.id)) return { ok: false, kind: 'conflict', message: 'A door is already open for your new device.' };
      const refused = refusal(services, officerId, order.newAssetTypeId, false);
      if (refused) return { ok: false, kind: 'refused', message: refused };
      const ruleVersion = eligibility.decide(officerId, order.newAssetTypeId)?.ruleVersion ?? null;
      ledger.setAsset(device.id, 'issuing', device.doorId);
      const intent = intents.create({ kind: 'swap-issue', doorId: device.doorId, assetId: device.id, officerId, ruleVersion, swapOrderId: orderId }, { ...device, doorNumber: device.doorNumber ?? 0 });
      audit.append(
        { actor: `officer:${officerId}`, action: 'swap.issue-intent', subject: `swap-order:${orderId}`, details: { order: orderId, intent: intent.id, door: intent.doorNumber, asset: device.id } },
        clock.now(),
      );
      return { ok: true, intent };
    })
    .immediate();
}

export class SwapJourney implements Journey {
  readonly kind = 'swap';
  private readonly machine = new Machine(SWAP_TABLE);
  private deposit: DoorIntent | null = null;
  private issue: DoorIntent | null = null;
  private tagMatched = false;
  private message: string | null = null;
  private problem: string | null = null;

  constructor(
    private readonly ctx: KioskContext,
    private readonly officerId: number,
    private readonly orderId: number,
    private readonly names: { oldTypeName: string; oldSerial: string; oldTag: string; newTypeName: string },
  ) {}

  get state(): SwapState {
    return this.machine.state;
  }

  get finished(): boolean {
    return this.machine.finished;
  }

  /** Start with the deposit leg, or (the old device already in) straight at the issue leg. */
  async run(deposited: boolean): Promise<Result<null>> {
    if (deposited) {
      this.machine.fire('deposited');
      return this.openIssue();
    }
    const begun = beginDeposit(this.ctx.services, this.officerId, this.orderId, occupiedDoors(this.ctx));
    if (!begun.ok) return fail(begun.kind, begun.message);
    this.deposit = begun.intent;
    this.ctx.startJourney(this);
    const opened = await openIntentDoor(this.ctx, begun.intent);
    return opened.ok ? OK : fail('device', this.problem ?? opened.reason);
  }

  screen(): ScreenView {
    const step = this.machine.state === 'deposit-open' || this.machine.state === 'mismatch-open' ? 'deposit-open' : this.machine.state === 'issue-opening' || this.machine.state === 'issue-open' ? this.machine.state : 'deposit-opening';
    return {
      kind: 'swap',
      step,
      orderId: this.orderId,
      oldTypeName: this.names.oldTypeName,
      oldSerial: this.names.oldSerial,
      newTypeName: this.names.newTypeName,
      newSerial: this.issue?.serial ?? null,
      depositDoor: this.deposit?.doorNumber ?? null,
      issueDoor: this.issue?.doorNumber ?? null,
      // Once the issue leg runs the tag was matched, this visit or (a deposited order) an earlier one.
      tag: this.machine.state === 'mismatch-open' || this.machine.state === 'mismatch' ? 'refused' : this.tagMatched || this.issue !== null ? 'matched' : 'waiting',
      message: this.message,
    };
  }

  outcome(): SessionScreen {
    switch (this.machine.state) {
      case 'swapped':
        return {
          kind: 'swap-done',
          oldTypeName: this.names.oldTypeName,
          oldSerial: this.names.oldSerial,
          newTypeName: this.issue?.assetTypeName ?? this.names.newTypeName,
          newSerial: this.issue?.serial ?? '',
          doorNumber: this.issue?.doorNumber ?? 0,
        };
      case 'issue-left':
        return { kind: 'home', message: `Door ${this.issue?.doorNumber ?? '?'} closed with your new ${this.names.newTypeName} still inside. Your old device is in: press "Collect" on your swap to open the door again.` };
      case 'left':
        return { kind: 'home', message: null };
      default:
        return { kind: 'problem', title: 'Nothing was released', message: this.problem ?? 'The swap did not complete. Ask IT.' };
    }
  }

  /** The old device's tag, scanned at the deposit door. */
  scan(code: string): boolean {
    const deposit = this.deposit;
    if (!deposit || !['deposit-opening', 'deposit-open', 'mismatch-open'].includes(this.machine.state)) return false;
    this.ctx.touch();
    // After a wrong tag the swap is refused whatever is scanned next: IT must look at it.
    if (this.machine.state === 'mismatch-open') return true;
    if (code === this.names.oldTag) {
      this.tagMatched = true;
      this.machine.fire('tag-matched');
      this.message = `Tag matched: put the ${this.names.oldTypeName} in door ${deposit.doorNumber} and close it.`;
      const change = this.ctx.services.intents.verify(deposit.id);
      if (change) this.ctx.intentsChanged([change]);
      return true;
    }
    const scanned = this.ctx.services.records.assetByTag(code);
    const what = scanned ? `${scanned.assetTypeName} ${scanned.serial}` : `an unknown tag (${code})`;
    const text = `Tag ${code} is ${what}, not your ${this.names.oldTypeName} ${this.names.oldSerial}. Nothing new will be released: close door ${deposit.doorNumber} and call IT.`;
    mismatch(this.ctx.services, this.orderId, `Swap at door ${deposit.doorNumber}: ${this.names.oldSerial} was expected, ${what} was scanned. Nothing was released.`, { scanned: code });
    this.tagMatched = false;
    this.ctx.services.intents.unverify(deposit.id);
    this.machine.fire('tag-mismatched');
    this.message = text;
    this.problem = text;
    return true;
  }

  intentsChanged(changes: readonly IntentChange[]): void {
    for (const change of changes) {
      if (change.intent.id === this.deposit?.id) this.depositMoved(change);
      else if (change.intent.id === this.issue?.id) this.issueMoved(change);
    }
  }

  abandon(): void {
    // Walking away with the old device in and unverified: settled (and flagged) at once.
    if (this.deposit && this.ctx.services.intents.intent(this.deposit.id)?.state === 'closed') this.ctx.services.intents.abandon(this.deposit.id);
    this.machine.fire('abandoned');
  }

  owns(intentId: number): boolean {
    return intentId === this.deposit?.id || intentId === this.issue?.id;
  }

  private depositMoved(change: IntentChange): void {
    const doorNumber = change.intent.doorNumber;
    switch (change.effect) {
      case 'opened':
        this.machine.fire('deposit-opened');
        break;
      case 'item-in': {
        // Closed with something inside: released only if its tag matched (verify settles it), else refused.
        const { intents } = this.ctx.services;
        const settled = this.tagMatched && this.machine.state !== 'mismatch-open' ? intents.verify(change.intent.id) : intents.abandon(change.intent.id);
        if (settled) this.depositMoved(settled);
        break;
      }
      case 'settled':
        if (this.machine.fire('deposited')) void this.openIssue();
        break;
      case 'unsettled':
        this.problem ??= `Door ${doorNumber} closed before your ${this.names.oldTypeName}'s tag was scanned, so nothing new was released. IT has been told.`;
        this.machine.fire('deposit-refused');
        break;
      case 'nothing-in':
        this.problem ??= `Door ${doorNumber} closed without your ${this.names.oldTypeName} inside, so nothing new was released. IT has been told.`;
        this.machine.fire('deposit-refused');
        break;
      case 'door-failed':
        this.problem = `Door ${doorNumber} did not open${change.intent.outcome ? ` (${plainDoorFailure(change.intent.outcome)})` : ''}. Nothing was taken in or released. Try again, or ask IT.`;
        this.machine.fire('deposit-failed');
        break;
    }
  }

  private issueMoved(change: IntentChange): void {
    switch (change.effect) {
      case 'opened':
        this.machine.fire('issue-opened');
        break;
      case 'taken':
        this.machine.fire('issue-taken');
        break;
      case 'left-inside':
        this.machine.fire('issue-left');
        break;
      case 'door-failed':
        this.problem = `Your old device is in, but door ${change.intent.doorNumber} did not open for the new one${change.intent.outcome ? ` (${plainDoorFailure(change.intent.outcome)})` : ''}. Try "Collect" on your swap again, or ask IT.`;
        this.machine.fire('issue-failed');
        break;
    }
  }

  /** The deposit is settled (or was already): the new device's door, committed then opened. */
  private async openIssue(): Promise<Result<null>> {
    this.message = null;
    const begun = beginIssue(this.ctx.services, this.officerId, this.orderId);
    if (!begun.ok) {
      this.problem = `Your old device is in, but the new one cannot be released: ${begun.message}`;
      this.machine.fire('issue-failed');
      if (this.ctx.journey() === this) this.ctx.changed();
      return fail(begun.kind, begun.message);
    }
    this.issue = begun.intent;
    if (this.ctx.journey() !== this) this.ctx.startJourney(this);
    else this.ctx.changed();
    const opened = await openIntentDoor(this.ctx, begun.intent);
    return opened.ok ? OK : fail('device', this.problem ?? opened.reason);
  }
}

export function swapModule(ctx: KioskContext): KioskModule {
  return {
    intentKinds: swapIntentSpecs(ctx.services),
    handlers: {
      startSwap: async ({ orderId }, officerId) => {
        const who = signedIn(officerId);
        const blocked = ctx.releaseBlocked();
        if (blocked) return { ok: false, error: blocked };
        const offered = ctx.services.refresh.ordersFor(who).find((o) => o.orderId === orderId);
        const order = ctx.services.refresh.order(orderId);
        const old = order ? ctx.services.records.asset(order.oldAssetId) : undefined;
        if (!offered || !order || !old) return fail('not-found', 'There is no such swap waiting for you.');
        const journey = new SwapJourney(ctx, who, orderId, { oldTypeName: offered.oldTypeName, oldSerial: offered.oldSerial, oldTag: old.tag, newTypeName: offered.newTypeName });
        const result = await journey.run(offered.deposited);
        if (!result.ok && ctx.journey() !== journey) ctx.show({ kind: 'home', message: result.error.message });
        return result;
      },
    },
  };
}
