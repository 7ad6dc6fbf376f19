import type { PoolLevelView } from '../../preload/contract.ts';
import type { AuditActor, AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import type { Exceptions } from './exceptions.ts';
import type { Clock } from './ports.ts';

export type PoolResult = { ok: true; level: PoolLevelView } | { ok: false; kind: 'not-found' | 'conflict'; message: string };

/**
 * Pooled stock (migration 18): a pooled type's units in the store, counted; packs of them in the
 * lockers or out on loan. Stores receive stock and record counts here; a booking's staging takes
 * its units from the store as one pack. Every change is audited in its own transaction, and a
 * level below the type's threshold raises a low-stock exception once until it is restocked.
 */
export class PoolStock {
  private readonly sql;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly exceptions: Exceptions,
  ) {
    this.sql = {
      levels: db.prepare<[], PoolLevelView & { lowFlag: number }>(
        `SELECT t.id AS assetTypeId, t.name, coalesce(p.in_store, 0) AS inStore,
                (SELECT coalesce(sum(a.quantity), 0) FROM assets a WHERE a.asset_type_id = t.id AND a.status = 'available' AND a.door_id IS NOT NULL) AS inLockers,
                (SELECT coalesce(sum(a.quantity), 0) FROM assets a WHERE a.asset_type_id = t.id AND a.status IN ('reserved', 'issuing')) AS held,
                (SELECT coalesce(sum(a.quantity), 0) FROM assets a WHERE a.asset_type_id = t.id AND a.status = 'on-loan') AS onLoan,
                t.low_stock_below AS lowStockBelow, p.low_raised_at IS NOT NULL AS lowFlag
           FROM asset_types t LEFT JOIN pool_stock p ON p.asset_type_id = t.id
          WHERE t.pooled = 1 ORDER BY t.name`,
      ),
      type: db.prepare<[number], { id: number; code: string; name: string; pooled: number }>('SELECT id, code, name, pooled FROM asset_types WHERE id = ?'),
      upsert: db.prepare<[number]>('INSERT INTO pool_stock (asset_type_id, in_store) VALUES (?, 0) ON CONFLICT (asset_type_id) DO NOTHING'),
      add: db.prepare<[number, number]>('UPDATE pool_stock SET in_store = in_store + ? WHERE asset_type_id = ?'),
      set: db.prepare<[number, number]>('UPDATE pool_stock SET in_store = ? WHERE asset_type_id = ?'),
      take: db.prepare<[number, number, number]>('UPDATE pool_stock SET in_store = in_store - ? WHERE asset_type_id = ? AND in_store >= ?'),
      inStore: db.prepare<[number], { n: number }>('SELECT in_store AS n FROM pool_stock WHERE asset_type_id = ?'),
      lowRaised: db.prepare<[string | null, number]>('UPDATE pool_stock SET low_raised_at = ? WHERE asset_type_id = ?'),
      insertPack: db.prepare<[string, string, number, number, string]>("INSERT INTO assets (serial, tag, asset_type_id, status, door_id, quantity, updated_at) VALUES (?, ?, ?, 'available', NULL, ?, ?)"),
    };
  }

  levels(): PoolLevelView[] {
    return this.sql.levels.all().map(({ lowFlag, ...level }) => ({ ...level, low: lowFlag === 1 }));
  }

  /** Units delivered to the store. */
  receive(officerId: number, assetTypeId: number, quantity: number, note: string): PoolResult {
    return this.change(officerId, assetTypeId, (type) => {
      this.sql.add.run(quantity, type.id);
      return { action: 'pool.received' as const, details: { assetType: type.id, name: type.name, quantity, note } };
    });
  }

  /** A count of the store: what is there now, with why it differs. */
  count(officerId: number, assetTypeId: number, counted: number, reason: string): PoolResult {
    return this.change(officerId, assetTypeId, (type) => {
      const before = this.sql.inStore.get(type.id)?.n ?? 0;
      this.sql.set.run(counted, type.id);
      return { action: 'pool.counted' as const, details: { assetType: type.id, name: type.name, before, counted, reason } };
    });
  }

  /**
   * Inside the staging's transaction: take `quantity` units from the store as one pack for the
   * booking, out of any door until it goes in one. Null when the store has fewer (the UPDATE's
   * own condition decides, so two stagings at once cannot take the same units).
   */
  takePack(actor: AuditActor, assetTypeId: number, quantity: number, bookingId: number): { assetId: number } | null {
    const type = this.sql.type.get(assetTypeId);
    if (!type || type.pooled !== 1) throw new Error(`asset type ${assetTypeId} is not pooled`);
    this.sql.upsert.run(type.id);
    if (this.sql.take.run(quantity, type.id, quantity).changes !== 1) return null;
    const now = this.clock.now();
    const assetId = Number(this.sql.insertPack.run(`${type.code}-PACK-${bookingId}`, `PACK:${bookingId}`, type.id, quantity, now.toISOString()).lastInsertRowid);
    this.audit.append({ actor, action: 'pool.packed', subject: `booking:${bookingId}`, details: { assetType: type.id, name: type.name, quantity, booking: bookingId, asset: assetId } }, now);
    this.checkLow(type.id);
    return { assetId };
  }

  /**
   * Inside the caller's transaction: a pack that never reached a door (its booking cancelled or
   * expired before it was loaded) goes back to the store's count. False when it is not such a pack.
   */
  returnPack(actor: AuditActor, assetId: number): boolean {
    const pack = this.db
      .prepare<[number], { typeId: number; name: string; quantity: number }>(
        `SELECT a.asset_type_id AS typeId, t.name, a.quantity FROM assets a JOIN asset_types t ON t.id = a.asset_type_id
          WHERE a.id = ? AND t.pooled = 1 AND a.door_id IS NULL AND a.status = 'available'`,
      )
      .get(assetId);
    if (!pack) return false;
    this.sql.upsert.run(pack.typeId);
    this.sql.add.run(pack.quantity, pack.typeId);
    this.db.prepare<[string, number]>("UPDATE assets SET status = 'retired', updated_at = ? WHERE id = ?").run(this.clock.now().toISOString(), assetId);
    this.audit.append({ actor, action: 'pool.received', subject: `asset-type:${pack.typeId}`, details: { assetType: pack.typeId, name: pack.name, quantity: pack.quantity, note: `pack ${assetId} back from a booking that ended before it was loaded` } }, this.clock.now());
    this.checkLow(pack.typeId);
    return true;
  }

  /** Units in the store now, for a refusal's words. */
  inStore(assetTypeId: number): number {
    return this.sql.inStore.get(assetTypeId)?.n ?? 0;
  }

  private change(officerId: number, assetTypeId: number, apply: (type: { id: number; name: string }) => { action: 'pool.received'; details: { assetType: number; name: string; quantity: number; note: string } } | { action: 'pool.counted'; details: { assetType: number; name: string; before: number; counted: number; reason: string } }): PoolResult {
    return this.db
      .transaction((): PoolResult => {
        const type = this.sql.type.get(assetTypeId);
        if (!type) return { ok: false, kind: 'not-found', message: 'That kind of stock is not known here.' };
        if (type.pooled !== 1) return { ok: false, kind: 'conflict', message: `${type.name} is counted item by item, not as pooled stock.` };
        this.sql.upsert.run(type.id);
        const entry = apply(type);
        this.audit.append({ actor: `officer:${officerId}`, ...entry, subject: `asset-type:${type.id}` }, this.clock.now());
        this.checkLow(type.id);
        const level = this.levels().find((l) => l.assetTypeId === type.id);
        if (!level) throw new Error(`pooled type ${type.id} has no level inside its own transaction`);
        return { ok: true, level };
      })
      .immediate();
  }

  /** Below the threshold: one low-stock exception until the level is back at or above it. */
  private checkLow(assetTypeId: number): void {
    const level = this.levels().find((l) => l.assetTypeId === assetTypeId);
    if (!level || level.lowStockBelow === null) return;
    const onHand = level.inStore + level.inLockers;
    if (onHand < level.lowStockBelow && !level.low) {
      this.sql.lowRaised.run(this.clock.now().toISOString(), assetTypeId);
      this.exceptions.raise('low-stock', `asset-type:${assetTypeId}`, `${level.name}: ${onHand} left in the store and lockers, below the ${level.lowStockBelow} this site keeps. Order more.`, { assetType: assetTypeId, onHand });
    } else if (onHand >= level.lowStockBelow && level.low) {
      this.sql.lowRaised.run(null, assetTypeId);
    }
  }
}
