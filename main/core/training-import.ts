import { hash } from 'node:crypto';
import type { TrainingImportRowProblem, TrainingImportView } from '../../preload/contract.ts';
import type { AuditActor, AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import { localDate } from './dates.ts';
import { csvRecords, decodeUtf8, fieldMatcher, formatOf, isoDate, matchColumns, parseJson, type FieldSpec, type JsonPath } from './import-parsing.ts';
import type { Clock } from './ports.ts';
import { bulkReferenceWrite } from './reference-cache.ts';
import { DEFAULT_EXPIRY_HORIZON_YEARS, importedValidity } from './validity.ts';

/**
 * Training records imports: the digital training record (an LMS export) brought into the
 * terminal's `officer_qualifications`, which every release decision reads.
 *
 * All or nothing. The whole file is validated before anything is written, because a
 * half-applied export would leave some officers on new records and some on old ones with
 * no way to tell which: a single problem rejects the file, lists every problem (up to
 * MAX_LISTED_PROBLEMS) with its row, and changes no record. Every import, rejected ones
 * included, is recorded in `training_imports` with its report and audited, in the same
 * transaction as the records it changed.
 *
 * Every source gives bytes, decoded strictly as UTF-8: a file that is not UTF-8 is rejected
 * whole, upload and drop folder alike. Reading the bytes, CSV and JSON is import-parsing.ts,
 * which the personnel import shares.
 *
 * Formats (by the file name's extension, else sniffed from the first character):
 *
 * - CSV, RFC 4180: comma-separated, fields optionally in double quotes (which may hold
 *   commas, newlines and doubled quotes ""), CRLF or LF line ends. The first row is the
 *   header; columns are found by name, in any order, and other columns are ignored (LMS
 *   exports carry names, units and so on). Header names match ignoring case, spaces,
 *   dashes and underscores, so "Collar Number", "collar_number" and "collarNumber" are
 *   the same column. Columns, with the aliases LMS exports use:
 *     collar_number       (or officer)      required
 *     qualification_code  (or course_code)  required
 *     awarded_on          (or completed)    required
 *     expires_on          (or expiry)       optional column; an empty value too
 *   Wholly empty lines (a trailing newline, a row of bare commas) are skipped.
 * - JSON: `{ "records": [ { collarNumber, qualificationCode, awardedOn, expiresOn? } ] }`
 *   or a bare array of such records; keys match as CSV headers do (aliases included).
 *   Values are strings; expiresOn may be absent, null or "". A key given twice in one
 *   object is a problem on that record (JSON.parse would silently keep the last).
 *
 * Dates are yyyy-mm-dd, or dd/mm/yyyy (d/m/yyyy too), never mm/dd/yyyy (see isoDate).
 *
 * Expiry is the last valid day. The expiry is stored as the file gives it (none when it gives
 * none), and beside it the last valid day from validity.ts, the one rule every reader uses:
 * with no expiry given, the day before the award date plus the qualification's
 * `validity_months` (awarded 2026-03-15, 12 months: valid to 2027-03-14).
 *
 * An import never widens authority by what it leaves out: a record with no expiry, for a
 * qualification with no validity period, is refused (it would otherwise never expire), and
 * so is an expiry more than `policy.trainingExpiryHorizonYears` (10 by default) after the
 * award, which is a slip rather than a real course.
 *
 * Only records in the file are touched: a record the file does not mention is left as it
 * is (an export of recent completions must not wipe everyone else). A record whose dates
 * match what is stored is not rewritten, so importing the same file twice changes nothing.
 * The LMS is the authority, so a row with different dates replaces the stored ones, even
 * earlier ones (a corrected record).
 */

/** A rejection lists this many problems, then says how many more there are. */
export const MAX_LISTED_PROBLEMS = 1000;

export interface TrainingImportOptions {
  /** How many years after the award an expiry may be; read at each import, so a saved policy applies at once. */
  expiryHorizonYears?: () => number;
}

export interface TrainingImportInput<C> {
  fileName: string;
  content: C;
  /** Where the file came from: "upload", "drop folder", or the URL it was pulled from. */
  source: string;
  /** The admin who imported it; null for the drop folder and the scheduled pull. */
  officerId: number | null;
}

type Field = 'collar' | 'code' | 'awarded' | 'expires';

// The JSON key (camelCase) matches the column once squashed, so it needs no alias of its own.
const FIELDS: Record<Field, FieldSpec & { json: string }> = {
  collar: { column: 'collar_number', json: 'collarNumber', aliases: ['officer'], required: true },
  code: { column: 'qualification_code', json: 'qualificationCode', aliases: ['course_code'], required: true },
  awarded: { column: 'awarded_on', json: 'awardedOn', aliases: ['completed'], required: true },
  expires: { column: 'expires_on', json: 'expiresOn', aliases: ['expiry'], required: false },
};
const fieldOf = fieldMatcher(FIELDS);

/** One record as read from the file, before it is checked against the database. */
interface RawRecord {
  row: number;
  collar: string;
  code: string;
  awarded: string;
  expires: string;
}

interface Parsed {
  records: RawRecord[];
  problems: TrainingImportRowProblem[];
}

interface StoredRecord {
  awarded: string;
  expires: string | null;
  validUntil: string | null;
}

interface Change {
  /** No record of this qualification for this officer yet. */
  added: boolean;
  officerId: number;
  qualificationId: number;
  awarded: string;
  /** The expiry as the file gives it; null when the file gives none. */
  expires: string | null;
  validUntil: string | null;
}

interface Checked {
  changes: Change[];
  problems: TrainingImportRowProblem[];
  /** All problems found, listed or not. */
  problemCount: number;
}

/** An import checked against a snapshot of the database and not yet written (see TrainingImports.plan). */
export interface TrainingImportPlan {
  input: TrainingImportInput<unknown>;
  digest: string;
  format: 'csv' | 'json';
  /** The file's records; null when it could not be read at all (not UTF-8). */
  parsed: Parsed | null;
  /** The reference generation the records were checked at; null with nothing parsed. */
  generation: number | null;
  checked: Checked;
}

interface ImportRow {
  id: number;
  source: string;
  file_name: string;
  format: 'csv' | 'json';
  status: TrainingImportView['status'];
  rows: number;
  changed: number;
  report: string;
  imported_at: string;
}

/** What `training_imports.report` holds (JSON). */
interface Report {
  problems: TrainingImportRowProblem[];
  /** All problems found, listed or not. */
  problemCount: number;
  added: number;
  updated: number;
  unchanged: number;
}

/** The TEMP table an import's changes are staged in (see the constructor). */
const STAGED = 'training_import_changes';

// Qualification ids are small; officer ids fit well below 2^33, so the key stays exact.
const recordKey = (officerId: number, qualificationId: number): number => officerId * 1_048_576 + qualificationId;

export class TrainingImports {
  private readonly officers;
  private readonly qualifications;
  private readonly stored;
  private readonly insertImport;
  private readonly stageOne;
  private readonly clearStaged;
  private readonly writeStaged;
  private readonly listRows;
  private readonly lastAccepted;
  private readonly generationRow;

  private readonly horizonYears: () => number;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    options: TrainingImportOptions = {},
  ) {
    this.horizonYears = options.expiryHorizonYears ?? (() => DEFAULT_EXPIRY_HORIZON_YEARS);
    this.officers = db.prepare<[], [number, string]>('SELECT id, collar_number FROM officers').raw();
    this.qualifications = db.prepare<[], [number, string, number | null]>('SELECT id, code, validity_months FROM qualifications').raw();
    this.stored = db
      .prepare<[], [number, number, string, string | null, string | null]>('SELECT officer_id, qualification_id, awarded_on, expires_on, valid_until FROM officer_qualifications')
      .raw();
    this.insertImport = db.prepare<[string, string, string, string, string, number, number, string, string, number | null]>(
      `INSERT INTO training_imports (source, file_name, sha256, format, status, rows, changed, report, imported_at, imported_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // The changes are staged in a TEMP table (this connection's own, written without the database's
    // write lock) and written under the lock by this one statement: a 100,000-row import then
    // holds the lock about half as long as a statement run per record did (a write on the main
    // thread waited at most 0.44 s against 0.95 s for a first import, on the shared 2-core VM).
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${STAGED} (
      officer_id INTEGER NOT NULL, qualification_id INTEGER NOT NULL, awarded_on TEXT NOT NULL, expires_on TEXT, valid_until TEXT)`);
    this.stageOne = db.prepare<[number, number, string, string | null, string | null]>(`INSERT INTO temp.${STAGED} VALUES (?, ?, ?, ?, ?)`);
    this.clearStaged = db.prepare(`DELETE FROM temp.${STAGED}`);
    this.writeStaged = db.prepare<[string, string, number]>(
      `INSERT INTO officer_qualifications (officer_id, qualification_id, awarded_on, expires_on, valid_until, source, recorded_at, import_id)
       SELECT officer_id, qualification_id, awarded_on, expires_on, valid_until, ?, ?, ? FROM temp.${STAGED} WHERE true
       ON CONFLICT (officer_id, qualification_id) DO UPDATE SET
         awarded_on = excluded.awarded_on, expires_on = excluded.expires_on, valid_until = excluded.valid_until, source = excluded.source,
         recorded_at = excluded.recorded_at, import_id = excluded.import_id`,
    );
    this.listRows = db.prepare<[number], ImportRow>(
      'SELECT id, source, file_name, format, status, rows, changed, report, imported_at FROM training_imports ORDER BY id DESC LIMIT ?',
    );
    this.generationRow = db.prepare<[], { n: number }>('SELECT n FROM reference_generation WHERE id = 1');
    this.lastAccepted = db.prepare<[string], { sha256: string }>(
      "SELECT sha256 FROM training_imports WHERE source = ? AND status != 'rejected' ORDER BY id DESC LIMIT 1",
    );
  }

  /**
   * Import an export given as bytes: the admin screen's upload, the drop folder and the HTTPS
   * pull all come here, so all of them refuse a file that is not UTF-8 (with the line of its
   * first bad byte) rather than guess its encoding.
   */
  importBytes(input: TrainingImportInput<Uint8Array>): TrainingImportView {
    return this.apply(this.plan(input));
  }

  /**
   * Everything an import does before it writes: the digest, decoding, parsing, and checking every
   * record against the officers, qualifications and records held, read in one read transaction.
   * That is a consistent snapshot which takes no write lock, so on a connection of its own (the
   * import worker's) the kiosk's writes go on while a large file is checked.
   */
  plan(input: TrainingImportInput<Uint8Array>): TrainingImportPlan {
    const digest = sha256(input.content);
    const decoded = decodeUtf8(input.content);
    if (!decoded.ok) {
      const problems: TrainingImportRowProblem[] = [{ row: 0, problem: 'malformed', message: decoded.message }];
      return { input, digest, format: formatOf(input.fileName, ''), parsed: null, generation: null, checked: { changes: [], problems, problemCount: 1 } };
    }
    const format = formatOf(input.fileName, decoded.text);
    const parsed = format === 'csv' ? parseCsvRecords(decoded.text) : parseJsonRecords(decoded.text);
    return this.db.transaction(() => ({ input, digest, format, parsed, generation: this.generation(), checked: this.check(parsed) }))();
  }

  /**
   * Write what a plan found, with its import row and audit row, in one IMMEDIATE transaction. If
   * any reference data changed since the plan's snapshot (migration 7's generation moved), the
   * records are checked again under the lock first: what is written was always checked against
   * the officers and records it writes over.
   */
  apply(plan: TrainingImportPlan): TrainingImportView {
    const rows = plan.parsed?.records.length ?? 0;
    this.stage(plan.checked.changes);
    try {
      return this.db
        .transaction(() => {
          if (plan.parsed === null || this.generation() === plan.generation) return this.record(plan.input, plan.format, plan.digest, rows, plan.checked);
          const again = this.check(plan.parsed);
          this.stage(again.changes);
          return this.record(plan.input, plan.format, plan.digest, rows, again);
        })
        .immediate();
    } finally {
      this.clearStaged.run();
    }
  }

  /** The changes into the TEMP table record() writes from, in key order (the table's own), so the write walks its B-tree once. */
  private stage(changes: readonly Change[]): void {
    const ordered = [...changes].sort((a, b) => a.officerId - b.officerId || a.qualificationId - b.qualificationId);
    this.db.transaction(() => {
      this.clearStaged.run();
      for (const c of ordered) this.stageOne.run(c.officerId, c.qualificationId, c.awarded, c.expires, c.validUntil);
    })();
  }

  /** The same for text already in hand (tests, the benchmark): encoded to UTF-8 and taken down the one path. */
  importText(input: TrainingImportInput<string>): TrainingImportView {
    return this.importBytes({ ...input, content: Buffer.from(input.content, 'utf8') });
  }

  /** The latest imports, newest first. */
  list(limit = 50): TrainingImportView[] {
    return this.listRows.all(limit).map((row) => {
      const report = JSON.parse(row.report) as Report;
      return {
        id: row.id,
        source: row.source,
        fileName: row.file_name,
        format: row.format,
        status: row.status,
        rows: row.rows,
        changed: row.changed,
        problems: report.problems,
        importedAt: row.imported_at,
      };
    });
  }

  /** Bumped by every write to reference data, from any connection (see reference-cache.ts). */
  private generation(): number {
    return this.generationRow.get()?.n ?? 0;
  }

  /** The sha256 of the latest applied or unchanged import from `source`: a puller skips a body it has already taken. */
  lastAcceptedSha256(source: string): string | null {
    return this.lastAccepted.get(source)?.sha256 ?? null;
  }

  /** Every record against the database, with the changes to make if there is no problem. */
  private check(parsed: Parsed): Checked {
    const problems: TrainingImportRowProblem[] = [];
    let problemCount = 0;
    const problem = (p: TrainingImportRowProblem): void => {
      problemCount++;
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(p);
    };
    for (const p of parsed.problems) problem(p);
    if (parsed.records.length === 0 && problemCount === 0) problem({ row: 0, problem: 'malformed', message: 'the file holds no training records' });

    // Collar numbers match ignoring case and repeated spaces ("pc  2345" is PC 2345); no
    // other guessing ("PC2345" is not), since a wrong match would train the wrong officer.
    const officers = new Map<string, number>();
    for (const [id, collar] of this.officers.all()) officers.set(normalCollar(collar), id);
    const qualifications = new Map<string, { id: number; validityMonths: number | null }>();
    for (const [id, code, validityMonths] of this.qualifications.all()) qualifications.set(code.toUpperCase(), { id, validityMonths });
    const knownCodes = [...qualifications.keys()].join(', ');
    const stored = new Map<number, StoredRecord>();
    for (const [officerId, qualificationId, awarded, expires, valid] of this.stored.all()) stored.set(recordKey(officerId, qualificationId), { awarded, expires, validUntil: valid });

    const today = localDate(this.clock.now());
    const horizonYears = this.horizonYears();
    const dates = new Map<string, string | null>();
    const parseDate = (value: string): string | null => {
      let iso = dates.get(value);
      if (iso === undefined) {
        iso = isoDate(value);
        dates.set(value, iso);
      }
      return iso;
    };
    const seen = new Map<string, number>();
    const changes: Change[] = [];
    for (const record of parsed.records) {
      const { row } = record;
      const collar = record.collar.trim();
      const code = record.code.trim();
      const awardedText = record.awarded.trim();
      const expiresText = record.expires.trim();
      let ok = true;
      const fail = (kind: TrainingImportRowProblem['problem'], message: string): void => {
        ok = false;
        problem({ row, problem: kind, message });
      };
      const collarKey = normalCollar(collar);
      const officerId = officers.get(collarKey);
      if (collar === '') fail('missing-field', 'no collar number');
      else if (officerId === undefined) fail('unknown-officer', `no officer with collar number "${collar}" on this terminal`);
      const qualification = qualifications.get(code.toUpperCase());
      if (code === '') fail('missing-field', 'no qualification code');
      else if (!qualification) fail('unknown-qualification', `no qualification with code "${code}" (this terminal knows ${knownCodes || 'none'})`);
      if (collar !== '' && code !== '') {
        const key = `${collarKey}\u0000${code.toUpperCase()}`;
        const first = seen.get(key);
        if (first !== undefined) fail('duplicate-row', `${collar} ${code} appears more than once (first on row ${first}): the file must give one record each`);
        else seen.set(key, row);
      }
      let awarded: string | null = null;
      if (awardedText === '') fail('missing-field', 'no award date');
      else {
        awarded = parseDate(awardedText);
        if (awarded === null) fail('bad-date', `award date "${awardedText}" is not a date: use yyyy-mm-dd or dd/mm/yyyy`);
        else if (awarded > today) fail('future-date', `award date ${awarded} is in the future (today is ${today})`);
      }
      let expires: string | null = null;
      if (expiresText !== '') {
        expires = parseDate(expiresText);
        if (expires === null) fail('bad-date', `expiry date "${expiresText}" is not a date: use yyyy-mm-dd or dd/mm/yyyy`);
        else if (awarded !== null && expires < awarded) fail('bad-date', `expiry date ${expires} is before the award date ${awarded}`);
      }
      let valid: string | null = null;
      if (qualification && awarded !== null && (expires === null ? expiresText === '' : expires >= awarded)) {
        const validity = importedValidity(awarded, expires, qualification.validityMonths, horizonYears);
        if (validity.ok) valid = validity.validUntil;
        else if (validity.problem === 'no-expiry') {
          fail('missing-field', `no expiry date, and ${code.toUpperCase()} has no validity period to work one out from: add the expiry date (${FIELDS.expires.column}) to the file`);
        } else {
          fail('bad-date', `expiry date ${expires} is more than ${horizonYears} years after the award date ${awarded} (the latest allowed is ${validity.latest}): check the date`);
        }
      }
      // Once the file is known to be rejected the changes are never used: stop collecting.
      if (!ok || problemCount > 0 || officerId === undefined || !qualification || awarded === null || valid === null) continue;
      const before = stored.get(recordKey(officerId, qualification.id));
      if (before && before.awarded === awarded && before.expires === expires && before.validUntil === valid) continue;
      changes.push({ added: before === undefined, officerId, qualificationId: qualification.id, awarded, expires, validUntil: valid });
    }
    if (problemCount > problems.length) {
      problems.push({
        row: 0,
        problem: 'malformed',
        message: `${problemCount - problems.length} more problems are not listed (the first ${problems.length} are): fix these and import the file again`,
      });
    }
    return { changes: problemCount > 0 ? [] : changes, problems, problemCount };
  }

  /** The import's row, its staged changes and its audit row; the caller holds the transaction. */
  private record(input: TrainingImportInput<unknown>, format: 'csv' | 'json', digest: string, rows: number, checked: Checked): TrainingImportView {
    const { changes, problems, problemCount } = checked;
    const now = this.clock.now();
    const at = now.toISOString();
    const status: TrainingImportView['status'] = problemCount > 0 ? 'rejected' : changes.length > 0 ? 'applied' : 'unchanged';
    const added = changes.filter((c) => c.added).length;
    const report: Report = { problems, problemCount, added, updated: changes.length - added, unchanged: status === 'rejected' ? 0 : rows - changes.length };
    const id = Number(
      this.insertImport.run(input.source, input.fileName, digest, format, status, rows, changes.length, JSON.stringify(report), at, input.officerId).lastInsertRowid,
    );
    const recordSource = `${input.source}: ${input.fileName}`;
    // One reference-generation bump for the whole file, not one per record.
    if (changes.length > 0) bulkReferenceWrite(this.db, 'officer_qualifications', () => this.writeStaged.run(recordSource, at, id));
    const actor: AuditActor = input.officerId === null ? 'system' : `officer:${input.officerId}`;
    const details = { source: input.source, file: input.fileName, rows, changed: changes.length, status };
    const subject = `training-import:${id}`;
    this.audit.append(
      status === 'rejected' ? { actor, action: 'training.rejected', subject, details: { ...details, problems: problemCount } } : { actor, action: 'training.imported', subject, details },
      now,
    );
    return { id, source: input.source, fileName: input.fileName, format, status, rows, changed: changes.length, problems, importedAt: at };
  }
}

function sha256(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex');
}

const normalCollar = (collar: string): string => collar.trim().replace(/\s+/g, ' ').toUpperCase();

// ---------------------------------------------------------------------------------------
// CSV

function parseCsvRecords(text: string): Parsed {
  const problems: TrainingImportRowProblem[] = [];
  const records: RawRecord[] = [];
  const reader = csvRecords(text);
  const first = reader.next();
  if (first.done) return { records, problems: [{ row: 0, problem: 'malformed', message: 'the file is empty' }] };
  const header = first.value;
  if (header.error !== null) return { records, problems: [{ row: 0, problem: 'malformed', message: `the header row: ${header.error}` }] };
  const columns = matchColumns(header.fields, FIELDS);
  if (!columns.ok) {
    const hint = /[;\t]/.test(header.fields.join(',')) ? ' (the columns look separated by semicolons or tabs: save the export as comma-separated)' : '';
    return { records, problems: columns.problems.map((p) => ({ row: 0, problem: p.kind, message: p.message + hint })) };
  }
  const at = columns.at;
  const width = header.fields.length;
  let row = 0;
  for (const record of reader) {
    row++;
    const { fields } = record;
    if (record.error !== null) {
      problems.push({ row, problem: 'malformed', message: record.error });
      continue;
    }
    if (fields.every((f) => f.trim() === '')) continue;
    if (fields.length !== width) {
      problems.push({ row, problem: 'malformed', message: `line ${record.line} has ${fields.length} fields but the header has ${width}` });
      continue;
    }
    records.push({ row, collar: fields[at.collar] ?? '', code: fields[at.code] ?? '', awarded: fields[at.awarded] ?? '', expires: at.expires < 0 ? '' : (fields[at.expires] ?? '') });
  }
  return { records, problems };
}

// ---------------------------------------------------------------------------------------
// JSON

function parseJsonRecords(text: string): Parsed {
  const problems: TrainingImportRowProblem[] = [];
  const records: RawRecord[] = [];
  const parsed = parseJson(text);
  if (!parsed.ok) {
    return { records, problems: parsed.problems.map((p) => ({ row: recordRow(p.path), problem: 'malformed', message: p.message })) };
  }
  const data = parsed.value;
  const list = Array.isArray(data) ? data : isObject(data) && Array.isArray(data.records) ? data.records : null;
  if (list === null) {
    return { records, problems: [{ row: 0, problem: 'malformed', message: 'expected {"records": [...]} or an array of records' }] };
  }
  list.forEach((item: unknown, index: number) => {
    const row = index + 1;
    if (!isObject(item)) {
      problems.push({ row, problem: 'malformed', message: 'a record must be an object such as {"collarNumber": "PC 2345", ...}' });
      return;
    }
    // A missing key is left empty here and reported as a missing field by the checks every format goes through.
    const fields: Record<Field, string> = { collar: '', code: '', awarded: '', expires: '' };
    const given: Partial<Record<Field, string>> = {};
    const wrong: string[] = [];
    for (const [key, value] of Object.entries(item)) {
      const field = fieldOf(key);
      if (!field) continue;
      const other = given[field];
      if (other !== undefined) {
        wrong.push(`"${other}" and "${key}" both give the ${FIELDS[field].json}: keep one`);
        continue;
      }
      given[field] = key;
      if (typeof value === 'string') fields[field] = value;
      else if (value !== null && value !== undefined) wrong.push(`${key} must be text, such as "2026-03-15"`);
    }
    if (wrong.length > 0) {
      problems.push({ row, problem: 'malformed', message: wrong.join('; ') });
      return;
    }
    records.push({ row, ...fields });
  });
  return { records, problems };
}

/**
 * The record a JSON path falls in (1-based, as problems count rows), or 0 outside any record:
 * `[3]` in a bare array and `records[3]` in `{ "records": [...] }` are both row 4.
 */
function recordRow(path: JsonPath): number {
  const [first, second] = path;
  if (typeof first === 'number') return first + 1;
  if (first === 'records' && typeof second === 'number') return second + 1;
  return 0;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
