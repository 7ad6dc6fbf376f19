import { ruleSchema, type AssetTypeRuleView, type RuleView } from '../../preload/contract.ts';
import { canonicalJson, type AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import type { Clock } from './ports.ts';

/** A rule that cannot be saved: the message names what is wrong, for the admin to fix. */
export class RuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleError';
  }
}

/**
 * The rule a type had before versioned rules existed: its required qualifications and
 * nothing else. Migration 3 stores exactly this as version 1 for the types it finds.
 */
export function legacyRule(requiredCodes: readonly string[]): RuleView {
  return { allOf: [...requiredCodes], anyOf: [], graceDays: 0, roles: [], units: [], maxLoanHours: null, returnBy: null };
}

/**
 * When a loan drawn at `drawnAt` under `rule` becomes overdue: `maxLoanHours` after the draw,
 * or the next local `returnBy` time after it (end of shift), whichever comes first; null when
 * the rule sets neither. Local time because "07:00" means the room's clock, across DST too.
 */
export function dueAt(drawnAt: Date, rule: Pick<RuleView, 'maxLoanHours' | 'returnBy'>): Date | null {
  const candidates: Date[] = [];
  if (rule.maxLoanHours !== null) candidates.push(new Date(drawnAt.getTime() + rule.maxLoanHours * 3_600_000));
  if (rule.returnBy !== null) {
    const [hours, minutes] = rule.returnBy.split(':').map(Number);
    const next = new Date(drawnAt.getTime());
    next.setHours(hours ?? 0, minutes ?? 0, 0, 0);
    // setDate (not +24 h) so a DST change overnight still lands on the wall-clock time.
    if (next.getTime() <= drawnAt.getTime()) next.setDate(next.getDate() + 1);
    candidates.push(next);
  }
  if (candidates.length === 0) return null;
  return new Date(Math.min(...candidates.map((d) => d.getTime())));
}

/** Arrays deduplicated (order kept: it is the order reasons are shown in), keys sorted by canonicalJson. */
export function normalise(rule: RuleView): RuleView {
  const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];
  return {
    allOf: unique(rule.allOf.map((c) => c.trim())),
    anyOf: unique(rule.anyOf.map((c) => c.trim())),
    graceDays: rule.graceDays,
    roles: unique(rule.roles),
    units: unique(rule.units.map((u) => u.trim())),
    maxLoanHours: rule.maxLoanHours,
    returnBy: rule.returnBy,
  };
}

interface RuleRow {
  id: number;
  assetTypeId: number;
  version: number;
  rule: string;
}

/**
 * Release rules per asset type. Never edited in place: every save is a new version, so a
 * past draw (which records the version it used) can always be explained by the rule then
 * in force. Reads are on the decision hot path, so parsed rules are cached by row id (a
 * stored version never changes).
 */
export class RuleStore {
  private readonly sql;
  private readonly parsed = new Map<number, RuleView>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    this.sql = {
      // Backwards over the UNIQUE (asset_type_id, version) index: one row, no sort (+?: a fixed plan, see records.ts).
      current: db.prepare<[number], RuleRow>(
        `SELECT id, asset_type_id AS assetTypeId, version, rule FROM asset_type_rules
          WHERE asset_type_id = +? ORDER BY version DESC LIMIT 1`,
      ),
      currentAll: db.prepare<[], RuleRow>(
        `SELECT r.id, r.asset_type_id AS assetTypeId, r.version, r.rule FROM asset_type_rules r
          WHERE r.version = (SELECT max(version) FROM asset_type_rules x WHERE x.asset_type_id = r.asset_type_id)`,
      ),
      byVersion: db.prepare<[number, number], RuleRow>(
        'SELECT id, asset_type_id AS assetTypeId, version, rule FROM asset_type_rules WHERE asset_type_id = ? AND version = ?',
      ),
      list: db.prepare<
        [],
        { assetTypeId: number; assetTypeName: string; id: number | null; version: number | null; rule: string | null; changedAt: string | null; changedBy: string | null; required: string }
      >(
        `SELECT t.id AS assetTypeId, t.name AS assetTypeName, r.id, r.version, r.rule, r.created_at AS changedAt,
                CASE WHEN o.id IS NULL THEN NULL ELSE o.collar_number || ' ' || o.display_name END AS changedBy,
                (SELECT json_group_array(q.code) FROM asset_type_requirements q0 JOIN qualifications q ON q.id = q0.qualification_id
                  WHERE q0.asset_type_id = t.id) AS required
           FROM asset_types t
           LEFT JOIN asset_type_rules r ON r.asset_type_id = t.id
                AND r.version = (SELECT max(version) FROM asset_type_rules x WHERE x.asset_type_id = t.id)
           LEFT JOIN officers o ON o.id = r.created_by
          ORDER BY t.name`,
      ),
      typeName: db.prepare<[number], { name: string }>('SELECT name FROM asset_types WHERE id = ?'),
      officer: db.prepare<[number], { label: string }>("SELECT collar_number || ' ' || display_name AS label FROM officers WHERE id = ?"),
      knownCodes: db.prepare<[string], { code: string }>('SELECT code FROM qualifications WHERE code IN (SELECT value FROM json_each(?))'),
      insert: db.prepare<[number, number, string, string, number]>(
        'INSERT INTO asset_type_rules (asset_type_id, version, rule, created_at, created_by) VALUES (?, ?, ?, ?, ?)',
      ),
    };
  }

  /** The rule in force for a type; undefined when none is stored (see Eligibility for the fallback). */
  current(assetTypeId: number): { version: number; rule: RuleView } | undefined {
    const row = this.sql.current.get(assetTypeId);
    return row ? { version: row.version, rule: this.parse(row) } : undefined;
  }

  /** The rule in force for every type that has one, keyed by type id (one query for the home screen). */
  currentAll(): Map<number, { version: number; rule: RuleView }> {
    return new Map(this.sql.currentAll.all().map((row) => [row.assetTypeId, { version: row.version, rule: this.parse(row) }]));
  }

  /** A past version, e.g. the one a draw was decided under (its loan's due time comes from it). */
  byVersion(assetTypeId: number, version: number): RuleView | undefined {
    const row = this.sql.byVersion.get(assetTypeId, version);
    return row ? this.parse(row) : undefined;
  }

  /**
   * Every asset type with its rule in force. A type created without a rule (after migration 3,
   * by something other than the rules screen) shows as version 0 with the rule its
   * requirements imply, which is what the decision applies to it until a rule is saved.
   */
  list(): AssetTypeRuleView[] {
    return this.sql.list.all().map((row) => ({
      assetTypeId: row.assetTypeId,
      assetTypeName: row.assetTypeName,
      version: row.version ?? 0,
      rule:
        row.id !== null && row.version !== null && row.rule !== null
          ? this.parse({ id: row.id, assetTypeId: row.assetTypeId, version: row.version, rule: row.rule })
          : legacyRule(JSON.parse(row.required) as string[]),
      changedAt: row.changedAt,
      changedBy: row.changedBy,
    }));
  }

  /** Save a new version of a type's rule, with its audit row, in one transaction. */
  save(officerId: number, assetTypeId: number, rule: RuleView): AssetTypeRuleView {
    // The contract validated the request already; checked again because a rule that does not
    // fit the schema could never be read back, and every later decision would fail.
    const parsed = ruleSchema.safeParse(rule);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RuleError(`The rule is not valid: ${issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'invalid'}.`);
    }
    const next = normalise(parsed.data);
    return this.db
      .transaction((): AssetTypeRuleView => {
        const type = this.sql.typeName.get(assetTypeId);
        if (!type) throw new RuleError(`There is no asset type ${assetTypeId}.`);
        const changedBy = this.sql.officer.get(officerId);
        if (!changedBy) throw new RuleError(`There is no officer ${officerId} to record as the author of the change.`);
        const codes = [...new Set([...next.allOf, ...next.anyOf])];
        const known = new Set(this.sql.knownCodes.all(JSON.stringify(codes)).map((r) => r.code));
        const unknown = codes.filter((c) => !known.has(c));
        if (unknown.length > 0) {
          throw new RuleError(
            `${unknown.length === 1 ? 'Qualification code' : 'Qualification codes'} ${unknown.map((c) => `"${c}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not known here. Use a code from the training records, or import it first.`,
          );
        }
        const previous = this.current(assetTypeId);
        const version = (previous?.version ?? 0) + 1;
        const now = this.clock.now();
        const text = canonicalJson(next);
        this.sql.insert.run(assetTypeId, version, text, now.toISOString(), officerId);
        this.audit.append(
          {
            actor: `officer:${officerId}`,
            action: 'rule.changed',
            subject: `asset-type:${assetTypeId}`,
            details: { assetType: assetTypeId, assetTypeName: type.name, fromVersion: previous?.version ?? null, toVersion: version, before: previous?.rule ?? null, after: next },
          },
          now,
        );
        return { assetTypeId, assetTypeName: type.name, version, rule: next, changedAt: now.toISOString(), changedBy: changedBy.label };
      })
      .immediate();
  }

  private parse(row: RuleRow): RuleView {
    const cached = this.parsed.get(row.id);
    if (cached) return cached;
    // Stored rules were validated on the way in; parsing again would cost the hot path for nothing.
    const rule = JSON.parse(row.rule) as RuleView;
    // Shared by every caller from now on: frozen, so a caller that edits it fails loudly
    // instead of silently changing the rule every later decision sees.
    for (const list of [rule.allOf, rule.anyOf, rule.roles, rule.units]) Object.freeze(list);
    Object.freeze(rule);
    this.parsed.set(row.id, rule);
    return rule;
  }
}
