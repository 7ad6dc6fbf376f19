import { copyFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/core/db/database.ts';
import { bulkReferenceWrite } from '../../../main/core/reference-cache.ts';
import { doorCore } from '../../helpers/door-core.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

const clock = { now: () => new Date(2026, 10, 21, 12, 0) };
let dir: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  (await seededDb(join(dir, 'template.db'), clock.now())).close();
});
afterAll(() => cleanup());

function generation(path: string): number {
  const db = openDatabase(path);
  try {
    return db.prepare<[], { n: number }>('SELECT n FROM reference_generation').get()?.n ?? -1;
  } finally {
    db.close();
  }
}

describe('the decision cache never decides on a stale record', () => {
  it.each([
    ['on the same connection', false],
    ['from another connection', true],
  ])('sees a lapsed qualification at once when it is written %s', (_how, elsewhere) => {
    const path = join(dir, `cache-${elsewhere ? 'other' : 'same'}.db`);
    copyFileSync(join(dir, 'template.db'), path);
    const db = openDatabase(path);
    try {
      const { services } = doorCore(db, clock);
      const alex = officerIdByCollar(db, 'PC 1234');
      const taser = assetTypeId(db, 'TASER7');
      expect(services.eligibility.decide(alex, taser)?.decision.allowed).toBe(true);
      const lapse = "UPDATE officer_qualifications SET valid_until = '2026-01-01' WHERE officer_id = ? AND qualification_id = (SELECT id FROM qualifications WHERE code = 'TASER')";
      if (elsewhere) {
        const other = openDatabase(path);
        other.prepare(lapse).run(alex);
        other.close();
      } else {
        db.prepare(lapse).run(alex);
      }
      expect(services.eligibility.decide(alex, taser)?.decision.reasons.map((r) => r.code)).toEqual(['qualification-expired']);
    } finally {
      db.close();
    }
  });

  it('is bumped by every kind of reference write, and not by the door traffic a draw makes', () => {
    const path = join(dir, 'cache-writes.db');
    copyFileSync(join(dir, 'template.db'), path);
    const db = openDatabase(path);
    try {
      const core = doorCore(db, clock);
      const start = generation(path);
      const begun = core.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
      if (!begun.ok) throw new Error(begun.message);
      core.observe([{ doorNumber: begun.intent.doorNumber, open: true, itemPresent: true }]);
      core.observe([{ doorNumber: begun.intent.doorNumber, open: false, itemPresent: false }]);
      expect(generation(path)).toBe(start);
      const writes = [
        "UPDATE officers SET status = 'suspended' WHERE collar_number = 'PC 7890'",
        "INSERT INTO officer_roles (officer_id, role) VALUES ((SELECT id FROM officers WHERE collar_number = 'PC 7890'), 'armourer')",
        "DELETE FROM officer_qualifications WHERE officer_id = (SELECT id FROM officers WHERE collar_number = 'PC 1234') AND qualification_id = (SELECT id FROM qualifications WHERE code = 'BWV')",
        "UPDATE qualifications SET validity_months = 12 WHERE code = 'TASER'",
        "UPDATE asset_types SET max_per_officer = 2 WHERE code = 'RADIO'",
        "INSERT INTO asset_type_rules (asset_type_id, version, rule, created_at) SELECT id, 9, rule, 'x' FROM asset_type_rules WHERE version = 1 LIMIT 1",
      ];
      let last = generation(path);
      for (const sql of writes) {
        db.exec(sql);
        const now = generation(path);
        expect(now, sql).toBeGreaterThan(last);
        last = now;
      }
    } finally {
      db.close();
    }
  });

  it('bumps once for a bulk write, keeps the triggers afterwards, and keeps them when the write fails', () => {
    const path = join(dir, 'cache-bulk.db');
    copyFileSync(join(dir, 'template.db'), path);
    const db = openDatabase(path);
    const triggerNames = () =>
      db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'officer_qualifications' ORDER BY name").all().map((t) => t.name);
    try {
      const before = triggerNames();
      expect(before.length).toBe(3);
      const start = generation(path);
      expect(() => bulkReferenceWrite(db, 'officer_qualifications', () => 0)).toThrow(/inside the transaction/);
      db.transaction(() =>
        bulkReferenceWrite(db, 'officer_qualifications', () => {
          db.exec("UPDATE officer_qualifications SET valid_until = '2030-01-01'");
          db.exec("UPDATE officer_qualifications SET valid_until = '2031-01-01'");
        }),
      )();
      expect(generation(path)).toBe(start + 1);
      expect(triggerNames()).toEqual(before);
      expect(() =>
        db.transaction(() =>
          bulkReferenceWrite(db, 'officer_qualifications', () => {
            throw new Error('bad row');
          }),
        )(),
      ).toThrow('bad row');
      expect(triggerNames()).toEqual(before);
      // The triggers are live again: an ordinary write bumps the counter once per row.
      const rows = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM officer_qualifications').get()?.n ?? 0;
      db.exec("UPDATE officer_qualifications SET valid_until = '2032-01-01'");
      expect(generation(path)).toBe(start + 1 + rows);
    } finally {
      db.close();
    }
  });
});
