import type { QualificationView, RefusalReason, Role, RuleView } from '../../preload/contract.ts';
import { addDays, daysBetween, humanDate } from './dates.ts';

export type OfficerStatus = 'active' | 'suspended' | 'restricted';

export interface HeldQualification {
  code: string;
  name: string;
  awardedOn: string; // yyyy-mm-dd
  /** The last valid day (yyyy-mm-dd) as validity.ts worked it out when the record was written; null: does not expire. */
  validUntil: string | null;
}

export interface DrawDecisionInput {
  officerStatus: OfficerStatus;
  officerRoles: readonly Role[];
  officerUnit: string | null;
  assetTypeName: string;
  /** The release rule in force for the type. */
  rule: RuleView;
  /** Names of the rule's qualifications, for those the officer does not hold (falls back to the code). */
  qualificationNames: ReadonlyMap<string, string>;
  /** The officer's records by code; only the rule's codes are looked up. */
  held: ReadonlyMap<string, DecidingRecord>;
  holdingOfType: number;
  maxPerOfficer: number;
  availableCount: number;
  today: string; // yyyy-mm-dd, terminal's local date
  /** Whether the type is a weapon (a firearm or a Taser): stale reference data stops only these. */
  weapon: boolean;
  /**
   * Null while the terminal's reference data is fresh enough (or the terminal stands alone);
   * otherwise how stale it is, in words ("were last brought up to date 26 hours ago").
   */
  referenceStale: string | null;
}

/** Categories of asset type that are weapons, for the stale-reference rule. */
export const WEAPON_CATEGORIES: ReadonlySet<string> = new Set(['firearm', 'taser']);

/** What a decision reads of a held record: its name (for the wording) and its last valid day. */
export type DecidingRecord = Pick<HeldQualification, 'name' | 'validUntil'>;

export type DrawDecision = { allowed: true; reasons: [] } | { allowed: false; reasons: RefusalReason[] };

const ARMOURER = 'If you must deploy now, tell an armourer: they can check your record and, where policy allows, override.';
const ROLE_NAMES: Record<Role, string> = { officer: 'officer', armourer: 'armourer', admin: 'site admin', it: 'IT', stores: 'stores', property: 'property store' };

type Standing = { state: 'missing' } | { state: 'valid' } | { state: 'grace'; expired: string } | { state: 'expired'; expired: string };

/** The last day a record still counts under a rule's grace period (graceDays >= 0); null: it never expires. */
function countsThrough(held: DecidingRecord, graceDays: number): string | null {
  // No grace (the usual rule) is the stored day itself: no date arithmetic per record.
  if (held.validUntil === null || graceDays === 0) return held.validUntil;
  return addDays(held.validUntil, graceDays);
}

/** Where a qualification stands today under a rule's grace period. */
function standing(held: DecidingRecord | undefined, today: string, graceDays: number): Standing {
  if (!held) return { state: 'missing' };
  const last = held.validUntil;
  if (last === null || today <= last) return { state: 'valid' };
  const end = countsThrough(held, graceDays);
  return end !== null && today <= end ? { state: 'grace', expired: last } : { state: 'expired', expired: last };
}

/** The earlier of two last days, null being no end. */
function earlier(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a <= b ? a : b;
}

/**
 * The last day on which the rule's qualification checks pass on these records: null when
 * they pass with no end, undefined when they never pass (a record the rule needs is not
 * held). The date is the only input of decideDraw that moves with no write, and a record's
 * standing only gets worse as days pass (valid, then grace, then expired; nothing becomes
 * valid later), so a draw decideDraw allows on one day is allowed on every day up to this
 * one, and on none after it, while the records stand. The console's mobilisation view keeps
 * this date beside each officer so that a lapse at midnight shows with no rebuild.
 */
export function qualifiedThrough(rule: RuleView, held: ReadonlyMap<string, DecidingRecord>): string | null | undefined {
  let through: string | null = null;
  for (const code of rule.allOf) {
    const record = held.get(code);
    if (!record) return undefined;
    through = earlier(through, countsThrough(record, rule.graceDays));
  }
  if (rule.anyOf.length > 0) {
    // Any one of them will do, so the group counts through its longest-lasting record.
    let best: string | null | undefined;
    for (const code of rule.anyOf) {
      const record = held.get(code);
      if (!record) continue;
      const end = countsThrough(record, rule.graceDays);
      if (end === null || best === undefined || (best !== null && end > best)) best = end;
      if (best === null) break;
    }
    if (best === undefined) return undefined;
    through = earlier(through, best);
  }
  return through;
}

function joinOr(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * Whether an officer may draw one item of a type under its rule, and if not, every reason why.
 * Pure: the caller gathers the facts (inside the draw transaction, so they cannot
 * change between the decision and the intent it authorises).
 */
export function decideDraw(input: DrawDecisionInput): DrawDecision {
  const { rule } = input;
  const reasons: RefusalReason[] = [];
  const nameOf = (code: string) => input.held.get(code)?.name ?? input.qualificationNames.get(code) ?? code;
  if (input.officerStatus === 'suspended') {
    reasons.push({
      code: 'officer-suspended',
      message: 'You are suspended from duty',
      advice: 'Equipment cannot be drawn while suspended. Speak to your supervisor.',
    });
  } else if (input.officerStatus === 'restricted') {
    reasons.push({
      code: 'officer-restricted',
      message: 'You are on restricted duties',
      advice: 'Equipment cannot be drawn on restricted duties. Speak to your supervisor.',
    });
  }
  for (const code of rule.allOf) {
    const s = standing(input.held.get(code), input.today, rule.graceDays);
    if (s.state === 'missing') {
      reasons.push({
        code: 'qualification-missing',
        message: `${nameOf(code)} is not on your training record`,
        advice: `If you have passed it, ask the training team to update your record. ${ARMOURER}`,
      });
    } else if (s.state === 'expired') {
      reasons.push({
        code: 'qualification-expired',
        message: `${nameOf(code)} expired ${humanDate(s.expired)}`,
        advice: `Book a refresher with the training team. ${ARMOURER}`,
      });
    }
  }
  if (rule.anyOf.length > 0) {
    const standings = rule.anyOf.map((code) => ({ code, s: standing(input.held.get(code), input.today, rule.graceDays) }));
    if (!standings.some(({ s }) => s.state === 'valid' || s.state === 'grace')) {
      // One reason for the group: a single one of them would do, so listing each as missing would mislead.
      let latest: { code: string; expired: string } | undefined;
      for (const { code, s } of standings) {
        if (s.state === 'expired' && (!latest || s.expired > latest.expired)) latest = { code, expired: s.expired };
      }
      const names = rule.anyOf.map(nameOf).join(', ');
      reasons.push(
        latest
          ? {
              code: 'qualification-expired',
              message: `Needs one of: ${names} (${nameOf(latest.code)} expired ${humanDate(latest.expired)})`,
              advice: `Book a refresher with the training team. ${ARMOURER}`,
            }
          : {
              code: 'qualification-missing',
              message: `Needs one of: ${names}`,
              advice: `None of them is on your training record. If you have passed one, ask the training team to update your record. ${ARMOURER}`,
            },
      );
    }
  }
  const missingRoles = rule.roles.filter((role) => !input.officerRoles.includes(role));
  if (missingRoles.length > 0) {
    reasons.push({
      code: 'role-required',
      message: `Needs the ${missingRoles.map((r) => ROLE_NAMES[r]).join(' and ')} role${missingRoles.length > 1 ? 's' : ''}`,
      advice: `${input.assetTypeName} is issued only to officers with that role. Ask an armourer.`,
    });
  }
  if (rule.units.length > 0) {
    // Case and spacing forgiven: unit names are typed by people in two different systems.
    const unit = input.officerUnit?.trim().toLowerCase() ?? null;
    if (unit === null || !rule.units.some((u) => u.trim().toLowerCase() === unit)) {
      reasons.push({
        code: 'unit-not-authorised',
        message: `${input.assetTypeName} is issued only to ${joinOr(rule.units)}${input.officerUnit ? ` (your unit: ${input.officerUnit})` : ' (no unit is on your record)'}`,
        advice: 'If your unit is wrong on your record, ask your supervisor to correct it. Otherwise ask an armourer.',
      });
    }
  }
  if (input.holdingOfType >= input.maxPerOfficer) {
    reasons.push({
      code: 'limit-reached',
      message:
        input.maxPerOfficer === 1
          ? `You already hold ${/^[aeiou]/i.test(input.assetTypeName) ? 'an' : 'a'} ${input.assetTypeName}`
          : `You already hold ${input.holdingOfType} of ${input.maxPerOfficer} ${input.assetTypeName} allowed`,
      advice: 'Return the one you hold before drawing another.',
    });
  }
  if (input.weapon && input.referenceStale !== null) {
    reasons.push({
      code: 'reference-stale',
      message: `This terminal's training records ${input.referenceStale}, so no weapon is released on them`,
      advice: 'Tell an armourer: the terminal cannot reach the estate. Other kit can still be drawn.',
    });
  }
  if (input.availableCount === 0) {
    reasons.push({
      code: 'none-available',
      message: `No ${input.assetTypeName} is in the lockers right now`,
      advice: 'Ask an armourer, or try again later.',
    });
  }
  return reasons.length === 0 ? { allowed: true, reasons: [] } : { allowed: false, reasons };
}

/**
 * How a held qualification reads on the officer's home screen. `graceDays` is the longest
 * grace any rule gives it: past its expiry but within that, it still releases something,
 * so it reads as expiring (with its grace period named) rather than expired.
 */
export function describeQualification(held: HeldQualification, today: string, warningDays: number, graceDays = 0): QualificationView {
  const last = held.validUntil;
  const base = { code: held.code, name: held.name, expiresOn: last };
  if (last === null) return { ...base, state: 'valid', label: `${held.name}: does not expire` };
  const days = daysBetween(today, last);
  const when = humanDate(last);
  if (days < 0) {
    const graceEnd = addDays(last, graceDays);
    if (today <= graceEnd) {
      const left = daysBetween(today, graceEnd);
      const until = left === 0 ? 'ends today' : left === 1 ? 'ends tomorrow' : `until ${humanDate(graceEnd)}`;
      return { ...base, state: 'expiring', label: `${held.name} expired ${when} and is in its grace period (${until}): book your refresher` };
    }
    return { ...base, state: 'expired', label: `${held.name} expired ${when}` };
  }
  if (days <= warningDays) {
    const inDays = days === 0 ? 'today' : days === 1 ? 'tomorrow' : `in ${days} days`;
    return { ...base, state: 'expiring', label: `${held.name} expires ${when} (${inDays}): book your refresher` };
  }
  return { ...base, state: 'valid', label: `${held.name}: valid until ${when}` };
}
