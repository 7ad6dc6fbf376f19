import type { AssetStatus, Result } from '../../preload/contract.ts';
import type { AssetMoveAction } from './audit-actions.ts';
import type { AuditLog } from './audit.ts';
import type { IntentKind } from './intent-table.ts';
import type { Db } from './db/database.ts';
import { Exceptions } from './exceptions.ts';
import type { Clock } from './ports.ts';

export type AssetAction = 'quarantine' | 'maintenance' | 'return-to-service' | 'retire';

interface Transition {
  to: AssetStatus;
  /** The only states the action may start from; anything else is refused with the reason. */
  from: readonly AssetStatus[];
  auditAction: AssetMoveAction;
  /** For messages: "cannot be <verb>". */
  verb: string;
}

/**
 * The armourer's moves. Nothing here touches 'issuing' or 'on-loan': those belong to the door
 * transactions, and moving an item out from under a draw or a loan would put it in two states.
 * Retired is final: nothing leads out of it.
 */
const TRANSITIONS: Readonly<Record<AssetAction, Transition>> = {
  quarantine: { to: 'quarantined', from: ['available', 'maintenance'], auditAction: 'asset.quarantined', verb: 'quarantined' },
  maintenance: { to: 'maintenance', from: ['available', 'quarantined'], auditAction: 'asset.sent-to-maintenance', verb: 'sent for maintenance' },
  'return-to-service': { to: 'available', from: ['quarantined', 'maintenance'], auditAction: 'asset.returned-to-service', verb: 'returned to service' },
  retire: { to: 'retired', from: ['available', 'quarantined', 'maintenance'], auditAction: 'asset.retired', verb: 'retired' },
};

/** How a state reads in a sentence ("is in maintenance", not "is maintenance"). */
const STATE_WORDS: Readonly<Record<AssetStatus, string>> = {
  available: 'available',
  issuing: 'being drawn (its door is open for a draw)',
  'on-loan': 'on loan',
  quarantined: 'quarantined',
  maintenance: 'in maintenance',
  retired: 'retired',
  'awaiting-sanitisation': 'retired by a device swap and awaiting sanitisation',
  sanitised: 'sanitised and awaiting disposal',
  disposed: 'disposed of',
  reserved: 'staged behind its door for a booking (cancel the booking first)',
  evidence: 'an exhibit behind its door (the property store retrieves it)',
  'evidence-out': 'an exhibit out with the property store',
};

interface AssetRow {
  id: number;
  serial: string;
  tag: string;
  status: AssetStatus;
  doorId: number | null;
  doorNumber: number | null;
  typeName: string;
}

function conflict(message: string): { ok: false; error: { kind: 'conflict'; message: string } } {
  return { ok: false, error: { kind: 'conflict', message } };
}

/** Asset management for armourers: take items out of service and back, retire them, register new ones. */
export class AssetAdmin {
  private readonly sql;
  private readonly exceptions: Exceptions;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    // Stateless over the same database: raising here, inside our transaction, means the
    // quarantine, its audit row and the queue entry commit together or not at all.
    this.exceptions = new Exceptions(db, audit, clock);
    this.sql = {
      asset: db.prepare<[number], AssetRow>(
        `SELECT a.id, a.serial, a.tag, a.status, a.door_id AS doorId, d.number AS doorNumber, t.name AS typeName
           FROM assets a JOIN asset_types t ON t.id = a.asset_type_id LEFT JOIN doors d ON d.id = a.door_id
          WHERE a.id = ?`,
      ),
      holder: db.prepare<[number], { collar: string; name: string }>(
        `SELECT o.collar_number AS collar, o.display_name AS name
           FROM loans l JOIN officers o ON o.id = l.officer_id WHERE l.asset_id = ? AND l.returned_at IS NULL`,
      ),
      activeIntent: db.prepare<[number], { kind: IntentKind; doorNumber: number }>(
        `SELECT i.kind, d.number AS doorNumber FROM door_intents i JOIN doors d ON d.id = i.door_id
          WHERE i.asset_id = ? AND i.state IN ('pending', 'open', 'closed') LIMIT 1`,
      ),
      // Guarded on the state read a moment ago, so a change can only ever start from it.
      setStatus: db.prepare<[string, number | null, string, number, string]>('UPDATE assets SET status = ?, door_id = ?, updated_at = ? WHERE id = ? AND status = ?'),
      actor: db.prepare<[number], { collar: string }>('SELECT collar_number AS collar FROM officers WHERE id = ?'),
      // Exhibits are deposited at the kiosk, never registered as equipment.
      type: db.prepare<[number], { name: string }>("SELECT name FROM asset_types WHERE id = ? AND category <> 'exhibit'"),
      bySerial: db.prepare<[string], { id: number }>('SELECT id FROM assets WHERE serial = ?'),
      byTag: db.prepare<[string], { id: number }>('SELECT id FROM assets WHERE tag = ?'),
      insert: db.prepare<[string, string, number, string]>(
        "INSERT INTO assets (serial, tag, asset_type_id, status, door_id, updated_at) VALUES (?, ?, ?, 'available', NULL, ?)",
      ),
    };
  }

  /**
   * Quarantine, send for maintenance, return to service or retire one item, with the reason.
   * The item stays behind its door (if it has one) except when retired: a retired item is
   * leaving the fleet, and keeping its door would take that door out of use for good.
   */
  action(officerId: number, assetId: number, action: AssetAction, reason: string): Result<{ assetId: number; status: AssetStatus }> {
    const why = reason.trim();
    if (why.length < 3) return { ok: false, error: { kind: 'invalid-request', message: 'Say why, in a few words.' } };
    const transition = TRANSITIONS[action];
    return this.db
      .transaction((): Result<{ assetId: number; status: AssetStatus }> => {
        const asset = this.sql.asset.get(assetId);
        if (!asset) return { ok: false, error: { kind: 'not-found', message: `There is no asset ${assetId}.` } };
        const refusal = this.refusal(asset, action, transition);
        if (refusal) return conflict(refusal);

        const now = this.clock.now();
        const doorId = transition.to === 'retired' ? null : asset.doorId;
        if (this.sql.setStatus.run(transition.to, doorId, now.toISOString(), asset.id, asset.status).changes !== 1) {
          // The row was read inside this same immediate transaction, so nothing can have moved it.
          throw new Error(`asset ${asset.id} changed inside its own transaction`);
        }
        this.audit.append(
          {
            actor: `officer:${officerId}`,
            action: transition.auditAction,
            subject: `asset:${asset.id}`,
            details: { from: asset.status, to: transition.to, reason: why, serial: asset.serial, door: asset.doorNumber, ...(doorId === asset.doorId ? {} : { doorFreed: asset.doorNumber }) },
          },
          now,
        );
        if (action === 'quarantine') {
          const by = this.sql.actor.get(officerId)?.collar ?? `officer ${officerId}`;
          this.exceptions.raise(
            'quarantine',
            `asset:${asset.id}`,
            `${asset.typeName} ${asset.serial} was quarantined by ${by}${asset.doorNumber === null ? '' : ` (door ${asset.doorNumber})`}: ${why}`,
            { asset: asset.id, serial: asset.serial, officer: officerId, reason: why },
          );
        }
        return { ok: true, value: { assetId: asset.id, status: transition.to } };
      })
      .immediate();
  }

  /** A new item of a known type, in the store (no door) and free to be put in a locker. */
  register(officerId: number, input: { assetTypeId: number; serial: string; tag: string }): Result<{ assetId: number }> {
    const serial = input.serial.trim();
    const tag = input.tag.trim();
    if (serial.length === 0 || tag.length === 0) return { ok: false, error: { kind: 'invalid-request', message: 'Give both the serial number and the tag.' } };
    try {
      return this.db
        .transaction((): Result<{ assetId: number }> => {
          const type = this.sql.type.get(input.assetTypeId);
          if (!type) return { ok: false, error: { kind: 'not-found', message: `There is no asset type ${input.assetTypeId}.` } };
          const taken: string[] = [];
          if (this.sql.bySerial.get(serial)) taken.push(`serial number ${serial}`);
          if (this.sql.byTag.get(tag)) taken.push(`tag ${tag}`);
          if (taken.length > 0) return conflict(`Another item already has ${taken.join(' and ')}. Each item needs its own.`);
          const now = this.clock.now();
          const assetId = Number(this.sql.insert.run(serial, tag, input.assetTypeId, now.toISOString()).lastInsertRowid);
          this.audit.append(
            { actor: `officer:${officerId}`, action: 'asset.registered', subject: `asset:${assetId}`, details: { assetType: type.name, assetTypeId: input.assetTypeId, serial, tag } },
            now,
          );
          return { ok: true, value: { assetId } };
        })
        .immediate();
    } catch (error) {
      // The checks above ran in the same immediate transaction, so this is belt and braces
      // against a writer that bypasses it; the UNIQUE constraints are what really hold.
      if (error instanceof Error && 'code' in error && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        return conflict(`Another item already has that serial number or tag. Each item needs its own.`);
      }
      throw error;
    }
  }

  /** Why this item cannot take this action now, in words, or null if it can. */
  private refusal(asset: AssetRow, action: AssetAction, transition: Transition): string | null {
    const item = `${asset.typeName} ${asset.serial}`;
    const cannot = `so it cannot be ${transition.verb}`;
    if (asset.status === 'on-loan') {
      const holder = this.sql.holder.get(asset.id);
      return `${item} is on loan${holder ? ` to ${holder.collar} ${holder.name}` : ''}, ${cannot}. It has to be returned first.`;
    }
    if (asset.status === 'issuing') return `${item} is ${STATE_WORDS.issuing}, ${cannot} now. Try again when the door has closed.`;
    // Checked whatever the status says: a return in progress is heading for a door, and moving
    // the item now would leave that intent settling something that has changed under it.
    const intent = this.sql.activeIntent.get(asset.id);
    if (intent) return `Door ${intent.doorNumber} is open for a ${intent.kind} of ${item}, ${cannot} now. Try again when the door has closed.`;
    if (asset.status === 'retired') return `${item} is retired, and retirement is final: it cannot be ${transition.verb}.`;
    if (transition.from.includes(asset.status)) return null;
    const state = STATE_WORDS[asset.status];
    if (action === 'return-to-service') return `${item} is ${state}, not quarantined or in maintenance, so there is nothing to return to service.`;
    if (asset.status === transition.to) return `${item} is already ${state}.`;
    return `${item} is ${state}, ${cannot}.`;
  }
}
