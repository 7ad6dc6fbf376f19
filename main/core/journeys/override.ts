import type { Result, ScreenView } from '../../../preload/contract.ts';
import { defineTable, Machine } from '../state-table.ts';
import { runDraw } from './draw.ts';
import { fail, OK, signedIn, type Journey, type KioskContext, type KioskModule, type SessionScreen } from './journey.ts';

/**
 * An armourer overrides a refused draw at the same terminal: a second person taps their card
 * and enters their PIN, then gives a reason code and a note. The override covers that one
 * draw, which starts as soon as it is recorded.
 */
export const OVERRIDE_TABLE = defineTable({
  name: 'override',
  initial: 'armourer-card',
  states: ['armourer-card', 'armourer-pin', 'reason', 'granted', 'cancelled'],
  events: ['card-tapped', 'pin-accepted', 'pin-refused', 'not-allowed', 'locked-out', 'confirmed', 'cancelled'],
  final: ['granted', 'cancelled'],
  transitions: {
    'armourer-card': { 'card-tapped': 'armourer-pin', cancelled: 'cancelled' },
    // A PIN that signs in someone who may not override (the officer themself, a non-armourer) goes back to the card.
    'armourer-pin': { 'pin-accepted': 'reason', 'pin-refused': 'armourer-pin', 'not-allowed': 'armourer-card', 'locked-out': 'cancelled', 'card-tapped': 'armourer-pin', cancelled: 'cancelled' },
    reason: { confirmed: 'granted', cancelled: 'cancelled' },
  },
});

export class OverrideJourney implements Journey {
  readonly kind = 'override';
  private readonly machine = new Machine(OVERRIDE_TABLE);
  private armourerCard: string | null = null;
  private armourerId: number | null = null;
  private message: string | null = null;
  private ending: string | null = 'Override cancelled: nothing was issued.';

  constructor(
    private readonly ctx: KioskContext,
    private readonly officerId: number,
    private readonly assetTypeId: number,
  ) {}

  get state() {
    return this.machine.state;
  }

  get finished(): boolean {
    return this.machine.finished;
  }

  screen(): ScreenView {
    const option = this.ctx.services.eligibility.drawOptions(this.officerId).find((o) => o.assetTypeId === this.assetTypeId);
    const step = this.machine.state === 'armourer-pin' || this.machine.state === 'reason' ? this.machine.state : 'armourer-card';
    return {
      kind: 'override',
      step,
      assetTypeName: option?.name ?? 'item',
      refusals: option?.reasons ?? [],
      reasonCodes: this.ctx.services.records.overrideReasons(),
      message: this.message,
    };
  }

  outcome(): SessionScreen {
    return { kind: 'home', message: this.machine.state === 'granted' ? null : this.ending };
  }

  /** The armourer's card: the next PIN is theirs. */
  card(uid: string): boolean {
    if (!this.machine.fire('card-tapped')) return false;
    this.armourerCard = uid;
    this.message = null;
    this.ctx.touch();
    this.ctx.changed();
    return true;
  }

  async submitPin(pin: string): Promise<Result<null>> {
    const card = this.armourerCard;
    if (this.machine.state !== 'armourer-pin' || card === null) return fail('wrong-state', 'The armourer taps their card first.');
    const result = await this.ctx.services.auth.signIn(card, pin);
    // The PIN took tens of milliseconds to check: the override may have been cancelled meanwhile.
    if (this.ctx.journey() !== this || this.machine.state !== 'armourer-pin' || this.armourerCard !== card) {
      return fail('wrong-state', 'The override changed while the PIN was checked.');
    }
    if (!result.ok) {
      if (result.locked) {
        this.machine.fire('locked-out');
        this.ending = `Override not authorised. ${result.message}`;
      } else {
        this.machine.fire('pin-refused');
        this.message = result.message;
      }
      this.ctx.changed();
      return fail('auth-failed', result.message);
    }
    const refusal =
      result.officerId === this.officerId
        ? 'An override needs a second person: an armourer who is not the one drawing.'
        : !this.ctx.services.records.officer(result.officerId)?.roles.includes('armourer')
          ? 'Only an armourer can authorise an override.'
          : null;
    if (refusal) {
      this.machine.fire('not-allowed');
      this.armourerCard = null;
      this.message = refusal;
      this.ctx.changed();
      return fail('forbidden', refusal);
    }
    this.machine.fire('pin-accepted');
    this.armourerId = result.officerId;
    this.message = null;
    this.ctx.changed();
    return OK;
  }

  /** Record the override (with its exception and audit row), then draw under it: one override, one draw. */
  async confirm(reasonCode: string, note: string): Promise<Result<null>> {
    const armourerId = this.armourerId;
    if (this.machine.state !== 'reason' || armourerId === null) return fail('wrong-state', 'An armourer must authenticate before the override is recorded.');
    const reason = this.ctx.services.records.overrideReasons().find((r) => r.code === reasonCode);
    if (!reason) return fail('invalid-request', `"${reasonCode}" is not a reason code in use here.`);
    const blocked = this.ctx.releaseBlocked();
    if (blocked) return { ok: false, error: blocked };
    const recorded = this.record(armourerId, reason, note);
    if (recorded === null) return fail('not-found', 'That kind of equipment is not known here.');
    this.machine.fire('confirmed');
    this.ctx.changed();
    return runDraw(this.ctx, this.officerId, this.assetTypeId, recorded);
  }

  cancel(): Result<null> {
    this.machine.fire('cancelled');
    this.ctx.changed();
    return OK;
  }

  abandon(): void {
    this.machine.fire('cancelled');
  }

  private record(armourerId: number, reason: { code: string; label: string }, note: string): number | null {
    const { db, audit, clock, eligibility, exceptions, records } = this.ctx.services;
    const verdict = eligibility.decide(this.officerId, this.assetTypeId);
    if (!verdict) return null;
    const officer = records.officer(this.officerId);
    const armourer = records.officer(armourerId);
    const refusals = verdict.decision.reasons;
    return db
      .transaction(() => {
        const now = clock.now();
        const id = records.insertOverride({ officerId: this.officerId, armourerId, assetTypeId: this.assetTypeId, reasonCode: reason.code, note, refusal: JSON.stringify(refusals), ruleVersion: verdict.ruleVersion, at: now });
        audit.append(
          {
            actor: `officer:${armourerId}`,
            action: 'override.granted',
            subject: `officer:${this.officerId}`,
            details: { override: id, assetType: verdict.type.name, reasonCode: reason.code, note, refusals: refusals.map((r) => r.code) },
          },
          now,
        );
        exceptions.raise(
          'override-used',
          `override:${id}`,
          `${armourer?.collarNumber ?? 'An armourer'} overrode "${refusals.map((r) => r.message).join('; ')}" for ${officer?.collarNumber ?? 'an officer'} to draw a ${verdict.type.name} (${reason.label}): ${note}`,
          { override: id, armourer: armourerId, officer: this.officerId, reasonCode: reason.code },
        );
        return id;
      })
      .immediate();
  }
}

export function overrideModule(ctx: KioskContext): KioskModule {
  const current = (): OverrideJourney | null => {
    const journey = ctx.journey();
    return journey instanceof OverrideJourney ? journey : null;
  };
  return {
    handlers: {
      requestOverride: ({ assetTypeId }, officerId) => {
        const option = ctx.services.eligibility.drawOptions(signedIn(officerId)).find((o) => o.assetTypeId === assetTypeId);
        if (!option) return fail('not-found', 'That kind of equipment is not known here.');
        if (option.allowed) return fail('conflict', `You may draw a ${option.name} without an override.`);
        if (!option.overridable) return fail('refused', `This refusal cannot be overridden: ${option.reasons.map((r) => r.message).join('; ')}.`);
        ctx.startJourney(new OverrideJourney(ctx, signedIn(officerId), assetTypeId));
        return OK;
      },
      submitOverridePin: ({ pin }) => current()?.submitPin(pin) ?? fail('wrong-state', 'No override is under way.'),
      confirmOverride: ({ reasonCode, note }) => current()?.confirm(reasonCode, note) ?? fail('wrong-state', 'No override is under way.'),
      cancelOverride: () => current()?.cancel() ?? OK,
    },
  };
}
