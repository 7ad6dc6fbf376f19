import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../main/core/db/database.ts';
import { MIGRATIONS, NewerDatabaseError, SCHEMA_VERSION, migrate, type Migration } from '../../../../main/core/db/migrations.ts';
import { ruleSchema } from '../../../../preload/contract.ts';
import { join, tempDir } from '../../../helpers/temp-db.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('migrations', () => {
  it('versions are numbered 1..n in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_m, i) => i + 1));
  });

  it('a new file is brought to the current version with durable settings', () => {
    const db = openDatabase(join(dir, 'a.db'));
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('reopening an up-to-date file changes nothing', () => {
    openDatabase(join(dir, 'a.db')).close();
    const db = openDatabase(join(dir, 'a.db'));
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('refuses a database written by a newer version and leaves it untouched', () => {
    const path = join(dir, 'newer.db');
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.exec('CREATE TABLE future (x)');
    raw.close();
    expect(() => openDatabase(path)).toThrow(NewerDatabaseError);
    const after = new Database(path);
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(after.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'officers'").get()).toEqual({ n: 0 });
    after.close();
  });

  it('a failing migration rolls back whole and keeps the previous version', () => {
    const db = new Database(join(dir, 'b.db'));
    const broken: Migration = {
      version: 2,
      name: 'broken',
      up(d) {
        d.exec('CREATE TABLE half_done (x)');
        throw new Error('boom');
      },
    };
    expect(() => migrate(db, [MIGRATIONS[0]!, broken])).toThrow('boom');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('migration 1: initial schema', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = openDatabase(join(dir, 'c.db'));
    db.exec(`
      INSERT INTO asset_types (id, code, name, category) VALUES (1, 'T', 'Taser 7', 'taser');
      INSERT INTO officers (id, collar_number, display_name, status, created_at) VALUES (1, 'PC 1', 'A', 'active', 'x');
      INSERT INTO locker_banks (id, name) VALUES (1, 'A');
      INSERT INTO doors (id, bank_id, number) VALUES (1, 1, 1), (2, 1, 2);
      INSERT INTO assets (id, serial, tag, asset_type_id, status, door_id, updated_at) VALUES (1, 'S1', 'T1', 1, 'available', 1, 'x');
    `);
  });
  afterEach(() => db.close());

  it('allows one open loan per asset', () => {
    db.exec("INSERT INTO loans (asset_id, officer_id, drawn_at) VALUES (1, 1, 'a')");
    expect(() => db.exec("INSERT INTO loans (asset_id, officer_id, drawn_at) VALUES (1, 1, 'b')")).toThrow(/UNIQUE/);
    db.exec("UPDATE loans SET returned_at = 'c'");
    expect(() => db.exec("INSERT INTO loans (asset_id, officer_id, drawn_at) VALUES (1, 1, 'd')")).not.toThrow();
  });

  it('allows one asset per door', () => {
    expect(() => db.exec("INSERT INTO assets (serial, tag, asset_type_id, status, door_id, updated_at) VALUES ('S2', 'T2', 1, 'available', 1, 'x')")).toThrow(/UNIQUE/);
  });

  it('allows one active intent per door', () => {
    db.exec("INSERT INTO door_intents (kind, door_id, asset_id, officer_id, state, created_at, updated_at) VALUES ('draw', 1, 1, 1, 'pending', 'x', 'x')");
    expect(() => db.exec("INSERT INTO door_intents (kind, door_id, asset_id, officer_id, state, created_at, updated_at) VALUES ('draw', 1, 1, 1, 'open', 'x', 'x')")).toThrow(/UNIQUE/);
    expect(() => db.exec("INSERT INTO door_intents (kind, door_id, asset_id, officer_id, state, created_at, updated_at) VALUES ('draw', 1, 1, 1, 'completed', 'x', 'x')")).not.toThrow();
  });

  it('rejects unknown states and dangling references', () => {
    // Statuses are a lookup table since migration 6 (asset_statuses), so an unknown one is a dangling reference.
    expect(() => db.exec("UPDATE assets SET status = 'lost'")).toThrow(/FOREIGN KEY/);
    expect(() => db.exec("UPDATE door_intents SET state = 'lost'")).not.toThrow(); // no rows
    expect(() => db.exec("INSERT INTO door_intents (kind, door_id, asset_id, officer_id, state, created_at, updated_at) VALUES ('draw', 1, 1, 1, 'lost', 'x', 'x')")).toThrow(/CHECK/);
    expect(() => db.exec("INSERT INTO loans (asset_id, officer_id, drawn_at) VALUES (99, 1, 'a')")).toThrow(/FOREIGN KEY/);
  });

  it('makes the audit log append-only', () => {
    // The first row links to the genesis hash: migration 8's insert guard refuses anything else.
    db.exec(`INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (1, 'a', 'system', 'x', 'y', '{}', '${'0'.repeat(64)}', 'h')`);
    expect(() => db.exec("UPDATE audit_log SET action = 'z'")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM audit_log')).toThrow(/append-only/);
  });
});

describe('migration 3: competency gate', () => {
  /** A database as release 2 left it, with types and their requirements, then brought to 3. */
  function fromRelease2(): Database.Database {
    const db = new Database(join(dir, 'v2.db'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.slice(0, 2));
    db.exec(`
      INSERT INTO qualifications (id, code, name) VALUES (1, 'TASER', 'Taser refresher'), (2, 'AFO', 'Firearms requalification (AFO)'), (3, 'FIRSTAID', 'First aid');
      INSERT INTO asset_types (id, code, name, category) VALUES (1, 'TASER7', 'Taser 7', 'taser'), (2, 'G17', 'Glock 17 pistol', 'firearm'), (3, 'RADIO', 'Airwave radio', 'radio');
      INSERT INTO asset_type_requirements (asset_type_id, qualification_id) VALUES (1, 1), (2, 3), (2, 2);
      INSERT INTO officers (id, collar_number, display_name, status, created_at) VALUES (1, 'PC 1', 'A', 'active', 'x'), (2, 'ARM 1', 'B', 'active', 'x');
    `);
    expect(migrate(db)).toBe(SCHEMA_VERSION);
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    return db;
  }

  it('backfills version 1 of every existing type from its requirements, as canonical JSON', () => {
    const db = fromRelease2();
    const rows = db.prepare<[], { asset_type_id: number; version: number; rule: string; created_by: number | null }>(
      'SELECT asset_type_id, version, rule, created_by FROM asset_type_rules ORDER BY asset_type_id',
    ).all();
    const rule = (allOf: string[]) => `{"allOf":${JSON.stringify(allOf)},"anyOf":[],"graceDays":0,"maxLoanHours":null,"returnBy":null,"roles":[],"units":[]}`;
    expect(rows).toEqual([
      { asset_type_id: 1, version: 1, rule: rule(['TASER']), created_by: null },
      { asset_type_id: 2, version: 1, rule: rule(['AFO', 'FIRSTAID']), created_by: null },
      { asset_type_id: 3, version: 1, rule: rule([]), created_by: null },
    ]);
    // Each is a valid rule as the rules screen would save it.
    for (const row of rows) expect(ruleSchema.safeParse(JSON.parse(row.rule)).success).toBe(true);
    db.close();
  });

  it('an override needs a second person', () => {
    const db = fromRelease2();
    const insert = (armourer: number) =>
      db
        .prepare(
          `INSERT INTO overrides (officer_id, armourer_id, asset_type_id, reason_code, note, refusal, rule_version, created_at)
           VALUES (1, ?, 1, 'RECORD-ERROR', 'record wrong', '[]', 1, 'x')`,
        )
        .run(armourer);
    expect(() => insert(1)).toThrow(/CHECK/);
    expect(() => insert(2)).not.toThrow();
    expect(() => db.exec("UPDATE overrides SET reason_code = 'MADE-UP'")).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('keeps one row per type and version', () => {
    const db = fromRelease2();
    expect(() => db.exec("INSERT INTO asset_type_rules (asset_type_id, version, rule, created_at) VALUES (1, 1, '{}', 'x')")).toThrow(/UNIQUE/);
    expect(() => db.exec("INSERT INTO asset_type_rules (asset_type_id, version, rule, created_at) VALUES (1, 0, '{}', 'x')")).toThrow(/CHECK/);
    db.close();
  });
});

describe('migration 6: journeys and device refresh', () => {
  /** A database as release 5 left it, with people, assets, a loan, an intent and an exception in it. */
  function fromRelease5(): Database.Database {
    const db = new Database(join(dir, 'v5.db'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.slice(0, 5));
    db.exec(`
      INSERT INTO qualifications (id, code, name, validity_months) VALUES (1, 'TASER', 'Taser refresher', 12), (2, 'AFO', 'Firearms requalification (AFO)', NULL);
      INSERT INTO asset_types (id, code, name, category) VALUES (1, 'TASER7', 'Taser 7', 'taser');
      INSERT INTO officers (id, collar_number, display_name, status, created_at) VALUES (1, 'PC 1', 'A', 'active', 'x'), (2, 'ARM 1', 'B', 'active', 'x');
      INSERT INTO officer_roles (officer_id, role) VALUES (1, 'officer'), (2, 'armourer');
      INSERT INTO officer_qualifications (officer_id, qualification_id, awarded_on, expires_on, source, recorded_at) VALUES
        (1, 1, '2026-01-31', NULL, 'lms', 'x'), (2, 1, '2026-01-01', '2026-06-30', 'lms', 'x'), (2, 2, '2020-01-01', NULL, 'lms', 'x');
      INSERT INTO locker_banks (id, name) VALUES (1, 'A');
      INSERT INTO doors (id, bank_id, number) VALUES (1, 1, 1), (2, 1, 2);
      INSERT INTO assets (id, serial, tag, asset_type_id, status, door_id, updated_at) VALUES (1, 'T-1', 'TAG1', 1, 'on-loan', NULL, 'x'), (2, 'T-2', 'TAG2', 1, 'available', 2, 'x');
      INSERT INTO door_intents (id, kind, door_id, asset_id, officer_id, state, created_at, updated_at) VALUES (1, 'draw', 1, 1, 1, 'completed', 'x', 'x');
      INSERT INTO loans (id, asset_id, officer_id, drawn_at, draw_intent_id) VALUES (1, 1, 1, 'x', 1);
      INSERT INTO exceptions (id, kind, subject, message, details, raised_at) VALUES (1, 'forced-door', 'door:1', 'forced', '{}', 'x');
    `);
    expect(migrate(db)).toBe(SCHEMA_VERSION);
    return db;
  }

  it("keeps every row, every reference and the foreign keys, and stores each record's last valid day", () => {
    const db = fromRelease5();
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare('SELECT id, status, door_id FROM assets ORDER BY id').all()).toEqual([
      { id: 1, status: 'on-loan', door_id: null },
      { id: 2, status: 'available', door_id: 2 },
    ]);
    expect(db.prepare('SELECT id, kind, state, swap_order_id, verified_at FROM door_intents').all()).toEqual([{ id: 1, kind: 'draw', state: 'completed', swap_order_id: null, verified_at: null }]);
    expect(db.prepare('SELECT officer_id, role FROM officer_roles ORDER BY officer_id').all()).toEqual([
      { officer_id: 1, role: 'officer' },
      { officer_id: 2, role: 'armourer' },
    ]);
    expect(db.prepare('SELECT kind, subject FROM exceptions').all()).toEqual([{ kind: 'forced-door', subject: 'door:1' }]);
    // The one validity rule: 31 Jan + 12 months is 31 Jan 2027, so valid through 30 Jan; a given expiry is kept; none and no period: no end.
    expect(db.prepare('SELECT officer_id, qualification_id, valid_until FROM officer_qualifications ORDER BY officer_id, qualification_id').all()).toEqual([
      { officer_id: 1, qualification_id: 1, valid_until: '2027-01-30' },
      { officer_id: 2, qualification_id: 1, valid_until: '2026-06-30' },
      { officer_id: 2, qualification_id: 2, valid_until: null },
    ]);
    expect(db.prepare('SELECT self_service FROM asset_types').all()).toEqual([{ self_service: 1 }]);
    db.close();
  });

  it('holds the same lists as the code: roles, asset statuses, intent kinds and their direction, exception kinds', async () => {
    const { ROLES, ASSET_STATUSES } = await import('../../../../preload/contract.ts');
    const { INTENT_DIRECTION, INTENT_KINDS } = await import('../../../../main/core/intent-table.ts');
    const { EXCEPTION_KINDS } = await import('../../../../main/core/exceptions.ts');
    const db = openDatabase(join(dir, 'lists.db'));
    const column = (sql: string) => db.prepare(sql).raw().all().map((r) => (r as unknown[])[0]).sort();
    expect(column('SELECT role FROM roles')).toEqual([...ROLES].sort());
    expect(column('SELECT status FROM asset_statuses')).toEqual([...ASSET_STATUSES].sort());
    expect(column('SELECT kind FROM intent_kinds')).toEqual([...INTENT_KINDS].sort());
    expect(Object.fromEntries(db.prepare<[], { kind: string; direction: string }>('SELECT kind, direction FROM intent_kinds').all().map((r) => [r.kind, r.direction]))).toEqual(INTENT_DIRECTION);
    expect(column('SELECT kind FROM exception_kinds')).toEqual([...EXCEPTION_KINDS].sort());
    db.close();
  });

  it('one live swap order per old device, and only known values anywhere', () => {
    const db = fromRelease5();
    const order = (state: string) =>
      db
        .prepare(
          `INSERT INTO swap_orders (officer_id, old_asset_id, new_asset_type_id, expires_on, state, created_at, created_by, updated_at) VALUES (1, 1, 1, '2026-12-31', ?, 'x', 2, 'x')`,
        )
        .run(state);
    order('open');
    expect(() => order('deposited')).toThrow(/UNIQUE/);
    expect(() => order('completed')).not.toThrow();
    expect(() => order('lost')).toThrow(/CHECK/);
    expect(() => db.exec("INSERT INTO officer_roles (officer_id, role) VALUES (1, 'superuser')")).toThrow(/FOREIGN KEY/);
    expect(() => db.exec("UPDATE door_intents SET kind = 'teleport'")).toThrow(/FOREIGN KEY/);
    expect(() => db.exec("INSERT INTO exceptions (kind, subject, message, details, raised_at) VALUES ('gremlins', 's', 'm', '{}', 'x')")).toThrow(/FOREIGN KEY/);
    expect(() => db.exec("INSERT INTO sanitisation_records (asset_id, method, tool, operator, verified, certificate_id, recorded_at, recorded_by) VALUES (1, 'shred-ish', 't', 'o', 1, 'c', 'x', 2)")).toThrow(/CHECK/);
    db.close();
  });
});

describe('migration 12: loan changes', () => {
  /** A current database with two officers, two items on loan and one in a locker. */
  function withLoans(): Database.Database {
    const db = openDatabase(join(dir, 'loans.db'));
    db.exec(`
      INSERT INTO asset_types (id, code, name, category) VALUES (1, 'TASER7', 'Taser 7', 'taser'), (2, 'G17', 'Glock 17', 'firearm');
      INSERT INTO officers (id, collar_number, display_name, status, created_at) VALUES (1, 'PC 1', 'A', 'active', 'x'), (2, 'PC 2', 'B', 'active', 'x');
      INSERT INTO locker_banks (id, name) VALUES (1, 'A');
      INSERT INTO doors (id, bank_id, number) VALUES (1, 1, 1);
      INSERT INTO assets (id, serial, tag, asset_type_id, status, door_id, updated_at) VALUES
        (1, 'T-1', 'TAG1', 1, 'on-loan', NULL, 'x'), (2, 'G-1', 'TAG2', 2, 'on-loan', NULL, 'x'), (3, 'T-2', 'TAG3', 1, 'available', 1, 'x');
      INSERT INTO loans (id, asset_id, officer_id, drawn_at) VALUES (1, 1, 1, 'x'), (2, 2, 2, 'x');
    `);
    return db;
  }
  const log = (db: Database.Database) => db.prepare<[], { change: number; loan_id: number }>('SELECT change, loan_id FROM loan_changes ORDER BY change').all();
  const changedSince = (db: Database.Database, change: number) =>
    db.prepare<[number], { loan_id: number }>('SELECT loan_id FROM loan_changes WHERE change > ? ORDER BY change').all(change).map((r) => r.loan_id);
  const last = (db: Database.Database) => log(db).at(-1)?.change ?? 0;

  it('logs each loan written, once, under a change number never used before', () => {
    const db = withLoans();
    expect(log(db).map((r) => r.loan_id)).toEqual([1, 2]);
    const before = last(db);
    db.exec("UPDATE loans SET returned_at = 'y', return_condition = 'ok' WHERE id = 1");
    // Loan 1 moved to the end under a new number; still one row for it.
    expect(changedSince(db, before)).toEqual([1]);
    expect(log(db).map((r) => r.loan_id)).toEqual([2, 1]);
    const afterReturn = last(db);
    expect(afterReturn).toBeGreaterThan(before);
    // The highest number's row replaced by the same loan's next change: the number still grows.
    db.exec("UPDATE loans SET due_at = 'z' WHERE id = 1");
    expect(last(db)).toBeGreaterThan(afterReturn);
    db.exec('DELETE FROM loans WHERE id = 2');
    expect(changedSince(db, afterReturn)).toEqual([1, 2]);
    db.close();
  });

  it("logs an on-loan item's serial and type changes through its open loan, and not its status, door or time stamp", () => {
    const db = withLoans();
    let mark = last(db);
    const since = () => {
      const changed = changedSince(db, mark);
      mark = last(db);
      return changed;
    };
    db.exec("UPDATE assets SET updated_at = 'later', door_id = NULL WHERE id = 2");
    db.exec("UPDATE assets SET status = 'quarantined' WHERE id = 2");
    expect(since()).toEqual([]);
    db.exec("UPDATE assets SET serial = 'T-1' WHERE id = 1");
    expect(since()).toEqual([]);
    db.exec("UPDATE assets SET serial = 'T-1b' WHERE id = 1");
    expect(since()).toEqual([1]);
    db.exec('UPDATE assets SET asset_type_id = 2 WHERE id = 1');
    expect(since()).toEqual([1]);
    // An item in a locker has no open loan: nothing to log.
    db.exec("UPDATE assets SET serial = 'T-2b' WHERE id = 3");
    expect(since()).toEqual([]);
    db.close();
  });

  it("logs the change whatever conflict clause the writer's statement carries", () => {
    const db = withLoans();
    const mark = last(db);
    // An outer OR IGNORE / OR REPLACE overrides conflict clauses in trigger bodies: the log's inserts must never meet one.
    db.exec("UPDATE OR IGNORE loans SET due_at = 'a' WHERE id = 1");
    db.exec("INSERT OR REPLACE INTO loans (id, asset_id, officer_id, drawn_at) VALUES (2, 2, 2, 'again')");
    db.exec("INSERT OR IGNORE INTO loans (asset_id, officer_id, drawn_at) VALUES (3, 1, 'x')");
    expect(changedSince(db, mark)).toEqual([1, 2, 3]);
    expect(db.prepare('SELECT count(*) AS n FROM loan_changes').get()).toEqual({ n: 3 });
    db.close();
  });

  it('is read by its key: a reader asks only for changes after the last it saw', () => {
    const db = withLoans();
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT loan_id FROM loan_changes WHERE change > +?').all(0) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING INTEGER PRIMARY KEY \(rowid>\?\)/);
    db.close();
  });
});
