import type { AmmoHolderView, AmmoLotView, AmmoMovementKind, RequestInput } from '../../preload/contract.ts';
import type { AuditLog } from './audit.ts';
import { toCsv } from './console.ts';
import { localDate } from './dates.ts';
import type { Db } from './db/database.ts';
import type { Clock } from './ports.ts';

export type AmmoResult<T> = { ok: true; value: T } | { ok: false; kind: 'not-found' | 'conflict' | 'invalid-request'; message: string };

/** Which way each movement moves the store's rounds, and whether it moves an officer's. */
const MOVES: Readonly<Record<AmmoMovementKind, { store: -1 | 0 | 1; holder: -1 | 0 | 1 }>> = {
  received: { store: 1, holder: 0 },
  issued: { store: -1, holder: 1 },
  returned: { store: 1, holder: -1 },
  // Fired (a discharge, a range day): out of the officer's hands, not back in the store.
  expended: { store: 0, holder: -1 },
  transferred: { store: -1, holder: 0 },
  destroyed: { store: -1, holder: 0 },
  adjusted: { store: 0, holder: 0 },
};

const LOT_VIEW = `
  SELECT l.id, l.calibre, l.kind, l.manufacturer, l.lot_number AS lotNumber, l.expires_on AS expiresOn, l.in_store AS inStore,
         (SELECT coalesce(sum(h.quantity), 0) FROM ammo_holdings h WHERE h.lot_id = l.id) AS held, l.recalled_at AS recalledAt, l.recall_reason AS recallReason
    FROM ammo_lots l`;

type LotRow = { id: number; calibre: string; kind: 'duty' | 'training'; manufacturer: string; lotNumber: string; expiresOn: string | null; inStore: number; recalledAt: string | null };

/**
 * Ammunition stock (PCD 994): lots, the rounds of each in the store, and the ledger of every
 * movement, each audited in the transaction that makes it, with the rounds each officer holds
 * kept beside it. A recalled or expired lot is never issued; a recall lists every officer still
 * holding rounds of it.
 */
export class Ammunition {
  private readonly sql;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    this.sql = {
      lot: db.prepare<[number], LotRow>(
        'SELECT id, calibre, kind, manufacturer, lot_number AS lotNumber, expires_on AS expiresOn, in_store AS inStore, recalled_at AS recalledAt FROM ammo_lots WHERE id = ?',
      ),
      lots: db.prepare<[], AmmoLotView>(`${LOT_VIEW} ORDER BY l.calibre, l.expires_on, l.id`),
      lotView: db.prepare<[number], AmmoLotView>(`${LOT_VIEW} WHERE l.id = ?`),
      insertLot: db.prepare<[string, string, string, string, string | null, string]>(
        'INSERT INTO ammo_lots (calibre, kind, manufacturer, lot_number, expires_on, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      existingLot: db.prepare<[string, string], { id: number }>('SELECT id FROM ammo_lots WHERE manufacturer = ? AND lot_number = ?'),
      storeBy: db.prepare<[number, number, number]>('UPDATE ammo_lots SET in_store = in_store + ? WHERE id = ? AND in_store + ? >= 0'),
      setStore: db.prepare<[number, number]>('UPDATE ammo_lots SET in_store = ? WHERE id = ?'),
      holding: db.prepare<[number, number], { quantity: number }>('SELECT quantity FROM ammo_holdings WHERE lot_id = ? AND officer_id = ?'),
      holdMore: db.prepare<[number, number, number]>(
        'INSERT INTO ammo_holdings (lot_id, officer_id, quantity) VALUES (?, ?, ?) ON CONFLICT (lot_id, officer_id) DO UPDATE SET quantity = quantity + excluded.quantity',
      ),
      holdLess: db.prepare<[number, number, number]>('UPDATE ammo_holdings SET quantity = quantity - ? WHERE lot_id = ? AND officer_id = ?'),
      insertEntry: db.prepare<[number, string, AmmoMovementKind, number, number, number, number | null, string | null, number]>(
        'INSERT INTO ammo_ledger (lot_id, at, kind, quantity, direction, recorded_by, holder_id, reason, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      recall: db.prepare<[string, number, string, number]>('UPDATE ammo_lots SET recalled_at = ?, recalled_by = ?, recall_reason = ? WHERE id = ? AND recalled_at IS NULL'),
      // The partial index of holdings above zero: the recall's read grows with the holders, not the ledger.
      holders: db.prepare<[number], AmmoHolderView>(
        `SELECT o.collar_number AS collarNumber, o.display_name AS name, h.quantity
           FROM ammo_holdings h INDEXED BY ammo_holdings_held JOIN officers o ON o.id = h.officer_id
          WHERE h.lot_id = ? AND h.quantity > 0 ORDER BY o.collar_number`,
      ),
      officerByCollar: db.prepare<[string], { id: number }>('SELECT id FROM officers WHERE collar_number = ? COLLATE NOCASE'),
      forIssue: db.prepare<[string, string, string, number], { id: number }>(
        `SELECT id FROM ammo_lots INDEXED BY ammo_lots_for_issue
          WHERE calibre = ? AND kind = ? AND recalled_at IS NULL AND (expires_on IS NULL OR expires_on >= ?) AND in_store >= ?
          ORDER BY expires_on IS NULL, expires_on, id LIMIT 1`,
      ),
    };
  }

  lots(): AmmoLotView[] {
    return this.sql.lots.all();
  }

  /** A new lot, with the rounds delivered (its first ledger entry). */
  addLot(officerId: number, input: RequestInput<'addAmmoLot'>): AmmoResult<AmmoLotView> {
    return this.db
      .transaction((): AmmoResult<AmmoLotView> => {
        if (this.sql.existingLot.get(input.manufacturer, input.lotNumber)) return { ok: false, kind: 'conflict', message: `${input.manufacturer} lot ${input.lotNumber} is already on record: record a delivery to it instead.` };
        const id = Number(this.sql.insertLot.run(input.calibre, input.kind, input.manufacturer, input.lotNumber, input.expiresOn, this.clock.now().toISOString()).lastInsertRowid);
        const moved = this.move(officerId, { lotId: id, kind: 'received', quantity: input.quantity, holder: null, reason: 'delivered with the new lot' });
        if (!moved.ok) return moved;
        return { ok: true, value: this.mustView(id) };
      })
      .immediate();
  }

  /**
   * One movement of rounds, audited, in one IMMEDIATE transaction: the store's count and the
   * holder's move with it, and neither may go below zero (the UPDATE's own condition decides,
   * so two issues at once cannot take the same rounds). A recalled or expired lot is not issued.
   */
  record(officerId: number, input: RequestInput<'ammoMovement'>): AmmoResult<AmmoLotView> {
    return this.db
      .transaction((): AmmoResult<AmmoLotView> => {
        let holder: number | null = null;
        if (input.holder !== null) {
          const officer = this.sql.officerByCollar.get(input.holder.trim());
          if (!officer) return { ok: false, kind: 'not-found', message: `No officer has collar number ${input.holder.trim()}.` };
          holder = officer.id;
        }
        const moved = this.move(officerId, { lotId: input.lotId, kind: input.kind, quantity: input.quantity, holder, reason: input.reason, countedInStore: input.countedInStore });
        return moved.ok ? { ok: true, value: this.mustView(input.lotId) } : moved;
      })
      .immediate();
  }

  /** Recall a lot: never issued again; who holds rounds of it now. */
  recall(officerId: number, lotId: number, reason: string): AmmoResult<{ lot: AmmoLotView; holders: AmmoHolderView[] }> {
    return this.db
      .transaction((): AmmoResult<{ lot: AmmoLotView; holders: AmmoHolderView[] }> => {
        const lot = this.sql.lot.get(lotId);
        if (!lot) return { ok: false, kind: 'not-found', message: 'There is no such lot.' };
        if (lot.recalledAt !== null) return { ok: false, kind: 'conflict', message: `Lot ${lot.lotNumber} was already recalled.` };
        const now = this.clock.now();
        this.sql.recall.run(now.toISOString(), officerId, reason, lotId);
        const holders = this.sql.holders.all(lotId);
        this.audit.append({ actor: `officer:${officerId}`, action: 'ammo.lot-recalled', subject: `ammo-lot:${lotId}`, details: { lot: lotId, lotNumber: lot.lotNumber, calibre: lot.calibre, reason, holders: holders.length, rounds: holders.reduce((n, h) => n + h.quantity, 0) } }, now);
        return { ok: true, value: { lot: this.mustView(lotId), holders } };
      })
      .immediate();
  }

  /** Every officer holding rounds of the lot now, by collar number. */
  holders(lotId: number): AmmoHolderView[] {
    return this.sql.holders.all(lotId);
  }

  /** The holders of a lot as CSV, for the recall's paperwork (the console's CSV, formula-safe). */
  holdersCsv(lotId: number): { fileName: string; text: string } | null {
    const lot = this.sql.lot.get(lotId);
    if (!lot) return null;
    const rows = this.holders(lotId).map((h) => [lot.manufacturer, lot.lotNumber, lot.calibre, h.collarNumber, h.name, h.quantity]);
    return { fileName: `recall-${lot.lotNumber.replace(/[^A-Za-z0-9-]+/g, '-')}.csv`, text: toCsv(['manufacturer', 'lot_number', 'calibre', 'collar_number', 'name', 'rounds_held'], rows) };
  }

  /** The lot rounds of this calibre and kind are issued from: in date, not recalled, with enough, expiring first. */
  lotForIssue(calibre: string, kind: 'duty' | 'training', quantity: number): number | null {
    return this.sql.forIssue.get(calibre, kind, localDate(this.clock.now()), quantity)?.id ?? null;
  }

  /** Inside the caller's transaction: one ledger entry and what it moves. */
  private move(officerId: number, m: { lotId: number; kind: AmmoMovementKind; quantity: number; holder: number | null; reason: string; countedInStore?: number | null }): AmmoResult<null> {
    const lot = this.sql.lot.get(m.lotId);
    if (!lot) return { ok: false, kind: 'not-found', message: 'There is no such lot.' };
    const rule = MOVES[m.kind];
    if (rule.holder !== 0 && m.holder === null) return { ok: false, kind: 'invalid-request', message: `Rounds ${m.kind} are an officer's: say whose.` };
    if (m.kind === 'issued') {
      if (lot.recalledAt !== null) return { ok: false, kind: 'conflict', message: `Lot ${lot.lotNumber} is recalled: it is not issued.` };
      if (lot.expiresOn !== null && lot.expiresOn < localDate(this.clock.now())) return { ok: false, kind: 'conflict', message: `Lot ${lot.lotNumber} expired on ${lot.expiresOn}: it is not issued.` };
    }
    // Every check before the first write: a refusal returns from a transaction that commits.
    if (rule.holder < 0 && m.holder !== null) {
      const held = this.sql.holding.get(lot.id, m.holder)?.quantity ?? 0;
      if (held < m.quantity) return { ok: false, kind: 'conflict', message: `That officer holds ${held} rounds of lot ${lot.lotNumber}, not ${m.quantity}.` };
    }
    let direction = 0;
    if (m.kind === 'adjusted') {
      if (m.countedInStore === undefined || m.countedInStore === null) return { ok: false, kind: 'invalid-request', message: 'An adjustment records the count in the store.' };
      if (m.countedInStore === lot.inStore) return { ok: false, kind: 'conflict', message: `The store already holds ${lot.inStore} of lot ${lot.lotNumber}.` };
      direction = m.countedInStore > lot.inStore ? 1 : -1;
      this.sql.setStore.run(m.countedInStore, lot.id);
    } else if (rule.store !== 0 && this.sql.storeBy.run(rule.store * m.quantity, lot.id, rule.store * m.quantity).changes !== 1) {
      return { ok: false, kind: 'conflict', message: `Only ${lot.inStore} rounds of lot ${lot.lotNumber} are in the store.` };
    }
    if (rule.holder > 0 && m.holder !== null) this.sql.holdMore.run(lot.id, m.holder, m.quantity);
    if (rule.holder < 0 && m.holder !== null) this.sql.holdLess.run(m.quantity, lot.id, m.holder);
    const quantity = m.kind === 'adjusted' ? Math.abs((m.countedInStore ?? lot.inStore) - lot.inStore) : m.quantity;
    const now = this.clock.now();
    const seq = this.audit.append(
      { actor: `officer:${officerId}`, action: 'ammo.recorded', subject: `ammo-lot:${lot.id}`, details: { lot: lot.id, lotNumber: lot.lotNumber, calibre: lot.calibre, kind: m.kind, quantity, direction, holder: m.holder, reason: m.reason } },
      now,
    );
    this.sql.insertEntry.run(lot.id, now.toISOString(), m.kind, quantity, direction, officerId, m.holder, m.reason, seq);
    return { ok: true, value: null };
  }

  private mustView(lotId: number): AmmoLotView {
    const view = this.sql.lotView.get(lotId);
    if (!view) throw new Error(`lot ${lotId} vanished inside its own transaction`);
    return view;
  }
}
