import type { DrawOptionView, QualificationView, RefusalReason, RuleView } from '../../preload/contract.ts';
import { AuditLog } from './audit.ts';
import { localDate } from './dates.ts';
import { decideDraw, describeQualification, WEAPON_CATEGORIES, type DrawDecision, type HeldQualification } from './decision.ts';
import type { Clock } from './ports.ts';
import type { AssetTypeRecord, OfficerRecord, Records } from './records.ts';
import { ReferenceCache } from './reference-cache.ts';
import { legacyRule, RuleStore } from './rules.ts';

export interface EligibilityOptions {
  /** Where the rules are read; by default a store on the records' database. */
  rules?: RuleStore;
  /**
   * Refusal codes an armourer may override (site policy). Empty by default: nothing is
   * overridable unless the terminal says so.
   */
  overridableRefusals?: readonly RefusalReason['code'][] | (() => readonly RefusalReason['code'][]);
  /**
   * How old the estate's reference data may be before weapons are refused, in hours; null when
   * the terminal stands alone (no estate), which is the default. Read on every use.
   */
  referenceMaxAgeHours?: () => number | null;
}

/** "26 hours", "3 days": how long ago, for a sentence. */
function describeAge(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  return `${Math.floor(hours / 24)} days`;
}

export interface Verdict {
  type: AssetTypeRecord;
  decision: DrawDecision;
  /** The rule version decided under; null for a type with no stored rule (its requirements decided). */
  ruleVersion: number | null;
}

/** Gathers the facts for the decision engine from the records: one place for home screen and draw alike. */
export class Eligibility {
  readonly rules: RuleStore;
  private readonly overridablePolicy: () => readonly RefusalReason['code'][];
  private readonly cache: ReferenceCache;
  private readonly referenceMaxAgeHours: () => number | null;

  constructor(
    private readonly records: Records,
    private readonly clock: Clock,
    private readonly expiryWarningDays: number,
    options: EligibilityOptions = {},
  ) {
    this.rules = options.rules ?? new RuleStore(records.db, new AuditLog(records.db), clock);
    this.cache = new ReferenceCache(records.db);
    const policy = options.overridableRefusals ?? [];
    // A function is read on every use, so a saved policy takes effect without a restart.
    this.overridablePolicy = typeof policy === 'function' ? policy : () => policy;
    this.referenceMaxAgeHours = options.referenceMaxAgeHours ?? (() => null);
  }

  /** Null while reference data from the estate is fresh enough (or there is no estate); else how stale, in words. */
  referenceStale(): string | null {
    const limit = this.referenceMaxAgeHours();
    if (limit === null) return null;
    const synced = this.records.referenceSyncedAt();
    if (synced === null) return 'have never been brought up to date from the estate';
    const age = this.clock.now().getTime() - Date.parse(synced);
    return age <= limit * 3_600_000 ? null : `were last brought up to date from the estate ${describeAge(age)} ago (the limit is ${limit} hours)`;
  }

  /** The refusal codes an armourer may override under the policy in force now. */
  get overridableRefusals(): readonly RefusalReason['code'][] {
    return this.overridablePolicy();
  }

  /** Whether policy lets an armourer override this refusal: refused, and for overridable reasons only. */
  isOverridable(decision: DrawDecision): boolean {
    return !decision.allowed && decision.reasons.every((r) => this.overridableRefusals.includes(r.code));
  }

  /** Every asset type with whether this officer may draw it now, and why not. */
  drawOptions(officerId: number): DrawOptionView[] {
    const officer = this.records.officer(officerId);
    if (!officer) return [];
    const held = this.heldByCode(officerId);
    const holdingsByType = new Map<number, number>();
    for (const h of this.records.holdings(officerId)) holdingsByType.set(h.assetTypeId, (holdingsByType.get(h.assetTypeId) ?? 0) + 1);
    const available = this.records.availableByType();
    const rules = this.rules.currentAll();
    const names = this.records.qualificationNames();
    const today = localDate(this.clock.now());
    const referenceStale = this.referenceStale();
    // Types issued only by order (a swap's laptops) are never offered as a draw.
    return this.records.assetTypes().filter((type) => type.selfService).map((type) => {
      const decision = decideDraw({
        officerStatus: officer.status,
        officerRoles: officer.roles,
        officerUnit: officer.unit,
        assetTypeName: type.name,
        rule: this.ruleFor(type, rules.get(type.id)).rule,
        qualificationNames: names,
        held,
        holdingOfType: holdingsByType.get(type.id) ?? 0,
        maxPerOfficer: type.maxPerOfficer,
        availableCount: available.get(type.id) ?? 0,
        today,
        weapon: WEAPON_CATEGORIES.has(type.category),
        referenceStale,
      });
      return {
        assetTypeId: type.id,
        name: type.name,
        category: type.category,
        availableCount: available.get(type.id) ?? 0,
        allowed: decision.allowed,
        reasons: decision.reasons,
        overridable: this.isOverridable(decision),
      };
    });
  }

  /**
   * One type only: the draw path, so it reads just that type's rule and counts. A draw that
   * has already looked for a free item passes how many it found (0 or 1), saving the count.
   */
  decide(officerId: number, assetTypeId: number, options: { availableCount?: number } = {}): Verdict | undefined {
    // What the officer is and holds on record, and the type and its rule, change only with
    // reference data: cached against its generation. Loans and stock are read live.
    this.cache.refresh();
    const standing = this.cache.get(`officer:${officerId}`, () => {
      const officer = this.records.officer(officerId);
      return officer ? { officer, held: this.heldByCode(officerId) } : null;
    });
    const kind = this.cache.get(`type:${assetTypeId}`, () => {
      const type = this.records.assetType(assetTypeId);
      if (!type) return null;
      const stored = this.rules.current(assetTypeId);
      const { version, rule } = stored ?? { version: null, rule: legacyRule(this.records.requiredCodes(assetTypeId).map((r) => r.code)) };
      // The names of the rule's qualifications, to word a refusal for one the officer lacks.
      return { type, version, rule, names: this.records.qualificationNames([...rule.allOf, ...rule.anyOf]) };
    });
    if (!standing || !kind) return undefined;
    const { officer, held } = standing;
    const { type, version, rule, names } = kind;
    const decision = decideDraw({
      officerStatus: officer.status,
      officerRoles: officer.roles,
      officerUnit: officer.unit,
      assetTypeName: type.name,
      rule,
      qualificationNames: names,
      held,
      holdingOfType: this.records.holdingOfType(officerId, assetTypeId),
      maxPerOfficer: type.maxPerOfficer,
      availableCount: options.availableCount ?? this.records.availableOfType(assetTypeId),
      today: localDate(this.clock.now()),
      weapon: WEAPON_CATEGORIES.has(type.category),
      referenceStale: this.referenceStale(),
    });
    return { type, decision, ruleVersion: version };
  }

  qualifications(officerId: number): QualificationView[] {
    const today = localDate(this.clock.now());
    // A qualification in grace under any rule still releases something, so it reads as in grace.
    const grace = new Map<string, number>();
    for (const { rule } of this.rules.currentAll().values()) {
      for (const code of [...rule.allOf, ...rule.anyOf]) grace.set(code, Math.max(grace.get(code) ?? 0, rule.graceDays));
    }
    return this.records.qualifications(officerId).map((q) => describeQualification(q, today, this.expiryWarningDays, grace.get(q.code) ?? 0));
  }

  /**
   * The rule in force, or for a type with no stored rule (one added outside the rules
   * screen since migration 3) the rule its requirements imply: never "no rule, no checks".
   */
  private ruleFor(type: AssetTypeRecord, stored: { version: number; rule: RuleView } | undefined): { version: number | null; rule: RuleView } {
    return stored ?? { version: null, rule: legacyRule(type.required.map((r) => r.code)) };
  }

  private heldByCode(officerId: OfficerRecord['id']): Map<string, HeldQualification> {
    return new Map(this.records.qualifications(officerId).map((q) => [q.code, q]));
  }
}
