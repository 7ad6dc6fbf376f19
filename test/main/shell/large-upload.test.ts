import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Result, TrainingImportView, WsServerMessage } from '../../../preload/contract.ts';
import { openDatabase } from '../../../main/core/db/database.ts';
import { MAX_WS_PAYLOAD, startBrowserShell, type BrowserShell } from '../../../main/shell/browser-shell.ts';
import { RESOURCES, startHarness, type Harness } from '../../helpers/kiosk-harness.ts';

/**
 * A training export of several megabytes, uploaded as the Training records screen sends it
 * (the file's bytes as base64 in one importTraining request) through the browser shell's real
 * socket to the real core and database: applied whole, or refused whole with its per-row report.
 * The socket's message cap once was 64 KiB, which closed the socket on a 79 KB file.
 */

const ADMIN = { card: '043A4B5C6D', pin: '9003' };
const FIVE_MB = 5 * 1024 * 1024;

let h: Harness | null = null;
let shell: BrowserShell | null = null;
let socket: WebSocket | null = null;
afterEach(async () => {
  socket?.close();
  await shell?.close();
  await h?.close();
  socket = null;
  shell = null;
  h = null;
});

async function start(): Promise<(method: string, input: unknown) => Promise<Result<unknown>>> {
  h = await startHarness();
  const staticDir = join(h.dataDir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>kiosk</title>');
  shell = await startBrowserShell({ service: h.kiosk.service, staticDir, log: () => {} });
  const page = new URL(shell.origin);
  const ws = new WebSocket(`ws://${page.host}/api`, { origin: page.origin, headers: { Cookie: shell.sessionCookie } });
  socket = ws;
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 1;
  const waiting = new Map<number, (result: Result<unknown>) => void>();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as WsServerMessage;
    if (message.type === 'result') waiting.get(message.id)?.(message.result);
  });
  ws.on('close', (code, reason) => {
    for (const resolve of waiting.values()) resolve({ ok: false, error: { kind: 'internal', message: `socket closed ${code} ${reason.toString()}` } });
  });
  const call = (method: string, input: unknown) =>
    new Promise<Result<unknown>>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, input }));
    });
  expect(await call('demoTapCard', { uid: ADMIN.card })).toMatchObject({ ok: true });
  await h.waitFor((s) => s.screen.kind === 'pin');
  expect(await call('submitPin', { pin: ADMIN.pin })).toMatchObject({ ok: true });
  expect(await call('openTraining', {})).toMatchObject({ ok: true });
  return call;
}

const day = (from: Date, offset: number): string => new Date(from.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
const demoCollars = (): string[] => (JSON.parse(readFileSync(join(RESOURCES, 'demo-site.json'), 'utf8')) as { officers: Array<{ collar: string }> }).officers.map((o) => o.collar);

function validUntil(collar: string, code: string): string | null | undefined {
  const db = openDatabase(`${h!.dataDir}/armoury.db`);
  try {
    return db
      .prepare<[string, string], { valid_until: string | null }>(
        `SELECT oq.valid_until FROM officer_qualifications oq JOIN officers o ON o.id = oq.officer_id JOIN qualifications q ON q.id = oq.qualification_id
          WHERE o.collar_number = ? AND q.code = ?`,
      )
      .get(collar, code)?.valid_until;
  } finally {
    db.close();
  }
}

// Start-up seeds the demo site (scrypt PINs and all), which is slow on a busy 2-core machine.
describe('a 5 MB training upload through the browser shell', { timeout: 90_000 }, () => {
  it('applies every record for the demo site\'s officers from a 5 MB export', async () => {
    const call = await start();
    const now = h!.now();
    const collars = demoCollars();
    // One record per officer and qualification: all the demo site holds (150). An LMS export
    // carries more than the terminal reads (names, units, assessor's notes), which is what makes
    // a file of a few hundred records this big; the importer ignores those columns.
    const rows = collars.flatMap((collar) => ['TASER', 'AFO', 'BWV'].map((code) => ({ collar, code })));
    const sentence = 'Assessed in full; see the course record for scenario scores. ';
    const notes = sentence.repeat(Math.ceil(FIVE_MB / rows.length / sentence.length) + 1);
    const csv = ['collar_number,qualification_code,awarded_on,expires_on,assessor_notes', ...rows.map((r) => `${r.collar},${r.code},${day(now, -20)},${day(now, 340)},"${notes}"`)].join('\n');
    const bytes = Buffer.from(`${csv}\n`, 'utf8');
    expect(bytes.length).toBeGreaterThan(FIVE_MB);
    expect(bytes.length * (4 / 3)).toBeLessThan(MAX_WS_PAYLOAD);

    const started = performance.now();
    const result = await call('importTraining', { fileName: 'lms-full-export.csv', base64: bytes.toString('base64') });
    const elapsedMs = performance.now() - started;
    expect(result).toMatchObject({ ok: true, value: { status: 'applied', rows: rows.length, problems: [] } });
    expect((result.ok && (result.value as TrainingImportView).changed) || 0).toBeGreaterThan(0);
    expect(validUntil('PC 2345', 'TASER')).toBe(day(now, 340));
    expect(validUntil('PC 7890', 'AFO')).toBe(day(now, 340));
    // Well inside what an admin would wait for at the screen.
    expect(elapsedMs).toBeLessThan(20_000);
  });

  it('refuses a 5 MB force-wide export whole, with its per-row report, and changes nothing', async () => {
    const call = await start();
    const now = h!.now();
    const collars = demoCollars();
    const before = validUntil('PC 2345', 'TASER');
    // A force's export: this site's officers and 140,000 rows for officers this terminal does not know.
    const known = collars.map((collar) => `${collar},TASER,${day(now, -20)},${day(now, 340)}`);
    const unknown = Array.from({ length: 140_000 }, (_, i) => `PC ${100_000 + i},TASER,${day(now, -20)},${day(now, 340)}`);
    const bytes = Buffer.from(['collar_number,qualification_code,awarded_on,expires_on', ...known, ...unknown].join('\n'), 'utf8');
    expect(bytes.length).toBeGreaterThan(FIVE_MB);

    const result = await call('importTraining', { fileName: 'force-export.csv', base64: bytes.toString('base64') });
    expect(result).toMatchObject({ ok: true, value: { status: 'rejected', changed: 0 } });
    const view = (result.ok ? result.value : null) as TrainingImportView;
    expect(view.rows).toBe(known.length + unknown.length);
    // Every problem is named by its row (the report lists the first ones, then counts the rest).
    expect(view.problems[0]).toMatchObject({ row: known.length + 1, problem: 'unknown-officer' });
    const listed = view.problems.slice(0, -1);
    expect(listed).toHaveLength(1000);
    expect(listed.every((p, i) => p.problem === 'unknown-officer' && p.row === known.length + 1 + i)).toBe(true);
    expect(view.problems.at(-1)?.message).toMatch(/^139000 more problems are not listed/);
    expect(validUntil('PC 2345', 'TASER')).toBe(before);
  });
});
