/**
 * `recall_query_p99_ms` (issue 13): listing every officer who holds rounds of a recalled lot,
 * over a ledger of 100,000 entries (issues, returns and expended rounds across 20 lots and 2,000
 * officers, written through the ammunition store's own code), by the holdings kept beside it.
 */
import { Ammunition } from '../../main/core/ammunition.ts';
import { AuditLog } from '../../main/core/audit.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { seededRandom } from '../helpers/seeded-random.ts';
import { join, tempDir } from '../helpers/temp-db.ts';
import { summarize, timeMs, type Summary } from './stats.ts';

export const RECALL_QUERY = { ledgerEntries: 100_000, lots: 20, officers: 2_000, reads: 2_000, warmup: 200 };

export function measureRecallQuery(): { sizes: typeof RECALL_QUERY; query: Summary; holdersPerLot: number } {
  const { dir, cleanup } = tempDir('armoury-bench-recall-');
  const db = openDatabase(join(dir, 'armoury.db'));
  try {
    const random = seededRandom(13);
    const now = new Date('2026-11-21T10:00:00Z');
    const ammunition = new Ammunition(db, new AuditLog(db), { now: () => now });
    const insertOfficer = db.prepare('INSERT INTO officers (collar_number, display_name, status, created_at) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < RECALL_QUERY.officers; i++) insertOfficer.run(`PC ${10000 + i}`, `Officer ${i}`, 'active', now.toISOString());
      insertOfficer.run('ARM 01', 'Bench armourer', 'active', now.toISOString());
    })();
    const armourer = RECALL_QUERY.officers + 1;
    const lots: number[] = [];
    for (let l = 0; l < RECALL_QUERY.lots; l++) {
      const added = ammunition.addLot(armourer, { calibre: '9mm', kind: 'duty', manufacturer: 'Bench', lotNumber: `B-${l}`, expiresOn: null, quantity: 1_000_000 });
      if (!added.ok) throw new Error(added.message);
      lots.push(added.value.id);
    }
    // Each officer draws rounds now and then and gives most of them back: holdings stay a minority.
    const held = new Map<string, number>();
    let entries = RECALL_QUERY.lots;
    const chunk = 10_000;
    while (entries < RECALL_QUERY.ledgerEntries) {
      db.transaction(() => {
        for (let i = 0; i < chunk && entries < RECALL_QUERY.ledgerEntries; i++, entries++) {
          const lotId = lots[Math.floor(random() * lots.length)]!;
          const officer = 1 + Math.floor(random() * RECALL_QUERY.officers);
          const key = `${lotId}:${officer}`;
          const has = held.get(key) ?? 0;
          const kind = has > 0 && random() < 0.6 ? (random() < 0.8 ? 'returned' : 'expended') : 'issued';
          const quantity = kind === 'issued' ? 17 : Math.min(has, 17);
          const result = ammunition.record(armourer, { lotId, kind, quantity, holder: `PC ${10000 + officer - 1}`, reason: 'bench', countedInStore: null });
          if (!result.ok) throw new Error(result.message);
          held.set(key, kind === 'issued' ? has + quantity : has - quantity);
        }
      })();
    }
    const samples: number[] = [];
    let holders = 0;
    for (let i = 0; i < RECALL_QUERY.warmup + RECALL_QUERY.reads; i++) {
      const lotId = lots[Math.floor(random() * lots.length)]!;
      const { ms, value } = timeMs(() => ammunition.holders(lotId));
      if (i >= RECALL_QUERY.warmup) samples.push(ms);
      holders += value.length;
    }
    return { sizes: RECALL_QUERY, query: summarize(samples), holdersPerLot: Math.round(holders / (RECALL_QUERY.warmup + RECALL_QUERY.reads)) };
  } finally {
    db.close();
    cleanup();
  }
}
