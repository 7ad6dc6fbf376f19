import type { ImportReportView } from '../../preload/contract.ts';
import type { Db } from './db/database.ts';
import { csvRecords, fieldMatcher, formatOf, matchColumns, parseJson, type FieldSpec, type JsonPath } from './import-parsing.ts';

/** One record of an import file as text fields, with the row a problem report names. */
export interface TableRecord<F extends string> {
  row: number;
  fields: Record<F, string>;
  /** Which fields the record gave at all (a CSV column that exists, a JSON key that is present). */
  given: ReadonlySet<F>;
}

export interface TableProblem {
  row: number;
  problem: 'missing-field' | 'malformed';
  message: string;
}

export interface Table<F extends string> {
  format: 'csv' | 'json';
  records: TableRecord<F>[];
  problems: TableProblem[];
}

/**
 * An import file (CSV with a header row, or JSON: an array of objects or `{ "<listKey>": [...] }`)
 * read into records of text fields, by the same column names and aliases in both formats. In
 * JSON a list of strings (roles, card UIDs) is joined with ";", as a CSV cell would carry it.
 * Problems name their row; nothing here knows what the fields mean.
 */
export function readTable<F extends string>(fileName: string, text: string, fields: Readonly<Record<F, FieldSpec>>, listKey: string): Table<F> {
  const format = formatOf(fileName, text);
  return format === 'csv' ? { format, ...readCsv(text, fields) } : { format, ...readJson(text, fields, listKey) };
}

function emptyFields<F extends string>(fields: Readonly<Record<F, FieldSpec>>): Record<F, string> {
  return Object.fromEntries(Object.keys(fields).map((f) => [f, ''])) as Record<F, string>;
}

function readCsv<F extends string>(text: string, fields: Readonly<Record<F, FieldSpec>>): Omit<Table<F>, 'format'> {
  const records: TableRecord<F>[] = [];
  const problems: TableProblem[] = [];
  const reader = csvRecords(text);
  const first = reader.next();
  if (first.done) return { records, problems: [{ row: 0, problem: 'malformed', message: 'the file is empty' }] };
  const header = first.value;
  if (header.error !== null) return { records, problems: [{ row: 0, problem: 'malformed', message: `the header row: ${header.error}` }] };
  const columns = matchColumns(header.fields, fields);
  if (!columns.ok) {
    const hint = /[;\t]/.test(header.fields.join(',')) ? ' (the columns look separated by semicolons or tabs: save the export as comma-separated)' : '';
    return { records, problems: columns.problems.map((p) => ({ row: 0, problem: p.kind, message: p.message + hint })) };
  }
  const names = Object.keys(fields) as F[];
  const given = new Set(names.filter((f) => columns.at[f] >= 0));
  const width = header.fields.length;
  let row = 0;
  for (const record of reader) {
    row++;
    if (record.error !== null) {
      problems.push({ row, problem: 'malformed', message: record.error });
      continue;
    }
    if (record.fields.every((f) => f.trim() === '')) continue;
    if (record.fields.length !== width) {
      problems.push({ row, problem: 'malformed', message: `line ${record.line} has ${record.fields.length} fields but the header has ${width}` });
      continue;
    }
    const values = emptyFields(fields);
    for (const f of given) values[f] = record.fields[columns.at[f]] ?? '';
    records.push({ row, fields: values, given });
  }
  return { records, problems };
}

function readJson<F extends string>(text: string, fields: Readonly<Record<F, FieldSpec>>, listKey: string): Omit<Table<F>, 'format'> {
  const records: TableRecord<F>[] = [];
  const problems: TableProblem[] = [];
  const parsed = parseJson(text);
  if (!parsed.ok) return { records, problems: parsed.problems.map((p) => ({ row: rowOf(p.path, listKey), problem: 'malformed', message: p.message })) };
  const data = parsed.value;
  const list = Array.isArray(data) ? data : isObject(data) && Array.isArray(data[listKey]) ? (data[listKey] as unknown[]) : null;
  if (list === null) return { records, problems: [{ row: 0, problem: 'malformed', message: `expected {"${listKey}": [...]} or an array of records` }] };
  const fieldOf = fieldMatcher(fields);
  list.forEach((item: unknown, index: number) => {
    const row = index + 1;
    if (!isObject(item)) {
      problems.push({ row, problem: 'malformed', message: 'a record must be an object' });
      return;
    }
    const values = emptyFields(fields);
    const keys = new Map<F, string>();
    const wrong: string[] = [];
    for (const [key, value] of Object.entries(item)) {
      const field = fieldOf(key);
      if (!field) continue;
      const other = keys.get(field);
      if (other !== undefined) {
        wrong.push(`"${other}" and "${key}" both give the ${fields[field].column}: keep one`);
        continue;
      }
      keys.set(field, key);
      if (typeof value === 'string') values[field] = value;
      else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) values[field] = value.join(';');
      else if (value !== null) wrong.push(`${key} must be text or a list of text`);
    }
    if (wrong.length > 0) problems.push({ row, problem: 'malformed', message: wrong.join('; ') });
    else records.push({ row, fields: values, given: new Set(keys.keys()) });
  });
  return { records, problems };
}

/** The record a JSON path falls in (1-based), or 0 outside any record. */
function rowOf(path: JsonPath, listKey: string): number {
  const [first, second] = path;
  if (typeof first === 'number') return first + 1;
  if (first === listKey && typeof second === 'number') return second + 1;
  return 0;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What an import log stores per file; the report's extra counts are the import's own. */
export type LoggedImport<P, X extends object> = ImportReportView<P> & { extra: X };

/**
 * The record of every file an import took (personnel, site register): one row each with its
 * report, written in the import's own transaction so the report and the changes commit together.
 */
export class ImportLog<P, X extends object> {
  private readonly insert;
  private readonly latest;

  constructor(db: Db, table: 'personnel_imports' | 'register_imports') {
    this.insert = db.prepare<[string, string, string, string, string, number, number, string, string, number | null]>(
      `INSERT INTO ${table} (source, file_name, sha256, format, status, rows, changed, report, imported_at, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.latest = db.prepare<[number], { id: number; source: string; fileName: string; format: 'csv' | 'json'; status: LoggedImport<P, X>['status']; rows: number; changed: number; report: string; importedAt: string }>(
      `SELECT id, source, file_name AS fileName, format, status, rows, changed, report, imported_at AS importedAt FROM ${table} ORDER BY id DESC LIMIT ?`,
    );
  }

  record(entry: Omit<LoggedImport<P, X>, 'id' | 'status' | 'importedAt'> & { sha256: string; at: Date; by: number | null }): LoggedImport<P, X> {
    const status = entry.problems.length > 0 ? 'rejected' : entry.changed > 0 ? 'applied' : 'unchanged';
    const report = JSON.stringify({ problems: entry.problems, ...entry.extra });
    const importedAt = entry.at.toISOString();
    const id = Number(this.insert.run(entry.source, entry.fileName, entry.sha256, entry.format, status, entry.rows, entry.changed, report, importedAt, entry.by).lastInsertRowid);
    return { id, source: entry.source, fileName: entry.fileName, format: entry.format, status, rows: entry.rows, changed: entry.changed, problems: entry.problems, importedAt, extra: entry.extra };
  }

  list(limit = 50): LoggedImport<P, X>[] {
    return this.latest.all(limit).map(({ report, ...row }) => {
      const { problems, ...extra } = JSON.parse(report) as { problems: P[] } & X;
      return { ...row, problems, extra: extra as X };
    });
  }
}
