import type { QualificationView, RefusalReason } from '../../preload/contract.ts';
import { daysBetween, humanDate } from './dates.ts';

export type OfficerStatus = 'active' | 'suspended' | 'restricted';

export interface HeldQualification {
  code: string;
  name: string;
  expiresOn: string | null; // last valid day, yyyy-mm-dd; null = no expiry
}

export interface DrawDecisionInput {
  officerStatus: OfficerStatus;
  assetTypeName: string;
  required: readonly { code: string; name: string }[];
  held: ReadonlyMap<string, HeldQualification>;
  holdingOfType: number;
  maxPerOfficer: number;
  availableCount: number;
  today: string; // yyyy-mm-dd, terminal's local date
}

export type DrawDecision = { allowed: true; reasons: [] } | { allowed: false; reasons: RefusalReason[] };

const ARMOURER = 'An armourer can help if you need to deploy now.';

/**
 * Whether an officer may draw one item of a type, and if not, every reason why.
 * Pure: the caller gathers the facts (inside the draw transaction, so they cannot
 * change between the decision and the intent it authorises).
 */
export function decideDraw(input: DrawDecisionInput): DrawDecision {
  const reasons: RefusalReason[] = [];
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
  for (const requirement of input.required) {
    const held = input.held.get(requirement.code);
    if (!held) {
      reasons.push({
        code: 'qualification-missing',
        message: `${requirement.name} is not on your training record`,
        advice: `If you have passed it, ask the training team to update your record. ${ARMOURER}`,
      });
    } else if (held.expiresOn !== null && held.expiresOn < input.today) {
      reasons.push({
        code: 'qualification-expired',
        message: `${requirement.name} expired ${humanDate(held.expiresOn)}`,
        advice: `Book a refresher with the training team. ${ARMOURER}`,
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
  if (input.availableCount === 0) {
    reasons.push({
      code: 'none-available',
      message: `No ${input.assetTypeName} is in the lockers right now`,
      advice: 'Ask an armourer, or try again later.',
    });
  }
  return reasons.length === 0 ? { allowed: true, reasons: [] } : { allowed: false, reasons };
}

/** How a held qualification reads on the officer's home screen. */
export function describeQualification(held: HeldQualification, today: string, warningDays: number): QualificationView {
  if (held.expiresOn === null) {
    return { code: held.code, name: held.name, expiresOn: null, state: 'valid', label: `${held.name}: does not expire` };
  }
  const days = daysBetween(today, held.expiresOn);
  const when = humanDate(held.expiresOn);
  if (days < 0) {
    return { code: held.code, name: held.name, expiresOn: held.expiresOn, state: 'expired', label: `${held.name} expired ${when}` };
  }
  if (days <= warningDays) {
    const inDays = days === 0 ? 'today' : days === 1 ? 'tomorrow' : `in ${days} days`;
    return {
      code: held.code,
      name: held.name,
      expiresOn: held.expiresOn,
      state: 'expiring',
      label: `${held.name} expires ${when} (${inDays}): book your refresher`,
    };
  }
  return { code: held.code, name: held.name, expiresOn: held.expiresOn, state: 'valid', label: `${held.name}: valid until ${when}` };
}
