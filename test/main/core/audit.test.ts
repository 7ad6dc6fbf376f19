import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, GENESIS_HASH, canonicalJson } from '../../../main/core/audit.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { join, tempDir } from '../../helpers/temp-db.ts';

let db: Db;
let audit: AuditLog;
let cleanup: () => void;
const at = new Date('2026-11-21T10:00:00Z');

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  db = openDatabase(join(t.dir, 'audit.db'));
  audit = new AuditLog(db);
  db.transaction(() => {
    for (let i = 1; i <= 5; i++) audit.append({ actor: 'system', action: 'bank.doors-added', subject: `bank:${i}`, details: { doors: [i, 1, 2] } }, at);
  })();
});
afterEach(() => {
  db.close();
  cleanup();
});

/** Tampering needs the append-only triggers out of the way, as an attacker with the file would do. */
function tamper(sql: string): void {
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  db.exec(sql);
}

describe('audit log', () => {
  it('chains each row to the previous one from the genesis hash', () => {
    const rows = db.prepare<[], { seq: number; prev_hash: string; hash: string }>('SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq').all();
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
    expect(audit.verify()).toEqual({ ok: true, rows: 5, lastSeq: 5, lastHash: rows[4]?.hash });
  });

  it('refuses to write outside a transaction', () => {
    expect(() => audit.append({ actor: 'system', action: 'stock.started', subject: 'y', details: {} }, at)).toThrow(/inside the transaction/);
  });

  it('rolls back with the change it records', () => {
    expect(() =>
      db.transaction(() => {
        audit.append({ actor: 'system', action: 'stock.started', subject: 'y', details: {} }, at);
        throw new Error('change failed');
      })(),
    ).toThrow('change failed');
    expect(audit.verify()).toMatchObject({ ok: true, rows: 5 });
  });

  it('names the first row whose content was altered', () => {
    tamper("UPDATE audit_log SET subject = 'thing:99' WHERE seq = 3");
    expect(audit.verify()).toEqual({ ok: false, rows: 2, firstBrokenSeq: 3, reason: 'row 3 content does not match its hash (altered)' });
  });

  it('detects a row rewritten with a fresh hash, at the next row', () => {
    tamper("UPDATE audit_log SET details = '{}', hash = 'f00d' WHERE seq = 2");
    const verdict = audit.verify();
    expect(verdict).toMatchObject({ ok: false, firstBrokenSeq: 2 });
  });

  it('detects deleted rows', () => {
    tamper('DELETE FROM audit_log WHERE seq = 4');
    expect(audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: 5, reason: 'row 5 follows row 3: rows are missing' });
  });

  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
});
