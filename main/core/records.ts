import { ROLES, type AssetStatus, type HoldingView, type Role } from '../../preload/contract.ts';
import type { Db } from './db/database.ts';
import { WEAPON_CATEGORIES, type HeldQualification, type OfficerStatus } from './decision.ts';
import { sizeRank, type DoorFit, type SizeClass } from './door-fit.ts';

export interface OfficerRecord {
  id: number;
  collarNumber: string;
  displayName: string;
  status: OfficerStatus;
  roles: Role[];
  unit: string | null;
}

export interface AssetTypeRecord {
  id: number;
  code: string;
  name: string;
  category: string;
  maxPerOfficer: number;
  /** Drawn by officers from the home screen; false: issued only by order (a device swap). */
  selfService: boolean;
  /**
   * The type's requirements from before versioned rules. The rule in force supersedes them;
   * they decide only for a type that has no stored rule (see Eligibility).
   */
  required: { code: string; name: string }[];
}

export interface OverrideRecord {
  id: number;
  officerId: number;
  assetTypeId: number;
  refusal: string;
  createdAt: string;
  usedByIntent: number | null;
}

const ASSET_SELECT = `
  SELECT a.id, a.serial, a.tag, a.asset_type_id AS assetTypeId, t.name AS assetTypeName, a.status, a.door_id AS doorId, d.number AS doorNumber
    FROM assets a JOIN asset_types t ON t.id = a.asset_type_id LEFT JOIN doors d ON d.id = a.door_id`;

/** An item behind a door, free to draw: what a draw's intent needs to say which door and what. */
export interface FreeItem {
  assetId: number;
  doorId: number;
  doorNumber: number;
  serial: string;
  tag: string;
}

type AssetTypeRow = { id: number; code: string; name: string; category: string; maxPerOfficer: number; selfService: number; required: string | null };

export interface AssetRecord {
  id: number;
  serial: string;
  tag: string;
  assetTypeId: number;
  assetTypeName: string;
  status: AssetStatus;
  doorId: number | null;
  doorNumber: number | null;
}

/**
 * Read queries the services share. Statements are prepared once; every method is a
 * single indexed lookup so it can run inside a write transaction without slowing it.
 *
 * A parameter the query planner could weigh is written `+?`: the SQLite in better-sqlite3 is
 * built with STAT4, which re-plans a statement each time such a parameter gets a new value
 * (~15 µs, most of a draw's CPU). The unary plus keeps the plan fixed; the index is still used.
 */
export class Records {
  private readonly statements;

  constructor(readonly db: Db) {
    this.statements = {
      officer: db.prepare<[number], { id: number; collarNumber: string; displayName: string; status: OfficerStatus; roles: string | null; unit: string | null }>(
        `SELECT o.id, o.collar_number AS collarNumber, o.display_name AS displayName, o.status, o.unit,
                (SELECT group_concat(role) FROM officer_roles r WHERE r.officer_id = o.id) AS roles
           FROM officers o WHERE o.id = ?`,
      ),
      qualifications: db.prepare<[number], HeldQualification>(
        `SELECT q.code, q.name, oq.awarded_on AS awardedOn, oq.valid_until AS validUntil
           FROM officer_qualifications oq JOIN qualifications q ON q.id = oq.qualification_id
          WHERE oq.officer_id = +? ORDER BY q.name`,
      ),
      assetTypes: db.prepare<[], AssetTypeRow>(
        `SELECT t.id, t.code, t.name, t.category, t.max_per_officer AS maxPerOfficer, t.self_service AS selfService,
                (SELECT json_group_array(json_object('code', q.code, 'name', q.name))
                   FROM asset_type_requirements r JOIN qualifications q ON q.id = r.qualification_id
                  WHERE r.asset_type_id = t.id) AS required
           FROM asset_types t ORDER BY t.name`,
      ),
      holdings: db.prepare<[number], HoldingView & { assetTypeId: number }>(
        `SELECT l.id AS loanId, a.id AS assetId, t.name AS assetTypeName, a.serial, a.tag, l.drawn_at AS drawnAt, t.id AS assetTypeId
           FROM loans l JOIN assets a ON a.id = l.asset_id JOIN asset_types t ON t.id = a.asset_type_id
          WHERE l.officer_id = ? AND l.returned_at IS NULL ORDER BY l.drawn_at`,
      ),
      // Only the codes a rule names, through the UNIQUE index on code.
      qualificationNames: db.prepare<[string], { code: string; name: string }>(
        'SELECT code, name FROM qualifications WHERE code IN (SELECT value FROM json_each(?))',
      ),
      allQualificationNames: db.prepare<[], { code: string; name: string }>('SELECT code, name FROM qualifications'),
      availableByType: db.prepare<[], { assetTypeId: number; count: number }>(
        `SELECT a.asset_type_id AS assetTypeId, count(*) AS count FROM assets a
          WHERE a.status = 'available' AND a.door_id IS NOT NULL GROUP BY a.asset_type_id`,
      ),
      // Without the pre-rule requirements: the draw path reads those only for a type with no stored rule.
      assetType: db.prepare<[number], AssetTypeRow>(
        `SELECT t.id, t.code, t.name, t.category, t.max_per_officer AS maxPerOfficer, t.self_service AS selfService, NULL AS required
           FROM asset_types t WHERE t.id = ?`,
      ),
      requiredCodes: db.prepare<[number], { code: string; name: string }>(
        `SELECT q.code, q.name FROM asset_type_requirements r JOIN qualifications q ON q.id = r.qualification_id WHERE r.asset_type_id = ?`,
      ),
      availableOfType: db.prepare<[number], { count: number }>(
        `SELECT count(*) AS count FROM assets WHERE asset_type_id = ? AND status = 'available' AND door_id IS NOT NULL`,
      ),
      holdingOfType: db.prepare<[number, number], { count: number }>(
        // CROSS JOIN fixes the order: the officer's few open loans first, not every asset of the type.
        `SELECT count(*) AS count FROM loans l CROSS JOIN assets a ON a.id = l.asset_id
          WHERE l.officer_id = +? AND l.returned_at IS NULL AND a.asset_type_id = +?`,
      ),
      referenceSyncedAt: db.prepare<[], { at: string | null }>('SELECT reference_synced_at AS at FROM estate_link WHERE id = 1'),
      typeFit: db.prepare<[number], { category: string; sizeClass: SizeClass }>('SELECT category, size_class AS sizeClass FROM asset_types WHERE id = ?'),
      assetById: db.prepare<[number], AssetRecord>(
        `${ASSET_SELECT} WHERE a.id = ?`,
      ),
      // In index order (doors are numbered in id order): stops at the first free door, no sort.
      firstAvailable: db.prepare<[number, number], FreeItem>(
        `SELECT a.id AS assetId, d.id AS doorId, d.number AS doorNumber, a.serial, a.tag FROM assets a JOIN doors d ON d.id = a.door_id
          WHERE a.asset_type_id = +? AND a.status = 'available' AND d.bank_id = +?
            AND NOT EXISTS (SELECT 1 FROM door_intents i WHERE i.door_id = d.id AND i.state IN ('pending', 'open', 'closed'))
            AND NOT EXISTS (SELECT 1 FROM swap_orders o WHERE o.new_asset_id = a.id AND o.state IN ('open', 'deposited'))
          ORDER BY a.door_id LIMIT 1`,
      ),
      // The same, every free item in door order, for when some doors may not be used.
      allAvailable: db.prepare<[number, number], FreeItem>(
        `SELECT a.id AS assetId, d.id AS doorId, d.number AS doorNumber, a.serial, a.tag FROM assets a JOIN doors d ON d.id = a.door_id
          WHERE a.asset_type_id = +? AND a.status = 'available' AND d.bank_id = +?
            AND NOT EXISTS (SELECT 1 FROM door_intents i WHERE i.door_id = d.id AND i.state IN ('pending', 'open', 'closed'))
            AND NOT EXISTS (SELECT 1 FROM swap_orders o WHERE o.new_asset_id = a.id AND o.state IN ('open', 'deposited'))
          ORDER BY a.door_id`,
      ),
      override: db.prepare<[number], OverrideRecord>(
        `SELECT id, officer_id AS officerId, asset_type_id AS assetTypeId, refusal, created_at AS createdAt, used_by_intent AS usedByIntent
           FROM overrides WHERE id = ?`,
      ),
      // Guarded on used_by_intent IS NULL as well: one override, one draw, whatever the caller does.
      spendOverride: db.prepare<[number, number]>('UPDATE overrides SET used_by_intent = ? WHERE id = ? AND used_by_intent IS NULL'),
      overrideReasons: db.prepare<[], { code: string; label: string }>('SELECT code, label FROM override_reasons WHERE active = 1 ORDER BY label'),
      insertOverride: db.prepare<[number, number, number, string, string, string, number | null, string]>(
        'INSERT INTO overrides (officer_id, armourer_id, asset_type_id, reason_code, note, refusal, rule_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      assetByTag: db.prepare<[string], AssetRecord>(
        `${ASSET_SELECT} WHERE a.tag = ?`,
      ),
    };
  }

  officer(id: number): OfficerRecord | undefined {
    const row = this.statements.officer.get(id);
    if (!row) return undefined;
    const roles = (row.roles ?? '').split(',').filter((r): r is Role => (ROLES as readonly string[]).includes(r));
    return { id: row.id, collarNumber: row.collarNumber, displayName: row.displayName, status: row.status, roles, unit: row.unit };
  }

  qualifications(officerId: number): HeldQualification[] {
    return this.statements.qualifications.all(officerId);
  }

  /** Names of the given qualification codes (all of them when no codes are given). */
  qualificationNames(codes?: readonly string[]): Map<string, string> {
    const rows = codes === undefined ? this.statements.allQualificationNames.all() : codes.length === 0 ? [] : this.statements.qualificationNames.all(JSON.stringify(codes));
    return new Map(rows.map((r) => [r.code, r.name]));
  }

  assetTypes(): AssetTypeRecord[] {
    return this.statements.assetTypes.all().map(toAssetType);
  }

  /** One type, without its pre-rule requirements (`required` is empty: see requiredCodes). */
  assetType(id: number): AssetTypeRecord | undefined {
    const row = this.statements.assetType.get(id);
    return row ? toAssetType(row) : undefined;
  }

  /** A type's requirements from before versioned rules (what decides a type with no stored rule). */
  requiredCodes(assetTypeId: number): { code: string; name: string }[] {
    return this.statements.requiredCodes.all(assetTypeId);
  }

  /** Items of one type in a locker and free to draw (the covering partial index answers it). */
  availableOfType(assetTypeId: number): number {
    return this.statements.availableOfType.get(assetTypeId)?.count ?? 0;
  }

  holdingOfType(officerId: number, assetTypeId: number): number {
    return this.statements.holdingOfType.get(officerId, assetTypeId)?.count ?? 0;
  }

  holdings(officerId: number): (HoldingView & { assetTypeId: number })[] {
    return this.statements.holdings.all(officerId);
  }

  /** Items of each type sitting in a locker and free to draw. */
  availableByType(): Map<number, number> {
    return new Map(this.statements.availableByType.all().map((r) => [r.assetTypeId, r.count]));
  }

  /** When reference data was last brought up to date from the estate; null if never. */
  referenceSyncedAt(): string | null {
    return this.statements.referenceSyncedAt.get()?.at ?? null;
  }

  asset(id: number): AssetRecord | undefined {
    return this.statements.assetById.get(id);
  }

  /** What a door must be to take an item of this type: its size class, and weapons apart from other kit. */
  doorFit(assetTypeId: number): DoorFit {
    const type = this.statements.typeFit.get(assetTypeId);
    return { sizeRank: sizeRank(type?.sizeClass ?? 'S'), purpose: type !== undefined && WEAPON_CATEGORIES.has(type.category) ? 'weapons' : 'equipment' };
  }

  assetBySerial(serial: string): AssetRecord | undefined {
    return this.db
      .prepare<[string], AssetRecord>(
        `${ASSET_SELECT} WHERE a.serial = ? COLLATE NOCASE`,
      )
      .get(serial);
  }

  assetByTag(tag: string): AssetRecord | undefined {
    return this.statements.assetByTag.get(tag);
  }

  /** An item as a person names it: its serial as printed, or its tag as scanned. */
  assetBySerialOrTag(text: string): AssetRecord | undefined {
    return this.assetBySerial(text) ?? this.assetByTag(text);
  }

  /** The bank's named banks and their doors (migration 19); empty when none is named. */
  namedBanks(bankId: number): { name: string; doors: number[] }[] {
    const rows = this.db
      .prepare<[number], { name: string; number: number }>('SELECT bank_label AS name, number FROM doors INDEXED BY doors_in_named_banks WHERE bank_id = ? AND bank_label IS NOT NULL ORDER BY bank_label, number')
      .all(bankId);
    const banks = new Map<string, number[]>();
    for (const row of rows) banks.set(row.name, [...(banks.get(row.name) ?? []), row.number]);
    return [...banks].map(([name, doors]) => ({ name, doors }));
  }

  /** What lives behind each door of a bank ("Taser 7 T7-0001"), for the simulator panel's labels. */
  doorLabels(bankId: number): Map<number, string> {
    const rows = this.db
      .prepare<[number], { number: number; label: string }>(
        `SELECT d.number, t.name || ' ' || a.serial AS label FROM doors d
           JOIN assets a ON a.door_id = d.id JOIN asset_types t ON t.id = a.asset_type_id WHERE d.bank_id = ?`,
      )
      .all(bankId);
    return new Map(rows.map((r) => [r.number, r.label]));
  }

  /** Every tag with what it is and where, for the simulator panel's scan list (demo mode). */
  demoTags(): { tag: string; label: string }[] {
    return this.db
      .prepare<[], { tag: string; label: string }>(
        `SELECT a.tag, t.name || ' ' || a.serial || ' (' ||
                CASE WHEN o.collar_number IS NOT NULL THEN 'on loan to ' || o.collar_number ELSE a.status END || ')' AS label
           FROM assets a JOIN asset_types t ON t.id = a.asset_type_id
           LEFT JOIN loans l ON l.asset_id = a.id AND l.returned_at IS NULL
           LEFT JOIN officers o ON o.id = l.officer_id
          ORDER BY (o.collar_number IS NULL), t.name, a.serial`,
      )
      .all();
  }

  /** The lowest-numbered door holding an available item of the type, not held by an intent or reserved for a swap. */
  /** The lowest door with a free item of the type, skipping `unusableDoors` (reading open or implausibly). */
  firstAvailableBehindDoor(assetTypeId: number, bankId: number, unusableDoors: ReadonlySet<number> = new Set()): FreeItem | undefined {
    if (unusableDoors.size === 0) return this.statements.firstAvailable.get(assetTypeId, bankId);
    for (const item of this.statements.allAvailable.iterate(assetTypeId, bankId)) if (!unusableDoors.has(item.doorNumber)) return item;
    return undefined;
  }

  override(id: number): OverrideRecord | undefined {
    return this.statements.override.get(id);
  }

  /** The reason codes an armourer may give for an override now. */
  overrideReasons(): { code: string; label: string }[] {
    return this.statements.overrideReasons.all();
  }

  /** A dual-authorised override, for the caller's transaction to audit. */
  insertOverride(o: { officerId: number; armourerId: number; assetTypeId: number; reasonCode: string; note: string; refusal: string; ruleVersion: number | null; at: Date }): number {
    return Number(this.statements.insertOverride.run(o.officerId, o.armourerId, o.assetTypeId, o.reasonCode, o.note, o.refusal, o.ruleVersion, o.at.toISOString()).lastInsertRowid);
  }

  /** Mark an override used by a draw; false if it was already used. */
  spendOverride(id: number, intentId: number): boolean {
    return this.statements.spendOverride.run(intentId, id).changes === 1;
  }
}

function toAssetType(row: AssetTypeRow): AssetTypeRecord {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    category: row.category,
    maxPerOfficer: row.maxPerOfficer,
    selfService: row.selfService === 1,
    required: row.required ? (JSON.parse(row.required) as { code: string; name: string }[]) : [],
  };
}
