/**
 * Training import throughput: a 100,000-row LMS export (CSV) into a database of 10,000
 * officers, through TrainingImports.importText, the code an upload runs (here in process).
 * Target: at least 50,000 rows/s. The measured file changes every row (the worst case: every
 * record is rewritten); a warm-up import of a different file first loads the code and the pages.
 * Then the same import in the import worker, as the terminal runs it, with how long a write on
 * the main thread had to wait for it: a first import of 100,000 new records, and a re-import.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { AuditLog } from '../../main/core/audit.ts';
import { openDatabase, type Db } from '../../main/core/db/database.ts';
import { addDays, localDate } from '../../main/core/dates.ts';
import { systemClock } from '../../main/system-time.ts';
import { validUntil } from '../../main/core/validity.ts';
import { TrainingImports } from '../../main/core/training-import.ts';
import { workerImportRunner } from '../../main/workers/import-runner.ts';
import { timeMs } from './stats.ts';

/** The demo site's codes first, then enough more that 10,000 officers x codes reaches 100,000 distinct records. */
export const BENCH_QUALIFICATIONS: readonly { code: string; name: string; validityMonths: number | null }[] = [
  { code: 'TASER', name: 'Taser refresher', validityMonths: 12 },
  { code: 'AFO', name: 'Firearms requalification (AFO)', validityMonths: 12 },
  { code: 'BWV', name: 'Body-worn video training', validityMonths: null },
  { code: 'FIRSTAID', name: 'Emergency life support', validityMonths: 36 },
  { code: 'DRIVING', name: 'Response driving', validityMonths: 60 },
  { code: 'PSU', name: 'Public order (PSU)', validityMonths: 12 },
  { code: 'MOE', name: 'Method of entry', validityMonths: 24 },
  { code: 'ARV', name: 'Armed response vehicle', validityMonths: 12 },
  { code: 'CBRN', name: 'CBRN awareness', validityMonths: 24 },
  { code: 'SEARCH', name: 'Search trained', validityMonths: 36 },
];

export const benchCollar = (i: number): string => `PC ${10_000 + i}`;

/**
 * The codes above on a database, added or given their validity periods, so every record
 * trainingCsv writes names a code the terminal knows and can work an expiry out for. Their ids.
 */
export function ensureBenchQualifications(db: Db): number[] {
  const upsert = db.prepare<[string, string, number | null], number>(
    'INSERT INTO qualifications (code, name, validity_months) VALUES (?, ?, ?) ON CONFLICT (code) DO UPDATE SET validity_months = excluded.validity_months RETURNING id',
  );
  return BENCH_QUALIFICATIONS.map((q) => upsert.pluck().get(q.code, q.name, q.validityMonths) as number);
}

/**
 * A database with `officers` synthetic officers, the codes above, and three records each
 * (TASER, BWV and a rotating third) so an import both adds and updates.
 */
export function buildTrainingDb(path: string, officers: number, now: Date): Db {
  const db = openDatabase(path);
  const at = now.toISOString();
  const today = localDate(now);
  db.transaction(() => {
    const siteId = Number(db.prepare('INSERT INTO sites (name) VALUES (?)').run('Bench force HQ').lastInsertRowid);
    const qualIds = ensureBenchQualifications(db);
    const insertOfficer = db.prepare("INSERT INTO officers (collar_number, display_name, status, site_id, created_at) VALUES (?, ?, 'active', ?, ?)");
    const insertRecord = db.prepare(
      'INSERT INTO officer_qualifications (officer_id, qualification_id, awarded_on, expires_on, valid_until, source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (let i = 0; i < officers; i++) {
      const id = Number(insertOfficer.run(benchCollar(i), `Officer ${i}`, siteId, at).lastInsertRowid);
      for (const q of [0, 2, 3 + (i % 7)]) {
        const expires = q === 2 ? null : addDays(today, (i % 400) - 100);
        const awarded = addDays(expires ?? today, -365);
        insertRecord.run(id, qualIds[q], awarded, expires, validUntil(awarded, expires, BENCH_QUALIFICATIONS[q]?.validityMonths ?? null), 'bench seed', at);
      }
    }
  }).immediate();
  return db;
}

/**
 * An LMS-style CSV: every officer x code pair in turn until `rows`, with a quoted name
 * column (commas inside) as real exports have, some expiries left to the validity period
 * (only for codes that have one: an import refuses a record that would never expire) and
 * some dates in UK form. `variant` shifts every date, so two variants differ on every row.
 */
export function trainingCsv(rows: number, officers: number, now: Date, variant = 0): string {
  const today = localDate(now);
  const codes = BENCH_QUALIFICATIONS.length;
  if (rows > officers * codes) throw new Error(`only ${officers * codes} distinct records for ${officers} officers`);
  const lines = ['collar_number,name,qualification_code,awarded_on,expires_on'];
  for (let k = 0; k < rows; k++) {
    const officer = k % officers;
    const qualification = BENCH_QUALIFICATIONS[Math.floor(k / officers)];
    if (!qualification) throw new Error(`no code for row ${k}`);
    const { code } = qualification;
    const awarded = addDays(today, -1 - ((k + variant * 7) % 300) - variant);
    const awardedText = k % 10 === 0 ? `${awarded.slice(8, 10)}/${awarded.slice(5, 7)}/${awarded.slice(0, 4)}` : awarded;
    const expires = k % 4 === 0 && qualification.validityMonths !== null ? '' : addDays(awarded, 365);
    lines.push(`${benchCollar(officer)},"Officer ${officer}, Unit ${officer % 40}",${code},${awardedText},${expires}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

export interface TrainingImportFigures {
  rowsPerS: number;
  rows: number;
  officers: number;
  ms: number;
  /** The longest a write on the main thread waited while a first import (every record new) ran in the import worker. */
  writeWaitFirstMs: number;
  /** The same while the same file was imported again (nothing to change). */
  writeWaitReimportMs: number;
}

export async function measureTrainingImport(): Promise<TrainingImportFigures> {
  const rows = 100_000;
  const officers = 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'armoury-training-bench-'));
  let db: Db | null = null;
  try {
    const now = systemClock.now();
    db = buildTrainingDb(join(dir, 'training.db'), officers, now);
    const imports = new TrainingImports(db, new AuditLog(db), systemClock);
    const warmup = imports.importText({ fileName: 'warmup.csv', content: trainingCsv(rows, officers, now, 1), source: 'bench', officerId: null });
    if (warmup.status !== 'applied') throw new Error(`warm-up import ${warmup.status}: ${warmup.problems[0]?.message ?? ''}`);
    const content = trainingCsv(rows, officers, now, 2);
    const started = performance.now();
    const view = imports.importText({ fileName: 'export.csv', content, source: 'bench', officerId: null });
    const ms = performance.now() - started;
    if (view.status !== 'applied' || view.rows !== rows) throw new Error(`bench import ${view.status} with ${view.rows} rows: ${view.problems[0]?.message ?? ''}`);
    db.close();
    db = null;
    const { first, reimport } = await writeWaitsBesideTheWorker(join(dir, 'worker.db'), rows, officers, now);
    return { rowsPerS: Math.round((rows / ms) * 1000), rows, officers, ms: Number(ms.toFixed(1)), writeWaitFirstMs: first, writeWaitReimportMs: reimport };
  } finally {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The import as the terminal runs it, in the import worker on its own connection, while the
 * main thread commits a one-row write every few milliseconds, as the kiosk's own writes (a
 * sign-in, a draw) would come: the longest one waited is how long the worker held the write
 * lock. A first import of `rows` new records, then the same file again.
 */
async function writeWaitsBesideTheWorker(path: string, rows: number, officers: number, now: Date): Promise<{ first: number; reimport: number }> {
  const db = buildTrainingDb(path, officers, now);
  try {
    db.exec('DELETE FROM officer_qualifications');
    const runner = workerImportRunner(path);
    const probe = db.prepare('UPDATE sites SET name = name WHERE id = 1');
    const content = Buffer.from(trainingCsv(rows, officers, now, 1), 'utf8');
    const longestWait = async (expected: string): Promise<number> => {
      let longest = 0;
      const timer = setInterval(() => {
        const waited = timeMs(() => db.transaction(() => probe.run()).immediate()).ms;
        longest = Math.max(longest, waited);
      }, 5);
      try {
        const outcome = await runner.run({ kind: 'training', input: { fileName: 'export.csv', content, source: 'bench', officerId: null }, at: now.toISOString(), expiryHorizonYears: 10 });
        if (outcome.kind !== 'training' || outcome.view.status !== expected) throw new Error(`worker import: ${outcome.kind} ${outcome.kind === 'training' ? outcome.view.status : ''}, expected ${expected}`);
      } finally {
        clearInterval(timer);
      }
      return Number(longest.toFixed(1));
    };
    return { first: await longestWait('applied'), reimport: await longestWait('unchanged') };
  } finally {
    db.close();
  }
}

// Run alone: `node --import tsx test/bench/training-import.ts`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await measureTrainingImport());
}
