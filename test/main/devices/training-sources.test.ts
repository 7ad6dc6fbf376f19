import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkTerminalConfig, maskSecrets, SECRET_MASK, unmaskSecrets, type TerminalConfig } from '../../../main/config/terminal-config.ts';
import { AuditLog } from '../../../main/core/audit.ts';
import type { Db } from '../../../main/core/db/database.ts';
import type { Clock } from '../../../main/core/ports.ts';
import { TrainingImports } from '../../../main/core/training-import.ts';
import { fileNameOf, startTrainingSources, type TrainingSources } from '../../../main/devices/training-sources.ts';
import { RESOURCES } from '../../helpers/kiosk-harness.ts';
import { join, seededDb, tempDir } from '../../helpers/temp-db.ts';

const SAMPLES = join(RESOURCES, 'training-samples');
const sample = (name: string): string => readFileSync(join(SAMPLES, name), 'utf8');

let db: Db;
let dir: string;
let cleanup: () => void;
// 10:00 local on 21 Nov: imports compare dates in the terminal's own zone, whatever TZ the suite runs in.
const now = new Date(2026, 10, 21, 10, 0);
const clock: Clock = { now: () => now };
let imports: TrainingImports;
let sources: TrainingSources | null;
let lines: string[];
const log = (line: string) => lines.push(line);

/** A seeded database for the tests that import (the configuration tests need none). */
function withDatabase(): void {
  beforeEach(async () => {
    const t = tempDir();
    dir = t.dir;
    cleanup = t.cleanup;
    db = await seededDb(join(dir, 'armoury.db'), now);
    imports = new TrainingImports(db, new AuditLog(db), clock);
    sources = null;
    lines = [];
  });
  afterEach(async () => {
    await sources?.stop();
    sources = null;
    db.close();
    cleanup();
  });
}

const tasterExpiry = (collar: string) =>
  db
    .prepare<[string], { expires_on: string | null }>(
      "SELECT expires_on FROM officer_qualifications oq JOIN officers o ON o.id = oq.officer_id JOIN qualifications q ON q.id = oq.qualification_id WHERE o.collar_number = ? AND q.code = 'TASER'",
    )
    .get(collar)?.expires_on;
const importCount = () => db.prepare<[], { n: number }>('SELECT count(*) AS n FROM training_imports').get()?.n;

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('drop folder', () => {
  withDatabase();
  let drop: string;
  beforeEach(() => {
    drop = join(dir, 'drop');
    mkdirSync(drop);
    sources = startTrainingSources({ dropFolder: drop, pull: null }, imports, log, { pollMs: 50 });
  });

  it('imports a file once its size is stable and moves it to processed/ beside its report', async () => {
    writeFileSync(join(drop, 'renew-taser.csv'), sample('renew-taser.csv'));
    await until('the file to be processed', () => existsSync(join(drop, 'processed', 'renew-taser.csv')));
    expect(existsSync(join(drop, 'renew-taser.csv'))).toBe(false);
    const report = JSON.parse(readFileSync(join(drop, 'processed', 'renew-taser.csv.report.json'), 'utf8')) as { status: string; source: string; changed: number };
    expect(report).toMatchObject({ status: 'applied', source: 'drop folder', changed: 2 });
    expect(tasterExpiry('PC 2345')).toBe('2027-11-15');
    expect(imports.list()[0]).toMatchObject({ source: 'drop folder', fileName: 'renew-taser.csv', status: 'applied' });
  });

  it('moves a bad file to rejected/ with its report, and applies nothing', async () => {
    writeFileSync(join(drop, 'invalid-export.csv'), sample('invalid-export.csv'));
    await until('the file to be rejected', () => existsSync(join(drop, 'rejected', 'invalid-export.csv')));
    const report = JSON.parse(readFileSync(join(drop, 'rejected', 'invalid-export.csv.report.json'), 'utf8')) as { status: string; problems: unknown[] };
    expect(report.status).toBe('rejected');
    expect(report.problems).toHaveLength(8);
    expect(tasterExpiry('PC 2345')).toBe('2026-10-03');
  });

  it('rejects the samples that would widen authority by omission: no expiry, a key given twice, an expiry decades out', async () => {
    const expected: Record<string, { row: number; problem: string }[]> = {
      'no-expiry.csv': [
        { row: 1, problem: 'missing-field' },
        { row: 2, problem: 'missing-field' },
      ],
      'duplicate-keys.json': [{ row: 2, problem: 'malformed' }],
      'far-expiry.csv': [{ row: 2, problem: 'bad-date' }],
    };
    for (const [name, problems] of Object.entries(expected)) {
      writeFileSync(join(drop, name), readFileSync(join(SAMPLES, name)));
      await until(`${name} to be rejected`, () => existsSync(join(drop, 'rejected', `${name}.report.json`)));
      const report = JSON.parse(readFileSync(join(drop, 'rejected', `${name}.report.json`), 'utf8')) as { status: string; problems: unknown[] };
      expect(report, name).toMatchObject({ status: 'rejected', problems });
      expect(report.problems, name).toHaveLength(problems.length);
    }
    expect(tasterExpiry('PC 2345')).toBe('2026-10-03');
    expect(tasterExpiry('PC 3456')).not.toBe('2062-11-08');
  });

  it('rejects a file that is not UTF-8 without stopping, and goes on to the next', async () => {
    writeFileSync(join(drop, 'latin1.csv'), Buffer.from('collar_number,qualification_code,awarded_on\r\nPC 2345,TASER,2026-11-16 \u00e9\r\n', 'latin1'));
    await until('the file to be rejected', () => existsSync(join(drop, 'rejected', 'latin1.csv.report.json')));
    expect(readFileSync(join(drop, 'rejected', 'latin1.csv.report.json'), 'utf8')).toMatch(/save the export as UTF-8/);
    writeFileSync(join(drop, 'renewals.json'), sample('renewals.json'));
    await until('the next file', () => existsSync(join(drop, 'processed', 'renewals.json')));
  });

  it('never re-imports: the same name again is kept apart, and comes out unchanged', async () => {
    writeFileSync(join(drop, 'export.csv'), sample('renew-taser.csv'));
    await until('the first', () => existsSync(join(drop, 'processed', 'export.csv')));
    writeFileSync(join(drop, 'export.csv'), sample('renew-taser.csv'));
    await until('the second', () => readdirSync(join(drop, 'processed')).length === 4);
    const second = readdirSync(join(drop, 'processed')).find((n) => /^export\.\d+\.csv$/.test(n));
    expect(second).toBeDefined();
    expect(imports.list().map((v) => v.status)).toEqual(['unchanged', 'applied']);
    // Nothing left to pick up: a few more polls import nothing.
    await new Promise((r) => setTimeout(r, 300));
    expect(importCount()).toBe(2);
  });

  it('leaves other files alone, and waits while a file is still growing', async () => {
    writeFileSync(join(drop, 'notes.txt'), 'not an export');
    writeFileSync(join(drop, '.partial.csv'), 'collar_number');
    const path = join(drop, 'slow.csv');
    const content = sample('renew-taser.csv');
    writeFileSync(path, content.slice(0, 20));
    // Keep growing it faster than the poll: never imported half-written.
    for (let i = 20; i < content.length; i += 10) {
      await new Promise((r) => setTimeout(r, 25));
      writeFileSync(path, content.slice(0, i + 10));
    }
    await until('the finished file', () => existsSync(join(drop, 'processed', 'slow.csv')));
    expect(imports.list()).toHaveLength(1);
    expect(imports.list()[0]?.status).toBe('applied');
    expect(existsSync(join(drop, 'notes.txt'))).toBe(true);
    expect(existsSync(join(drop, '.partial.csv'))).toBe(true);
  });

  it('keeps looking for a folder that is not there yet (a share not mounted)', async () => {
    await sources?.stop();
    const later = join(dir, 'later');
    sources = startTrainingSources({ dropFolder: later, pull: null }, imports, log, { pollMs: 50 });
    await until('the missing folder to be logged', () => lines.some((l) => l.includes('cannot read the drop folder')));
    mkdirSync(later);
    writeFileSync(join(later, 'renew-taser.csv'), sample('renew-taser.csv'));
    await until('the file to be processed', () => existsSync(join(later, 'processed', 'renew-taser.csv')));
    expect(lines.filter((l) => l.includes('cannot read the drop folder'))).toHaveLength(1);
  });
});

describe('HTTPS pull (plain http to loopback in tests)', () => {
  withDatabase();
  const TOKEN = 'Bearer lms-test-token-0123456789';
  let server: Server;
  let status: number;
  let body: string;
  let hangs: boolean;
  let requests: { url: string | undefined; headers: IncomingHttpHeaders }[];
  let base: string;

  beforeEach(async () => {
    status = 200;
    body = sample('renew-taser.csv');
    hangs = false;
    requests = [];
    server = createServer((req, res) => {
      requests.push({ url: req.url, headers: req.headers });
      if (hangs) return;
      if (req.headers.authorization !== TOKEN) {
        res.writeHead(401).end('no');
        return;
      }
      res.writeHead(status, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="lms-training-2026-11-21.csv"' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await sources?.stop();
    sources = null;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const start = (authHeader = TOKEN, timeoutMs?: number) => {
    sources = startTrainingSources({ dropFolder: null, pull: { url: `${base}/export/training?token=secret-query`, authHeader, intervalMinutes: 60 } }, imports, log, timeoutMs ? { timeoutMs } : {});
    return sources;
  };

  it('pulls with the auth header, imports with the URL (no query) as source and the file name from Content-Disposition', async () => {
    const view = await start().pullNow();
    expect(view).toMatchObject({ status: 'applied', changed: 2, source: `${base}/export/training`, fileName: 'lms-training-2026-11-21.csv' });
    expect(requests[0]?.headers.authorization).toBe(TOKEN);
    expect(tasterExpiry('PC 2345')).toBe('2027-11-15');
    expect(JSON.stringify(imports.list())).not.toContain('secret-query');
  });

  it('skips a body it has already applied, and imports one that changed', async () => {
    const pull = start();
    expect((await pull.pullNow())?.status).toBe('applied');
    await until('the scheduled first pull as well', () => requests.length >= 2);
    expect(await pull.pullNow()).toBeNull();
    expect(importCount()).toBe(1);
    body = sample('renew-taser.csv').replace('2027-11-15', '2027-11-14');
    expect(await pull.pullNow()).toMatchObject({ status: 'applied', changed: 1 });
    expect(tasterExpiry('PC 2345')).toBe('2027-11-14');
  });

  it('a server error changes nothing and keeps the last good records', async () => {
    const pull = start();
    await pull.pullNow();
    status = 500;
    body = 'collar_number\n';
    expect(await pull.pullNow()).toBeNull();
    expect(importCount()).toBe(1);
    expect(tasterExpiry('PC 2345')).toBe('2027-11-15');
    expect(lines.some((l) => /HTTP 500.*keeping the records from the last good import/.test(l))).toBe(true);
  });

  it('a wrong auth header is refused by the server: nothing imported', async () => {
    expect(await start('Bearer wrong').pullNow()).toBeNull();
    expect(importCount()).toBe(0);
    expect(lines.some((l) => l.includes('HTTP 401'))).toBe(true);
  });

  it('gives up on a server that does not answer, within the time limit', async () => {
    hangs = true;
    const started = Date.now();
    expect(await start(TOKEN, 200).pullNow()).toBeNull();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(importCount()).toBe(0);
  });

  it('records a rejected pull so the admin sees it', async () => {
    body = sample('invalid-export.csv');
    expect(await start().pullNow()).toMatchObject({ status: 'rejected' });
    expect(tasterExpiry('PC 2345')).toBe('2026-10-03');
  });

  it('will not send a header left masked', async () => {
    expect(await start(SECRET_MASK).pullNow()).toBeNull();
    expect(requests).toHaveLength(0);
    expect(lines.some((l) => l.includes('left masked'))).toBe(true);
  });
});

describe('training sources configuration', () => {
  const base = (): Record<string, unknown> => JSON.parse(readFileSync(join(RESOURCES, 'default-terminal-config.json'), 'utf8')) as Record<string, unknown>;
  const check = (training: unknown) => checkTerminalConfig({ ...base(), training });
  const valid = (training: unknown): TerminalConfig => {
    const checked = check(training);
    if (!checked.ok) throw new Error(checked.problems.join('\n'));
    return checked.config;
  };

  it('defaults to no sources, so existing configurations stay valid', () => {
    const checked = checkTerminalConfig(base());
    expect(checked.ok && checked.config.training).toEqual({ dropFolder: null, pull: null });
  });

  it('takes an absolute drop folder and an https pull, with a default interval', () => {
    expect(valid({ dropFolder: '/srv/training-drop', pull: { url: 'https://lms.example/export.csv', authHeader: 'Bearer x' } }).training).toEqual({
      dropFolder: '/srv/training-drop',
      pull: { url: 'https://lms.example/export.csv', authHeader: 'Bearer x', intervalMinutes: 60 },
    });
    expect(valid({ pull: { url: 'http://127.0.0.1:8080/x', authHeader: 'Bearer x', intervalMinutes: 5 } }).training.pull?.intervalMinutes).toBe(5);
  });

  it('refuses a relative folder, plain http elsewhere, credentials in the URL, a multi-line header, and intervals out of range', () => {
    const problems = (training: unknown) => {
      const checked = check(training);
      return checked.ok ? [] : checked.problems.join('\n');
    };
    expect(problems({ dropFolder: 'drop' })).toMatch(/absolute folder path/);
    expect(problems({ pull: { url: 'http://lms.example/x', authHeader: 'Bearer x' } })).toMatch(/https only/);
    expect(problems({ pull: { url: 'https://u:p@lms.example/x', authHeader: 'Bearer x' } })).toMatch(/credentials in authHeader/);
    expect(problems({ pull: { url: 'https://lms.example/x', authHeader: 'Bearer x\r\nX-Evil: 1' } })).toMatch(/one line/);
    expect(problems({ pull: { url: 'https://lms.example/x', authHeader: 'Bearer x', intervalMinutes: 1 } })).not.toEqual([]);
    expect(problems({ pull: { url: 'https://lms.example/x', authHeader: 'Bearer x', intervalMinutes: 1441 } })).not.toEqual([]);
  });

  it('masks the auth header, and puts it back only for the same origin', () => {
    const saved = valid({ dropFolder: null, pull: { url: 'https://lms.example/export', authHeader: 'Bearer real-token' } });
    const masked = maskSecrets(saved);
    expect(masked.training.pull?.authHeader).toBe(SECRET_MASK);
    expect(JSON.stringify(masked)).not.toContain('real-token');
    expect(unmaskSecrets(masked, saved).training.pull?.authHeader).toBe('Bearer real-token');
    const moved = { ...masked, training: { ...masked.training, pull: { url: 'https://elsewhere.example/export', authHeader: SECRET_MASK, intervalMinutes: 60 } } };
    expect(unmaskSecrets(moved, saved).training.pull?.authHeader).toBe(SECRET_MASK);
    const replaced = { ...masked, training: { ...masked.training, pull: { url: 'https://lms.example/export', authHeader: 'Bearer new', intervalMinutes: 60 } } };
    expect(unmaskSecrets(replaced, saved).training.pull?.authHeader).toBe('Bearer new');
  });
});

describe('file name of a pulled export', () => {
  it('prefers Content-Disposition, then the URL path, and is never a path', () => {
    expect(fileNameOf('attachment; filename="a b.csv"', '/x/y')).toBe('a b.csv');
    expect(fileNameOf("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.json; filename=\"resume.json\"", '/x')).toBe('résumé.json');
    expect(fileNameOf('attachment; filename="../../etc/passwd"', '/x')).toBe('passwd');
    expect(fileNameOf(null, '/exports/training.csv')).toBe('training.csv');
    expect(fileNameOf(null, '/')).toBe('export');
  });
});
