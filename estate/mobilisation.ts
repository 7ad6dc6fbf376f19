/**
 * The estate's mobilisation picture: per firearm and Taser type, who is armed now anywhere (from
 * the holdings the estate derives from every terminal's events) and who is qualified and
 * available (from the estate's reference data, decided by the terminals' own rule code,
 * main/core/releasable.ts), per site and for the whole estate.
 *
 * The reference data is held in memory and brought up to date from the rows changed since the
 * last read (the same per-table revision cursors a terminal pulls with), so a read costs two
 * small queries; who qualifies is decided again only when the reference data or the day moved.
 * Used by the control-room page, the estate's C2 feed and a connected terminal's console.
 */
import type { ClientBase, Pool } from 'pg';
import { ruleSchema, ROLES, type EstateMobilisationTypeView, type EstateMobilisationView, type EstateSiteCountView, type Role, type RuleView } from '../preload/contract.ts';
import { localDate } from '../main/core/dates.ts';
import type { DecidingRecord, OfficerStatus } from '../main/core/decision.ts';
import { MOBILISATION_CATEGORIES, releasedTo, type MobilisationOfficer } from '../main/core/releasable.ts';
import { legacyRule, normalise } from '../main/core/rules.ts';

/** The reference tables the picture reads. */
const TABLES = ['sites', 'officers', 'officer_roles', 'qualifications', 'officer_qualifications', 'asset_types', 'asset_type_requirements', 'asset_type_rules'] as const;
type Table = (typeof TABLES)[number];

/** Where an officer or an item counts when the estate has no site for it. */
export const NO_SITE = '(no estate site)';

/** An officer with the estate site they count at (their home site). */
interface Officer extends MobilisationOfficer {
  site: string;
}

interface CountedType {
  id: number;
  name: string;
  category: string;
  rule: RuleView | null;
  problem: string | null;
}

/** Who each counted type's rule releases to on one day, with what the counts need, made once per day and reference revision. */
interface Decided {
  revision: string;
  day: string;
  /** Every officer in the reference data, for the names of those armed and their home sites. */
  officers: ReadonlyMap<number, Officer>;
  types: { type: CountedType; officers: Officer[]; released: ReadonlySet<number>; releasedBySite: ReadonlyMap<string, number> }[];
  /** Officers released at least one counted type, and how many per home site. */
  releasedAny: ReadonlySet<number>;
  releasedAnyBySite: ReadonlyMap<string, number>;
}

interface Holding {
  site: string;
  officerId: number;
  assetType: string | null;
  serial: string | null;
  drawnAt: string;
}

type Row = Record<string, unknown>;
type Site = { id: string; name: string; referenceSiteId: number | null };

/** The picture without its lists of people. */
export type EstateMobilisationCounts = Omit<EstateMobilisationView, 'types'> & {
  types: (Omit<EstateMobilisationTypeView, 'armed' | 'available'> & { armed: number; available: number })[];
};
type Queryable = Pick<ClientBase, 'query'> | Pick<Pool, 'query'>;

const text = (value: unknown): string => (typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value));
const numberOf = (value: unknown): number => (typeof value === 'number' ? value : Number(value));
const byCollar = (a: { collarNumber: string }, b: { collarNumber: string }): number => (a.collarNumber < b.collarNumber ? -1 : a.collarNumber > b.collarNumber ? 1 : 0);

export class EstateMobilisation {
  private readonly rows = new Map<Table, Map<string, Row>>(TABLES.map((t) => [t, new Map()]));
  private readonly cursors = new Map<Table, number>(TABLES.map((t) => [t, 0]));
  /** Bumped whenever a pulled change touched the reference data: what `decided` is keyed by. */
  private revision = 0;
  private decided: Decided | null = null;
  /** Each reference table's key columns (estate.reference_tables), read at the first look. */
  private keyColumns: Map<string, string[]> | null = null;

  /**
   * The picture now, read over `db` (a connection in a snapshot gives a picture of one moment).
   * `now` gives the local day qualifications are judged on (the process's time zone, as a terminal's).
   */
  async picture(db: Queryable, now: Date): Promise<EstateMobilisationView> {
    const { decided, holdings, sites } = await this.read(db, now);
    return withLists(countsOf(now, decided, holdings, sites), decided, holdings);
  }

  /**
   * The counts alone (per site and type, and the estate's totals): what the control-room page
   * shows. Its cost grows with the items out, not with the officers: who is qualified is counted
   * once per day and reference revision, and each read subtracts the holders.
   */
  async counts(db: Queryable, now: Date): Promise<EstateMobilisationCounts> {
    const { decided, holdings, sites } = await this.read(db, now);
    return countsOf(now, decided, holdings, sites);
  }

  /**
   * Everything a read needs in one statement (one round trip, one snapshot): the reference rows
   * changed since the last read, in the wire form the terminals pull (estate migration 6), every
   * holding and every site, each as one JSON value rather than a row apiece.
   */
  private async read(db: Queryable, now: Date): Promise<{ decided: Decided; holdings: Holding[]; sites: Site[] }> {
    if (this.keyColumns === null) {
      const tables = await db.query<{ table_name: string; key_columns: string[] }>('SELECT table_name, key_columns FROM estate.reference_tables');
      this.keyColumns = new Map(tables.rows.map((t) => [t.table_name, t.key_columns]));
    }
    const result = await db.query<{ changes: string; holdings: [string, string, string | null, string | null, string][] | null; sites: [string, string, string | null][] | null }>(
      `SELECT (SELECT '[' || coalesce(string_agg(r.wire, ','), '') || ']'
                 FROM estate.reference_rows r JOIN unnest($1::text[], $2::bigint[]) AS c(table_name, revision)
                   ON r.table_name = c.table_name AND r.revision > c.revision) AS changes,
              (SELECT json_agg(json_build_array(site_id, officer_id, asset_type, serial, drawn_at)) FROM estate.mobilisation_holdings) AS holdings,
              (SELECT json_agg(json_build_array(id, name, reference_site_id) ORDER BY id) FROM estate.mobilisation_sites) AS sites`,
      [TABLES, TABLES.map((t) => this.cursors.get(t) ?? 0)],
    );
    const row = result.rows[0];
    this.apply(JSON.parse(row?.changes ?? '[]') as [Table, Row | null, Row | null, number][]);
    const holdings = (row?.holdings ?? []).map(([site, officerId, assetType, serial, drawnAt]) => ({ site, officerId: numberOf(officerId), assetType, serial, drawnAt }));
    const sites = (row?.sites ?? []).map(([id, name, referenceSiteId]) => ({ id, name, referenceSiteId: referenceSiteId === null ? null : Number(referenceSiteId) }));
    return { decided: this.decide(localDate(now), sites), holdings, sites };
  }

  /** Reference changes into the rows held, by each table's key. */
  private apply(changes: readonly [Table, Row | null, Row | null, number][]): void {
    for (const [tableName, key, data, revision] of changes) {
      const table = this.rows.get(tableName);
      const columns = this.keyColumns?.get(tableName);
      if (!table || !columns) continue;
      const of = data ?? key ?? {};
      const id = JSON.stringify(columns.map((c) => of[c]));
      if (data === null) table.delete(id);
      else table.set(id, data);
      this.cursors.set(tableName, Math.max(this.cursors.get(tableName) ?? 0, revision));
    }
    if (changes.length > 0) this.revision++;
  }

  /** Who each counted type's rule releases to on `day`: decided again only when the reference data, the sites or the day moved. */
  private decide(day: string, sites: readonly { id: string; referenceSiteId: number | null }[]): Decided {
    const revision = `${this.revision}:${sites.map((s) => `${s.id}=${s.referenceSiteId}`).join(',')}`;
    const kept = this.decided;
    if (kept && kept.revision === revision && kept.day === day) return kept;

    const siteOf = new Map(sites.flatMap((s) => (s.referenceSiteId === null ? [] : [[s.referenceSiteId, s.id] as const])));
    const officers: Officer[] = [...this.table('officers')].map((o) => ({
      id: numberOf(o.id),
      collarNumber: text(o.collar_number),
      name: text(o.display_name),
      status: (['active', 'suspended', 'restricted'].includes(text(o.status)) ? text(o.status) : 'suspended') as OfficerStatus,
      unit: o.unit === null || o.unit === undefined ? null : text(o.unit),
      site: (o.site_id === null || o.site_id === undefined ? undefined : siteOf.get(numberOf(o.site_id))) ?? NO_SITE,
    }));
    officers.sort(byCollar);

    const qualifications = new Map([...this.table('qualifications')].map((q) => [numberOf(q.id), { code: text(q.code), name: text(q.name) }]));
    const held = new Map<number, Map<string, DecidingRecord>>();
    for (const r of this.table('officer_qualifications')) {
      const qualification = qualifications.get(numberOf(r.qualification_id));
      if (!qualification) continue;
      const officerId = numberOf(r.officer_id);
      let mine = held.get(officerId);
      if (!mine) held.set(officerId, (mine = new Map()));
      // The stored last valid day (validity.ts); a record from before it was stored counts through its expiry.
      const validUntil = r.valid_until ?? r.expires_on ?? null;
      mine.set(qualification.code, { name: qualification.name, validUntil: validUntil === null ? null : text(validUntil) });
    }
    const roles = new Map<number, Role[]>();
    for (const r of this.table('officer_roles')) {
      const role = text(r.role);
      if (!(ROLES as readonly string[]).includes(role)) continue;
      const officerId = numberOf(r.officer_id);
      roles.set(officerId, [...(roles.get(officerId) ?? []), role as Role]);
    }

    const types = [...this.table('asset_types')]
      .filter((t) => MOBILISATION_CATEGORIES.includes(text(t.category)))
      .map((t) => this.countedType(t, qualifications))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const bump = (map: Map<string, number>, site: string) => map.set(site, (map.get(site) ?? 0) + 1);
    const releasedAny = new Set<number>();
    const releasedAnyBySite = new Map<string, number>();
    const decidedTypes = types.map((type) => {
      // Decided on `day`, so everyone listed is released all that day: no per-read date checks.
      const released = type.rule === null ? [] : releasedTo(officers, type.name, type.rule, held, roles, day).map(({ officer }) => officer);
      const releasedBySite = new Map<string, number>();
      for (const officer of released) {
        bump(releasedBySite, officer.site);
        if (!releasedAny.has(officer.id)) {
          releasedAny.add(officer.id);
          bump(releasedAnyBySite, officer.site);
        }
      }
      return { type, officers: released, released: new Set(released.map((o) => o.id)), releasedBySite };
    });
    this.decided = { revision, day, officers: new Map(officers.map((o) => [o.id, o])), types: decidedTypes, releasedAny, releasedAnyBySite };
    return this.decided;
  }

  /** A counted type with the rule in force: its highest stored version, else its requirements (as a terminal decides). */
  private countedType(t: Row, qualifications: ReadonlyMap<number, { code: string }>): CountedType {
    const id = numberOf(t.id);
    const base = { id, name: text(t.name), category: text(t.category) };
    let latest: Row | undefined;
    for (const r of this.table('asset_type_rules')) {
      if (numberOf(r.asset_type_id) === id && (latest === undefined || numberOf(r.version) > numberOf(latest.version))) latest = r;
    }
    if (latest === undefined) {
      const required = [...this.table('asset_type_requirements')].filter((r) => numberOf(r.asset_type_id) === id).flatMap((r) => qualifications.get(numberOf(r.qualification_id))?.code ?? []);
      return { ...base, rule: legacyRule(required.sort()), problem: null };
    }
    let stored: unknown;
    try {
      stored = JSON.parse(text(latest.rule));
    } catch {
      stored = undefined;
    }
    const parsed = ruleSchema.safeParse(stored);
    if (!parsed.success) return { ...base, rule: null, problem: `rule version ${text(latest.version)} of ${base.name} in the estate's reference data cannot be read, so nobody is counted as available for it` };
    return { ...base, rule: normalise(parsed.data), problem: null };
  }

  private table(name: Table): IterableIterator<Row> {
    return (this.rows.get(name) ?? new Map<string, Row>()).values();
  }
}

/**
 * The counts from the decisions and the holdings. A holder of a type is never counted available
 * for it; an officer armed with anything is counted armed, not available, in the totals.
 */
function countsOf(now: Date, decided: Decided, holdings: readonly Holding[], sites: readonly Site[]): EstateMobilisationCounts {
  const counted = new Map(decided.types.map((t) => [t.type.name, t]));
  // Per site and type: armed where drawn; holders who were released, to subtract at their home site.
  const armed = new Map<string, Map<string, number>>();
  const heldByReleased = new Map<string, Map<string, number>>();
  const armedOfficers = new Set<number>();
  const armedBySite = new Map<string, Set<number>>();
  const bump = (map: Map<string, Map<string, number>>, site: string, type: string) => {
    let bySite = map.get(site);
    if (!bySite) map.set(site, (bySite = new Map()));
    bySite.set(type, (bySite.get(type) ?? 0) + 1);
  };
  const holdersOfType = new Map<string, Set<number>>();
  for (const h of holdings) {
    const type = h.assetType === null ? undefined : counted.get(h.assetType);
    if (!type) continue;
    bump(armed, h.site, type.type.name);
    armedOfficers.add(h.officerId);
    let here = armedBySite.get(h.site);
    if (!here) armedBySite.set(h.site, (here = new Set()));
    here.add(h.officerId);
    let holders = holdersOfType.get(type.type.name);
    if (!holders) holdersOfType.set(type.type.name, (holders = new Set()));
    // Two items of one type held by one officer take them off that type's list once.
    if (holders.has(h.officerId)) continue;
    holders.add(h.officerId);
    const officer = decided.officers.get(h.officerId);
    if (officer && type.released.has(h.officerId)) bump(heldByReleased, officer.site, type.type.name);
  }
  // Armed officers who would otherwise count as available, by home site.
  const armedReleasedByHome = new Map<string, number>();
  let armedReleased = 0;
  for (const officerId of armedOfficers) {
    const home = decided.officers.get(officerId)?.site;
    if (home === undefined || !decided.releasedAny.has(officerId)) continue;
    armedReleasedByHome.set(home, (armedReleasedByHome.get(home) ?? 0) + 1);
    armedReleased++;
  }

  const siteNames = new Map(sites.map((s) => [s.id, s.name]));
  const siteIds = [...new Set([...sites.map((s) => s.id), ...armed.keys(), ...decided.releasedAnyBySite.keys()])];
  const types = decided.types.map(({ type, officers }) => {
    let armedCount = 0;
    for (const bySite of armed.values()) armedCount += bySite.get(type.name) ?? 0;
    let heldCount = 0;
    for (const bySite of heldByReleased.values()) heldCount += bySite.get(type.name) ?? 0;
    return { assetTypeId: type.id, assetTypeName: type.name, category: type.category, armed: armedCount, available: officers.length - heldCount, problem: type.problem };
  });
  const siteCounts: EstateSiteCountView[] = siteIds.map((siteId) => ({
    siteId,
    siteName: siteNames.get(siteId) ?? (siteId === NO_SITE ? 'Officers with no estate site' : siteId),
    byType: decided.types.map(({ type, releasedBySite }) => ({
      assetTypeName: type.name,
      armed: armed.get(siteId)?.get(type.name) ?? 0,
      available: (releasedBySite.get(siteId) ?? 0) - (heldByReleased.get(siteId)?.get(type.name) ?? 0),
    })),
    armed: armedBySite.get(siteId)?.size ?? 0,
    available: (decided.releasedAnyBySite.get(siteId) ?? 0) - (armedReleasedByHome.get(siteId) ?? 0),
  }));
  return { generatedAt: now.toISOString(), types, sites: siteCounts, totals: { armed: armedOfficers.size, available: decided.releasedAny.size - armedReleased } };
}

/** The counts with their lists of people: the C2 feed's and the console's picture. */
function withLists(counts: EstateMobilisationCounts, decided: Decided, holdings: readonly Holding[]): EstateMobilisationView {
  const types = decided.types.map(({ type, officers }, i): EstateMobilisationTypeView => {
    const held = holdings.filter((h) => h.assetType === type.name);
    const holders = new Set(held.map((h) => h.officerId));
    const armed = held
      .map((h) => {
        const who = decided.officers.get(h.officerId) ?? { collarNumber: `officer ${h.officerId}`, name: 'not in the estate reference data' };
        return { officerId: h.officerId, collarNumber: who.collarNumber, name: who.name, serial: h.serial ?? 'not recorded', since: h.drawnAt, site: h.site };
      })
      .sort((a, b) => byCollar(a, b) || (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
    const available = officers.filter((o) => !holders.has(o.id)).map((o) => ({ officerId: o.id, collarNumber: o.collarNumber, name: o.name, site: o.site }));
    const counted = counts.types[i];
    return { assetTypeId: type.id, assetTypeName: type.name, category: type.category, armed, available, problem: counted?.problem ?? type.problem };
  });
  return { ...counts, types };
}
