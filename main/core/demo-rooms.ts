import { z } from 'zod';
import { AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import { Exceptions } from './exceptions.ts';
import { Exhibits } from './exhibits.ts';
import { NO_VIDEO } from './door-intents.ts';
import { PoolStock } from './pool-stock.ts';
import { Records } from './records.ts';

/**
 * The demo's smart-locker rooms (PCD 1698), seeded on top of the demo site when the terminal's
 * layout has them (resources/demo-terminal-config.json: a stores section, doors 17-40, and an
 * exhibits section, doors 41-48): kit behind the stores doors, two bookings staged and ready for
 * two officers, one exhibit deposited, and 30 days of history so the dashboard shows what a real
 * site would. Seeded once, through the same code the journeys use where there is one.
 */

export const demoRoomsSchema = z.object({
  assetTypes: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      category: z.string(),
      selfService: z.boolean(),
      size: z.enum(['S', 'M', 'L', 'XL']),
      /** Pooled stock: this many units received into the store by stores, with a low-stock threshold. */
      pool: z.object({ inStore: z.number().int().min(0), lowStockBelow: z.number().int().min(1) }).optional(),
    }),
  ),
  /** Pooled stock booked by quantity, waiting for stores to stage it. */
  poolBookings: z.array(z.object({ officer: z.string(), type: z.string(), quantity: z.number().int().min(1), reference: z.string(), collectWithinHours: z.number().int().min(1), bookedBy: z.string() })).default([]),
  assets: z.array(z.object({ serial: z.string(), tag: z.string(), type: z.string(), door: z.number().int().min(1) })),
  /** Staged for an officer: the item behind its door, held for them. */
  staged: z.array(z.object({ officer: z.string(), serial: z.string(), reference: z.string(), priority: z.enum(['mobilisation', 'routine']), collectWithinHours: z.number().int().min(1), bookedBy: z.string() })),
  exhibit: z.object({
    depositedBy: z.string(),
    reference: z.string(),
    occurrence: z.string(),
    description: z.string(),
    category: z.enum(['firearm', 'drugs', 'cash', 'biohazard', 'digital', 'other']),
    bagType: z.enum(['small bag', 'large bag', 'box', 'firearm box', 'biohazard container']),
    seal: z.string(),
    seizedWhere: z.string(),
    door: z.number().int().min(1),
    hoursAgo: z.number().int().min(0),
  }),
  historyDays: z.number().int().min(1).max(90),
});
export type DemoRooms = z.infer<typeof demoRoomsSchema>;

const HOUR = 3_600_000;

/** Whether this bank has the rooms' doors and they are not seeded yet. */
export function demoRoomsWanted(db: Db, bankId: number, rooms: DemoRooms): boolean {
  const doors = new Set(db.prepare<[number], { number: number }>('SELECT number FROM doors WHERE bank_id = ?').all(bankId).map((d) => d.number));
  const seeded = db.prepare("SELECT 1 FROM audit_log WHERE action = 'site.seeded-demo-rooms' LIMIT 1").get() !== undefined;
  return !seeded && doors.has(rooms.exhibit.door) && rooms.assets.every((a) => doors.has(a.door));
}

export function seedDemoRooms(db: Db, bankId: number, rooms: DemoRooms, now: Date): void {
  const clock = { now: () => now };
  const audit = new AuditLog(db);
  const records = new Records(db);
  db.transaction(() => {
    const at = now.toISOString();
    const officer = (collar: string) => {
      const row = db.prepare<[string], { id: number }>('SELECT id FROM officers WHERE collar_number = ?').get(collar);
      if (!row) throw new Error(`demo rooms: unknown officer ${collar}`);
      return row.id;
    };
    const doorId = (n: number) => {
      const row = db.prepare<[number, number], { id: number }>('SELECT id FROM doors WHERE bank_id = ? AND number = ?').get(bankId, n);
      if (!row) throw new Error(`demo rooms: no door ${n}`);
      return row.id;
    };
    for (const t of rooms.assetTypes) {
      db.prepare('INSERT INTO asset_types (code, name, category, max_per_officer, self_service, size_class, pooled, low_stock_below) VALUES (?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING').run(
        t.code,
        t.name,
        t.category,
        t.selfService ? 1 : 0,
        t.size,
        t.pool ? 1 : 0,
        t.pool?.lowStockBelow ?? null,
      );
    }
    const typeId = (code: string) => db.prepare<[string], { id: number }>('SELECT id FROM asset_types WHERE code = ?').get(code)?.id ?? 0;
    // Received through the pool's own code, so a level below its threshold raises its exception.
    const pool = new PoolStock(db, audit, clock, new Exceptions(db, audit, clock));
    for (const t of rooms.assetTypes) if (t.pool) pool.receive(officer(rooms.staged[0]?.bookedBy ?? 'STR 01'), typeId(t.code), t.pool.inStore, 'opening stock');
    for (const b of rooms.poolBookings) {
      db.prepare(
        `INSERT INTO bookings (reference, source, officer_id, booked_by, asset_type_id, priority, ready_from, deadline, quantity, state, created_at, updated_at)
         VALUES (?, 'console', ?, ?, ?, 'routine', ?, ?, ?, 'booked', ?, ?)`,
      ).run(b.reference, officer(b.officer), officer(b.bookedBy), typeId(b.type), at, new Date(now.getTime() + b.collectWithinHours * HOUR).toISOString(), b.quantity, at, at);
    }
    const assetIds = new Map<string, number>();
    for (const a of rooms.assets) {
      assetIds.set(a.serial, Number(db.prepare("INSERT INTO assets (serial, tag, asset_type_id, status, door_id, updated_at) VALUES (?, ?, ?, 'available', ?, ?)").run(a.serial, a.tag, typeId(a.type), doorId(a.door), at).lastInsertRowid));
    }
    for (const s of rooms.staged) {
      const asset = assetIds.get(s.serial);
      const door = rooms.assets.find((a) => a.serial === s.serial)?.door;
      if (asset === undefined || door === undefined) throw new Error(`demo rooms: no staged item ${s.serial}`);
      const typeOf = db.prepare<[number], { t: number }>('SELECT asset_type_id AS t FROM assets WHERE id = ?').get(asset)?.t ?? 0;
      db.prepare(
        `INSERT INTO bookings (reference, source, officer_id, booked_by, asset_type_id, asset_id, priority, ready_from, deadline, state, door_id, staged_at, created_at, updated_at)
         VALUES (?, 'console', ?, ?, ?, ?, ?, ?, ?, 'staged', ?, ?, ?, ?)`,
      ).run(s.reference, officer(s.officer), officer(s.bookedBy), typeOf, asset, s.priority, at, new Date(now.getTime() + s.collectWithinHours * HOUR).toISOString(), doorId(door), at, at, at);
      db.prepare("UPDATE assets SET status = 'reserved' WHERE id = ?").run(asset);
    }
    seedHistory(db, audit, rooms.historyDays, now);
    // The exhibit through the exhibits store's own code: its record, its event and audit row.
    const e = rooms.exhibit;
    const exhibits = new Exhibits(db, audit, clock, records, new Exceptions(db, audit, clock), NO_VIDEO, () => ({ dwellHours: 24 }));
    const depositor = officer(e.depositedBy);
    const prepared = exhibits.prepareDeposit(depositor, {
      reference: e.reference,
      occurrence: e.occurrence,
      seizedBy: e.depositedBy,
      seizedAt: new Date(now.getTime() - (e.hoursAgo + 2) * HOUR).toISOString(),
      seizedWhere: e.seizedWhere,
      description: e.description,
      category: e.category,
      bagType: e.bagType,
      seals: [e.seal],
      photoRef: null,
      madeSafe: false,
    });
    if (!prepared.ok) throw new Error(`demo rooms: ${prepared.message}`);
    exhibits.recordStored(prepared.exhibitId, doorId(e.door), e.door, depositor);
    audit.append({ actor: 'system', action: 'site.seeded-demo-rooms', subject: `bank:${bankId}`, details: { assets: rooms.assets.length, staged: rooms.staged.length, historyDays: rooms.historyDays } }, now);
  }).immediate();
}

/**
 * Closed loans and their audit rows over the last `days` days, deterministic (the same every
 * seeding): each day some draws and returns at plausible hours, a refusal or two, now and then
 * an override and a booked collection. Rows are appended now, with the times they happened at.
 */
function seedHistory(db: Db, audit: AuditLog, days: number, now: Date): void {
  let seed = 20261201;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const officers = db
    .prepare<[], { id: number; card: string }>(
      `SELECT o.id, (SELECT c.uid FROM cards c WHERE c.officer_id = o.id AND c.revoked_at IS NULL LIMIT 1) AS card FROM officers o
        WHERE o.status = 'active' AND EXISTS (SELECT 1 FROM officer_roles r WHERE r.officer_id = o.id AND r.role = 'officer')
          AND EXISTS (SELECT 1 FROM cards c WHERE c.officer_id = o.id AND c.revoked_at IS NULL) ORDER BY o.id`,
    )
    .all();
  const items = db.prepare<[], { id: number; serial: string; type: string; door: number | null }>(
    "SELECT a.id, a.serial, t.name AS type, d.number AS door FROM assets a JOIN asset_types t ON t.id = a.asset_type_id LEFT JOIN doors d ON d.id = a.door_id WHERE a.status = 'available' AND a.door_id IS NOT NULL AND t.self_service = 1 ORDER BY a.id",
  ).all();
  const armourer = db.prepare<[], { id: number }>("SELECT officer_id AS id FROM officer_roles WHERE role = 'armourer' ORDER BY officer_id LIMIT 1").get()?.id ?? null;
  if (officers.length === 0 || items.length === 0) return;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const insertLoan = db.prepare<[number, number, string, string]>("INSERT INTO loans (asset_id, officer_id, drawn_at, returned_at, return_condition) VALUES (?, ?, ?, ?, 'ok')");
  let intent = 1_000_000;
  for (let day = days; day >= 1; day--) {
    const dayStart = now.getTime() - day * 24 * HOUR;
    const draws = 6 + Math.floor(random() * 8);
    for (let i = 0; i < draws; i++) {
      const { id: who, card } = pick(officers);
      const item = pick(items);
      const drawnAt = new Date(dayStart + (6 + random() * 16) * HOUR);
      const openedAt = new Date(drawnAt.getTime() - (5 + random() * 20) * 1000);
      const signedIn = new Date(openedAt.getTime() - (8 + random() * 30) * 1000);
      const returnedAt = new Date(drawnAt.getTime() + (2 + random() * 9) * HOUR);
      const loan = Number(insertLoan.run(item.id, who, drawnAt.toISOString(), returnedAt.toISOString()).lastInsertRowid);
      const base = { intent: ++intent, asset: item.id, serial: item.serial, type: item.type, officer: who };
      audit.append({ actor: `officer:${who}`, action: 'auth.signed-in', subject: `card:${card}`, details: {} }, signedIn);
      audit.append({ actor: 'system', action: 'door.opened', subject: `door:${item.door ?? 0}`, details: { ...base, kind: 'draw', outcome: 'door opened' } }, openedAt);
      const collected = random() < 0.08;
      audit.append(
        { actor: 'system', action: collected ? 'booking-collect.completed' : 'draw.completed', subject: `door:${item.door ?? 0}`, details: { ...base, kind: collected ? 'booking-collect' : 'draw', outcome: 'door closed: item taken', loan, due: null } },
        drawnAt,
      );
      audit.append({ actor: `officer:${who}`, action: 'return.completed', subject: `door:${item.door ?? 0}`, details: { ...base, intent: ++intent, kind: 'return', outcome: 'returned ok', condition: 'ok', quarantined: false, loan } }, returnedAt);
    }
    if (random() < 0.7) {
      const who = pick(officers).id;
      const code = pick(['qualification-expired', 'qualification-missing', 'limit-reached'] as const);
      const reasons = [{ code, message: { 'qualification-expired': 'Taser refresher expired', 'qualification-missing': 'Taser qualification is not on your training record', 'limit-reached': 'You already hold one' }[code] }];
      audit.append({ actor: `officer:${who}`, action: 'draw.refused', subject: 'asset-type:1', details: { reasons, ruleVersion: 1, override: null } }, new Date(dayStart + (7 + random() * 14) * HOUR));
    }
    if (armourer !== null && random() < 0.15) {
      const who = pick(officers).id;
      audit.append(
        { actor: `officer:${armourer}`, action: 'override.granted', subject: `officer:${who}`, details: { override: 900 + day, assetType: 'Taser 7', reasonCode: 'OPERATIONAL', note: 'Spontaneous incident, refresher booked', refusals: ['qualification-expired'] } },
        new Date(dayStart + (9 + random() * 10) * HOUR),
      );
    }
  }
}
