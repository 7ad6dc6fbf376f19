import type { HoldingView, Role } from '../../preload/contract.ts';
import type { Db } from './db/database.ts';
import type { HeldQualification, OfficerStatus } from './decision.ts';

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
  /**
   * The type's requirements from before versioned rules. The rule in force supersedes them;
   * they decide only for a type that has no stored rule (see Eligibility).
   */
  required: { code: string; name: string }[];
}

export interface AssetRecord {
  id: number;
  serial: string;
  tag: string;
  assetTypeId: number;
  assetTypeName: string;
  status: string;
  doorId: number | null;
}

/**
 * Read queries the services share. Statements are prepared once; every method is a
 * single indexed lookup so it can run inside a write transaction without slowing it.
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
        `SELECT q.code, q.name, oq.awarded_on AS awardedOn, oq.expires_on AS expiresOn, q.validity_months AS validityMonths
           FROM officer_qualifications oq JOIN qualifications q ON q.id = oq.qualification_id
          WHERE oq.officer_id = ? ORDER BY q.name`,
      ),
      assetTypes: db.prepare<[], { id: number; code: string; name: string; category: string; maxPerOfficer: number; required: string | null }>(
        `SELECT t.id, t.code, t.name, t.category, t.max_per_officer AS maxPerOfficer,
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
      assetType: db.prepare<[number], { id: number; code: string; name: string; category: string; maxPerOfficer: number; required: string | null }>(
        `SELECT t.id, t.code, t.name, t.category, t.max_per_officer AS maxPerOfficer,
                (SELECT json_group_array(json_object('code', q.code, 'name', q.name))
                   FROM asset_type_requirements r JOIN qualifications q ON q.id = r.qualification_id
                  WHERE r.asset_type_id = t.id) AS required
           FROM asset_types t WHERE t.id = ?`,
      ),
      availableOfType: db.prepare<[number], { count: number }>(
        `SELECT count(*) AS count FROM assets WHERE asset_type_id = ? AND status = 'available' AND door_id IS NOT NULL`,
      ),
      holdingOfType: db.prepare<[number, number], { count: number }>(
        // CROSS JOIN fixes the order: the officer's few open loans first, not every asset of the type.
        `SELECT count(*) AS count FROM loans l CROSS JOIN assets a ON a.id = l.asset_id
          WHERE l.officer_id = ? AND l.returned_at IS NULL AND a.asset_type_id = ?`,
      ),
      assetById: db.prepare<[number], AssetRecord>(
        `SELECT a.id, a.serial, a.tag, a.asset_type_id AS assetTypeId, t.name AS assetTypeName, a.status, a.door_id AS doorId
           FROM assets a JOIN asset_types t ON t.id = a.asset_type_id WHERE a.id = ?`,
      ),
      assetByTag: db.prepare<[string], AssetRecord>(
        `SELECT a.id, a.serial, a.tag, a.asset_type_id AS assetTypeId, t.name AS assetTypeName, a.status, a.door_id AS doorId
           FROM assets a JOIN asset_types t ON t.id = a.asset_type_id WHERE a.tag = ?`,
      ),
    };
  }

  officer(id: number): OfficerRecord | undefined {
    const row = this.statements.officer.get(id);
    if (!row) return undefined;
    const roles = (row.roles ?? '').split(',').filter((r): r is Role => r === 'officer' || r === 'armourer' || r === 'admin');
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

  assetType(id: number): AssetTypeRecord | undefined {
    const row = this.statements.assetType.get(id);
    return row ? toAssetType(row) : undefined;
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

  asset(id: number): AssetRecord | undefined {
    return this.statements.assetById.get(id);
  }

  assetBySerial(serial: string): AssetRecord | undefined {
    return this.db
      .prepare<[string], AssetRecord>(
        `SELECT a.id, a.serial, a.tag, a.asset_type_id AS assetTypeId, t.name AS assetTypeName, a.status, a.door_id AS doorId
           FROM assets a JOIN asset_types t ON t.id = a.asset_type_id WHERE a.serial = ? COLLATE NOCASE`,
      )
      .get(serial);
  }

  assetByTag(tag: string): AssetRecord | undefined {
    return this.statements.assetByTag.get(tag);
  }
}

function toAssetType(row: { id: number; code: string; name: string; category: string; maxPerOfficer: number; required: string | null }): AssetTypeRecord {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    category: row.category,
    maxPerOfficer: row.maxPerOfficer,
    required: row.required ? (JSON.parse(row.required) as { code: string; name: string }[]) : [],
  };
}
