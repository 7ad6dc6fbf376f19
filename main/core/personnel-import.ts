import { hash } from 'node:crypto';
import { ROLES, type PersonnelImportRowProblem, type PersonnelImportView, type Role } from '../../preload/contract.ts';
import type { AuditActor, AuditLog } from './audit.ts';
import { CARD_UID, LAST_ADMIN, normalCardUid, normalCollar, type Commissioning } from './commissioning.ts';
import { localDate } from './dates.ts';
import type { Db } from './db/database.ts';
import { decodeUtf8, type FieldSpec } from './import-parsing.ts';
import { ImportLog, readTable, type LoggedImport, type TableRecord } from './import-table.ts';
import type { Clock } from './ports.ts';

type Field = 'collar' | 'name' | 'roles' | 'unit' | 'status' | 'cards' | 'site';

const FIELDS: Record<Field, FieldSpec> = {
  collar: { column: 'collar_number', aliases: ['collar', 'collar_no', 'warrant_number'], required: true },
  name: { column: 'name', aliases: ['display_name', 'full_name', 'officer_name'], required: true },
  roles: { column: 'roles', aliases: ['role'], required: false },
  unit: { column: 'unit', aliases: ['team', 'department'], required: false },
  status: { column: 'status', aliases: ['employment_status'], required: false },
  cards: { column: 'card_uids', aliases: ['cards', 'card_uid', 'card'], required: false },
  // The officer's home site, by its name in the site register (an estate counts the available there).
  site: { column: 'site', aliases: ['home_site', 'station'], required: false },
};

/** HR's words for a status, and what the terminal records for each. */
const STATUSES: Readonly<Record<string, 'active' | 'suspended' | 'restricted' | 'left'>> = {
  active: 'active',
  suspended: 'suspended',
  restricted: 'restricted',
  left: 'left',
  leaver: 'left',
};

const MAX_LISTED_PROBLEMS = 1000;

interface Current {
  id: number;
  name: string;
  unit: string | null;
  status: string;
  leftOn: string | null;
  siteId: number | null;
  roles: Set<string>;
  cards: Set<string>;
}

/** What one row asks for, checked. Undefined fields were not in the file: left as they are. */
interface Wanted {
  row: number;
  collar: string;
  name: string;
  unit: string | null | undefined;
  siteId: number | null | undefined;
  status: 'active' | 'suspended' | 'restricted' | 'left' | undefined;
  roles: Set<Role> | undefined;
  cards: Set<string> | undefined;
}

/**
 * HR's personnel file (CSV or JSON): collar number, name, roles, unit, status, card UIDs.
 * The whole file is checked first and applied in one transaction or not at all, with a report
 * per row; importing the same file twice changes nothing. Officers missing from the file are
 * left alone (a partial file removes nobody); a column missing from the file leaves that
 * detail as it is, so an omission never grants or removes authority. Leavers keep their
 * history but lose their cards, PIN and roles.
 */
export class PersonnelImports {
  private readonly sql;
  private readonly log: ImportLog<PersonnelImportRowProblem, { added: number; left: number }>;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly commissioning: Commissioning,
  ) {
    this.log = new ImportLog(db, 'personnel_imports');
    this.sql = {
      officers: db.prepare<[], { id: number; collar: string; name: string; unit: string | null; status: string; leftOn: string | null; siteId: number | null }>(
        'SELECT id, collar_number AS collar, display_name AS name, unit, status, left_on AS leftOn, site_id AS siteId FROM officers',
      ),
      sites: db.prepare<[], { id: number; name: string }>('SELECT id, name FROM sites'),
      roles: db.prepare<[], { officerId: number; role: string }>('SELECT officer_id AS officerId, role FROM officer_roles'),
      cards: db.prepare<[], { uid: string; officerId: number }>('SELECT uid, officer_id AS officerId FROM cards WHERE revoked_at IS NULL'),
      insertOfficer: db.prepare<[string, string, string, string | null, number | null, string]>('INSERT INTO officers (collar_number, display_name, status, unit, site_id, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      updateOfficer: db.prepare<[string, string | null, string, string | null, number]>('UPDATE officers SET display_name = ?, unit = ?, status = ?, left_on = ? WHERE id = ?'),
      setSite: db.prepare<[number | null, number]>('UPDATE officers SET site_id = ? WHERE id = ?'),
      deleteRoles: db.prepare<[number]>('DELETE FROM officer_roles WHERE officer_id = ?'),
      addRole: db.prepare<[number, string]>('INSERT INTO officer_roles (officer_id, role) VALUES (?, ?)'),
      revokeCard: db.prepare<[string, string]>('UPDATE cards SET revoked_at = ? WHERE uid = ? AND revoked_at IS NULL'),
      enrolCard: db.prepare<[string, number, string]>(
        `INSERT INTO cards (uid, officer_id, issued_at) VALUES (?, ?, ?)
         ON CONFLICT (uid) DO UPDATE SET officer_id = excluded.officer_id, issued_at = excluded.issued_at, revoked_at = NULL`,
      ),
      deletePin: db.prepare<[number]>('DELETE FROM pins WHERE officer_id = ?'),
    };
  }

  /** The upload's bytes: refused whole if they are not UTF-8, rather than guessed at. */
  importBytes(input: { fileName: string; content: Uint8Array; source: string; officerId: number | null }): PersonnelImportView {
    const digest = hash('sha256', input.content, 'hex');
    const decoded = decodeUtf8(input.content);
    if (!decoded.ok) {
      return this.db.transaction(() => this.record(input, 'csv', digest, 0, { changed: 0, added: 0, left: 0 }, [{ row: 0, problem: 'malformed', message: decoded.message }])).immediate();
    }
    const table = readTable(input.fileName, decoded.text, FIELDS, 'officers');
    return this.db
      .transaction(() => {
        const problems: PersonnelImportRowProblem[] = [...table.problems];
        if (table.records.length === 0 && problems.length === 0) problems.push({ row: 0, problem: 'malformed', message: 'the file holds no officers' });
        const current = this.current();
        const wanted = this.check(table.records, current, problems);
        if (problems.length > 0) return this.record(input, table.format, digest, table.records.length, { changed: 0, added: 0, left: 0 }, problems);
        let counts = { changed: 0, added: 0, left: 0 };
        const lockedOut = this.commissioning.wouldLeaveNoAdmin(() => {
          counts = this.apply(wanted, current, input.officerId);
        });
        if (lockedOut) return this.record(input, table.format, digest, table.records.length, { changed: 0, added: 0, left: 0 }, [{ row: 0, problem: 'last-admin', message: LAST_ADMIN }]);
        return this.record(input, table.format, digest, table.records.length, counts, []);
      })
      .immediate();
  }

  importText(input: { fileName: string; content: string; source: string; officerId: number | null }): PersonnelImportView {
    return this.importBytes({ ...input, content: Buffer.from(input.content, 'utf8') });
  }

  list(limit = 50): PersonnelImportView[] {
    return this.log.list(limit).map(viewOf);
  }

  private current(): Map<string, Current> {
    const byId = new Map<number, Current>();
    const byCollar = new Map<string, Current>();
    for (const o of this.sql.officers.all()) {
      const record: Current = { id: o.id, name: o.name, unit: o.unit, status: o.status, leftOn: o.leftOn, siteId: o.siteId, roles: new Set(), cards: new Set() };
      byId.set(o.id, record);
      byCollar.set(normalCollar(o.collar), record);
    }
    for (const r of this.sql.roles.all()) byId.get(r.officerId)?.roles.add(r.role);
    for (const c of this.sql.cards.all()) byId.get(c.officerId)?.cards.add(c.uid);
    return byCollar;
  }

  private check(records: TableRecord<Field>[], current: Map<string, Current>, problems: PersonnelImportRowProblem[]): Wanted[] {
    const problem = (p: PersonnelImportRowProblem): void => {
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(p);
    };
    const seen = new Map<string, number>();
    const sites = new Map(this.sql.sites.all().map((site) => [site.name.trim().toLowerCase(), site.id]));
    const cardRows = new Map<string, { row: number; collar: string }>();
    const wanted: Wanted[] = [];
    for (const { row, fields, given } of records) {
      const collar = normalCollar(fields.collar);
      const name = fields.name.trim().replace(/\s+/g, ' ');
      if (collar === '') {
        problem({ row, problem: 'missing-field', message: 'no collar number' });
        continue;
      }
      if (!/^[A-Z0-9 /-]{1,20}$/.test(collar)) {
        problem({ row, problem: 'malformed', message: `collar number "${fields.collar}" is not letters, digits and spaces (at most 20)` });
        continue;
      }
      const earlier = seen.get(collar);
      if (earlier !== undefined) {
        problem({ row, problem: 'duplicate-row', message: `${collar} is also on row ${earlier}: give each officer once` });
        continue;
      }
      seen.set(collar, row);
      if (name.length < 2 || name.length > 80) {
        problem({ row, problem: name === '' ? 'missing-field' : 'malformed', message: name === '' ? `no name for ${collar}` : `the name for ${collar} must be 2 to 80 characters` });
        continue;
      }
      let status: Wanted['status'];
      if (given.has('status') && fields.status.trim() !== '') {
        status = STATUSES[fields.status.trim().toLowerCase()];
        if (!status) {
          problem({ row, problem: 'bad-status', message: `status "${fields.status}" for ${collar} is not one of active, suspended, restricted, left` });
          continue;
        }
      }
      let roles: Set<Role> | undefined;
      if (given.has('roles')) {
        const names = splitList(fields.roles).map((r) => r.toLowerCase());
        const unknown = names.filter((r) => !(ROLES as readonly string[]).includes(r));
        if (unknown.length > 0) {
          problem({ row, problem: 'unknown-role', message: `role ${unknown.map((r) => `"${r}"`).join(', ')} for ${collar} is not one of ${ROLES.join(', ')}` });
          continue;
        }
        roles = new Set(names.length > 0 ? (names as Role[]) : ['officer']);
      }
      let cards: Set<string> | undefined;
      if (given.has('cards')) {
        cards = new Set();
        let bad = false;
        for (const raw of splitList(fields.cards)) {
          const uid = normalCardUid(raw);
          if (!CARD_UID.test(uid)) {
            problem({ row, problem: 'malformed', message: `card UID "${raw}" for ${collar} is not 8 to 20 hex digits` });
            bad = true;
            continue;
          }
          const other = cardRows.get(uid);
          if (other) {
            problem({ row, problem: 'card-conflict', message: `card ${uid} is also given to ${other.collar} on row ${other.row}` });
            bad = true;
            continue;
          }
          cardRows.set(uid, { row, collar });
          cards.add(uid);
        }
        if (bad) continue;
      }
      const unit = given.has('unit') ? fields.unit.trim() || null : undefined;
      let siteId: number | null | undefined;
      if (given.has('site')) {
        const siteName = fields.site.trim().replace(/\s+/g, ' ');
        siteId = siteName === '' ? null : sites.get(siteName.toLowerCase());
        if (siteId === undefined) {
          problem({ row, problem: 'unknown-site', message: `site "${siteName}" for ${collar} is not in the site register` });
          continue;
        }
      }
      wanted.push({ row, collar, name, unit, siteId, status, roles, cards });
    }
    // A card may move between officers in one file, but not to someone while another keeps it.
    const releasing = new Map<string, Set<string>>();
    for (const w of wanted) if (w.cards !== undefined || w.status === 'left') releasing.set(w.collar, w.status === 'left' ? new Set() : w.cards!);
    const holder = new Map<string, string>();
    for (const [collar, record] of current) for (const uid of record.cards) holder.set(uid, collar);
    for (const w of wanted) {
      for (const uid of w.cards ?? []) {
        const held = holder.get(uid);
        if (held === undefined || held === w.collar) continue;
        const keeps = releasing.get(held);
        if (keeps === undefined || keeps.has(uid)) problem({ row: w.row, problem: 'card-conflict', message: `card ${uid} is enrolled to ${held}: list it for one officer only, or revoke it there first` });
      }
    }
    return wanted;
  }

  /** Inside the import's transaction: every row's change, with an audit row per officer changed. */
  private apply(wanted: Wanted[], current: Map<string, Current>, by: number | null): { changed: number; added: number; left: number } {
    const now = this.clock.now();
    const at = now.toISOString();
    const today = localDate(now);
    const actor: AuditActor = by === null ? 'system' : `officer:${by}`;
    let changed = 0;
    let added = 0;
    let left = 0;
    // Cards given up first, so a card moving between two officers in the file is free when enrolled.
    for (const w of wanted) {
      const record = current.get(w.collar);
      if (!record) continue;
      const keep = w.status === 'left' ? new Set<string>() : w.cards;
      if (keep === undefined) continue;
      for (const uid of record.cards) if (!keep.has(uid)) this.sql.revokeCard.run(at, uid);
    }
    for (const w of wanted) {
      const record = current.get(w.collar);
      if (!record) {
        const status = w.status === 'left' ? 'suspended' : (w.status ?? 'active');
        const id = Number(this.sql.insertOfficer.run(w.collar, w.name, status, w.unit ?? null, w.siteId ?? null, at).lastInsertRowid);
        if (w.status === 'left') this.sql.updateOfficer.run(w.name, w.unit ?? null, status, today, id);
        const roles = w.status === 'left' ? [] : [...(w.roles ?? new Set<Role>(['officer']))].sort();
        for (const role of roles) this.sql.addRole.run(id, role);
        if (w.status !== 'left') for (const uid of w.cards ?? []) this.sql.enrolCard.run(uid, id, at);
        this.audit.append({ actor, action: 'officer.added', subject: `officer:${id}`, details: { collarNumber: w.collar, name: w.name, roles, status: w.status ?? 'active' } }, now);
        added++;
        changed++;
        continue;
      }
      if (w.status === 'left') {
        if (record.leftOn !== null) continue;
        this.sql.updateOfficer.run(w.name, w.unit === undefined ? record.unit : w.unit, 'suspended', today, record.id);
        this.sql.deleteRoles.run(record.id);
        this.sql.deletePin.run(record.id);
        this.audit.append({ actor, action: 'officer.left', subject: `officer:${record.id}`, details: { collarNumber: w.collar, cardsRevoked: record.cards.size } }, now);
        left++;
        changed++;
        continue;
      }
      const changes: string[] = [];
      const name = w.name;
      const unit = w.unit === undefined ? record.unit : w.unit;
      // Someone who left and is back in HR's file as active (a rejoiner) is active again; otherwise the status given, or as it was.
      const status = w.status ?? (record.leftOn !== null ? 'active' : record.status);
      if (name !== record.name) changes.push(`name "${record.name}" → "${name}"`);
      if (unit !== record.unit) changes.push(`unit ${record.unit ?? 'none'} → ${unit ?? 'none'}`);
      if (w.siteId !== undefined && w.siteId !== record.siteId) {
        changes.push(`site ${record.siteId ?? 'none'} → ${w.siteId ?? 'none'}`);
        this.sql.setSite.run(w.siteId, record.id);
      }
      if (status !== record.status || record.leftOn !== null) changes.push(`status ${record.leftOn !== null ? 'left' : record.status} → ${status}`);
      if (w.roles !== undefined) {
        const before = [...record.roles].sort().join(', ');
        const after = [...w.roles].sort().join(', ');
        if (before !== after) {
          changes.push(`roles ${before || 'none'} → ${after}`);
          this.sql.deleteRoles.run(record.id);
          for (const role of [...w.roles].sort()) this.sql.addRole.run(record.id, role);
        }
      }
      if (w.cards !== undefined) {
        const gone = [...record.cards].filter((uid) => !w.cards!.has(uid));
        const fresh = [...w.cards].filter((uid) => !record.cards.has(uid));
        for (const uid of fresh) this.sql.enrolCard.run(uid, record.id, at);
        if (fresh.length > 0) changes.push(`cards added ${fresh.join(', ')}`);
        if (gone.length > 0) changes.push(`cards revoked ${gone.join(', ')}`);
      }
      if (changes.length === 0) continue;
      this.sql.updateOfficer.run(name, unit, status, null, record.id);
      this.audit.append({ actor, action: 'officer.changed', subject: `officer:${record.id}`, details: { collarNumber: w.collar, changes } }, now);
      changed++;
    }
    return { changed, added, left };
  }

  private record(
    input: { fileName: string; source: string; officerId: number | null },
    format: 'csv' | 'json',
    sha256: string,
    rows: number,
    counts: { changed: number; added: number; left: number },
    problems: PersonnelImportRowProblem[],
  ): PersonnelImportView {
    const at = this.clock.now();
    const logged = this.log.record({ source: input.source, fileName: input.fileName, format, rows, changed: counts.changed, problems, extra: { added: counts.added, left: counts.left }, sha256, at, by: input.officerId });
    this.audit.append(
      {
        actor: input.officerId === null ? 'system' : `officer:${input.officerId}`,
        action: 'personnel.imported',
        subject: `personnel-import:${logged.id}`,
        details: { import: logged.id, fileName: input.fileName, rows, changed: counts.changed, added: counts.added, left: counts.left },
      },
      at,
    );
    return viewOf(logged);
  }
}

function viewOf({ extra, ...logged }: LoggedImport<PersonnelImportRowProblem, { added: number; left: number }>): PersonnelImportView {
  return { ...logged, added: extra.added, left: extra.left };
}

/** "armourer; officer", "a|b", "a,b": HR exports use all of them inside one cell. */
function splitList(text: string): string[] {
  return text
    .split(/[;|,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
