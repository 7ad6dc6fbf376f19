import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../main/core/audit.ts';
import type { Db } from '../../../main/core/db/database.ts';
import { addMonths } from '../../../main/core/dates.ts';
import { csvRecords, isoDate } from '../../../main/core/import-parsing.ts';
import { MAX_LISTED_PROBLEMS, TrainingImports } from '../../../main/core/training-import.ts';
import { importedValidity } from '../../../main/core/validity.ts';
import type { Clock } from '../../../main/core/ports.ts';
import { buildTrainingDb, trainingCsv } from '../../bench/training-import.ts';
import { join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

const SAMPLES = new URL('../../../resources/training-samples/', import.meta.url).pathname;
const sample = (name: string): string => readFileSync(join(SAMPLES, name), 'utf8');

let db: Db;
let dir: string;
let cleanup: () => void;
let now: Date;
const clock: Clock = { now: () => now };
let imports: TrainingImports;
let audit: AuditLog;

const HEADER = 'collar_number,qualification_code,awarded_on,expires_on';

beforeEach(async () => {
  const t = tempDir();
  dir = t.dir;
  cleanup = t.cleanup;
  // 10:00 on 21 Nov in the terminal's own zone: the import's "today" is the local date, whatever TZ the suite runs in.
  now = new Date(2026, 10, 21, 10, 0);
  db = await seededDb(join(dir, 'armoury.db'), now);
  audit = new AuditLog(db);
  imports = new TrainingImports(db, audit, clock);
});
afterEach(() => {
  db.close();
  cleanup();
});

interface Held {
  awarded_on: string;
  expires_on: string | null;
  valid_until: string | null;
  source: string;
  recorded_at: string;
  import_id: number | null;
}

function held(collar: string, code: string): Held | undefined {
  return db
    .prepare<[string, string], Held>(
      `SELECT oq.awarded_on, oq.expires_on, oq.valid_until, oq.source, oq.recorded_at, oq.import_id FROM officer_qualifications oq
       JOIN officers o ON o.id = oq.officer_id JOIN qualifications q ON q.id = oq.qualification_id
       WHERE o.collar_number = ? AND q.code = ?`,
    )
    .get(collar, code);
}

const allRecords = () => db.prepare('SELECT * FROM officer_qualifications ORDER BY officer_id, qualification_id').all();
const upload = (fileName: string, content: string, officerId: number | null = null) => imports.importText({ fileName, content, source: 'upload', officerId });
const auditRows = (action: string) =>
  db.prepare<[string], { actor: string; subject: string; details: string }>('SELECT actor, subject, details FROM audit_log WHERE action = ? ORDER BY seq').all(action);

describe('training import: applying a good file', () => {
  it("renews PC 2345's Taser refresher from the sample CSV, recording source, time and import", () => {
    expect(held('PC 2345', 'TASER')?.expires_on).toBe('2026-10-03'); // expired 49 days before "now"
    const view = upload('renew-taser.csv', sample('renew-taser.csv'));
    expect(view).toMatchObject({ source: 'upload', fileName: 'renew-taser.csv', format: 'csv', status: 'applied', rows: 2, changed: 2, problems: [], importedAt: now.toISOString() });
    expect(held('PC 2345', 'TASER')).toEqual({
      awarded_on: '2026-11-16',
      expires_on: '2027-11-15',
      valid_until: '2027-11-15',
      source: 'upload: renew-taser.csv',
      recorded_at: now.toISOString(),
      import_id: view.id,
    });
    const row = db.prepare<[number], { sha256: string; status: string; rows: number; changed: number; imported_by: number | null }>('SELECT * FROM training_imports WHERE id = ?').get(view.id);
    expect(row).toMatchObject({ status: 'applied', rows: 2, changed: 2, imported_by: null });
    expect(row?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const [entry] = auditRows('training.imported');
    expect(entry?.subject).toBe(`training-import:${view.id}`);
    expect(JSON.parse(entry?.details ?? '{}')).toEqual({ source: 'upload', file: 'renew-taser.csv', rows: 2, changed: 2, status: 'applied' });
    expect(audit.verify()).toMatchObject({ ok: true });
  });

  it('records the admin who imported it', () => {
    const admin = officerIdByCollar(db, 'ADM 01');
    const view = upload('renew-taser.csv', sample('renew-taser.csv'), admin);
    expect(db.prepare<[number], { imported_by: number }>('SELECT imported_by FROM training_imports WHERE id = ?').get(view.id)?.imported_by).toBe(admin);
    expect(auditRows('training.imported')[0]?.actor).toBe(`officer:${admin}`);
  });

  it('importing the same file twice changes nothing the second time', () => {
    const first = upload('renew-taser.csv', sample('renew-taser.csv'));
    const before = allRecords();
    const firstAt = now;
    now = new Date(2026, 10, 21, 11, 0);
    const second = upload('renew-taser.csv', sample('renew-taser.csv'));
    expect(second).toMatchObject({ status: 'unchanged', changed: 0, rows: 2 });
    expect(second.id).not.toBe(first.id);
    // Not rewritten at all: recorded_at, source and import_id are the first import's.
    expect(allRecords()).toEqual(before);
    expect(held('PC 2345', 'TASER')?.recorded_at).toBe(firstAt.toISOString());
    expect(auditRows('training.imported').map((r) => (JSON.parse(r.details) as { status: string }).status)).toEqual(['applied', 'unchanged']);
    expect(audit.verify()).toMatchObject({ ok: true });
  });

  it('only rows that differ are rewritten', () => {
    const content = `${HEADER}\nPC 2345,TASER,2026-11-16,2027-11-15\n`;
    upload('a.csv', content);
    now = new Date(2026, 10, 21, 12, 0);
    const view = upload('b.csv', `${content}PC 3456,TASER,2026-11-09,2027-11-08\n`);
    expect(view).toMatchObject({ status: 'applied', rows: 2, changed: 1 });
    expect(held('PC 2345', 'TASER')?.source).toBe('upload: a.csv');
    expect(held('PC 3456', 'TASER')).toMatchObject({ source: 'upload: b.csv', recorded_at: now.toISOString(), import_id: view.id });
  });

  it('applies the LMS-style sample: aliases, spaced header names, quoted names, dd/mm/yyyy', () => {
    const view = upload('lms-export.csv', sample('lms-export.csv'));
    expect(view).toMatchObject({ status: 'applied', rows: 2, changed: 2, problems: [] });
    expect(held('PC 7890', 'TASER')).toMatchObject({ awarded_on: '2026-11-12', expires_on: '2027-11-11' });
    expect(held('ARM 02', 'AFO')).toMatchObject({ awarded_on: '2026-11-02', expires_on: '2027-11-01', valid_until: '2027-11-01' });
  });

  it("derives the last valid day from the qualification's validity period when no expiry is given, and keeps the file's own", () => {
    db.prepare("UPDATE qualifications SET validity_months = 12 WHERE code = 'TASER'").run();
    upload('x.csv', `${HEADER}\nPC 2345,TASER,2026-02-28,\nPC 3456,TASER,2026-11-09,2027-01-31\n`);
    expect(held('PC 2345', 'TASER')).toMatchObject({ expires_on: null, valid_until: '2027-02-27' });
    expect(held('PC 3456', 'TASER')).toMatchObject({ expires_on: '2027-01-31', valid_until: '2027-01-31' }); // given: kept
    // Without an expires_on column at all.
    upload('y.csv', 'collar_number,qualification_code,awarded_on\nPC 1234,TASER,2025-12-01\n');
    expect(held('PC 1234', 'TASER')).toMatchObject({ expires_on: null, valid_until: '2026-11-30' });
  });

  it('applies the JSON sample, and a bare array', () => {
    expect(imports.importText({ fileName: 'renewals.json', content: sample('renewals.json'), source: 'upload', officerId: null })).toMatchObject({
      format: 'json',
      status: 'applied',
      rows: 3,
      changed: 3,
    });
    expect(held('PC 6789', 'AFO')).toMatchObject({ awarded_on: '2026-10-28', expires_on: '2027-10-27' });
    expect(held('PC 7890', 'BWV')).toMatchObject({ awarded_on: '2024-03-01', expires_on: '2027-02-28' });
    const bare = JSON.stringify([{ collar_number: 'PC 3456', course_code: 'TASER', completed: '09/11/2026', expiry: '08/11/2027' }]);
    // No extension: sniffed.
    expect(upload('lms-export', bare)).toMatchObject({ format: 'json', status: 'applied', changed: 1 });
    expect(held('PC 3456', 'TASER')).toMatchObject({ awarded_on: '2026-11-09', expires_on: '2027-11-08' });
  });

  it('matches collar numbers ignoring case and repeated spaces, and codes ignoring case', () => {
    expect(upload('x.csv', `${HEADER}\n  pc  2345 ,taser,2026-11-16,2027-11-15\n`)).toMatchObject({ status: 'applied', changed: 1 });
    expect(held('PC 2345', 'TASER')?.expires_on).toBe('2027-11-15');
  });
});

describe('training import: checked on a snapshot, written under the lock', () => {
  const renewal = () => ({ fileName: 'renew-taser.csv', content: Buffer.from(sample('renew-taser.csv'), 'utf8'), source: 'upload', officerId: null });

  it('writes what the check found when nothing changed since its snapshot', () => {
    const plan = imports.plan(renewal());
    expect(plan.checked.changes).toHaveLength(2);
    expect(imports.apply(plan)).toMatchObject({ status: 'applied', changed: 2 });
  });

  it('checks the file again under the lock when reference data changed since its snapshot', () => {
    const plan = imports.plan(renewal());
    expect(plan.checked.changes).toHaveLength(2);
    // Meanwhile another writer records the same renewals: what the plan would write is already held.
    expect(upload('renew-taser.csv', sample('renew-taser.csv'))).toMatchObject({ status: 'applied', changed: 2 });
    expect(imports.apply(plan)).toMatchObject({ status: 'unchanged', changed: 0 });
    // And an officer renumbered after the check: the file no longer names them, so nothing is written.
    const again = imports.plan({ ...renewal(), fileName: 'again.csv', content: Buffer.from(sample('renew-taser.csv').replace('2027-11-15', '2027-11-16'), 'utf8') });
    db.prepare("UPDATE officers SET collar_number = 'PC 9999' WHERE collar_number = 'PC 2345'").run();
    const refused = imports.apply(again);
    expect(refused).toMatchObject({ status: 'rejected', changed: 0, problems: [{ row: 1, problem: 'unknown-officer' }] });
    expect(held('PC 9999', 'TASER')?.expires_on).toBe('2027-11-15');
  });
});

describe('training import: CSV', () => {
  it('reads RFC 4180 quoting: commas, doubled quotes and newlines inside quotes, CRLF or LF, any column order', () => {
    const csv = [
      'Notes,expires_on,"awarded_on",qualification_code,collar_number',
      '"passed, with merit",2027-11-15,2026-11-16,TASER,"PC 2345"',
      '"said ""fine""",2027-11-08,2026-11-09,"TASER","PC 3456"',
      '"two\r\nlines\nhere",2027-11-01,2026-11-02,TASER,PC 1234',
      ',,,,', // a row of bare commas, as spreadsheets write: skipped
      '',
    ].join('\r\n');
    const view = upload('quoted.csv', csv);
    expect(view).toMatchObject({ status: 'applied', rows: 3, changed: 3, problems: [] });
    expect(held('PC 1234', 'TASER')?.expires_on).toBe('2027-11-01');
    const lf = upload('lf.csv', `${HEADER}\nPC 2345,TASER,2026-11-16,2027-11-15`); // no final newline
    expect(lf).toMatchObject({ status: 'unchanged', rows: 1 });
  });

  it('splits records exactly as RFC 4180 says', () => {
    const records = [...csvRecords('a,"b,1","c""d"\r\n"e\nf",,\r\nlast,one,')].map((r) => r.fields);
    expect(records).toEqual([
      ['a', 'b,1', 'c"d'],
      ['e\nf', '', ''],
      ['last', 'one', ''],
    ]);
  });

  it('rejects malformed lines (stray quote, text after a quote, wrong field count) with their rows, reading on', () => {
    const csv = `${HEADER}\nPC 2345,TA"SER,2026-11-16,2027-11-15\nPC 2345,"TASER"x,2026-11-16,2027-11-15\nPC 3456,TASER,2026-11-09\nPC 1234,TASER,2026-11-02,2027-11-01\n`;
    const view = upload('bad.csv', csv);
    expect(view.status).toBe('rejected');
    expect(view.problems.map((p) => [p.row, p.problem])).toEqual([
      [1, 'malformed'],
      [2, 'malformed'],
      [3, 'malformed'],
    ]);
    expect(view.problems[2]?.message).toMatch(/3 fields but the header has 4/);
    expect(held('PC 1234', 'TASER')?.source).toBe('demo seed');
  });

  it('reports an unclosed quote and stops there', () => {
    const view = upload('bad.csv', `${HEADER}\nPC 2345,TASER,2026-11-16,2027-11-15\n"PC 3456,TASER,2026-11-09,2027-11-08\nPC 1234,TASER,2026-11-02,2027-11-01\n`);
    expect(view.status).toBe('rejected');
    expect(view.problems).toEqual([{ row: 2, problem: 'malformed', message: 'a quoted field opened on line 3 is never closed' }]);
  });

  it('rejects a file missing a required column with one problem naming it', () => {
    const before = allRecords();
    const view = upload('nocode.csv', 'collar_number,awarded_on,expires_on\nPC 2345,2026-11-16,2027-11-15\n');
    expect(view).toMatchObject({ status: 'rejected', changed: 0 });
    expect(view.problems).toEqual([{ row: 0, problem: 'missing-field', message: 'the file has no qualification_code column (also accepted: course_code)' }]);
    expect(allRecords()).toEqual(before);
  });

  it('hints at the delimiter when a header is not comma-separated', () => {
    const view = upload('semi.csv', 'collar_number;qualification_code;awarded_on\nPC 2345;TASER;2026-11-16\n');
    expect(view.problems[0]?.message).toMatch(/semicolons or tabs/);
  });

  it('rejects an empty file and a header with no rows', () => {
    expect(upload('empty.csv', '').problems[0]?.message).toBe('the file is empty');
    expect(upload('header.csv', `${HEADER}\r\n`)).toMatchObject({ status: 'rejected', rows: 0, problems: [{ row: 0, problem: 'malformed', message: 'the file holds no training records' }] });
  });
});

describe('training import: all or nothing', () => {
  it('the invalid sample lists every problem with its row and applies nothing, not even its good row', () => {
    const before = allRecords();
    const view = upload('invalid-export.csv', sample('invalid-export.csv'));
    expect(view.status).toBe('rejected');
    expect(view.changed).toBe(0);
    expect(view.problems.map((p) => [p.row, p.problem])).toEqual([
      [9, 'malformed'], // found while reading, before the rows are checked
      [2, 'unknown-officer'],
      [3, 'unknown-qualification'],
      [4, 'bad-date'],
      [5, 'future-date'],
      [6, 'bad-date'],
      [7, 'duplicate-row'],
      [8, 'missing-field'],
    ]);
    expect(view.problems.find((p) => p.row === 2)?.message).toBe('no officer with collar number "PC 9999" on this terminal');
    expect(view.problems.find((p) => p.row === 3)?.message).toBe('no qualification with code "TAZER" (this terminal knows TASER, AFO, BWV)');
    expect(view.problems.find((p) => p.row === 4)?.message).toMatch(/"31\/02\/2026" is not a date/);
    expect(view.problems.find((p) => p.row === 5)?.message).toBe('award date 2031-01-01 is in the future (today is 2026-11-21)');
    expect(view.problems.find((p) => p.row === 6)?.message).toBe('expiry date 2025-06-01 is before the award date 2026-06-01');
    expect(view.problems.find((p) => p.row === 7)?.message).toMatch(/PC 2345 TASER appears more than once \(first on row 1\)/);
    expect(view.problems.find((p) => p.row === 8)?.message).toBe('no qualification code');
    expect(allRecords()).toEqual(before);
    expect(held('PC 2345', 'TASER')?.expires_on).toBe('2026-10-03');
  });

  it('records a rejected import with its report, so the admin can read it later', () => {
    const view = upload('invalid-export.csv', sample('invalid-export.csv'));
    const [listed] = imports.list();
    expect(listed).toEqual(view);
    const [entry] = auditRows('training.rejected');
    expect(JSON.parse(entry?.details ?? '{}')).toEqual({ source: 'upload', file: 'invalid-export.csv', rows: 8, changed: 0, status: 'rejected', problems: 8 });
    expect(auditRows('training.imported')).toHaveLength(0);
    expect(audit.verify()).toMatchObject({ ok: true });
  });

  it('a mixed file of good rows and one bad row applies nothing', () => {
    const good = Array.from({ length: 5 }, (_, i) => `${['PC 1234', 'PC 2345', 'PC 3456', 'PC 6789', 'ARM 02'][i]},TASER,2026-11-16,2027-11-15`);
    const before = allRecords();
    const view = upload('mixed.csv', [HEADER, ...good, 'PC 7890,TASER,2026-11-31,2027-11-15'].join('\n'));
    expect(view).toMatchObject({ status: 'rejected', rows: 6, changed: 0, problems: [{ row: 6, problem: 'bad-date' }] });
    expect(allRecords()).toEqual(before);
  });

  it('flags duplicates however the collar and code are written', () => {
    const view = upload('dup.csv', `${HEADER}\nPC 2345,TASER,2026-11-16,2027-11-15\npc 2345,taser,2026-11-01,2027-10-31\n`);
    expect(view.problems).toEqual([{ row: 2, problem: 'duplicate-row', message: 'pc 2345 taser appears more than once (first on row 1): the file must give one record each' }]);
  });

  it('an award today is fine, tomorrow is in the future', () => {
    expect(upload('a.csv', `${HEADER}\nPC 2345,TASER,2026-11-21,2027-11-20\n`).status).toBe('applied');
    expect(upload('b.csv', `${HEADER}\nPC 3456,TASER,22/11/2026,2027-11-20\n`).problems[0]?.problem).toBe('future-date');
  });

  it('lists at most MAX_LISTED_PROBLEMS, then says how many more', () => {
    const lines = Array.from({ length: MAX_LISTED_PROBLEMS + 200 }, (_, i) => `PC ${90_000 + i},TASER,2026-11-01,2027-10-31`);
    const view = upload('wrong-force.csv', [HEADER, ...lines].join('\n'));
    expect(view.problems).toHaveLength(MAX_LISTED_PROBLEMS + 1);
    expect(view.problems.at(-1)?.message).toMatch(/^200 more problems are not listed/);
  });

  it('rejects JSON that is not JSON, not records, or has non-text values', () => {
    expect(upload('x.json', '{"records": [').problems[0]).toMatchObject({ row: 0, problem: 'malformed' });
    expect(upload('x.json', '{"rows": []}').problems[0]?.message).toMatch(/expected \{"records"/);
    const view = upload(
      'x.json',
      JSON.stringify({ records: [{ collarNumber: 'PC 2345', qualificationCode: 'TASER', awardedOn: 20261116 }, 'PC 3456', { collarNumber: 'PC 1234', qualificationCode: 'TASER' }] }),
    );
    expect(view.problems.map((p) => [p.row, p.problem])).toEqual([
      [1, 'malformed'],
      [2, 'malformed'],
      [3, 'missing-field'],
    ]);
  });
});

describe('training import: encoding', () => {
  it('strips a UTF-8 BOM, as text or as bytes', () => {
    const csv = `\uFEFF${HEADER}\r\nPC 2345,TASER,2026-11-16,2027-11-15\r\n`;
    expect(upload('bom.csv', csv)).toMatchObject({ status: 'applied', changed: 1 });
    const bytes = imports.importBytes({ fileName: 'bom.csv', content: Buffer.from(csv.replace('2026-11-16', '2026-11-15'), 'utf8'), source: 'drop folder', officerId: null });
    expect(bytes).toMatchObject({ status: 'applied', changed: 1 });
    expect(held('PC 2345', 'TASER')).toMatchObject({ awarded_on: '2026-11-15', source: 'drop folder: bom.csv' });
  });

  it('rejects latin-1 bytes with the UTF-8 message and the line of the first bad byte', () => {
    const before = allRecords();
    const latin1 = Buffer.from(`Notes,${HEADER}\r\nok,PC 2345,TASER,2026-11-16,2027-11-15\r\nJos\u00e9,PC 3456,TASER,2026-11-09,2027-11-08\r\n`, 'latin1');
    const view = imports.importBytes({ fileName: 'latin1.csv', content: latin1, source: 'drop folder', officerId: null });
    expect(view).toMatchObject({ status: 'rejected', format: 'csv', rows: 0, changed: 0 });
    expect(view.problems).toHaveLength(1);
    expect(view.problems[0]).toMatchObject({ row: 0, problem: 'malformed' });
    expect(view.problems[0]?.message).toMatch(/save the export as UTF-8/);
    expect(view.problems[0]?.message).toMatch(/line 3/);
    expect(allRecords()).toEqual(before);
    expect(auditRows('training.rejected')).toHaveLength(1);
    expect(imports.list()[0]).toEqual(view);
  });

  it('hashes the bytes, so a puller can tell a body it has taken', () => {
    const content = Buffer.from(sample('renew-taser.csv'), 'utf8');
    imports.importBytes({ fileName: 'renew-taser.csv', content, source: 'https://lms.example/export', officerId: null });
    expect(imports.lastAcceptedSha256('https://lms.example/export')).toBe(createHash('sha256').update(content).digest('hex'));
    expect(imports.lastAcceptedSha256('elsewhere')).toBeNull();
  });
});

describe('training import: nothing is widened by what a file leaves out', () => {
  const bytes = (name: string): Buffer => readFileSync(join(SAMPLES, name));
  const dropped = (name: string, horizon?: () => number) =>
    new TrainingImports(db, audit, clock, horizon ? { expiryHorizonYears: horizon } : {}).importBytes({ fileName: name, content: bytes(name), source: 'drop folder', officerId: null });

  it('refuses a file with no expiry column for a qualification with no validity period: an expired Taser stays expired', () => {
    const before = allRecords();
    expect(held('PC 2345', 'TASER')?.valid_until).toBe('2026-10-03');
    const view = dropped('no-expiry.csv');
    expect(view).toMatchObject({ status: 'rejected', rows: 2, changed: 0 });
    expect(view.problems).toEqual([
      { row: 1, problem: 'missing-field', message: 'no expiry date, and TASER has no validity period to work one out from: add the expiry date (expires_on) to the file' },
      { row: 2, problem: 'missing-field', message: 'no expiry date, and TASER has no validity period to work one out from: add the expiry date (expires_on) to the file' },
    ]);
    expect(allRecords()).toEqual(before);
    expect(held('PC 2345', 'TASER')?.valid_until).toBe('2026-10-03');
    expect(auditRows('training.rejected')).toHaveLength(1);
  });

  it('refuses an empty expiry, a JSON null and a missing expiresOn alike; the rest of the file is not applied', () => {
    const json = JSON.stringify([
      { collarNumber: 'PC 1234', qualificationCode: 'TASER', awardedOn: '2026-11-02', expiresOn: '2027-11-01' },
      { collarNumber: 'PC 2345', qualificationCode: 'TASER', awardedOn: '2026-11-16', expiresOn: null },
      { collarNumber: 'PC 3456', qualificationCode: 'BWV', awardedOn: '2026-11-16' },
    ]);
    expect(upload('x.json', json).problems.map((p) => [p.row, p.problem])).toEqual([
      [2, 'missing-field'],
      [3, 'missing-field'],
    ]);
    expect(upload('x.csv', `${HEADER}\nPC 1234,TASER,2026-11-02,2027-11-01\nPC 2345,AFO,2026-11-16,\n`).problems).toEqual([
      { row: 2, problem: 'missing-field', message: 'no expiry date, and AFO has no validity period to work one out from: add the expiry date (expires_on) to the file' },
    ]);
    expect(held('PC 1234', 'TASER')?.source).toBe('demo seed');
  });

  it('the same file is applied once the qualification has a validity period to work the expiry out from', () => {
    db.prepare("UPDATE qualifications SET validity_months = 12 WHERE code = 'TASER'").run();
    expect(dropped('no-expiry.csv')).toMatchObject({ status: 'applied', changed: 2 });
    // Awarded 2025-10-04 for 12 months: lapsed again on 2026-10-03, never permanent.
    expect(held('PC 2345', 'TASER')).toMatchObject({ awarded_on: '2025-10-04', expires_on: null, valid_until: '2026-10-03' });
  });

  it('refuses an expiry more than the horizon after the award; exactly on it is allowed', () => {
    const view = dropped('far-expiry.csv');
    expect(view).toMatchObject({ status: 'rejected', changed: 0 });
    // Row 1 expires exactly 10 years after its award: not a problem.
    expect(view.problems).toEqual([
      {
        row: 2,
        problem: 'bad-date',
        message: 'expiry date 2062-11-08 is more than 10 years after the award date 2026-11-09 (the latest allowed is 2036-11-09): check the date',
      },
    ]);
    expect(held('PC 3456', 'TASER')?.source).toBe('demo seed');
  });

  it('reads the horizon from policy at each import', () => {
    let years = 5;
    const policy = () => years;
    expect(dropped('far-expiry.csv', policy).problems.map((p) => [p.row, p.problem])).toEqual([
      [1, 'bad-date'],
      [2, 'bad-date'],
    ]);
    years = 40;
    expect(dropped('far-expiry.csv', policy)).toMatchObject({ status: 'applied', changed: 2 });
    expect(held('PC 3456', 'TASER')).toMatchObject({ expires_on: '2062-11-08', valid_until: '2062-11-08' });
  });

  it('refuses a JSON record that gives a key twice, naming the record and where, instead of keeping the last', () => {
    const view = dropped('duplicate-keys.json');
    expect(view).toMatchObject({ status: 'rejected', format: 'json', changed: 0 });
    expect(view.problems).toEqual([
      {
        row: 2,
        problem: 'malformed',
        message: 'the key "expiresOn" is given twice in records[1] (line 4, column 91, and again at line 4, column 118): give it once',
      },
    ]);
    expect(held('PC 2345', 'TASER')?.valid_until).toBe('2026-10-03');
    // In a bare array too, and a key spelt with an escape is the same key.
    expect(upload('x.json', '[{"collarNumber": "PC 2345", "\\u0063ollarNumber": "PC 1234", "qualificationCode": "TASER", "awardedOn": "2026-11-16", "expiresOn": "2027-11-15"}]').problems).toMatchObject([
      { row: 1, problem: 'malformed', message: expect.stringMatching(/^the key "collarNumber" is given twice in \[0\]/) },
    ]);
  });

  it('refuses the latin-1 sample from the drop folder with the UTF-8 message', () => {
    const view = dropped('latin1-export.csv');
    expect(view).toMatchObject({ status: 'rejected', rows: 0, changed: 0 });
    expect(view.problems).toEqual([
      { row: 0, problem: 'malformed', message: 'the file is not UTF-8 text (first bad character on line 3): save the export as UTF-8 (in Excel, "CSV UTF-8") and import it again' },
    ]);
  });
});

describe('training import: dates', () => {
  it('reads yyyy-mm-dd and dd/mm/yyyy, and refuses dates that do not exist', () => {
    expect(isoDate('2026-03-05')).toBe('2026-03-05');
    expect(isoDate('05/03/2026')).toBe('2026-03-05');
    expect(isoDate('5/3/2026')).toBe('2026-03-05');
    expect(isoDate('29/02/2028')).toBe('2028-02-29');
    for (const bad of ['29/02/2027', '2026-13-01', '2026-02-30', '03/25/2026', '2026/03/05', '05-03-2026', '2026-3-5', '1850-01-01', '2026-03-05T00:00:00Z']) {
      expect(isoDate(bad), bad).toBeNull();
    }
  });

  it('an imported record always ends: given (within the horizon), derived, or refused', () => {
    expect(importedValidity('2026-03-15', '2036-03-15', null, 10)).toEqual({ ok: true, validUntil: '2036-03-15' });
    expect(importedValidity('2026-03-15', '2036-03-16', null, 10)).toEqual({ ok: false, problem: 'beyond-horizon', latest: '2036-03-15' });
    // A leap-day award: ten years on is clamped to 28 February.
    expect(importedValidity('2028-02-29', '2038-03-01', 12, 10)).toEqual({ ok: false, problem: 'beyond-horizon', latest: '2038-02-28' });
    expect(importedValidity('2026-03-15', null, 12, 10)).toEqual({ ok: true, validUntil: '2027-03-14' });
    expect(importedValidity('2026-03-15', null, null, 10)).toEqual({ ok: false, problem: 'no-expiry' });
  });

  it('adds months clamped to the month end', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2027-11-30', 3)).toBe('2028-02-29');
    expect(addMonths('2026-11-16', 12)).toBe('2027-11-16');
  });
});

describe('training import: at force scale', () => {
  it('applies a 100,000-row file on a database of 10,000 officers, and the same file again is unchanged', () => {
    const big = tempDir();
    const bigDb = buildTrainingDb(join(big.dir, 'big.db'), 10_000, now);
    try {
      const bigAudit = new AuditLog(bigDb);
      const bigImports = new TrainingImports(bigDb, bigAudit, clock);
      const content = trainingCsv(100_000, 10_000, now, 3);
      const view = bigImports.importText({ fileName: 'force.csv', content, source: 'upload', officerId: null });
      expect(view).toMatchObject({ status: 'applied', rows: 100_000, problems: [] });
      const count = (sql: string) => bigDb.prepare<[], { n: number }>(sql).get()?.n;
      expect(count('SELECT count(*) AS n FROM officer_qualifications')).toBe(100_000);
      expect(count(`SELECT count(*) AS n FROM officer_qualifications WHERE import_id = ${view.id}`)).toBe(view.changed);
      // At least the 70,000 records the seed did not have were added; most seeded ones differ too.
      expect(view.changed).toBeGreaterThan(70_000);
      const again = bigImports.importText({ fileName: 'force.csv', content, source: 'upload', officerId: null });
      expect(again).toMatchObject({ status: 'unchanged', changed: 0, rows: 100_000 });
      expect(bigAudit.verify()).toMatchObject({ ok: true, rows: 2 }); // the two imports
    } finally {
      bigDb.close();
      big.cleanup();
    }
  });
});
