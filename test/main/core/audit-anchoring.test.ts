import { generateKeyPairSync, sign } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointMessage, checkpointSignatureValid } from '../../../main/core/audit-checkpoint.ts';
import { GENESIS_HASH } from '../../../main/core/audit-chain.ts';
import { workerIntegrityChecker } from '../../../main/workers/audit-walker.ts';
import { anchoredDb, rewriteAndRehash, tamper, type AnchoredDb } from '../../helpers/anchored-db.ts';
import { tempDir } from '../../helpers/temp-db.ts';

let dir: string;
let cleanup: () => void;
let a: AnchoredDb;

/**
 * 14 rows; checkpoints signed at rows 4, 8 and 12; rows 13 and 14 written after the last one.
 * The database is closed before the attacker opens the file, as if the terminal were off.
 */
beforeEach(async () => {
  ({ dir, cleanup } = tempDir('armoury-anchor-'));
  a = await anchoredDb(dir);
  for (let i = 1; i <= 14; i++) {
    a.append();
    if (i % 4 === 0) expect(a.anchor.checkpoint('rows')).toMatchObject({ seq: i });
  }
  a.anchor.stop();
  a.db.close();
});
afterEach(() => cleanup());

/** The terminal's start-up check, in its worker thread, over the file. */
const verdict = () => workerIntegrityChecker(a.path, a.signer.publicKeyPem, () => null).check();

describe('the start-up check on a real database file', () => {
  it('passes an untouched trail, with its latest checkpoint', async () => {
    expect(await verdict()).toMatchObject({ ok: true, problems: [], firstBrokenSeq: null, checkpoints: 3, latestCheckpoint: { seq: 12, reason: 'rows' }, chain: { ok: true, rows: 14 } });
  });

  it('shares one walk between checks asked for while it runs, and walks again for the next', async () => {
    const checker = workerIntegrityChecker(a.path, a.signer.publicKeyPem, () => null);
    const first = checker.check();
    // The console's first timeline, opened while the start-up check walks.
    const meanwhile = checker.check();
    expect(meanwhile).toBe(first);
    expect(await first).toMatchObject({ ok: true });
    tamper(a.path, (db) => db.exec("UPDATE audit_log SET subject = 'bank:99' WHERE seq = 6"));
    expect(await checker.check()).toMatchObject({ ok: false, firstBrokenSeq: 6 });
  });

  it('catches an edited row and names it', async () => {
    tamper(a.path, (db) => db.exec("UPDATE audit_log SET subject = 'bank:99' WHERE seq = 6"));
    const v = await verdict();
    expect(v).toMatchObject({ ok: false, firstBrokenSeq: 6 });
    expect(v.problems[0]).toBe('row 6 content does not match its hash (altered)');
  });

  it('catches a deleted middle row, at the row after the gap', async () => {
    tamper(a.path, (db) => db.exec('DELETE FROM audit_log WHERE seq = 6'));
    const v = await verdict();
    expect(v).toMatchObject({ ok: false, firstBrokenSeq: 7 });
    expect(v.problems[0]).toBe('row 7 follows row 5: rows are missing');
  });

  it('catches the last rows deleted, back past a checkpoint: the chain is shorter than the signed checkpoint', async () => {
    tamper(a.path, (db) => db.exec('DELETE FROM audit_log WHERE seq >= 11'));
    const v = await verdict();
    // Rows 1–10 still chain perfectly: only the checkpoint at row 12 gives the cut away.
    expect(v.chain).toMatchObject({ ok: true, rows: 10 });
    expect(v).toMatchObject({ ok: false, firstBrokenSeq: 11, shorterThan: { checkpointSeq: 12, lastSeq: 10 } });
    expect(v.problems).toEqual(['the chain is shorter than the signed checkpoint: it ends at row 10, but a checkpoint covers rows up to 12 (rows 11–12 are gone)']);
  });

  it('catches every row deleted', async () => {
    tamper(a.path, (db) => db.exec('DELETE FROM audit_log'));
    const v = await verdict();
    expect(v.chain).toMatchObject({ ok: true, rows: 0 });
    expect(v).toMatchObject({ ok: false, firstBrokenSeq: 1, shorterThan: { checkpointSeq: 12, lastSeq: 0 } });
    expect(v.problems).toEqual(['the audit log is empty, but a signed checkpoint covers rows 1–12: every row was deleted']);
  });

  it('catches a row rewritten with every later hash recomputed, between the checkpoints around it', async () => {
    tamper(a.path, (db) => rewriteAndRehash(db, 6, 'bank:99'));
    const v = await verdict();
    // The chain itself walks clean: that is what the attacker bought by recomputing.
    expect(v.chain).toMatchObject({ ok: true, rows: 14 });
    // The checkpoint at row 4 still matches; the one at row 8 does not: the change is in rows 5–8.
    expect(v).toMatchObject({ ok: false, firstBrokenSeq: 5 });
    expect(v.problems[0]).toMatch(/^rows 5–8 were rewritten: row 8's hash no longer matches the checkpoint signed .* \(row 8\), though row 4 still matches its checkpoint$/);
  });

  it('catches the guarding triggers dropped, even with every row intact', async () => {
    tamper(a.path, () => {}, { restoreTriggers: false });
    const v = await verdict();
    expect(v).toMatchObject({ ok: false, firstBrokenSeq: null, chain: { ok: true, rows: 14 } });
    expect(v.triggerProblems).toEqual([
      'the audit_log_no_update trigger is missing: someone dropped it',
      'the audit_log_no_delete trigger is missing: someone dropped it',
      'the audit_log_insert_guard trigger is missing: someone dropped it',
      'the audit_checkpoints_no_update trigger is missing: someone dropped it',
      'the audit_checkpoints_no_delete trigger is missing: someone dropped it',
      'the audit_checkpoints_forward trigger is missing: someone dropped it',
    ]);
  });

  it('catches a guarding trigger replaced by a harmless one of the same name', async () => {
    tamper(a.path, (db) => db.exec('CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END;'), { restoreTriggers: false });
    const v = await verdict();
    expect(v.triggerProblems).toContain('the audit_log_no_delete trigger is not the one the terminal made: it has been replaced');
  });

  it('catches a checkpoint forged with another key', async () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    tamper(a.path, (db) => {
      rewriteAndRehash(db, 14, 'bank:99');
      const head = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
      const body = { terminalId: 'terminal-1', seq: head.seq, headHash: head.hash, at: '2026-11-21T11:00:00.000Z' };
      db.prepare("INSERT INTO audit_checkpoints (seq, head_hash, at, terminal_id, reason, key_fingerprint, signature) VALUES (?, ?, ?, 'terminal-1', 'rows', 'x', ?)").run(
        body.seq,
        body.headHash,
        body.at,
        sign(null, Buffer.from(checkpointMessage(body)), other).toString('base64'),
      );
    });
    const v = await verdict();
    expect(v.ok).toBe(false);
    expect(v.problems).toContain("the checkpoint signed 2026-11-21T11:00:00.000Z (row 14) has a bad signature: it was not signed by this terminal's key, or was altered");
  });
});

describe('the database guards the trail itself', () => {
  let db: Database.Database;
  beforeEach(() => {
    // Another connection to the file, not the terminal's: the triggers hold whoever writes.
    db = new Database(a.path);
  });
  afterEach(() => db.close());
  const last = () => db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
  const insert = (seq: number, prev: string) =>
    db.prepare("INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?, 'x', 'system', 'x', 'y', '{}', ?, 'h')").run(seq, prev);

  it('refuses a row that skips a seq, repeats one, or does not link to the last hash', () => {
    const { seq, hash } = last();
    expect(() => insert(seq + 2, hash)).toThrow(/must follow the last row/);
    expect(() => insert(seq + 1, GENESIS_HASH)).toThrow(/must follow the last row/);
    expect(() => insert(seq + 1, 'f'.repeat(64))).toThrow(/must follow the last row/);
    expect(() => insert(seq + 1, hash)).not.toThrow();
  });

  it('keeps the checkpoints append-only and moving forward', () => {
    expect(() => db.exec("UPDATE audit_checkpoints SET head_hash = 'x'")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM audit_checkpoints')).toThrow(/append-only/);
    expect(() => db.exec("INSERT INTO audit_checkpoints (seq, head_hash, at, terminal_id, reason, key_fingerprint, signature) VALUES (3, 'h', 'x', 't', 'rows', 'f', 's')")).toThrow(/only move forward/);
    expect(() => db.exec('DELETE FROM audit_log WHERE seq = 1')).toThrow(/append-only/);
  });

  it('stores checkpoints whose signatures verify with the terminal key and fail with another', () => {
    const rows = db.prepare('SELECT seq, head_hash AS headHash, at, terminal_id AS terminalId, signature FROM audit_checkpoints').all() as {
      seq: number;
      headHash: string;
      at: string;
      terminalId: string;
      signature: string;
    }[];
    expect(rows.map((r) => r.seq)).toEqual([4, 8, 12]);
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const r of rows) {
      expect(checkpointSignatureValid(r, a.signer.publicKeyPem)).toBe(true);
      expect(checkpointSignatureValid(r, otherKey)).toBe(false);
      expect(checkpointSignatureValid({ ...r, seq: r.seq + 1 }, a.signer.publicKeyPem)).toBe(false);
    }
  });
});

describe('the other readers of the anchors', () => {
  it('the start-up check also reads the exported checkpoints, so deleting the stored ones does not hide a cut', async () => {
    const { writeFileSync } = await import('node:fs');
    const { storedCheckpoints } = await import('../../../main/core/audit-integrity.ts');
    const { checkpointLine } = await import('../../../main/devices/audit-anchor-outbox.ts');
    const file = `${dir}/exported.jsonl`;
    const db = new Database(a.path, { readonly: true });
    writeFileSync(file, storedCheckpoints(db).map((c) => `${checkpointLine(c)}\n`).join(''));
    db.close();
    tamper(a.path, (d) => d.exec('DELETE FROM audit_log WHERE seq > 6; DELETE FROM audit_checkpoints WHERE seq > 6'));
    const withoutFile = await verdict();
    // On its own the database now looks whole: rows 1–6 and the checkpoint at row 4.
    expect(withoutFile.ok).toBe(true);
    const withFile = await workerIntegrityChecker(a.path, a.signer.publicKeyPem, () => file).check();
    expect(withFile).toMatchObject({ ok: false, firstBrokenSeq: 7, shorterThan: { checkpointSeq: 12, lastSeq: 6 } });
  });

  it("the console's full walk reports a rehashed chain as broken, from the checkpoints", async () => {
    const { anchoredChainWalker } = await import('../../../main/workers/audit-walker.ts');
    tamper(a.path, (d) => rewriteAndRehash(d, 6, 'bank:99'));
    const walk = await anchoredChainWalker(workerIntegrityChecker(a.path, a.signer.publicKeyPem, () => null)).walk();
    expect(walk).toMatchObject({ ok: false, rows: 4, firstBrokenSeq: 5 });
    if (!walk.ok) expect(walk.reason).toMatch(/^rows 5–8 were rewritten/);
  });
});
