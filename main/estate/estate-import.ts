import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientBase } from 'pg';
import type { PersonnelImportView, TrainingImportView } from '../../preload/contract.ts';
import { AuditLog } from '../core/audit.ts';
import { Commissioning } from '../core/commissioning.ts';
import { openDatabase, type Db } from '../core/db/database.ts';
import { PersonnelImports } from '../core/personnel-import.ts';
import { TrainingImports } from '../core/training-import.ts';
import { ESTATE_REFERENCE_TABLES, ReferenceApplier } from './reference-puller.ts';

/**
 * HR and training files imported once, in the estate: HR's personnel file and the training
 * system's export, in their own formats (CSV or JSON, the columns a terminal's import takes),
 * checked and applied by the terminal's own import code, so the estate refuses exactly what a
 * terminal would and applies exactly what it would.
 *
 * How: the estate's reference rows are copied into a staging terminal database (a temporary
 * SQLite file, every migration applied), the file is imported there as at a terminal, and the
 * rows the import changed are put back into the estate (deleted ones deleted), all inside one
 * estate transaction that holds the reference writers' lock throughout, so nobody else's change
 * can slip in between the copy and the put. Every terminal then pulls the changes.
 */

export type EstateImportKind = 'personnel' | 'training';

export interface EstateImportInput {
  kind: EstateImportKind;
  fileName: string;
  content: Uint8Array;
  now: Date;
}

export interface EstateImportResult {
  report: PersonnelImportView | TrainingImportView;
  /** Per reference table the import changed: rows put and rows deleted in the estate. */
  changed: { table: string; put: number; deleted: number }[];
}

/** Columns of reference tables that point at a terminal's own rows: sent as null, since no other terminal has those rows. */
const TERMINAL_LOCAL: Readonly<Record<string, readonly string[]>> = { officer_qualifications: ['import_id'] };

type Row = Record<string, unknown>;

/** Each reference table's primary key columns, in key order. */
function keyColumns(db: Db): Map<string, string[]> {
  return new Map(
    ESTATE_REFERENCE_TABLES.map((table) => [
      table,
      db
        .prepare<[], { name: string; pk: number }>(`PRAGMA table_info(${table})`)
        .all()
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
    ]),
  );
}

/** Every row of each reference table, by its primary key as text. */
function snapshot(db: Db, keys: ReadonlyMap<string, readonly string[]>): Map<string, Map<string, Row>> {
  const tables = new Map<string, Map<string, Row>>();
  for (const table of ESTATE_REFERENCE_TABLES) {
    const key = keys.get(table) ?? [];
    const rows = new Map<string, Row>();
    for (const row of db.prepare<[], Row>(`SELECT * FROM ${table}`).all()) {
      for (const column of TERMINAL_LOCAL[table] ?? []) if (column in row) row[column] = null;
      rows.set(JSON.stringify(key.map((k) => row[k])), row);
    }
    tables.set(table, rows);
  }
  return tables;
}

/** The terminal's import code speaks as a terminal; here the records it checks are the estate's. */
function inEstateWords<R extends { problems: { message: string }[] }>(report: R): R {
  return { ...report, problems: report.problems.map((p) => ({ ...p, message: p.message.replaceAll('on this terminal', 'in the estate') })) };
}

/** Runs one import against the estate over an administrator's connection. */
export async function importIntoEstate(client: ClientBase, input: EstateImportInput): Promise<EstateImportResult> {
  const dir = mkdtempSync(join(tmpdir(), 'armoury-estate-import-'));
  const db = openDatabase(join(dir, 'staging.db'));
  await client.query('BEGIN');
  try {
    // The reference writers' lock (estate migration 4), for the whole copy, import and put.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('estate.reference_rows'))");
    const { rows } = await client.query<{ table_name: string; key: Row; data: Row | null; revision: string }>(
      'SELECT table_name, key, data, revision FROM estate.reference_rows WHERE data IS NOT NULL AND table_name = ANY($1) ORDER BY revision',
      [ESTATE_REFERENCE_TABLES],
    );
    new ReferenceApplier(db).apply(rows, null);
    const keys = keyColumns(db);
    const before = snapshot(db, keys);

    const audit = new AuditLog(db);
    const clock = { now: () => input.now };
    // The imports record the file name after the source ("estate: lms.csv").
    const source = 'estate';
    const file = { fileName: input.fileName, content: input.content, source, officerId: null };
    const report: PersonnelImportView | TrainingImportView =
      input.kind === 'personnel'
        ? // Not "live": who is an admin is each terminal's own matter, not the estate's.
          inEstateWords(new PersonnelImports(db, audit, clock, new Commissioning(db, audit, clock, false, null)).importBytes(file))
        : inEstateWords(new TrainingImports(db, audit, clock).importBytes(file));
    const after = snapshot(db, keys);

    const changed: EstateImportResult['changed'] = [];
    for (const table of ESTATE_REFERENCE_TABLES) {
      const was = before.get(table) ?? new Map<string, Row>();
      const now = after.get(table) ?? new Map<string, Row>();
      const put = [...now].filter(([key, row]) => JSON.stringify(was.get(key)) !== JSON.stringify(row)).map(([, row]) => row);
      const gone = [...was].filter(([key]) => !now.has(key)).map(([, row]) => Object.fromEntries((keys.get(table) ?? []).map((k) => [k, row[k]])));
      if (put.length > 0) await client.query('SELECT estate.put_reference($1, $2::jsonb)', [table, JSON.stringify(put)]);
      if (gone.length > 0) await client.query('SELECT estate.delete_reference($1, $2::jsonb)', [table, JSON.stringify(gone)]);
      if (put.length > 0 || gone.length > 0) changed.push({ table, put: put.length, deleted: gone.length });
    }
    await client.query(
      `INSERT INTO estate.reference_imports (kind, file_name, sha256, status, rows, changed, report, imported_at)
       VALUES ($1, $2, encode(sha256($3), 'hex'), $4, $5, $6, $7::jsonb, $8)`,
      [input.kind, input.fileName, Buffer.from(input.content), report.status, report.rows, report.changed, JSON.stringify({ problems: report.problems, changed }), input.now.toISOString()],
    );
    await client.query('COMMIT');
    return { report, changed };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
