import { z } from 'zod';
import { BOOKING_PRIORITIES, ROLES, ruleSchema, type DemoCardView, type RuleView } from '../../preload/contract.ts';
import { AuditLog, canonicalJson } from './audit.ts';
import type { DoorHolds, SizeClass } from './door-fit.ts';
import type { Db } from './db/database.ts';
import { addDays, localDate } from './dates.ts';
import { demoRoomsSchema } from './demo-rooms.ts';
import { hashPin, type PinHash } from './pin.ts';
import { dueAt, legacyRule } from './rules.ts';
import { validUntil } from './validity.ts';

const ROLE = z.enum(ROLES);

export const demoSiteSchema = z.object({
  site: z.string(),
  terminalName: z.string(),
  qualifications: z.array(z.object({ code: z.string(), name: z.string() })),
  assetTypes: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      category: z.string(),
      requires: z.array(z.string()),
      maxPerOfficer: z.number().int().min(1),
      /** false: issued only by order (a device swap), never drawn from the home screen. */
      selfService: z.boolean().default(true),
      /** Version 1 of the type's release rule; when absent, DEMO_RULES or the requirements alone. */
      rule: ruleSchema.optional(),
    }),
  ),
  lockerBank: z.object({ name: z.string(), doors: z.number().int().min(1).max(256) }),
  officers: z.array(
    z.object({
      collar: z.string(),
      name: z.string(),
      status: z.enum(['active', 'suspended', 'restricted']),
      roles: z.array(ROLE).min(1),
      card: z.string().regex(/^[0-9A-F]{8,20}$/),
      pin: z.string().regex(/^[0-9]{4,8}$/),
      // days from the day of seeding until expiry; null = does not expire
      quals: z.record(z.string(), z.number().int().nullable()),
      note: z.string().optional(),
      unit: z.string().optional(),
    }),
  ),
  assets: z.array(
    z.object({
      serial: z.string(),
      tag: z.string(),
      type: z.string(),
      door: z.number().int().min(1).optional(),
      loanTo: z.string().optional(),
      status: z.enum(['quarantined', 'maintenance', 'available-store']).optional(),
    }),
  ),
  /** Device swaps IT has ordered (PCD 977): the officer hands in `oldAsset` for `newAsset` or any of `newType`. */
  swapOrders: z
    .array(
      z.object({
        officer: z.string(),
        oldAsset: z.string(),
        newAsset: z.string().nullable(),
        newType: z.string(),
        /** Days from seeding to the order's last day. */
        expiresInDays: z.number().int().min(0),
        orderedBy: z.string(),
      }),
    )
    .default([]),
  /** Kit booked for collection (PCD 1698), waiting for stores to stage it. */
  bookings: z
    .array(
      z.object({
        officer: z.string(),
        reference: z.string(),
        /** A specific item's serial, or null for any of `type`. */
        item: z.string().nullable(),
        type: z.string(),
        priority: z.enum(BOOKING_PRIORITIES),
        readyInHours: z.number().int().min(0),
        collectWithinHours: z.number().int().min(1),
        bookedBy: z.string(),
      }),
    )
    .default([]),
  /** The smart-locker rooms, seeded when the terminal's layout has their doors (demo-rooms.ts). */
  rooms: demoRoomsSchema.optional(),
});
export type DemoSite = z.infer<typeof demoSiteSchema>;

/**
 * Version 1 of the demo types' release rules, as a UK force might set them:
 * - Taser 7: the annual Taser refresher, no grace (a lapsed Taser officer is not deployed with
 *   one); back within 12 hours, a long shift with overtime.
 * - Glock 17: the firearms requalification, no grace; back by 07:00, the end of the night tour,
 *   so no pistol stays out across a shift change unnoticed.
 * - Body-worn camera: BWV training with 28 days' grace (low risk, and footage is better captured
 *   than not); back within 14 hours so footage is docked and uploaded each shift.
 * - Airwave radio: open to any officer, no return deadline (pool radios go out for as long as needed).
 */
export const DEMO_RULES: Readonly<Record<string, RuleView>> = {
  TASER7: { ...legacyRule(['TASER']), maxLoanHours: 12 },
  G17: { ...legacyRule(['AFO']), returnBy: '07:00' },
  BWC: { ...legacyRule(['BWV']), graceDays: 28, maxLoanHours: 14 },
  RADIO: legacyRule([]),
};

export function parseDemoSite(json: unknown): DemoSite {
  return demoSiteSchema.parse(json);
}

/** The demo cards as the simulator panel lists them. */
export function demoCards(site: DemoSite): DemoCardView[] {
  return site.officers.map((o) => ({
    uid: o.card,
    pin: o.pin,
    label: `${o.collar} ${o.name}${o.note ? ` (${o.note})` : ''}`,
  }));
}

/** The one locker bank's database id, once seeded or configured. */
export function bankIdByName(db: Db, name: string): number | undefined {
  return db.prepare<[string], { id: number }>('SELECT id FROM locker_banks WHERE name = ?').get(name)?.id;
}

/**
 * Fill an empty database with the demo site. PINs are hashed exactly as for real officers;
 * they are hashed before the transaction opens so it stays short.
 */
export async function seedDemoSite(db: Db, site: DemoSite, now: Date): Promise<void> {
  const pinHashes: PinHash[] = await Promise.all(site.officers.map((o) => hashPin(o.pin)));
  const today = localDate(now);
  const at = now.toISOString();
  const audit = new AuditLog(db);
  db.transaction(() => {
    const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM officers').get()?.n ?? 0;
    if (count > 0) throw new Error('the demo site is only seeded into an empty database');
    const siteId = Number(db.prepare('INSERT INTO sites (name) VALUES (?)').run(site.site).lastInsertRowid);
    const qualIds = new Map<string, number>();
    for (const q of site.qualifications) {
      qualIds.set(q.code, Number(db.prepare('INSERT INTO qualifications (code, name) VALUES (?, ?)').run(q.code, q.name).lastInsertRowid));
    }
    const need = <K>(map: Map<K, number>, key: K, what: string): number => {
      const value = map.get(key);
      if (value === undefined) throw new Error(`demo site: unknown ${what} "${key}"`);
      return value;
    };
    const typeIds = new Map<string, number>();
    const typeRules = new Map<string, RuleView>();
    for (const t of site.assetTypes) {
      const id = Number(
        db
          .prepare('INSERT INTO asset_types (code, name, category, max_per_officer, self_service) VALUES (?, ?, ?, ?, ?)')
          .run(t.code, t.name, t.category, t.maxPerOfficer, t.selfService ? 1 : 0).lastInsertRowid,
      );
      typeIds.set(t.code, id);
      for (const code of t.requires) {
        db.prepare('INSERT INTO asset_type_requirements (asset_type_id, qualification_id) VALUES (?, ?)').run(id, need(qualIds, code, 'qualification'));
      }
      // Seeding runs after migration 3, which backfilled rules only for the types that existed then (none).
      const rule = t.rule ?? DEMO_RULES[t.code] ?? legacyRule(t.requires);
      for (const code of [...rule.allOf, ...rule.anyOf]) need(qualIds, code, 'qualification');
      typeRules.set(t.code, rule);
      db.prepare('INSERT INTO asset_type_rules (asset_type_id, version, rule, created_at, created_by) VALUES (?, 1, ?, ?, NULL)').run(id, canonicalJson(rule), at);
    }
    const bankId = Number(db.prepare('INSERT INTO locker_banks (name, site_id) VALUES (?, ?)').run(site.lockerBank.name, siteId).lastInsertRowid);
    const doorIds = new Map<number, number>();
    for (let n = 1; n <= site.lockerBank.doors; n++) {
      doorIds.set(n, Number(db.prepare('INSERT INTO doors (bank_id, number) VALUES (?, ?)').run(bankId, n).lastInsertRowid));
    }
    const officerIds = new Map<string, number>();
    site.officers.forEach((o, index) => {
      const id = Number(
        db
          .prepare('INSERT INTO officers (collar_number, display_name, status, site_id, created_at, unit) VALUES (?, ?, ?, ?, ?, ?)')
          .run(o.collar, o.name, o.status, siteId, at, o.unit ?? null).lastInsertRowid,
      );
      officerIds.set(o.collar, id);
      for (const role of o.roles) db.prepare('INSERT INTO officer_roles (officer_id, role) VALUES (?, ?)').run(id, role);
      const pin = pinHashes[index];
      if (!pin) throw new Error('missing PIN hash');
      db.prepare('INSERT INTO pins (officer_id, hash, salt, params, updated_at) VALUES (?, ?, ?, ?, ?)').run(id, pin.hash, pin.salt, pin.params, at);
      db.prepare('INSERT INTO cards (uid, officer_id, issued_at) VALUES (?, ?, ?)').run(o.card, id, at);
      for (const [code, days] of Object.entries(o.quals)) {
        const expires = days === null ? null : addDays(today, days);
        // Awarded a year before expiry (or a year ago), as an annual refresher would be.
        const awarded = addDays(expires ?? today, -365);
        db.prepare(
          'INSERT INTO officer_qualifications (officer_id, qualification_id, awarded_on, expires_on, valid_until, source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(id, need(qualIds, code, 'qualification'), awarded, expires, validUntil(awarded, expires, null), 'demo seed', at);
      }
    });
    const assetIds = new Map<string, number>();
    for (const a of site.assets) {
      const typeId = need(typeIds, a.type, 'asset type');
      const doorId = a.door === undefined ? null : need(doorIds, a.door, 'door');
      const status = a.loanTo ? 'on-loan' : a.status === 'available-store' || !a.status ? 'available' : a.status;
      const assetId = Number(
        db.prepare('INSERT INTO assets (serial, tag, asset_type_id, status, door_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(a.serial, a.tag, typeId, status, doorId, at)
          .lastInsertRowid,
      );
      assetIds.set(a.serial, assetId);
      if (a.loanTo) {
        const drawn = new Date(now.getTime() - 3 * 3600_000);
        const rule = typeRules.get(a.type);
        const due = rule ? dueAt(drawn, rule) : null;
        db.prepare('INSERT INTO loans (asset_id, officer_id, drawn_at, due_at) VALUES (?, ?, ?, ?)').run(
          assetId,
          need(officerIds, a.loanTo, 'officer'),
          drawn.toISOString(),
          due?.toISOString() ?? null,
        );
      }
    }
    for (const order of site.swapOrders) {
      db.prepare(
        `INSERT INTO swap_orders (officer_id, old_asset_id, new_asset_id, new_asset_type_id, expires_on, state, created_at, created_by, updated_at)
         VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
      ).run(
        need(officerIds, order.officer, 'officer'),
        need(assetIds, order.oldAsset, 'asset'),
        order.newAsset === null ? null : need(assetIds, order.newAsset, 'asset'),
        need(typeIds, order.newType, 'asset type'),
        addDays(today, order.expiresInDays),
        at,
        need(officerIds, order.orderedBy, 'officer'),
        at,
      );
    }
    for (const booking of site.bookings) {
      const readyFrom = new Date(now.getTime() + booking.readyInHours * 3600_000);
      db.prepare(
        `INSERT INTO bookings (reference, source, officer_id, booked_by, asset_type_id, asset_id, priority, ready_from, deadline, state, created_at, updated_at)
         VALUES (?, 'console', ?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?)`,
      ).run(
        booking.reference,
        need(officerIds, booking.officer, 'officer'),
        need(officerIds, booking.bookedBy, 'officer'),
        need(typeIds, booking.type, 'asset type'),
        booking.item === null ? null : need(assetIds, booking.item, 'asset'),
        booking.priority,
        readyFrom.toISOString(),
        new Date(readyFrom.getTime() + booking.collectWithinHours * 3600_000).toISOString(),
        at,
        at,
      );
    }
    audit.append({ actor: 'system', action: 'site.seeded-demo', subject: `site:${siteId}`, details: { officers: site.officers.length, assets: site.assets.length, rules: typeRules.size } }, now);
  }).immediate();
}

/**
 * Make the override reason codes in the database match the configuration: new codes are
 * added, changed labels updated, and codes no longer configured deactivated (never deleted:
 * past overrides still name them). Audited when anything changes.
 */
export function syncOverrideReasons(db: Db, reasons: readonly { code: string; label: string }[], now: Date): void {
  db.transaction(() => {
    const existing = new Map(db.prepare<[], { code: string; label: string; active: number }>('SELECT code, label, active FROM override_reasons').all().map((r) => [r.code, r]));
    const changes: string[] = [];
    for (const reason of reasons) {
      const before = existing.get(reason.code);
      if (!before) changes.push(`added ${reason.code}`);
      else if (before.label !== reason.label || before.active !== 1) changes.push(`updated ${reason.code}`);
      else continue;
      db.prepare('INSERT INTO override_reasons (code, label, active) VALUES (?, ?, 1) ON CONFLICT(code) DO UPDATE SET label = excluded.label, active = 1').run(reason.code, reason.label);
    }
    const configured = new Set(reasons.map((r) => r.code));
    for (const [code, row] of existing) {
      if (!configured.has(code) && row.active === 1) {
        db.prepare('UPDATE override_reasons SET active = 0 WHERE code = ?').run(code);
        changes.push(`withdrew ${code}`);
      }
    }
    if (changes.length > 0) new AuditLog(db).append({ actor: 'system', action: 'override-reasons.changed', subject: 'override-reasons', details: { changes } }, now);
  }).immediate();
}

/** A door as the layout gives it: its number, and optionally its size class and what it may hold (default M, anything). */
export interface DoorSpec {
  number: number;
  size?: SizeClass;
  holds?: DoorHolds;
  /** The named bank it is in, when the terminal drives several. */
  bank?: string;
}

/**
 * Make sure the configured locker bank and its doors exist in the database (a live site's
 * first start, or doors added to the layout), and that each door's size class and purpose are
 * the layout's, recording what was added or changed in the audit log.
 */
export function ensureLockerBank(db: Db, name: string, doors: readonly DoorSpec[], now: Date): number {
  return db
    .transaction(() => {
      const audit = new AuditLog(db);
      let bankId = bankIdByName(db, name);
      if (bankId === undefined) {
        bankId = Number(db.prepare('INSERT INTO locker_banks (name) VALUES (?)').run(name).lastInsertRowid);
        audit.append({ actor: 'system', action: 'bank.added', subject: `bank:${bankId}`, details: { name } }, now);
      }
      const existing = new Map(
        db
          .prepare<[number], { number: number; size: SizeClass; holds: DoorHolds; bank: string | null }>('SELECT number, size_class AS size, holds, bank_label AS bank FROM doors WHERE bank_id = ?')
          .all(bankId)
          .map((d) => [d.number, d]),
      );
      const added: number[] = [];
      const changes: string[] = [];
      for (const door of doors) {
        const size = door.size ?? 'M';
        const holds = door.holds ?? 'any';
        const bank = door.bank ?? null;
        const was = existing.get(door.number);
        if (was === undefined) {
          db.prepare('INSERT INTO doors (bank_id, number, size_class, holds, bank_label) VALUES (?, ?, ?, ?, ?)').run(bankId, door.number, size, holds, bank);
          added.push(door.number);
        } else if (was.size !== size || was.holds !== holds || was.bank !== bank) {
          db.prepare('UPDATE doors SET size_class = ?, holds = ?, bank_label = ? WHERE bank_id = ? AND number = ?').run(size, holds, bank, bankId, door.number);
          const named = (b: string | null) => (b === null ? '' : `, in ${b}`);
          changes.push(`door ${door.number}: ${was.size}, ${was.holds}${named(was.bank)} → ${size}, ${holds}${named(bank)}`);
        }
      }
      if (added.length > 0) audit.append({ actor: 'system', action: 'bank.doors-added', subject: `bank:${bankId}`, details: { doors: added } }, now);
      if (changes.length > 0) audit.append({ actor: 'system', action: 'bank.doors-changed', subject: `bank:${bankId}`, details: { changes } }, now);
      return bankId;
    })
    .immediate();
}
