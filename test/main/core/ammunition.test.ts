import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestInput } from '../../../preload/contract.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { ManualTime } from '../../helpers/manual-time.ts';
import { join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

/**
 * Ammunition stock (PCD 994) on the demo site: lots, the ledger of every movement with the
 * store's count and each officer's holding kept beside it, the lot an issue comes from (in date,
 * not recalled, expiring first), and a recall that lists who holds rounds of the lot now.
 */

const START = '2026-11-21T10:00:00.000Z';
let dir: string;
let cleanup: () => void;
let db: Db;
let core: DoorCore;

beforeEach(async () => {
  ({ dir, cleanup } = tempDir('armoury-ammo-'));
  db = await seededDb(join(dir, 'armoury.db'), new Date(START));
  core = doorCore(db, new ManualTime(START));
});
afterEach(() => {
  db.close();
  cleanup();
});

const jo = () => officerIdByCollar(db, 'ARM 01');

function lot(lotNumber: string, expiresOn: string | null, quantity = 1000): number {
  const added = core.services.ammunition.addLot(jo(), { calibre: '9mm', kind: 'duty', manufacturer: 'Lapua', lotNumber, expiresOn, quantity });
  if (!added.ok) throw new Error(added.message);
  return added.value.id;
}

function move(lotId: number, kind: RequestInput<'ammoMovement'>['kind'], quantity: number, holder: string | null, countedInStore: number | null = null) {
  return core.services.ammunition.record(jo(), { lotId, kind, quantity, holder, reason: 'test movement', countedInStore });
}

describe('ammunition lots and their ledger', () => {
  it('moves the store and the holder together with every entry, audited, and never below zero', () => {
    const id = lot('L-2026-17', '2030-01-31', 100);
    expect(move(id, 'issued', 34, 'PC 6789')).toMatchObject({ ok: true, value: { inStore: 66, held: 34 } });
    expect(move(id, 'expended', 4, 'PC 6789')).toMatchObject({ ok: true, value: { inStore: 66, held: 30 } });
    expect(move(id, 'returned', 30, 'PC 6789')).toMatchObject({ ok: true, value: { inStore: 96, held: 0 } });
    expect(move(id, 'returned', 1, 'PC 6789')).toMatchObject({ ok: false, message: 'That officer holds 0 rounds of lot L-2026-17, not 1.' });
    expect(move(id, 'issued', 97, 'PC 6789')).toMatchObject({ ok: false, message: 'Only 96 rounds of lot L-2026-17 are in the store.' });
    expect(move(id, 'issued', 5, null)).toMatchObject({ ok: false, message: "Rounds issued are an officer's: say whose." });
    expect(move(id, 'adjusted', 1, null, 95)).toMatchObject({ ok: true, value: { inStore: 95 } });
    expect(move(id, 'destroyed', 5, null)).toMatchObject({ ok: true, value: { inStore: 90 } });
    const ledger = db.prepare('SELECT kind, quantity, direction FROM ammo_ledger WHERE lot_id = ? ORDER BY id').all(id);
    expect(ledger).toEqual([
      { kind: 'received', quantity: 100, direction: 0 },
      { kind: 'issued', quantity: 34, direction: 0 },
      { kind: 'expended', quantity: 4, direction: 0 },
      { kind: 'returned', quantity: 30, direction: 0 },
      { kind: 'adjusted', quantity: 1, direction: -1 },
      { kind: 'destroyed', quantity: 5, direction: 0 },
    ]);
    // Every entry names its audit row, and the ledger is append-only.
    expect(db.prepare("SELECT count(*) AS n FROM ammo_ledger l JOIN audit_log a ON a.seq = l.audit_seq AND a.action = 'ammo.recorded'").get()).toEqual({ n: 6 });
    expect(() => db.prepare('UPDATE ammo_ledger SET quantity = 1').run()).toThrow(/append-only/);
  });

  it('issues from the lot that expires first, in date and not recalled; a recalled or expired lot is refused', () => {
    const later = lot('L-LATE', '2031-06-30');
    const sooner = lot('L-SOON', '2027-03-31');
    const expired = lot('L-OLD', '2026-10-31');
    const { ammunition } = core.services;
    expect(ammunition.lotForIssue('9mm', 'duty', 30)).toBe(sooner);
    expect(move(expired, 'issued', 30, 'PC 6789')).toMatchObject({ ok: false, message: 'Lot L-OLD expired on 2026-10-31: it is not issued.' });
    expect(ammunition.recall(jo(), sooner, 'misfires reported by the manufacturer')).toMatchObject({ ok: true });
    expect(ammunition.lotForIssue('9mm', 'duty', 30)).toBe(later);
    expect(move(sooner, 'issued', 30, 'PC 6789')).toMatchObject({ ok: false, message: 'Lot L-SOON is recalled: it is not issued.' });
    expect(ammunition.lotForIssue('9mm', 'training', 30)).toBeNull();
  });

  it('lists on recall every officer holding rounds of the lot, and exports them as CSV', () => {
    const id = lot('L-2026-17', null);
    move(id, 'issued', 34, 'PC 6789');
    move(id, 'issued', 34, 'PC 1100');
    move(id, 'returned', 34, 'PC 1100');
    move(id, 'issued', 17, 'ARM 02');
    const recalled = core.services.ammunition.recall(jo(), id, 'manufacturer recall 2026/14');
    expect(recalled).toMatchObject({
      ok: true,
      value: {
        lot: { recallReason: 'manufacturer recall 2026/14' },
        holders: [
          { collarNumber: 'ARM 02', name: 'Marcus Grant', quantity: 17 },
          { collarNumber: 'PC 6789', name: 'Grace Walsh', quantity: 34 },
        ],
      },
    });
    expect(core.services.ammunition.recall(jo(), id, 'again')).toMatchObject({ ok: false, kind: 'conflict' });
    expect(core.services.ammunition.holdersCsv(id)?.text).toBe(
      'manufacturer,lot_number,calibre,collar_number,name,rounds_held\r\nLapua,L-2026-17,9mm,ARM 02,Marcus Grant,17\r\nLapua,L-2026-17,9mm,PC 6789,Grace Walsh,34\r\n',
    );
    const audit = db.prepare<[], { details: string }>("SELECT details FROM audit_log WHERE action = 'ammo.lot-recalled'").get();
    expect(JSON.parse(audit?.details ?? '{}')).toMatchObject({ holders: 2, rounds: 51 });
  });

  it('lets one of many issues of the last rounds through when they race on separate connections', async () => {
    const id = lot('L-LAST', null, 30);
    const connections = Array.from({ length: 6 }, () => openDatabase(join(dir, 'armoury.db')));
    try {
      const results = await Promise.all(
        connections.map((c) => Promise.resolve().then(() => doorCore(c, new ManualTime(START)).services.ammunition.record(jo(), { lotId: id, kind: 'issued', quantity: 30, holder: 'PC 6789', reason: 'race', countedInStore: null }))),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(core.services.ammunition.lots().find((l) => l.id === id)).toMatchObject({ inStore: 0, held: 30 });
    } finally {
      for (const c of connections) c.close();
    }
  });
});
