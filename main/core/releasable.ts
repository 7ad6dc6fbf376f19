import type { Role, RuleView } from '../../preload/contract.ts';
import { decideDraw, qualifiedThrough, type DecidingRecord, type OfficerStatus } from './decision.ts';

/**
 * Who a type's release rule would arm, holdings aside: the one answer behind the console's
 * mobilisation view and the estate's (estate/mobilisation.ts), so a terminal and the estate
 * never disagree about who is qualified and available.
 */

/** The categories a mobilisation counts: the ones that arm an officer. */
export const MOBILISATION_CATEGORIES: readonly string[] = ['firearm', 'taser'];

/** What the decision reads of an officer. */
export interface ReleasableOfficer {
  id: number;
  status: OfficerStatus;
  unit: string | null;
}

/** An officer as a mobilisation lists them: the decision's facts and the name shown. */
export interface MobilisationOfficer extends ReleasableOfficer {
  collarNumber: string;
  name: string;
}

const NO_RECORDS: ReadonlyMap<string, DecidingRecord> = new Map();
const NO_NAMES: ReadonlyMap<string, string> = new Map();

/**
 * Every officer the rule releases one item of the type to on `today` (qualified, not suspended
 * or restricted, of a permitted unit and role), in the order given, with the last day that
 * holds (null: no end). Holdings and stock are the caller's: they change with every draw.
 */
export function releasedTo<O extends ReleasableOfficer>(
  officers: Iterable<O>,
  typeName: string,
  rule: RuleView,
  held: ReadonlyMap<number, ReadonlyMap<string, DecidingRecord>>,
  roles: ReadonlyMap<number, readonly Role[]>,
  today: string,
): { officer: O; through: string | null }[] {
  const released: { officer: O; through: string | null }[] = [];
  for (const officer of officers) {
    const records = held.get(officer.id) ?? NO_RECORDS;
    // Records that never pass, or no longer do, get a refusal from decideDraw whatever else
    // holds (its reasons add up, and qualifiedThrough is its qualification checks day for day:
    // see decision.test.ts), so it is not asked: that spares it wording most of the refusals.
    const through = qualifiedThrough(rule, records);
    if (through === undefined || (through !== null && today > through)) continue;
    const decision = decideDraw({
      officerStatus: officer.status,
      officerRoles: roles.get(officer.id) ?? [],
      officerUnit: officer.unit,
      assetTypeName: typeName,
      rule,
      qualificationNames: NO_NAMES,
      held: records,
      holdingOfType: 0,
      maxPerOfficer: 1,
      availableCount: 1,
      today,
      // Mobilisation asks who is qualified, not whether this terminal may release to them now.
      weapon: false,
      referenceStale: null,
    });
    if (decision.allowed) released.push({ officer, through });
  }
  return released;
}
