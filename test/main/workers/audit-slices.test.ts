import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, joinSlices, rowHash, sliceBounds, walkSlice } from '../../../main/core/audit-chain.ts';
import { AuditLog } from '../../../main/core/audit.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { AUDIT_TRIGGERS } from '../../../main/core/db/migrations/008-audit-anchoring.ts';
import type { ChainVerdict } from '../../../main/core/audit-chain.ts';
import type { IntegrityVerdict } from '../../../main/core/audit-integrity.ts';
import { walkInWorker } from '../../../main/workers/audit-walker.ts';
import { anchoredDb, rewriteAndRehash, tamper, type AnchoredDb } from '../../helpers/anchored-db.ts';
import { join, tempDir } from '../../helpers/temp-db.ts';

/**
 * The chain walked in slices (by several worker threads at once) must give, for every way of
 * breaking it, exactly the verdict one walk from row 1 gives: the same first broken row, reason
 * and row count, wherever the break falls against the joins where slices meet.
 */
const ROWS = 42;

let dir: string;
let cleanup: () => void;
let path: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('armoury-slices-'));
  path = join(dir, 'armoury.db');
  const db = openDatabase(path);
  const audit = new AuditLog(db);
  const at = new Date('2026-11-21T10:00:00Z');
  db.transaction(() => {
    for (let i = 1; i <= ROWS; i++) audit.append({ actor: 'system', action: 'bank.doors-added', subject: `bank:${i}`, details: { doors: [i] } }, at);
  }).immediate();
  db.close();
});
afterEach(() => cleanup());

/** The walk from row 1 on one connection, in this thread. */
function oneWalk(file = path): ChainVerdict {
  const db = openDatabase(file);
  try {
    return new AuditLog(db).verify();
  } finally {
    db.close();
  }
}

/** The slices the worker threads walk, walked here one after the other and joined as the worker joins them. */
function slicedHere(db: Db, slices: number): ChainVerdict {
  const lastSeq = db.prepare<[], { n: number }>('SELECT max(seq) AS n FROM audit_log').get()?.n ?? 0;
  const bounds = sliceBounds(lastSeq, slices);
  return joinSlices(bounds.map((after, i) => walkSlice(db, after, bounds[i + 1] ?? null)));
}

const inWorkers = (file: string, slices: number) => walkInWorker<ChainVerdict>({ path: file, slices, sliceFromRows: 1 });

/** A copy of the chain with one change made as an attacker would make it. */
async function broken(name: string, sql: string): Promise<string> {
  const copy = join(dir, `${name}.db`);
  const source = openDatabase(path);
  await source.backup(copy);
  source.close();
  tamper(copy, (db) => db.exec(sql));
  return copy;
}

const breaks: Record<string, (seq: number) => string> = {
  altered: (seq) => `UPDATE audit_log SET subject = 'bank:999' WHERE seq = ${seq}`,
  missing: (seq) => `DELETE FROM audit_log WHERE seq = ${seq}`,
  unlinked: (seq) => `UPDATE audit_log SET prev_hash = '${'f'.repeat(64)}' WHERE seq = ${seq}`,
  // A prev_hash that starts with the right hash but runs on is still not the link.
  'unlinked, longer': (seq) => `UPDATE audit_log SET prev_hash = prev_hash || char(10) || 'x' WHERE seq = ${seq}`,
  'hash replaced': (seq) => `UPDATE audit_log SET hash = 'f00d' WHERE seq = ${seq}`,
  'two rows missing': (seq) => `DELETE FROM audit_log WHERE seq IN (${seq}, ${Math.min(ROWS, seq + 1)})`,
};

describe('the audit chain walked in slices', () => {
  it('verifies an untouched chain with the verdict of one walk, here and in worker threads', async () => {
    const expected = oneWalk();
    expect(expected).toMatchObject({ ok: true, rows: ROWS, lastSeq: ROWS });
    const db = openDatabase(path);
    for (const slices of [1, 2, 3, 7]) expect(slicedHere(db, slices)).toEqual(expected);
    db.close();
    for (const slices of [1, 2, 3]) expect(await inWorkers(path, slices)).toEqual(expected);
  });

  it('names the first broken row, reason and count of one walk, for every kind of break at every row, in 2 to 7 slices', () => {
    const db = new Database(path);
    try {
      for (const name of Object.keys(AUDIT_TRIGGERS)) db.exec(`DROP TRIGGER ${name}`);
      for (const [kind, sql] of Object.entries(breaks)) {
        for (let seq = 1; seq <= ROWS; seq++) {
          // Each break is made and undone in a transaction of its own, on this one connection.
          db.exec('BEGIN');
          try {
            db.exec(sql(seq));
            const expected = new AuditLog(db).verify();
            // Rows cut off the end leave a chain that walks clean: the signed checkpoints catch that.
            if (!kind.includes('missing') || seq < ROWS - 1) expect(expected.ok, `${kind} at ${seq}`).toBe(false);
            for (const slices of [2, 3, 4, 7]) expect(slicedHere(db, slices), `${kind} at ${seq}, ${slices} slices`).toEqual(expected);
          } finally {
            db.exec('ROLLBACK');
          }
        }
      }
    } finally {
      db.close();
    }
  });

  it('gives the same verdicts in worker threads, for breaks on either side of the join', async () => {
    // Two slices of 42 rows meet after row 21.
    for (const [kind, seq] of [['altered', 21], ['unlinked', 22], ['missing', 22], ['hash replaced', 21], ['altered', 41]] as const) {
      const copy = await broken(`worker-${kind}-${seq}`, (breaks[kind] as (seq: number) => string)(seq));
      expect(await inWorkers(copy, 2), `${kind} at ${seq}`).toEqual(oneWalk(copy));
    }
  });

  it('reads the same canonical text as the hash rule, whatever the content holds', () => {
    const db = openDatabase(path);
    try {
      const audit = new AuditLog(db);
      const awkward = ['', 'ünïcödé Ω 漢字 🚓', "quotes ' \" and \\ backslash", 'new\nlines\r\n and\ttabs', '||', 'a'.repeat(5000)];
      db.transaction(() => {
        for (const text of awkward) audit.append({ actor: 'system', action: 'exception.resolved', subject: text, details: { exception: 1, kind: 'forced-door', note: text } }, new Date('2026-11-21T10:00:00Z'));
      }).immediate();
      expect(audit.verify()).toMatchObject({ ok: true, rows: ROWS + awkward.length });
      // And the stored hash is rowHash's, so the walk agrees with what append() wrote.
      const last = db.prepare<[], { seq: number; at: string; actor: string; action: string; subject: string; details: string; prev_hash: string; hash: string }>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1').get();
      expect(last && rowHash(last.prev_hash, last.seq, last.at, last.actor, last.action, last.subject, last.details)).toBe(last?.hash);
      expect(last?.prev_hash).not.toBe(GENESIS_HASH);
    } finally {
      db.close();
    }
  });
});

describe('the walk read a page at a time', () => {
  /** The verifier as it was before pages and the canonical text from SQLite: every row's fields through rowHash, one by one. */
  function rowByRow(db: Db): ChainVerdict {
    const rows = db.prepare<[], { seq: number; at: string; actor: string; action: string; subject: string; details: string; prev_hash: string; hash: string }>('SELECT * FROM audit_log ORDER BY seq').all();
    let expectedPrev = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    for (const r of rows) {
      let reason: string | null = null;
      if (r.seq !== expectedSeq) reason = `row ${r.seq} follows row ${expectedSeq - 1}: rows are missing`;
      else if (r.prev_hash !== expectedPrev) reason = `row ${r.seq} does not link to the hash of row ${r.seq - 1}`;
      else if (rowHash(r.prev_hash, r.seq, r.at, r.actor, r.action, r.subject, r.details) !== r.hash) reason = `row ${r.seq} content does not match its hash (altered)`;
      if (reason !== null) return { ok: false, rows: count, firstBrokenSeq: r.seq, reason };
      expectedPrev = r.hash;
      expectedSeq = r.seq + 1;
      count++;
    }
    return { ok: true, rows: count, lastSeq: expectedSeq - 1, lastHash: expectedPrev };
  }

  it('gives the verdict of a row-by-row walk, for breaks on either side of the page edges', () => {
    const db = openDatabase(path);
    try {
      const audit = new AuditLog(db);
      // 2,600 rows: the pages of 1,024 end at rows 1,024 and 2,048.
      db.transaction(() => {
        for (let i = ROWS + 1; i <= 2_600; i++) audit.append({ actor: 'system', action: 'bank.doors-added', subject: `bank:${i}`, details: { doors: [i] } }, new Date('2026-11-21T10:00:00Z'));
      }).immediate();
      expect(audit.verify()).toEqual(rowByRow(db));
      for (const name of Object.keys(AUDIT_TRIGGERS)) db.exec(`DROP TRIGGER ${name}`);
      for (const [kind, sql] of Object.entries(breaks)) {
        for (const seq of [1_023, 1_024, 1_025, 2_048, 2_049, 2_600]) {
          db.exec('BEGIN');
          try {
            db.exec(sql(seq));
            expect(audit.verify(), `${kind} at ${seq}`).toEqual(rowByRow(db));
            expect(slicedHere(db, 3), `${kind} at ${seq}, 3 slices`).toEqual(rowByRow(db));
          } finally {
            db.exec('ROLLBACK');
          }
        }
      }
    } finally {
      db.close();
    }
  });
});

describe('the integrity check over a sliced walk', () => {
  let a: AnchoredDb;
  beforeEach(async () => {
    a = await anchoredDb(dir);
    for (let i = 1; i <= 30; i++) {
      a.append();
      if (i % 10 === 0) a.anchor.checkpoint('rows');
    }
    a.db.close();
  });

  const check = (slices: number) =>
    walkInWorker<IntegrityVerdict>({ path: a.path, slices, sliceFromRows: 1, integrity: { publicKeyPem: a.signer.publicKeyPem, signatures: 'all', external: [] } });

  it('gives the same whole verdict in slices as in one walk, for an untouched trail and a rewritten one', async () => {
    const untouched = await check(1);
    expect(untouched).toMatchObject({ ok: true, checkpoints: 4 });
    expect(await check(2)).toEqual(untouched);
    tamper(a.path, (db) => rewriteAndRehash(db, 14, 'bank:99'));
    const rewritten = await check(1);
    expect(rewritten).toMatchObject({ ok: false, chain: { ok: true } });
    expect(await check(2)).toEqual(rewritten);
    expect(await check(3)).toEqual(rewritten);
  });
});
