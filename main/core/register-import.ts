import { hash } from 'node:crypto';
import { z } from 'zod';
import { SIZE_CLASSES } from './door-fit.ts';
import { ruleSchema, type RegisterImportRowProblem, type RegisterImportView } from '../../preload/contract.ts';
import { canonicalJson, type AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import { decodeUtf8, describePath, parseJson } from './import-parsing.ts';
import { ImportLog, type LoggedImport } from './import-table.ts';
import type { Clock } from './ports.ts';
import { normalise, type RuleStore } from './rules.ts';

const code = z.string().trim().regex(/^[A-Z0-9][A-Z0-9_-]{0,39}$/, 'a code is capital letters, digits, - and _ (at most 40)');

/**
 * The site register: what a live terminal releases and to whom. Every asset type carries its
 * release rule explicitly: a type without one is refused, so an omission never makes an item
 * free to draw. Items name their door in this terminal's bank, or none (in the store).
 */
const registerSchema = z
  .object({
    qualifications: z
      .array(z.object({ code, name: z.string().trim().min(1).max(80), validityMonths: z.number().int().min(1).max(120).nullable().default(null) }).strict())
      .max(500)
      .default([]),
    assetTypes: z
      .array(
        z
          .object({
            code,
            name: z.string().trim().min(1).max(80),
            category: z.string().trim().min(1).max(40),
            maxPerOfficer: z.number().int().min(1).max(20).default(1),
            selfService: z.boolean().default(true),
            // The smallest door it fits (door-fit.ts): S, M, L or XL.
            size: z.enum(SIZE_CLASSES).default('S'),
            // Pooled stock (PPE, uniform by size): counted in the store, booked by quantity; with a low-stock threshold.
            pooled: z.boolean().default(false),
            lowStockBelow: z.number().int().min(1).max(100_000).nullable().default(null),
            rule: ruleSchema,
          })
          .strict(),
      )
      .max(500)
      .default([]),
    assets: z
      .array(
        z
          .object({
            type: code,
            serial: z.string().trim().min(1).max(40),
            tag: z.string().trim().min(1).max(64).regex(/^[\x20-\x7e]+$/, 'a tag is printable ASCII'),
            door: z.number().int().min(1).max(999).nullable().default(null),
          })
          .strict(),
      )
      .max(100_000)
      .default([]),
  })
  .strict();
type Register = z.infer<typeof registerSchema>;
type Counts = { qualifications: number; assetTypes: number; assets: number };

/**
 * Import the site register (JSON): qualifications, asset types with their release rules, and
 * the items with their doors. Checked whole and applied in one transaction or not at all;
 * importing it again changes nothing. Existing items are never moved by an import (a door is
 * stocked once, then the draws and returns move it); a changed rule becomes the type's next
 * version, as on the rules screen.
 */
export class RegisterImports {
  private readonly log: ImportLog<RegisterImportRowProblem, Counts>;
  private readonly sql;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly rules: RuleStore,
    private readonly bankId: number,
  ) {
    this.log = new ImportLog(db, 'register_imports');
    this.sql = {
      qualification: db.prepare<[string], { id: number; name: string; validityMonths: number | null }>('SELECT id, name, validity_months AS validityMonths FROM qualifications WHERE code = ?'),
      insertQualification: db.prepare<[string, string, number | null]>('INSERT INTO qualifications (code, name, validity_months) VALUES (?, ?, ?)'),
      updateQualification: db.prepare<[string, number | null, number]>('UPDATE qualifications SET name = ?, validity_months = ? WHERE id = ?'),
      type: db.prepare<[string], { id: number; name: string; category: string; maxPerOfficer: number; selfService: number; size: string; pooled: number; lowStockBelow: number | null }>(
        'SELECT id, name, category, max_per_officer AS maxPerOfficer, self_service AS selfService, size_class AS size, pooled, low_stock_below AS lowStockBelow FROM asset_types WHERE code = ?',
      ),
      insertType: db.prepare<[string, string, string, number, number, string, number, number | null]>(
        'INSERT INTO asset_types (code, name, category, max_per_officer, self_service, size_class, pooled, low_stock_below) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      updateType: db.prepare<[string, string, number, number, string, number, number | null, number]>(
        'UPDATE asset_types SET name = ?, category = ?, max_per_officer = ?, self_service = ?, size_class = ?, pooled = ?, low_stock_below = ? WHERE id = ?',
      ),
      bySerial: db.prepare<[string], { id: number; tag: string; typeCode: string }>('SELECT a.id, a.tag, t.code AS typeCode FROM assets a JOIN asset_types t ON t.id = a.asset_type_id WHERE a.serial = ?'),
      byTag: db.prepare<[string], { serial: string }>('SELECT serial FROM assets WHERE tag = ?'),
      door: db.prepare<[number, number], { id: number; holder: string | null }>(
        'SELECT d.id, (SELECT serial FROM assets a WHERE a.door_id = d.id) AS holder FROM doors d WHERE d.bank_id = ? AND d.number = ?',
      ),
      insertAsset: db.prepare<[string, string, number, number | null, string]>("INSERT INTO assets (serial, tag, asset_type_id, status, door_id, updated_at) VALUES (?, ?, ?, 'available', ?, ?)"),
    };
  }

  importBytes(input: { fileName: string; content: Uint8Array; source: string; officerId: number }): RegisterImportView {
    const sha256 = hash('sha256', input.content, 'hex');
    const none: Counts = { qualifications: 0, assetTypes: 0, assets: 0 };
    const decoded = decodeUtf8(input.content);
    if (!decoded.ok) return this.db.transaction(() => this.record(input, sha256, 0, none, [{ row: 0, problem: 'malformed', message: decoded.message }])).immediate();
    const parsed = parseJson(decoded.text);
    if (!parsed.ok) return this.db.transaction(() => this.record(input, sha256, 0, none, parsed.problems.map((p) => ({ row: 0, problem: 'malformed', message: p.message })))).immediate();
    const checked = registerSchema.safeParse(parsed.value);
    if (!checked.success) {
      const problems = checked.error.issues.slice(0, 1000).map((issue): RegisterImportRowProblem => ({
        row: typeof issue.path[1] === 'number' ? issue.path[1] + 1 : 0,
        problem: 'malformed',
        message: `${describePath(issue.path.filter((p): p is string | number => typeof p !== 'symbol'))}: ${issue.message}`,
      }));
      return this.db.transaction(() => this.record(input, sha256, 0, none, problems)).immediate();
    }
    const register = checked.data;
    const rows = register.qualifications.length + register.assetTypes.length + register.assets.length;
    return this.db
      .transaction(() => {
        const problems = this.check(register);
        if (problems.length > 0) return this.record(input, sha256, rows, none, problems);
        return this.record(input, sha256, rows, this.apply(register, input.officerId), []);
      })
      .immediate();
  }

  list(limit = 50): RegisterImportView[] {
    return this.log.list(limit).map(viewOf);
  }

  /** Everything the schema cannot see: codes the register and the database both must know, serials, tags and doors. */
  private check(register: Register): RegisterImportRowProblem[] {
    const problems: RegisterImportRowProblem[] = [];
    const seen = (list: string, values: string[]) => {
      const first = new Map<string, number>();
      values.forEach((value, i) => {
        const earlier = first.get(value);
        if (earlier !== undefined) problems.push({ row: i + 1, problem: 'duplicate-row', message: `${list}[${i}]: "${value}" is also at ${list}[${earlier}]` });
        else first.set(value, i);
      });
    };
    seen('qualifications', register.qualifications.map((q) => q.code));
    seen('assetTypes', register.assetTypes.map((t) => t.code));
    seen('assets (serial)', register.assets.map((a) => a.serial));
    seen('assets (tag)', register.assets.map((a) => a.tag));
    seen('assets (door)', register.assets.flatMap((a) => (a.door === null ? [] : [String(a.door)])));
    const qualifications = new Set(register.qualifications.map((q) => q.code));
    register.assetTypes.forEach((t, i) => {
      for (const needed of [...t.rule.allOf, ...t.rule.anyOf]) {
        if (!qualifications.has(needed) && !this.sql.qualification.get(needed)) {
          problems.push({ row: i + 1, problem: 'unknown-code', message: `assetTypes[${i}] (${t.code}): its rule needs qualification "${needed}", which is neither in this file nor on the terminal` });
        }
      }
    });
    const types = new Set(register.assetTypes.map((t) => t.code));
    register.assets.forEach((a, i) => {
      const where = `assets[${i}] (${a.serial})`;
      if (!types.has(a.type) && !this.sql.type.get(a.type)) problems.push({ row: i + 1, problem: 'unknown-code', message: `${where}: asset type "${a.type}" is neither in this file nor on the terminal` });
      const existing = this.sql.bySerial.get(a.serial);
      if (existing && (existing.tag !== a.tag || existing.typeCode !== a.type)) {
        problems.push({ row: i + 1, problem: 'conflict', message: `${where}: the terminal already has this serial as ${existing.typeCode} with tag ${existing.tag}` });
      }
      const tagHolder = this.sql.byTag.get(a.tag);
      if (tagHolder && tagHolder.serial !== a.serial) problems.push({ row: i + 1, problem: 'conflict', message: `${where}: tag ${a.tag} is already on ${tagHolder.serial}` });
      if (!existing && a.door !== null) {
        const door = this.sql.door.get(this.bankId, a.door);
        if (!door) problems.push({ row: i + 1, problem: 'unknown-door', message: `${where}: this terminal's bank has no door ${a.door}` });
        else if (door.holder !== null) problems.push({ row: i + 1, problem: 'conflict', message: `${where}: door ${a.door} already holds ${door.holder}` });
      }
    });
    return problems;
  }

  private apply(register: Register, officerId: number): Counts {
    const now = this.clock.now();
    const at = now.toISOString();
    const counts: Counts = { qualifications: 0, assetTypes: 0, assets: 0 };
    for (const q of register.qualifications) {
      const existing = this.sql.qualification.get(q.code);
      if (!existing) this.sql.insertQualification.run(q.code, q.name, q.validityMonths);
      else if (existing.name !== q.name || existing.validityMonths !== q.validityMonths) this.sql.updateQualification.run(q.name, q.validityMonths, existing.id);
      else continue;
      counts.qualifications++;
    }
    for (const t of register.assetTypes) {
      const existing = this.sql.type.get(t.code);
      let typeId: number;
      if (!existing) {
        typeId = Number(this.sql.insertType.run(t.code, t.name, t.category, t.maxPerOfficer, t.selfService ? 1 : 0, t.size, t.pooled ? 1 : 0, t.lowStockBelow).lastInsertRowid);
        this.audit.append({ actor: `officer:${officerId}`, action: 'asset-type.added', subject: `asset-type:${typeId}`, details: { code: t.code, name: t.name, category: t.category } }, now);
        counts.assetTypes++;
      } else {
        typeId = existing.id;
        const changed =
          existing.name !== t.name ||
          existing.category !== t.category ||
          existing.maxPerOfficer !== t.maxPerOfficer ||
          existing.selfService !== (t.selfService ? 1 : 0) ||
          existing.size !== t.size ||
          existing.pooled !== (t.pooled ? 1 : 0) ||
          existing.lowStockBelow !== t.lowStockBelow;
        if (changed) {
          this.sql.updateType.run(t.name, t.category, t.maxPerOfficer, t.selfService ? 1 : 0, t.size, t.pooled ? 1 : 0, t.lowStockBelow, typeId);
          counts.assetTypes++;
        }
      }
      // The rule through the rules store: versioned and audited as a change on the rules screen is.
      const current = this.rules.current(typeId);
      if (!current || canonicalJson(current.rule) !== canonicalJson(normalise(t.rule))) {
        this.rules.save(officerId, typeId, t.rule);
        if (existing) counts.assetTypes++;
      }
    }
    for (const a of register.assets) {
      if (this.sql.bySerial.get(a.serial)) continue;
      const type = this.sql.type.get(a.type)!;
      const doorId = a.door === null ? null : this.sql.door.get(this.bankId, a.door)!.id;
      const assetId = Number(this.sql.insertAsset.run(a.serial, a.tag, type.id, doorId, at).lastInsertRowid);
      this.audit.append({ actor: `officer:${officerId}`, action: 'asset.registered', subject: `asset:${assetId}`, details: { assetType: type.name, assetTypeId: type.id, serial: a.serial, tag: a.tag } }, now);
      counts.assets++;
    }
    return counts;
  }

  private record(input: { fileName: string; source: string; officerId: number }, sha256: string, rows: number, counts: Counts, problems: RegisterImportRowProblem[]): RegisterImportView {
    const at = this.clock.now();
    const changed = counts.qualifications + counts.assetTypes + counts.assets;
    const logged = this.log.record({ source: input.source, fileName: input.fileName, format: 'json', rows, changed, problems, extra: counts, sha256, at, by: input.officerId });
    this.audit.append(
      { actor: `officer:${input.officerId}`, action: 'register.imported', subject: `register-import:${logged.id}`, details: { import: logged.id, fileName: input.fileName, rows, changed, ...counts } },
      at,
    );
    return viewOf(logged);
  }
}

function viewOf({ extra, ...logged }: LoggedImport<RegisterImportRowProblem, Counts>): RegisterImportView {
  return { ...logged, added: extra };
}
