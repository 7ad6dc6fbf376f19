import type { BookingNoticeEvent, BookingPriority, BookingState, BookingsView, BookingView, OfficerBookingView } from '../../preload/contract.ts';
import type { AuditActor, AuditLog } from './audit.ts';
import { humanTime } from './dates.ts';
import type { Db } from './db/database.ts';
import type { Exceptions } from './exceptions.ts';
import type { Ledger } from './ledger.ts';
import type { BookingNotice, BookingNotices, Clock } from './ports.ts';
import type { PoolStock } from './pool-stock.ts';
import type { Records } from './records.ts';

/** A booking as the console or the endpoint asks for it, with its times already worked out. */
export interface BookingRequest {
  /** Who collects it: a collar number. */
  officer: string;
  onBehalfOf: string | null;
  /** A specific item by serial or tag, or null for any item of `assetType`. */
  item: string | null;
  /** The type, by id (the console) or code (the endpoint); ignored when `item` names one. */
  assetType: { id: number } | { code: string } | null;
  priority: BookingPriority;
  readyFrom: Date;
  deadline: Date;
  reference: string;
  /** Units of a pooled type; 1 (or absent) for a serialised item. */
  quantity?: number;
}

/** Who is booking: a stores officer or armourer at the terminal, or a system through the endpoint (with its idempotency key). */
export type Booker = { officerId: number } | { system: string; requestId: string };

export type BookingResult = { ok: true; booking: BookingView; created: boolean } | { ok: false; kind: 'not-found' | 'conflict' | 'invalid-request'; message: string };

export interface BookingRow {
  id: number;
  reference: string;
  requestId: string | null;
  officerId: number;
  assetTypeId: number;
  assetId: number | null;
  priority: BookingPriority;
  readyFrom: string;
  deadline: string;
  state: BookingState;
  doorId: number | null;
  quantity: number;
}

/** The longest a booking may stay open: kit held in a door for longer is kit nobody else can have. */
export const MAX_BOOKING_DAYS = 31;
/** Live bookings, then the most recent ended ones, on the bookings screen. */
const RECENT_ENDED = 200;

const VIEW_SELECT = `
  SELECT b.id, b.reference, b.source, b.request_id AS requestId, b.priority, b.state, b.officer_id AS officerId,
         o.collar_number || ' ' || o.display_name AS officer, o.collar_number AS collarNumber, b.on_behalf_of AS onBehalfOf,
         b.asset_type_id AS assetTypeId, t.name AS assetTypeName, b.quantity, a.serial, d.number AS doorNumber, b.ready_from AS readyFrom, b.deadline,
         coalesce(by.collar_number || ' ' || by.display_name, substr(b.source, 10)) AS bookedBy, b.created_at AS createdAt,
         b.staged_at AS stagedAt, b.collected_at AS collectedAt, b.note
    FROM bookings b
    JOIN officers o ON o.id = b.officer_id
    JOIN asset_types t ON t.id = b.asset_type_id
    LEFT JOIN assets a ON a.id = b.asset_id
    LEFT JOIN doors d ON d.id = b.door_id
    LEFT JOIN officers by ON by.id = b.booked_by`;

type ViewRow = Omit<BookingView, 'nextStep'> & { officerId: number; collarNumber: string };

/**
 * Bookings (PCD 1698): kit booked for an officer, staged behind a door by stores, collected at
 * any hour. Every change is one IMMEDIATE transaction with its audit row and, where the booker
 * is told, its notice in the outbox (written in the same transaction, so a notice is sent exactly
 * when its change committed). The doors themselves are the journeys' (journeys/booking.ts).
 */
export class Bookings {
  private readonly sql;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly records: Records,
    private readonly ledger: Ledger,
    private readonly exceptions: Exceptions,
    private readonly pool: PoolStock,
    private readonly notices: BookingNotices,
    private readonly policy: () => { expiringNoticeMinutes: number },
  ) {
    const live = "b.state IN ('booked', 'staged')";
    this.sql = {
      row: db.prepare<[number], BookingRow>(
        `SELECT id, reference, request_id AS requestId, officer_id AS officerId, asset_type_id AS assetTypeId, asset_id AS assetId, priority,
                ready_from AS readyFrom, deadline, state, door_id AS doorId, quantity FROM bookings WHERE id = ?`,
      ),
      view: db.prepare<[number], ViewRow>(`${VIEW_SELECT} WHERE b.id = ?`),
      byRequest: db.prepare<[string], { id: number; source: string }>('SELECT id, source FROM bookings WHERE request_id = ?'),
      liveViews: db.prepare<[], ViewRow>(`${VIEW_SELECT} WHERE ${live} ORDER BY b.priority = 'mobilisation' DESC, b.deadline, b.id`),
      endedViews: db.prepare<[number], ViewRow>(`${VIEW_SELECT} WHERE NOT (${live}) ORDER BY b.updated_at DESC, b.id DESC LIMIT ?`),
      forOfficer: db.prepare<[number], ViewRow>(`${VIEW_SELECT} WHERE b.officer_id = ? AND ${live} ORDER BY b.deadline, b.id`),
      liveForAsset: db.prepare<[number], { id: number }>(`SELECT b.id FROM bookings b WHERE b.asset_id = ? AND ${live}`),
      officerByCollar: db.prepare<[string], { id: number; leftOn: string | null }>('SELECT id, left_on AS leftOn FROM officers WHERE collar_number = ? COLLATE NOCASE'),
      typeById: db.prepare<[number], { id: number; name: string; pooled: number }>("SELECT id, name, pooled FROM asset_types WHERE id = ? AND category <> 'exhibit'"),
      typeByCode: db.prepare<[string], { id: number; name: string; pooled: number }>("SELECT id, name, pooled FROM asset_types WHERE code = ? COLLATE NOCASE AND category <> 'exhibit'"),
      insert: db.prepare<[string, string, string | null, number, string | null, number | null, number, number | null, BookingPriority, string, string, number, string, string]>(
        `INSERT INTO bookings (reference, source, request_id, officer_id, on_behalf_of, booked_by, asset_type_id, asset_id, priority, ready_from, deadline, quantity, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?)`,
      ),
      end: db.prepare<[BookingState, string, string, number]>(`UPDATE bookings SET state = ?, note = ?, updated_at = ? WHERE id = ? AND state IN ('booked', 'staged')`),
      chooseAsset: db.prepare<[number, string, number]>('UPDATE bookings SET asset_id = ?, updated_at = ? WHERE id = ? AND asset_id IS NULL'),
      stage: db.prepare<[number, string, string, number]>("UPDATE bookings SET state = 'staged', door_id = ?, staged_at = ?, updated_at = ? WHERE id = ? AND state = 'booked'"),
      collected: db.prepare<[string, string, number]>("UPDATE bookings SET state = 'collected', collected_at = ?, updated_at = ? WHERE id = ? AND state = 'staged'"),
      due: db.prepare<[string], { id: number }>(`SELECT b.id FROM bookings b INDEXED BY bookings_live_by_deadline WHERE ${live} AND b.deadline <= ?`),
      expiring: db.prepare<[string], { id: number }>(
        `SELECT b.id FROM bookings b INDEXED BY bookings_live_by_deadline WHERE ${live} AND b.deadline <= ? AND b.state = 'staged' AND b.expiry_warned_at IS NULL`,
      ),
      warned: db.prepare<[string, number]>('UPDATE bookings SET expiry_warned_at = ? WHERE id = ?'),
      // A door open for this booking now (stores loading it, or its officer collecting it).
      doorUnderWay: db.prepare<[number], { id: number }>("SELECT id FROM door_intents WHERE booking_id = ? AND state IN ('pending', 'open', 'closed') LIMIT 1"),
      noShows: db.prepare<[], { officer: string; count: number }>(
        `SELECT o.collar_number || ' ' || o.display_name AS officer, count(*) AS count
           FROM bookings b JOIN officers o ON o.id = b.officer_id
          WHERE b.state = 'expired' AND b.staged_at IS NOT NULL GROUP BY b.officer_id ORDER BY count DESC, officer LIMIT 50`,
      ),
      types: db.prepare<[], { assetTypeId: number; name: string; inLockers: number; inStore: number; pooled: number }>(
        `SELECT t.id AS assetTypeId, t.name, t.pooled,
                (SELECT count(*) FROM assets a WHERE a.asset_type_id = t.id AND a.status = 'available' AND a.door_id IS NOT NULL) AS inLockers,
                CASE WHEN t.pooled = 1 THEN coalesce((SELECT in_store FROM pool_stock p WHERE p.asset_type_id = t.id), 0)
                     ELSE (SELECT count(*) FROM assets a WHERE a.asset_type_id = t.id AND a.status = 'available' AND a.door_id IS NULL) END AS inStore
           FROM asset_types t WHERE t.category <> 'exhibit' ORDER BY t.name`,
      ),
    };
  }

  /**
   * Book kit for an officer. A specific item must be free now (available, in a locker or the
   * store) and not booked already: the unique index on live bookings per item makes two bookings
   * of one item at once impossible, whichever commits first. A retried endpoint request (the same
   * request id) answers with the booking it made the first time.
   */
  create(booker: Booker, request: BookingRequest): BookingResult {
    return this.db
      .transaction((): BookingResult => {
        const now = this.clock.now();
        if ('requestId' in booker) {
          // A retry finds its booking; another system's request id is not this one's to see.
          const earlier = this.sql.byRequest.get(booker.requestId);
          if (earlier && earlier.source !== `endpoint:${booker.system}`) return refuse('conflict', 'That request id is already used by another system.');
          if (earlier) return { ok: true, booking: this.publicView(earlier.id), created: false };
        }
        const officer = this.sql.officerByCollar.get(request.officer.trim());
        if (!officer) return refuse('not-found', `No officer has collar number ${request.officer.trim()}.`);
        if (officer.leftOn !== null) return refuse('conflict', `${request.officer.trim()} has left the force: nothing can be booked for them.`);
        if (!(request.deadline.getTime() > request.readyFrom.getTime())) return refuse('invalid-request', 'The deadline must come after the time it is ready from.');
        if (request.deadline.getTime() <= now.getTime()) return refuse('invalid-request', 'The deadline has already passed.');
        if (request.deadline.getTime() - now.getTime() > MAX_BOOKING_DAYS * 86_400_000) return refuse('invalid-request', `A booking can be held for at most ${MAX_BOOKING_DAYS} days.`);
        const quantity = request.quantity ?? 1;
        let typeId: number;
        let assetId: number | null = null;
        if (request.item !== null) {
          if (quantity !== 1) return refuse('invalid-request', 'A specific item is booked one at a time: book pooled stock by its kind.');
          const asset = this.records.assetBySerialOrTag(request.item.trim());
          if (!asset) return refuse('not-found', `No item has serial or tag ${request.item.trim()}.`);
          if (asset.status !== 'available') return refuse('conflict', `${asset.assetTypeName} ${asset.serial} is ${asset.status.replace(/-/g, ' ')}, so it cannot be booked. Book another, or any ${asset.assetTypeName}.`);
          if (this.sql.liveForAsset.get(asset.id)) return refuse('conflict', `${asset.assetTypeName} ${asset.serial} is already booked for someone else.`);
          typeId = asset.assetTypeId;
          assetId = asset.id;
        } else {
          const type = request.assetType === null ? undefined : 'id' in request.assetType ? this.sql.typeById.get(request.assetType.id) : this.sql.typeByCode.get(request.assetType.code);
          if (!type) return refuse('not-found', request.assetType === null ? 'Say which item, or which kind of item, to book.' : 'That kind of equipment is not known here.');
          if (quantity !== 1 && type.pooled !== 1) return refuse('invalid-request', `${type.name} is booked one at a time: only pooled stock is booked by quantity.`);
          typeId = type.id;
        }
        const source = 'officerId' in booker ? 'console' : `endpoint:${booker.system}`;
        const at = now.toISOString();
        const id = Number(
          this.sql.insert.run(
            request.reference.trim(),
            source,
            'requestId' in booker ? booker.requestId : null,
            officer.id,
            request.onBehalfOf?.trim() || null,
            'officerId' in booker ? booker.officerId : null,
            typeId,
            assetId,
            request.priority,
            request.readyFrom.toISOString(),
            request.deadline.toISOString(),
            quantity,
            at,
            at,
          ).lastInsertRowid,
        );
        this.audit.append(
          {
            actor: actorOf(booker),
            action: 'booking.created',
            subject: `booking:${id}`,
            details: { booking: id, reference: request.reference.trim(), source, officer: officer.id, assetType: typeId, asset: assetId, priority: request.priority, readyFrom: request.readyFrom.toISOString(), deadline: request.deadline.toISOString() },
          },
          now,
        );
        return { ok: true, booking: this.publicView(id), created: true };
      })
      .immediate();
  }

  /** Cancel a live booking; an item staged for it goes back to the pool where it is (its door is no longer held). */
  cancel(booker: Booker, bookingId: number, reason: string): BookingResult {
    return this.db
      .transaction((): BookingResult => {
        const row = this.sql.row.get(bookingId);
        if (!row) return refuse('not-found', 'There is no such booking.');
        if (row.state !== 'booked' && row.state !== 'staged') return refuse('conflict', `Booking ${row.reference} is already ${row.state}.`);
        if (this.sql.doorUnderWay.get(row.id)) return refuse('conflict', 'Its door is open now (being loaded or collected): cancel it once the door is shut.');
        const now = this.clock.now();
        this.release(row);
        this.sql.end.run('cancelled', reason.trim(), now.toISOString(), row.id);
        this.audit.append({ actor: actorOf(booker), action: 'booking.cancelled', subject: `booking:${row.id}`, details: { booking: row.id, reason: reason.trim() } }, now);
        return { ok: true, booking: this.publicView(row.id), created: false };
      })
      .immediate();
  }

  /** A booking an endpoint made, by its request id (a cancel from the endpoint names it so). */
  byRequestId(requestId: string): number | undefined {
    return this.sql.byRequest.get(requestId)?.id;
  }

  row(bookingId: number): BookingRow | undefined {
    return this.sql.row.get(bookingId);
  }

  /** The bookings screen's picture, but for the pooled stock levels (pool-stock.ts adds them). */
  view(): Omit<BookingsView, 'pools'> {
    const now = this.clock.now().toISOString();
    return {
      bookings: [...this.sql.liveViews.all(), ...this.sql.endedViews.all(RECENT_ENDED)].map((r) => this.shown(r, now)),
      types: this.sql.types.all().map((t) => ({ ...t, pooled: t.pooled === 1 })),
      noShows: this.sql.noShows.all(),
    };
  }

  /** The officer's own live bookings, for the home screen: staged ones are collectable inside their window. */
  forOfficer(officerId: number): OfficerBookingView[] {
    const now = this.clock.now();
    return this.sql.forOfficer.all(officerId).map((r) => ({
      bookingId: r.id,
      reference: r.reference,
      assetTypeName: r.assetTypeName,
      serial: r.serial,
      doorNumber: r.doorNumber,
      state: r.state === 'staged' ? 'staged' : 'booked',
      readyFrom: r.readyFrom,
      deadline: r.deadline,
      collectable: r.state === 'staged' && r.readyFrom <= now.toISOString() && now.toISOString() < r.deadline,
    }));
  }

  /** Inside the caller's transaction: the item is behind `doorId`, held for the booking's officer; the booker is told it is ready. */
  markStaged(bookingId: number, assetId: number, doorId: number, actor: AuditActor, doorNumber: number): void {
    const now = this.clock.now();
    this.ledger.setAsset(assetId, 'reserved', doorId);
    this.sql.chooseAsset.run(assetId, now.toISOString(), bookingId);
    if (this.sql.stage.run(doorId, now.toISOString(), now.toISOString(), bookingId).changes !== 1) throw new Error(`booking ${bookingId} was not waiting to be staged`);
    this.audit.append({ actor, action: 'booking.staged', subject: `booking:${bookingId}`, details: { booking: bookingId, asset: assetId, door: doorNumber } }, now);
    this.notify(bookingId, 'ready');
  }

  /** Inside the caller's transaction: choose the item a booking of any item of a type will be staged with. */
  chooseAsset(bookingId: number, assetId: number): boolean {
    return this.sql.chooseAsset.run(assetId, this.clock.now().toISOString(), bookingId).changes === 1;
  }

  /** Inside the collection's transaction: its item left the door with the officer. */
  markCollected(bookingId: number): void {
    const at = this.clock.now().toISOString();
    this.sql.collected.run(at, at, bookingId);
    this.notify(bookingId, 'collected');
  }

  /**
   * On the terminal's schedule: staged bookings near their deadline are announced as expiring
   * (once), and bookings past it expire. An expired booking's item goes back to the pool where
   * it is, its door is flagged for clearing (an exception), and a staged one counts as a no-show.
   * Returns how many changed.
   */
  sweep(): number {
    const now = this.clock.now();
    let changed = 0;
    const warnBy = new Date(now.getTime() + this.policy().expiringNoticeMinutes * 60_000).toISOString();
    for (const { id } of this.sql.expiring.all(warnBy)) {
      this.db
        .transaction(() => {
          this.sql.warned.run(now.toISOString(), id);
          this.notify(id, 'expiring');
        })
        .immediate();
    }
    for (const { id } of this.sql.due.all(now.toISOString())) if (this.expire(id, now)) changed++;
    return changed;
  }

  private expire(bookingId: number, now: Date): boolean {
    return this.db
      .transaction((): boolean => {
        const row = this.sql.row.get(bookingId);
        if (!row || (row.state !== 'booked' && row.state !== 'staged') || row.deadline > now.toISOString()) return false;
        // A door under way at the deadline (loading, or a collection) finishes first; the next sweep looks again.
        if (this.sql.doorUnderWay.get(row.id)) return false;
        const view = this.mustView(row.id);
        this.release(row);
        const staged = row.state === 'staged';
        this.sql.end.run('expired', staged ? 'not collected by its deadline' : 'not staged by its deadline', now.toISOString(), row.id);
        this.audit.append({ actor: 'system', action: 'booking.expired', subject: `booking:${row.id}`, details: { booking: row.id, staged, door: view.doorNumber } }, now);
        if (staged) {
          this.exceptions.raise(
            'booking-expired',
            `booking:${row.id}`,
            `Door ${view.doorNumber}: ${view.assetTypeName} ${view.serial ?? ''} staged for ${view.officer} (booking ${view.reference}) was not collected by ${humanTime(new Date(row.deadline))}. It is back in the pool; clear the door back to stores if it should not stay there.`,
            { booking: row.id, door: view.doorNumber },
          );
        }
        this.notify(row.id, 'expired');
        return true;
      })
      .immediate();
  }

  /** A staged item no longer held: available again, where it is; a pack of pooled stock never loaded goes back to the store. */
  private release(row: BookingRow): void {
    if (row.assetId === null) return;
    if (row.state === 'staged' && this.records.asset(row.assetId)?.status === 'reserved') this.ledger.setAsset(row.assetId, 'available', row.doorId);
    if (row.state === 'booked') this.pool.returnPack('system', row.assetId);
  }

  private notify(bookingId: number, event: BookingNoticeEvent): void {
    const view = this.mustView(bookingId);
    const row = this.sql.row.get(bookingId);
    const notice: BookingNotice = {
      event,
      booking: bookingId,
      requestId: row?.requestId ?? null,
      reference: view.reference,
      officer: view.collarNumber,
      onBehalfOf: view.onBehalfOf,
      item: view.assetTypeName,
      serial: view.serial,
      door: view.doorNumber,
      readyFrom: view.readyFrom,
      deadline: view.deadline,
      priority: view.priority,
    };
    this.notices.stage(notice, this.clock.now());
  }

  /** The booking as screens and the endpoint see it. */
  private publicView(id: number): BookingView {
    const { collarNumber: _collar, ...view } = this.mustView(id);
    return view;
  }

  /** With the collar number too, for a notice. */
  private mustView(id: number): BookingView & { collarNumber: string } {
    const row = this.sql.view.get(id);
    if (!row) throw new Error(`booking ${id} vanished inside its own transaction`);
    return { ...this.shown(row, this.clock.now().toISOString()), collarNumber: row.collarNumber };
  }

  private shown({ officerId: _officer, collarNumber: _collar, ...row }: ViewRow, now: string): BookingView {
    return { ...row, nextStep: nextStep(row, now) };
  }
}

function nextStep(row: Omit<ViewRow, 'officerId' | 'collarNumber'>, now: string): string {
  switch (row.state) {
    case 'booked':
      return row.serial === null ? `Stage a ${row.assetTypeName}` : `Stage ${row.assetTypeName} ${row.serial}`;
    case 'staged':
      return row.readyFrom > now ? `Behind door ${row.doorNumber}, ready from ${humanTime(new Date(row.readyFrom))}` : `Waiting for ${row.officer} at door ${row.doorNumber}`;
    case 'collected':
      return 'Collected';
    case 'expired':
      return row.stagedAt === null ? 'Expired before it was staged' : `Expired: not collected (door ${row.doorNumber ?? '?'} flagged for clearing)`;
    case 'cancelled':
      return 'Cancelled';
  }
}

function actorOf(booker: Booker): AuditActor {
  return 'officerId' in booker ? `officer:${booker.officerId}` : 'system';
}

function refuse(kind: 'not-found' | 'conflict' | 'invalid-request', message: string): BookingResult {
  return { ok: false, kind, message };
}
