import type { DrawOptionView, QualificationView } from '../../preload/contract.ts';
import { localDate } from './dates.ts';
import { decideDraw, describeQualification, type DrawDecision } from './decision.ts';
import type { Clock } from './ports.ts';
import type { AssetTypeRecord, Records } from './records.ts';

/** Gathers the facts for the decision engine from the records: one place for home screen and draw alike. */
export class Eligibility {
  constructor(
    private readonly records: Records,
    private readonly clock: Clock,
    private readonly expiryWarningDays: number,
  ) {}

  /** Every asset type with whether this officer may draw it now, and why not. */
  drawOptions(officerId: number): DrawOptionView[] {
    const facts = this.facts(officerId);
    if (!facts) return [];
    return this.records.assetTypes().map((type) => {
      const decision = this.decideWith(facts, type);
      return {
        assetTypeId: type.id,
        name: type.name,
        category: type.category,
        availableCount: facts.available.get(type.id) ?? 0,
        allowed: decision.allowed,
        reasons: decision.reasons,
      };
    });
  }

  /** One type only: the draw path, so it reads just that type's counts. */
  decide(officerId: number, assetTypeId: number): { type: AssetTypeRecord; decision: DrawDecision } | undefined {
    const officer = this.records.officer(officerId);
    const type = this.records.assetType(assetTypeId);
    if (!officer || !type) return undefined;
    const decision = decideDraw({
      officerStatus: officer.status,
      assetTypeName: type.name,
      required: type.required,
      held: new Map(this.records.qualifications(officerId).map((q) => [q.code, q])),
      holdingOfType: this.records.holdingOfType(officerId, assetTypeId),
      maxPerOfficer: type.maxPerOfficer,
      availableCount: this.records.availableOfType(assetTypeId),
      today: localDate(this.clock.now()),
    });
    return { type, decision };
  }

  qualifications(officerId: number): QualificationView[] {
    const today = localDate(this.clock.now());
    return this.records.qualifications(officerId).map((q) => describeQualification(q, today, this.expiryWarningDays));
  }

  private facts(officerId: number) {
    const officer = this.records.officer(officerId);
    if (!officer) return undefined;
    const held = new Map(this.records.qualifications(officerId).map((q) => [q.code, q]));
    const holdingsByType = new Map<number, number>();
    for (const h of this.records.holdings(officerId)) holdingsByType.set(h.assetTypeId, (holdingsByType.get(h.assetTypeId) ?? 0) + 1);
    return { officer, held, holdingsByType, available: this.records.availableByType(), today: localDate(this.clock.now()) };
  }

  private decideWith(facts: NonNullable<ReturnType<Eligibility['facts']>>, type: AssetTypeRecord): DrawDecision {
    return decideDraw({
      officerStatus: facts.officer.status,
      assetTypeName: type.name,
      required: type.required,
      held: facts.held,
      holdingOfType: facts.holdingsByType.get(type.id) ?? 0,
      maxPerOfficer: type.maxPerOfficer,
      availableCount: facts.available.get(type.id) ?? 0,
      today: facts.today,
    });
  }
}
