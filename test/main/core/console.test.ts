import { copyFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RuleView, TimelineQuery } from '../../../preload/contract.ts';
import { AuditLog } from '../../../main/core/audit.ts';
import { Authenticator } from '../../../main/core/auth.ts';
import { ArmourerConsole, FULL_REVERIFY_MS, csvCell, timelinePdf, toCsv } from '../../../main/core/console.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { bankIdByName } from '../../../main/core/demo-seed.ts';
import type { DoorIntent } from '../../../main/core/door-intents.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { Eligibility } from '../../../main/core/eligibility.ts';
import type { DoorSensors } from '../../../main/core/ports.ts';
import { Records } from '../../../main/core/records.ts';
import { RuleStore } from '../../../main/core/rules.ts';
import { validUntil } from '../../../main/core/validity.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

// Dates and due times are the room's local time: pin the zone so tests mean the same everywhere.
process.env.TZ = 'Europe/London';

const SEEDED_AT = new Date('2026-11-21T10:00:00Z');
let now = SEEDED_AT;
const clock = { now: () => now };
const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

interface World {
  db: Db;
  audit: AuditLog;
  rules: RuleStore;
  records: Records;
  eligibility: Eligibility;
  doors: DoorCore;
  auth: Authenticator;
  console: ArmourerConsole;
}

let dir: string;
let cleanup: () => void;
let copies = 0;
let w: World;

function open(path: string): World {
  const db = openDatabase(path);
  const bankId = bankIdByName(db, 'Locker bank A');
  if (bankId === undefined) throw new Error('no bank');
  const audit = new AuditLog(db);
  const rules = new RuleStore(db, audit, clock);
  const records = new Records(db);
  const eligibility = new Eligibility(records, clock, 30, { rules });
  return {
    db,
    audit,
    rules,
    records,
    eligibility,
    doors: doorCore(db, clock),
    auth: new Authenticator(db, audit, clock, { maxFailures: 5, lockoutMinutes: 15 }),
    console: new ArmourerConsole(db, clock, rules),
  };
}

// Seeding hashes real PINs: seed once, then give each test its own copy of the file.
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  (await seededDb(join(dir, 'template.db'), SEEDED_AT)).close();
});
afterAll(() => cleanup());
beforeEach(() => {
  now = SEEDED_AT;
  const path = join(dir, `console-${++copies}.db`);
  copyFileSync(join(dir, 'template.db'), path);
  w = open(path);
});
afterEach(() => {
  if (w.db.open) w.db.close();
});

/** Sensors for every door: closed and empty unless listed. */
function sensors(...overrides: (Partial<DoorSensors> & { doorNumber: number })[]): DoorSensors[] {
  return Array.from({ length: 16 }, (_v, i) => {
    const o = overrides.find((x) => x.doorNumber === i + 1);
    return { doorNumber: i + 1, open: o?.open ?? false, itemPresent: o?.itemPresent ?? false };
  });
}

const id = (collar: string) => officerIdByCollar(w.db, collar);

/** A whole draw through the door transactions: decided, door opened, item taken. */
function draw(collar: string, typeCode: string, openAfterMs = 0): DoorIntent {
  const begun = w.doors.beginDraw(id(collar), assetTypeId(w.db, typeCode));
  if (!begun.ok) throw new Error(`draw refused: ${begun.message}`);
  advance(openAfterMs);
  w.doors.observe(sensors({ doorNumber: begun.intent.doorNumber, open: true, itemPresent: true }));
  advance(5_000);
  w.doors.observe(sensors({ doorNumber: begun.intent.doorNumber, open: false, itemPresent: false }));
  return begun.intent;
}

/** A whole return: door opened, item put in, condition reported. */
function giveBack(collar: string, assetId: number): void {
  const begun = w.doors.beginReturn(id(collar), assetId, new Set());
  if (!begun.ok) throw new Error(`return refused: ${begun.message}`);
  const door = begun.intent.doorNumber;
  w.doors.observe(sensors({ doorNumber: door, open: true, itemPresent: false }));
  advance(5_000);
  w.doors.observe(sensors({ doorNumber: door, open: false, itemPresent: true }));
  w.doors.completeReturn(begun.intent.id, 'ok');
}

function saveRule(typeCode: string, patch: Partial<RuleView>): void {
  const typeId = assetTypeId(w.db, typeCode);
  const current = w.rules.current(typeId);
  if (!current) throw new Error('no rule');
  w.rules.save(id('ADM 01'), typeId, { ...current.rule, ...patch });
}

/** Raw audit rows for tests that need exact content (e.g. text someone typed). */
function appendAudit(entry: Parameters<AuditLog['append']>[0]): void {
  w.db.transaction(() => w.audit.append(entry, now)).immediate();
}

function tamper(sql: string): void {
  w.db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
  w.db.exec(sql);
}

const query = (by: TimelineQuery['by'], value: string, from: string | null = null, to: string | null = null): TimelineQuery => ({ by, value, from, to });

describe('board', () => {
  it('lists every open loan newest first, with who, what and whether overdue', () => {
    saveRule('TASER7', { maxLoanHours: 1 });
    advance(60_000);
    const drawn = draw('PC 1234', 'TASER7');
    const board = w.console.board(null);
    const seeded = w.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM loans WHERE returned_at IS NULL').get()?.n;
    expect(board).toHaveLength(seeded ?? -1);
    const first = board[0];
    expect(first).toMatchObject({
      officerId: id('PC 1234'),
      collarNumber: 'PC 1234',
      officerName: 'Alex Morgan',
      assetId: drawn.assetId,
      assetTypeName: 'Taser 7',
      category: 'taser',
      serial: drawn.serial,
      overdue: false,
    });
    expect(first?.dueAt).not.toBeNull();
    for (let i = 1; i < board.length; i++) expect((board[i - 1]?.drawnAt ?? '') >= (board[i]?.drawnAt ?? '')).toBe(true);

    advance(2 * 3_600_000);
    expect(w.console.board(null).find((e) => e.loanId === first?.loanId)?.overdue).toBe(true);
    // Seeded loans carry no due time: never overdue.
    expect(w.console.board(null).filter((e) => e.overdue)).toHaveLength(1);
  });

  it('filters by category', () => {
    const firearms = w.console.board('firearm');
    expect(firearms.length).toBeGreaterThan(0);
    expect(firearms.every((e) => e.category === 'firearm')).toBe(true);
    expect(w.console.board('taser').every((e) => e.category === 'taser')).toBe(true);
    expect(w.console.board('nothing-like-this')).toEqual([]);
  });
});

describe('mobilisation', () => {
  /** What the decision engine says, officer by officer: the expectation for the view. */
  function expected(): Map<number, number[]> {
    const byType = new Map<number, number[]>();
    const officers = w.db.prepare<[], { id: number }>('SELECT id FROM officers ORDER BY collar_number').all();
    for (const { id: officerId } of officers) {
      const holding = new Set(w.records.holdings(officerId).map((h) => h.assetTypeId));
      for (const option of w.eligibility.drawOptions(officerId)) {
        if (option.category !== 'firearm' && option.category !== 'taser') continue;
        // "Would release one now": refused, if at all, only because the lockers are empty.
        const released = option.reasons.every((r) => r.code === 'none-available');
        if (released && !holding.has(option.assetTypeId)) byType.set(option.assetTypeId, [...(byType.get(option.assetTypeId) ?? []), officerId]);
      }
    }
    return byType;
  }

  function expectMatchesEngine(): void {
    const view = w.console.mobilisation();
    const want = expected();
    expect(view.types.map((t) => t.category).sort()).toEqual(['firearm', 'taser']);
    for (const type of view.types) {
      expect(type.available.map((a) => a.officerId).sort((a, b) => a - b), type.assetTypeName).toEqual([...(want.get(type.assetTypeId) ?? [])].sort((a, b) => a - b));
    }
  }

  it('lists who is armed now, per firearm and Taser type', () => {
    const view = w.console.mobilisation();
    expect(view.generatedAt).toBe(now.toISOString());
    const taser = view.types.find((t) => t.category === 'taser');
    const open = w.db
      .prepare<[number], { n: number }>(
        "SELECT count(*) AS n FROM loans l JOIN assets a ON a.id = l.asset_id WHERE l.returned_at IS NULL AND a.asset_type_id = ?",
      )
      .get(assetTypeId(w.db, 'TASER7'))?.n;
    expect(taser?.armed).toHaveLength(open ?? -1);
    expect(taser?.armed.find((a) => a.collarNumber === 'PC 3456')).toMatchObject({ name: 'Tom Fletcher', serial: 'T7-0007' });
    // Nobody is both armed and available for the same type.
    for (const type of view.types) {
      const armed = new Set(type.armed.map((a) => a.officerId));
      expect(type.available.some((a) => armed.has(a.officerId))).toBe(false);
    }
    expect(w.console.mobilisation().types.find((t) => t.category === 'firearm')?.armed.map((a) => a.collarNumber)).toContain('PC 6789');
  });

  it('matches the decision engine under the seeded rules', () => {
    const taser = w.console.mobilisation().types.find((t) => t.category === 'taser');
    const collars = taser?.available.map((a) => a.collarNumber) ?? [];
    expect(collars).toContain('PC 1234'); // in date
    expect(collars).not.toContain('PC 2345'); // expired
    expect(collars).not.toContain('PS 4567'); // suspended
    expect(collars).not.toContain('PC 5678'); // restricted
    expect(collars).not.toContain('PC 7890'); // never qualified
    expect(collars).not.toContain('PC 3456'); // holds one already
    expectMatchesEngine();
  });

  it('matches the decision engine after a draw, with grace days, anyOf, roles and units', () => {
    draw('PC 1234', 'TASER7');
    expectMatchesEngine();
    saveRule('TASER7', { graceDays: 60 });
    expect(w.console.mobilisation().types.find((t) => t.category === 'taser')?.available.map((a) => a.collarNumber)).toContain('PC 2345');
    expectMatchesEngine();
    saveRule('TASER7', { allOf: ['BWV'], anyOf: ['TASER', 'AFO'], graceDays: 0, roles: ['officer'] });
    expectMatchesEngine();
    w.db.prepare("UPDATE officers SET unit = ' tsg ' WHERE collar_number IN ('PC 1234', 'ARM 01')").run();
    w.db.prepare("UPDATE officers SET unit = 'Lambeth response' WHERE collar_number = 'ARM 02'").run();
    saveRule('G17', { units: ['TSG'], roles: ['armourer'] });
    saveRule('TASER7', { units: ['TSG', 'Lambeth Response'] });
    expectMatchesEngine();
    expect(w.console.mobilisation().types.find((t) => t.category === 'firearm')?.available.map((a) => a.collarNumber)).toEqual(['ARM 01']);
  });

  it('matches the decision engine for records with no expiry date, as the one validity rule stored them', () => {
    // 31 Oct + 1 month is 30 Nov (clamped), so valid through 29 Nov; 2 Nov + 1 month is valid through 1 Dec.
    now = new Date('2026-12-01T10:00:00Z');
    w.db.prepare("UPDATE qualifications SET validity_months = 1 WHERE code = 'TASER'").run();
    const setAward = w.db.prepare<[string, string | null, number]>(
      "UPDATE officer_qualifications SET expires_on = NULL, awarded_on = ?, valid_until = ? WHERE officer_id = ? AND qualification_id = (SELECT id FROM qualifications WHERE code = 'TASER')",
    );
    setAward.run('2026-10-31', validUntil('2026-10-31', null, 1), id('PC 1234'));
    setAward.run('2026-11-02', validUntil('2026-11-02', null, 1), id('ARM 02'));
    const taser = () => w.console.mobilisation().types.find((t) => t.category === 'taser')?.available.map((a) => a.collarNumber) ?? [];
    expect(taser()).not.toContain('PC 1234');
    expect(taser()).toContain('ARM 02');
    expectMatchesEngine();
    saveRule('TASER7', { graceDays: 2 });
    expect(taser()).toContain('PC 1234');
    expectMatchesEngine();
  });

  it('exports a CSV of armed and available officers', () => {
    const file = w.console.exportMobilisationCsv();
    expect(file.mimeType).toBe('text/csv');
    expect(file.fileName).toMatch(/^mobilisation-\d{8}-\d{4}\.csv$/);
    const lines = Buffer.from(file.base64, 'base64').toString('utf8').split('\r\n');
    expect(lines[0]).toBe('category,asset_type,status,collar_number,name,serial,since');
    expect(lines).toContain(`taser,Taser 7,armed,PC 3456,Tom Fletcher,T7-0007,${w.console.board(null).find((e) => e.serial === 'T7-0007')?.drawnAt}`);
    expect(lines).toContain('taser,Taser 7,available,PC 1234,Alex Morgan,,');
    expect(lines.at(-1)).toBe('');
  });
});

describe('timeline', () => {
  it("tells one asset's story by serial or tag, door rows included, in sentences", async () => {
    const signedIn = await w.auth.signIn('04A1B2C3D4', '1234');
    expect(signedIn.ok).toBe(true);
    advance(30_000);
    const drawn = draw('PC 1234', 'TASER7');
    advance(3_600_000);
    giveBack('PC 1234', drawn.assetId);

    const bySerial = (await w.console.timeline(query('asset', drawn.serial)));
    const tag = w.db.prepare<[number], { tag: string }>('SELECT tag FROM assets WHERE id = ?').get(drawn.assetId)?.tag ?? '';
    expect((await w.console.timeline(query('asset', tag))).entries).toEqual(bySerial.entries);
    expect(bySerial.entries.map((e) => e.action)).toEqual([
      'draw.intent',
      'door.opened',
      'draw.completed',
      'return.intent',
      'door.opened',
      'return.item-in',
      'return.completed',
    ]);
    const summaries = bySerial.entries.map((e) => e.summary);
    expect(summaries[0]).toBe(`PC 1234 Alex Morgan was cleared to draw Taser 7 ${drawn.serial} from door ${drawn.doorNumber} under release rule version 1`);
    expect(summaries[1]).toBe(`Door ${drawn.doorNumber} opened for PC 1234 Alex Morgan to draw Taser 7 ${drawn.serial}`);
    expect(summaries[2]).toBe(`PC 1234 Alex Morgan drew Taser 7 ${drawn.serial} from door ${drawn.doorNumber}`);
    expect(summaries.at(-1)).toMatch(new RegExp(`^PC 1234 Alex Morgan returned Taser 7 ${drawn.serial} to door \\d+, reporting it in good order$`));
    expect(bySerial.entries[0]?.actor).toBe('PC 1234 Alex Morgan');
    expect(bySerial.entries[1]?.actor).toBe('terminal');
    expect(bySerial.title).toBe(`Taser 7 ${drawn.serial}, all time`);
    for (let i = 1; i < bySerial.entries.length; i++) expect((bySerial.entries[i]?.seq ?? 0) > (bySerial.entries[i - 1]?.seq ?? 0)).toBe(true);
    expect(bySerial.chain).toMatchObject({ ok: true, firstBrokenSeq: null, reason: null, checkedAt: now.toISOString() });
  });

  it("tells one officer's story by collar: what they did, what was done to them, and their doors", async () => {
    await w.auth.signIn('04B2C3D4E5', '2345');
    const refused = w.doors.beginDraw(id('PC 2345'), assetTypeId(w.db, 'TASER7'));
    expect(refused.ok).toBe(false);
    const radio = draw('PC 2345', 'BWC');
    const view = (await w.console.timeline(query('officer', 'PC 2345')));
    expect(view.title).toBe('PC 2345 Priya Shah, all time');
    const actions = view.entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['auth.signed-in', 'draw.refused', 'draw.intent', 'door.opened', 'draw.completed']));
    expect(view.entries.find((e) => e.action === 'auth.signed-in')?.summary).toBe('PC 2345 Priya Shah signed in with card 04B2C3D4E5 and PIN');
    expect(view.entries.find((e) => e.action === 'draw.refused')?.summary).toMatch(/^PC 2345 Priya Shah asked to draw a Taser 7 and was refused: Taser refresher expired/);
    expect(view.entries.find((e) => e.action === 'draw.completed')?.summary).toBe(`PC 2345 Priya Shah drew Body-worn camera ${radio.serial} from door ${radio.doorNumber}`);
    // Nobody else's rows.
    expect(view.entries.every((e) => e.summary.includes('PC 2345'))).toBe(true);
  });

  it("tells one door's story, and a time window's", async () => {
    const drawn = draw('PC 1234', 'TASER7');
    const door = (await w.console.timeline(query('door', String(drawn.doorNumber))));
    expect(door.entries.map((e) => e.action)).toEqual(['door.opened', 'draw.completed']);
    expect(door.title).toBe(`Door ${drawn.doorNumber}, all time`);

    const before = now;
    advance(3_600_000);
    const later = draw('PC 6789', 'RADIO');
    const window = (await w.console.timeline(query('window', '', new Date(before.getTime() + 1).toISOString(), now.toISOString())));
    expect(window.entries.map((e) => e.action)).toEqual(['draw.intent', 'door.opened', 'draw.completed']);
    expect(window.entries[2]?.summary).toBe(`PC 6789 Grace Walsh drew Airwave radio ${later.serial} from door ${later.doorNumber}`);
    expect(window.title).toMatch(/^All activity, 21 Nov 2026 10:00 to 21 Nov 2026 11:00$/);
    // No start: the last day.
    expect((await w.console.timeline(query('window', '', null, null))).entries.length).toBeGreaterThanOrEqual(6);
    // A window bounds an asset's story too.
    expect((await w.console.timeline(query('asset', later.serial, before.toISOString(), null))).entries).toHaveLength(3);
    expect((await w.console.timeline(query('asset', drawn.serial, new Date(before.getTime() + 1).toISOString(), null))).entries).toHaveLength(0);
  });

  it('says when nothing matches what was asked for', async () => {
    expect((await w.console.timeline(query('asset', 'NOPE-1')))).toMatchObject({ entries: [], title: 'No asset with serial or tag "NOPE-1"' });
    expect((await w.console.timeline(query('officer', 'PC 0000')))).toMatchObject({ entries: [], title: 'No officer with collar number "PC 0000"' });
    expect((await w.console.timeline(query('door', 'three')))).toMatchObject({ entries: [], title: '"three" is not a door number' });
  });

  it('summarises the main actions in sentences', async () => {
    const arm = id('ARM 01');
    const door = 4;
    appendAudit({ actor: `officer:${arm}`, action: 'service.open-intent', subject: `door:${door}`, details: { opening: 1, reason: 'jammed latch' } });
    appendAudit({ actor: 'system', action: 'exception.raised', subject: `door:${door}`, details: { exception: 7, kind: 'door-left-open', message: 'Door 4 left open' } });
    appendAudit({ actor: `officer:${arm}`, action: 'exception.resolved', subject: `door:${door}`, details: { exception: 7, kind: 'door-left-open', note: 'closed it' } });
    appendAudit({ actor: 'system', action: 'auth.locked', subject: 'card:04FF', details: { failures: 5, lockedUntil: '2026-11-21T10:15:00.000Z' } });
    appendAudit({ actor: `officer:${arm}`, action: 'config.changed', subject: 'terminal-config', details: { changes: ['idle timeout 60 s'] } });
    appendAudit({ actor: `officer:${arm}`, action: 'training.imported', subject: 'training-import:1', details: { source: 'upload', file: 'q.csv', rows: 3, changed: 2, status: 'applied' } });
    appendAudit({
      actor: `officer:${arm}`,
      action: 'override.granted',
      subject: `officer:${id('PC 2345')}`,
      details: { override: 1, assetType: 'Taser 7', reasonCode: 'SPONTANEOUS-INCIDENT', note: 'riot', refusals: ['qualification-expired'] },
    });
    saveRule('TASER7', { graceDays: 5 });
    const all = (await w.console.timeline(query('window', '', '2026-11-21T00:00:00Z', null))).entries.map((e) => e.summary);
    expect(all).toEqual(
      expect.arrayContaining([
        'ARM 01 Jo Evans asked to open door 4 for service: jammed latch',
        'The terminal raised exception 7 (door left open): Door 4 left open',
        'ARM 01 Jo Evans resolved exception 7 (door left open): closed it',
        'The terminal locked card 04FF until 21 Nov 2026 10:15 after 5 wrong PINs',
        'ARM 01 Jo Evans changed the terminal configuration: idle timeout 60 s',
        'ARM 01 Jo Evans imported training records from q.csv (upload): 3 rows, 2 changed',
        'ARM 01 Jo Evans overrode the refusal (qualification expired) for PC 2345 Priya Shah to draw one Taser 7, with override 1 and reason SPONTANEOUS-INCIDENT: riot',
        'ADM 01 Chris Patel changed the release rule for Taser 7 from version 1 to version 2',
      ]),
    );
  });
});

describe('timeline chain verdict', () => {
  it('agrees with AuditLog.verify, first in full and then incrementally as rows are appended', async () => {
    const first = (await w.console.timeline(query('door', '1'))).chain;
    expect(first).toMatchObject({ ok: true, rows: w.audit.verify().rows });
    draw('PC 1234', 'TASER7');
    draw('PC 6789', 'RADIO');
    const verdict = w.audit.verify();
    expect(verdict.ok).toBe(true);
    expect((await w.console.timeline(query('door', '1'))).chain).toMatchObject({ ok: true, rows: verdict.rows });
  });

  it('reports a tampered chain as broken, naming the first bad row', async () => {
    draw('PC 1234', 'TASER7');
    tamper("UPDATE audit_log SET subject = 'door:99' WHERE seq = 3");
    const view = (await w.console.timeline(query('door', '1')));
    expect(view.chain).toMatchObject({ ok: false, rows: 2, firstBrokenSeq: 3, reason: 'row 3 content does not match its hash (altered)' });
  });

  it('catches tampering with rows appended since the last check, and with the last checked row', async () => {
    draw('PC 6789', 'RADIO');
    expect((await w.console.timeline(query('door', '1'))).chain.ok).toBe(true);
    const lastChecked = w.audit.verify().rows;
    draw('PC 1234', 'TASER7');
    const subjectOf = (seq: number) => w.db.prepare<[number], { subject: string }>('SELECT subject FROM audit_log WHERE seq = ?').get(seq)?.subject ?? '';
    const original = subjectOf(lastChecked + 2);
    tamper(`UPDATE audit_log SET subject = 'door:99' WHERE seq = ${lastChecked + 2}`);
    expect((await w.console.timeline(query('door', '1'))).chain).toMatchObject({ ok: false, firstBrokenSeq: lastChecked + 2 });

    // Put the row back exactly: a console checking from scratch finds the chain whole ...
    w.db.prepare('UPDATE audit_log SET subject = ? WHERE seq = ?').run(original, lastChecked + 2);
    const fresh = new ArmourerConsole(w.db, clock, w.rules);
    expect((await fresh.timeline(query('door', '1'))).chain.ok).toBe(true);
    // ... then the last row it verified is altered: re-checked as the anchor of the next check.
    const last = w.audit.verify().rows;
    w.db.exec(`UPDATE audit_log SET details = '{}' WHERE seq = ${last}`);
    expect((await fresh.timeline(query('door', '1'))).chain).toMatchObject({ ok: false, firstBrokenSeq: last });
  });

  it('finds an edit to an older row once the whole chain is walked again', async () => {
    draw('PC 1234', 'TASER7');
    expect((await w.console.timeline(query('door', '1'))).chain.ok).toBe(true);
    tamper("UPDATE audit_log SET subject = 'door:99' WHERE seq = 2");
    // Between full walks only new rows are hashed: the edit is not seen yet ...
    expect((await w.console.timeline(query('door', '1'))).chain.ok).toBe(true);
    advance(FULL_REVERIFY_MS);
    // ... and is once the verdict is old enough to be walked again from row 1.
    expect((await w.console.timeline(query('door', '1'))).chain).toMatchObject({ ok: false, firstBrokenSeq: 2 });
  });
});

describe('exports', () => {
  it('escapes CSV cells as RFC 4180 says and defuses formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('+44 20')).toBe("'+44 20");
    expect(csvCell('-5')).toBe("'-5");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('=HYPERLINK("x","y")')).toBe('"\'=HYPERLINK(""x"",""y"")"');
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
    expect(toCsv(['a', 'b'], [[1, 'x']])).toBe('a,b\r\n1,x\r\n');
  });

  it('exports a timeline as CSV with a header row, ISO times and safe cells', async () => {
    appendAudit({ actor: `officer:${id('ARM 01')}`, action: 'service.open-intent', subject: 'door:2', details: { opening: 1, reason: '=cmd|"/c calc"!A1, urgent' } });
    const file = await w.console.exportTimeline(query('door', '2'), 'csv');
    expect(file.mimeType).toBe('text/csv');
    expect(file.fileName).toMatch(/^timeline-door-2-\d{8}-\d{4}\.csv$/);
    const text = Buffer.from(file.base64, 'base64').toString('utf8');
    const [header, row] = text.split('\r\n');
    expect(header).toBe('seq,at,actor,action,subject,summary');
    expect(row).toMatch(/^\d+,2026-11-21T10:00:00\.000Z,ARM 01 Jo Evans,service\.open-intent,door:2,/);
    expect(row?.endsWith('"ARM 01 Jo Evans asked to open door 2 for service: =cmd|""/c calc""!A1, urgent"')).toBe(true);
  });

  it('defuses a summary that itself starts like a formula', async () => {
    appendAudit({ actor: 'system', action: 'exception.raised', subject: 'door:2', details: { exception: 1, kind: 'forced-door', message: 'x' } });
    // An action no writer of this version makes (a row from another version, or forged): summarised generically.
    appendAudit({ actor: 'system', action: '=evil()' as 'stock.started', subject: 'door:2', details: {} });
    const text = Buffer.from((await w.console.exportTimeline(query('door', '2'), 'csv')).base64, 'base64').toString('utf8');
    expect(text).toContain(",'=evil(),door:2,The terminal: =evil() (door:2)");
  });

  it('exports a timeline as a PDF with its title, the chain line and page numbers', async () => {
    const drawn = draw('PC 1234', 'TASER7');
    const file = await w.console.exportTimeline(query('asset', drawn.serial), 'pdf');
    expect(file.mimeType).toBe('application/pdf');
    expect(file.fileName).toMatch(new RegExp(`^timeline-asset-${drawn.serial}-\\d{8}-\\d{4}\\.pdf$`));
    const pdf = Buffer.from(file.base64, 'base64');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const title = `Taser 7 ${drawn.serial}, all time`;
    // The document information (its Title a string object) is never compressed.
    expect(pdf.toString('latin1')).toMatch(/\/Title \d+ 0 R/);
    expect(pdf.toString('latin1')).toContain(`(${title})`);
    // The page text, compressed: inflate each content stream and read the strings drawn.
    const text = pageText(pdf);
    expect(text).toContain(title);
    expect(text).toContain('Audit chain verified');
    expect(text).toContain('Page 1 of 1');
    expect(text).toContain(`PC 1234 Alex Morgan drew Taser 7 ${drawn.serial}`);
  });

  it('numbers every page of a long PDF and flags a broken chain', async () => {
    for (let i = 0; i < 120; i++) appendAudit({ actor: 'system', action: 'service.door-opened', subject: 'door:5', details: { opening: i } });
    tamper("UPDATE audit_log SET subject = 'door:5' WHERE seq = 1");
    const view = (await w.console.timeline(query('door', '5')));
    const pdf = await timelinePdf(view, now, { compress: false });
    const text = pageText(pdf);
    expect(pdf.subarray(0, 4).toString('latin1')).toBe('%PDF');
    expect(text).toContain('AUDIT CHAIN BROKEN at row 1');
    const pages = Number(/Page 1 of (\d+)/.exec(text)?.[1]);
    expect(pages).toBeGreaterThan(1);
    expect(text).toContain(`Page ${pages} of ${pages}`);
  });
});

describe('dashboard', () => {
  it('counts issues and returns per hour, overdue loans, refusals and utilisation', async () => {
    saveRule('TASER7', { maxLoanHours: 1 });
    const seededAtTen = seededIssuesAt('2026-11-21T10');
    now = new Date('2026-11-21T10:20:00Z');
    const drawn = draw('PC 1234', 'TASER7');
    draw('PC 6789', 'RADIO');
    now = new Date('2026-11-21T12:30:00Z');
    giveBack('PC 6789', w.db.prepare<[number], { asset_id: number }>('SELECT asset_id FROM loans WHERE officer_id = ? AND returned_at IS NULL').get(id('PC 6789'))?.asset_id ?? -1);
    w.doors.beginDraw(id('PC 2345'), assetTypeId(w.db, 'TASER7'));
    w.doors.beginDraw(id('PC 7890'), assetTypeId(w.db, 'TASER7'));
    w.doors.beginDraw(id('PC 2345'), assetTypeId(w.db, 'G17'));

    const view = w.console.dashboard();
    expect(view.issuesReturnsByHour).toHaveLength(168);
    expect(view.issuesReturnsByHour.at(-1)?.hour).toBe('2026-11-21T12:00:00.000Z');
    expect(view.issuesReturnsByHour[0]?.hour).toBe('2026-11-14T13:00:00.000Z');
    expect(view.issuesReturnsByHour.find((h) => h.hour === '2026-11-21T10:00:00.000Z')).toMatchObject({ issues: 2 + seededAtTen });
    expect(view.issuesReturnsByHour.find((h) => h.hour === '2026-11-21T12:00:00.000Z')).toMatchObject({ returns: 1 });
    expect(view.overdueCount).toBe(1);
    expect(view.refusalsByReason).toEqual(
      expect.arrayContaining([
        { code: 'qualification-expired', count: 1 },
        { code: 'qualification-missing', count: 2 },
      ]),
    );
    expect(view.refusalsByReason.reduce((s, r) => s + r.count, 0)).toBe(3);
    const taser = view.utilisationByType.find((u) => u.assetTypeName === 'Taser 7');
    const counts = w.db
      .prepare<[number], { onLoan: number; total: number }>(
        "SELECT sum(status = 'on-loan') AS onLoan, count(*) AS total FROM assets WHERE asset_type_id = ? AND status != 'retired'",
      )
      .get(assetTypeId(w.db, 'TASER7'));
    expect(taser).toEqual({ assetTypeName: 'Taser 7', ...counts });
    expect(w.console.board(null).some((e) => e.assetId === drawn.assetId)).toBe(true);
  });

  it('gives the median seconds from signing in to the door reading open', async () => {
    expect(w.console.dashboard().medianSignInToDoorSeconds).toBeNull();
    await w.auth.signIn('04A1B2C3D4', '1234');
    const first = draw('PC 1234', 'TASER7', 30_000);
    advance(60_000);
    giveBack('PC 1234', first.assetId);
    advance(60_000);
    await w.auth.signIn('04F6071829', '6789');
    draw('PC 6789', 'RADIO', 50_000);
    advance(60_000);
    await w.auth.signIn('040718293A', '7890');
    draw('PC 7890', 'RADIO', 90_000);
    // A sign-in with no door within ten minutes does not count.
    advance(60_000);
    await w.auth.signIn('0418293A4B', '9001');
    advance(11 * 60_000);
    expect(w.console.dashboard().medianSignInToDoorSeconds).toBe(50);
  });
});

function seededIssuesAt(hourPrefix: string): number {
  return w.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM loans WHERE substr(drawn_at, 1, 13) = ?').get(hourPrefix)?.n ?? 0;
}

/** Every string drawn on the PDF's pages (pdfkit writes standard-font text as hex strings), inflated where compressed. */
function pageText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const parts: string[] = [];
  const streams = /<<([^]*?)>>\s*stream\r?\n/g;
  let match: RegExpExecArray | null;
  while ((match = streams.exec(raw)) !== null) {
    const start = match.index + match[0].length;
    const end = raw.indexOf('endstream', start);
    const body = pdf.subarray(start, end);
    let content: string;
    try {
      content = (/FlateDecode/.test(match[1] ?? '') ? inflateSync(body) : body).toString('latin1');
    } catch {
      continue;
    }
    for (const line of content.split('\n')) {
      const hex = [...line.matchAll(/<([0-9a-fA-F]+)>/g)].map((m) => Buffer.from(m[1] ?? '', 'hex').toString('latin1')).join('');
      const literal = [...line.matchAll(/\(((?:\\.|[^\\)])*)\)\s*Tj/g)].map((m) => m[1] ?? '').join('');
      if (hex || literal) parts.push(hex + literal);
    }
  }
  return parts.join('\n');
}
