import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../main/core/audit.ts';
import { Authenticator, SIGN_IN_FAILED } from '../../../main/core/auth.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { verifyPin, hashPin } from '../../../main/core/pin.ts';
import { join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234', collar: 'PC 1234' };
let db: Db;
let cleanup: () => void;
let now = new Date('2026-11-21T10:00:00Z');
const clock = { now: () => now };
let auth: Authenticator;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  db = await seededDb(join(t.dir, 'auth.db'), now);
  auth = new Authenticator(db, new AuditLog(db), clock, { maxFailures: 5, lockoutMinutes: 15 });
});
afterAll(() => {
  db.close();
  cleanup();
});

describe('PIN hashing', () => {
  it('stores a salted scrypt hash, never the PIN', async () => {
    const a = await hashPin('1234');
    const b = await hashPin('1234');
    expect(a.hash).not.toContain('1234');
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(a.params).toMatch(/^scrypt:N=\d+/);
    expect(await verifyPin('1234', a)).toBe(true);
    expect(await verifyPin('1235', a)).toBe(false);
  });

  it('the database holds no PIN in clear', () => {
    const rows = db.prepare<[], { hash: string; salt: string }>('SELECT hash, salt FROM pins').all();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('sign-in', () => {
  it('accepts the right card and PIN', async () => {
    expect(await auth.signIn(ALEX.card, ALEX.pin)).toEqual({ ok: true, officerId: officerIdByCollar(db, ALEX.collar) });
  });

  it('gives the same answer for a wrong PIN and an unknown card', async () => {
    const wrongPin = await auth.signIn(ALEX.card, '9999');
    const unknownCard = await auth.signIn('0DEADBEEF0', '1234');
    expect(wrongPin).toEqual({ ok: false, locked: false, message: SIGN_IN_FAILED });
    expect(unknownCard).toEqual(wrongPin);
  });

  it('locks a card after five failures, even against the right PIN, until the lockout ends', async () => {
    const card = '04B2C3D4E5'; // PC 2345, PIN 2345
    for (let i = 1; i <= 4; i++) expect(await auth.signIn(card, '0000')).toMatchObject({ ok: false, locked: false });
    const fifth = await auth.signIn(card, '0000');
    expect(fifth).toMatchObject({ ok: false, locked: true });
    if (!fifth.ok) expect(fifth.message).toMatch(/locked until \d\d:\d\d/);
    expect(await auth.signIn(card, '2345')).toMatchObject({ ok: false, locked: true });
    now = new Date(now.getTime() + 16 * 60_000);
    expect(await auth.signIn(card, '2345')).toMatchObject({ ok: true });
  });

  it('locks unknown cards the same way, so lockout reveals nothing', async () => {
    const card = '0ABCDEF012';
    for (let i = 1; i <= 5; i++) await auth.signIn(card, '1111');
    expect(auth.lockedUntil(card)).not.toBeNull();
  });

  it('a success clears the count, so failures must be consecutive', async () => {
    const card = '04C3D4E5F6'; // PC 3456
    for (let i = 0; i < 4; i++) await auth.signIn(card, '0000');
    expect(await auth.signIn(card, '3456')).toMatchObject({ ok: true });
    for (let i = 0; i < 4; i++) expect(await auth.signIn(card, '0000')).toMatchObject({ locked: false });
  });

  it('a lock set while a PIN is being hashed holds: the right PIN is refused', async () => {
    const card = '04D4E5F607'; // PC 4567
    const attempt = auth.signIn(card, '4567');
    // Another connection (a second terminal process, an armourer's tool) locks the card mid-hash.
    const other = openDatabase(db.name);
    const until = new Date(now.getTime() + 15 * 60_000).toISOString();
    other.prepare('INSERT OR REPLACE INTO sign_in_failures (card_uid, failures, last_failure_at, locked_until) VALUES (?, 0, ?, ?)').run(card, now.toISOString(), until);
    other.close();
    expect(await attempt).toMatchObject({ ok: false, locked: true });
    db.prepare('DELETE FROM sign_in_failures WHERE card_uid = ?').run(card);
  });

  it('attempts for one card are checked one at a time, so parallel failures still lock it', async () => {
    const card = '04E5F60718'; // any card: unknown cards lock the same way
    const answers = await Promise.all(Array.from({ length: 12 }, () => auth.signIn(card, '0000')));
    expect(answers.filter((a) => !a.ok && !a.locked)).toHaveLength(4);
    expect(answers.slice(4).every((a) => !a.ok && a.locked)).toBe(true);
    expect(auth.lockedUntil(card)).not.toBeNull();
  });

  it('audits every attempt, chained', () => {
    const actions = db.prepare<[], { action: string }>("SELECT action FROM audit_log WHERE action LIKE 'auth.%'").all().map((r) => r.action);
    expect(actions).toContain('auth.signed-in');
    expect(actions).toContain('auth.failed');
    expect(actions).toContain('auth.locked');
    expect(actions).toContain('auth.refused-locked');
    expect(new AuditLog(db).verify().ok).toBe(true);
  });
});
