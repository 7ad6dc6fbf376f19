import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/core/db/database.ts';
import { noonToday, startHarness, type Harness } from '../helpers/kiosk-harness.ts';
import { ManualTime } from '../helpers/manual-time.ts';

let h: Harness;
afterEach(async () => h?.close());

function rows<T>(sql: string): T[] {
  const db = openDatabase(`${h.dataDir}/armoury.db`);
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('the overdue scheduler in main', () => {
  it('raises one exception per loan past its due time, and none for loans not yet due', async () => {
    const time = new ManualTime(noonToday());
    h = await startHarness({ overdueCheckSeconds: 60 }, undefined, {}, time);
    const db = openDatabase(`${h.dataDir}/armoury.db`);
    const loans = db.prepare<[], { id: number }>('SELECT id FROM loans WHERE returned_at IS NULL ORDER BY id LIMIT 2').all();
    db.prepare('UPDATE loans SET due_at = ? WHERE id = ?').run(new Date(h.now().getTime() - 60_000).toISOString(), loans[0]!.id);
    db.prepare('UPDATE loans SET due_at = ? WHERE id = ?').run(new Date(h.now().getTime() + 3_600_000).toISOString(), loans[1]!.id);
    db.close();
    await time.advance(120_000); // two checks
    const raised = rows<{ subject: string; message: string }>("SELECT subject, message FROM exceptions WHERE kind = 'overdue'");
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ subject: `loan:${loans[0]!.id}`, message: expect.stringMatching(/ drawn by .* was due back at /) });
  });
});
