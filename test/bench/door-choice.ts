/**
 * `door_choice_p99_ms` (issue 12): choosing the door an item going in takes, among 2,000 doors
 * of four sizes and four purposes with 85% of them holding something, by the chooser returns
 * use (DoorIntents.freeDoorFor: the doors_by_fit index, walked smallest first).
 */
import { AuditLog } from '../../main/core/audit.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { ensureLockerBank, type DoorSpec } from '../../main/core/demo-seed.ts';
import type { DoorHolds } from '../../main/core/door-fit.ts';
import { DoorIntents } from '../../main/core/door-intents.ts';
import { Records } from '../../main/core/records.ts';
import { seededRandom } from '../helpers/seeded-random.ts';
import { join, tempDir } from '../helpers/temp-db.ts';
import { summarize, timeMs, type Summary } from './stats.ts';

export const DOOR_CHOICE = { doors: 2000, filled: 0.85, choices: 2000, warmup: 200 };

export function measureDoorChoice(): { sizes: typeof DOOR_CHOICE; choice: Summary; none: number } {
  const { dir, cleanup } = tempDir('armoury-bench-doors-');
  const db = openDatabase(join(dir, 'armoury.db'));
  try {
    const random = seededRandom(12);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const holds: DoorHolds[] = ['any', 'any', 'any', 'any', 'any', 'equipment', 'equipment', 'equipment', 'weapons', 'exhibits'];
    const sizes = ['S', 'S', 'S', 'S', 'M', 'M', 'M', 'L', 'L', 'XL'] as const;
    const layout: DoorSpec[] = Array.from({ length: DOOR_CHOICE.doors }, (_, i) => ({ number: i + 1, size: pick(sizes), holds: pick(holds) }));
    const now = new Date('2026-11-21T10:00:00Z');
    const bankId = ensureLockerBank(db, 'Bench bank', layout, now);
    db.exec(`INSERT INTO asset_types (id, code, name, category, size_class) VALUES
      (1, 'RAD', 'Radio', 'radio', 'S'), (2, 'LT', 'Laptop', 'laptop', 'M'), (3, 'PPE', 'PPE bag', 'ppe', 'L'), (4, 'RIOT', 'Riot shield', 'ppe', 'XL'), (5, 'T7', 'Taser 7', 'taser', 'M')`);
    const doorIds = db.prepare<[number], { id: number }>('SELECT id FROM doors WHERE bank_id = ? ORDER BY number').all(bankId).map((d) => d.id);
    const insert = db.prepare("INSERT INTO assets (serial, tag, asset_type_id, status, door_id, updated_at) VALUES (?, ?, 1, 'available', ?, ?)");
    db.transaction(() => {
      doorIds.forEach((id, i) => {
        if (random() < DOOR_CHOICE.filled) insert.run(`B-${i}`, `TAG-B-${i}`, id, now.toISOString());
      });
    })();
    const intents = new DoorIntents(db, new AuditLog(db), { now: () => now }, bankId);
    const records = new Records(db);
    const samples: number[] = [];
    let none = 0;
    for (let i = 0; i < DOOR_CHOICE.warmup + DOOR_CHOICE.choices; i++) {
      const fit = records.doorFit(1 + Math.floor(random() * 5));
      // A few doors reading occupied, as a busy room's sensors do.
      const occupied = new Set(Array.from({ length: Math.floor(random() * 5) }, () => 1 + Math.floor(random() * DOOR_CHOICE.doors)));
      const { ms, value } = timeMs(() => intents.freeDoorFor(fit, occupied));
      if (value === undefined) none++;
      if (i >= DOOR_CHOICE.warmup) samples.push(ms);
    }
    return { sizes: DOOR_CHOICE, choice: summarize(samples), none };
  } finally {
    db.close();
    cleanup();
  }
}
