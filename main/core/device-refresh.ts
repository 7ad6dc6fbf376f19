import type {
  AssetStatus,
  DeviceRefreshView,
  DisposalView,
  OfficerSwapView,
  RequestInput,
  Result,
  RetiredDeviceView,
  SanitisationView,
  SwapOrderState,
  SwapOrderView,
} from '../../preload/contract.ts';
import type { AuditLog } from './audit.ts';
import { humanDate, localDate } from './dates.ts';
import type { Db } from './db/database.ts';
import type { Clock } from './ports.ts';
import type { Records } from './records.ts';

export interface SwapOrderRow {
  id: number;
  officerId: number;
  oldAssetId: number;
  newAssetId: number | null;
  newAssetTypeId: number;
  expiresOn: string;
  state: SwapOrderState;
}

const ORDER_VIEW = `
  SELECT o.id, off.collar_number AS collarNumber, off.display_name AS officerName,
         old.serial AS oldSerial, oldType.name AS oldTypeName, new.serial AS newSerial, newType.name AS newTypeName,
         o.expires_on AS expiresOn, o.state, o.created_at AS createdAt, it.collar_number || ' ' || it.display_name AS createdBy, o.note
    FROM swap_orders o
    JOIN officers off ON off.id = o.officer_id
    JOIN assets old ON old.id = o.old_asset_id JOIN asset_types oldType ON oldType.id = old.asset_type_id
    LEFT JOIN assets new ON new.id = o.new_asset_id
    JOIN asset_types newType ON newType.id = o.new_asset_type_id
    JOIN officers it ON it.id = o.created_by`;

/** Statuses on a retired device's path to disposal. */
const RETIRED: readonly AssetStatus[] = ['awaiting-sanitisation', 'sanitised', 'disposed'];

type Failure = { ok: false; error: { kind: 'not-found' | 'conflict' | 'invalid-request'; message: string } };
const refuse = (kind: Failure['error']['kind'], message: string): Failure => ({ ok: false, error: { kind, message } });

/**
 * The device refresh (PCD 977) outside the kiosk's doors: IT orders one-for-one swaps, and
 * records each retired device's sanitisation (NIST SP 800-88: Clear, Purge or Destroy,
 * verified, with a certificate) and disposal (redeployed, recycled, destroyed or donated).
 * Every change is audited in the transaction that makes it.
 */
export class DeviceRefresh {
  private readonly sql;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly records: Records,
  ) {
    const live = "o.state IN ('open', 'deposited')";
    this.sql = {
      order: db.prepare<[number], SwapOrderRow>(
        `SELECT id, officer_id AS officerId, old_asset_id AS oldAssetId, new_asset_id AS newAssetId, new_asset_type_id AS newAssetTypeId,
                expires_on AS expiresOn, state FROM swap_orders WHERE id = ?`,
      ),
      orderView: db.prepare<[number], SwapOrderView>(`${ORDER_VIEW} WHERE o.id = ?`),
      recentOrders: db.prepare<[], SwapOrderView>(`${ORDER_VIEW} ORDER BY (${live}) DESC, o.id DESC LIMIT 200`),
      liveFor: db.prepare<[number, string], OfficerSwapView>(
        `SELECT o.id AS orderId, oldType.name AS oldTypeName, old.serial AS oldSerial, newType.name AS newTypeName, o.expires_on AS expiresOn,
                o.state = 'deposited' AS deposited
           FROM swap_orders o JOIN assets old ON old.id = o.old_asset_id JOIN asset_types oldType ON oldType.id = old.asset_type_id
           JOIN asset_types newType ON newType.id = o.new_asset_type_id
          WHERE o.officer_id = ? AND ${live} AND o.expires_on >= ? ORDER BY o.id`,
      ),
      liveForAsset: db.prepare<[number], { id: number }>(`SELECT o.id FROM swap_orders o WHERE o.old_asset_id = ? AND ${live}`),
      insert: db.prepare<[number, number, number | null, number, string, string, number, string]>(
        `INSERT INTO swap_orders (officer_id, old_asset_id, new_asset_id, new_asset_type_id, expires_on, state, created_at, created_by, updated_at)
         VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
      ),
      setState: db.prepare<[SwapOrderState, string, number, SwapOrderState]>('UPDATE swap_orders SET state = ?, updated_at = ? WHERE id = ? AND state = ?'),
      setNote: db.prepare<[string, string, number]>('UPDATE swap_orders SET note = ?, updated_at = ? WHERE id = ?'),
      reserve: db.prepare<[number, string, number]>('UPDATE swap_orders SET new_asset_id = ?, updated_at = ? WHERE id = ? AND new_asset_id IS NULL'),
      lapsed: db.prepare<[string], { id: number }>("SELECT id FROM swap_orders WHERE state = 'open' AND expires_on < ?"),
      officerByCollar: db.prepare<[string], { id: number }>('SELECT id FROM officers WHERE collar_number = ? COLLATE NOCASE'),
      models: db.prepare<[], { assetTypeId: number; name: string; inLockers: number }>(
        `SELECT t.id AS assetTypeId, t.name,
                (SELECT count(*) FROM assets a WHERE a.asset_type_id = t.id AND a.status = 'available' AND a.door_id IS NOT NULL) AS inLockers
           FROM asset_types t WHERE t.self_service = 0 ORDER BY t.name`,
      ),
      typeExists: db.prepare<[number], { name: string }>('SELECT name FROM asset_types WHERE id = ?'),
      retired: db.prepare<[], Omit<RetiredDeviceView, 'sanitisation' | 'disposal' | 'nextStep'>>(
        `SELECT a.id AS assetId, a.serial, a.tag, t.name AS typeName, a.status,
                dep.updated_at AS depositedAt, depBy.collar_number || ' ' || depBy.display_name AS depositedBy,
                d.number AS door, col.updated_at AS collectedAt, colBy.collar_number || ' ' || colBy.display_name AS collectedBy
           FROM assets a JOIN asset_types t ON t.id = a.asset_type_id
           LEFT JOIN doors d ON d.id = a.door_id
           LEFT JOIN door_intents dep ON dep.id = (SELECT max(id) FROM door_intents WHERE asset_id = a.id AND kind = 'swap-deposit' AND state = 'completed')
           LEFT JOIN officers depBy ON depBy.id = dep.officer_id
           LEFT JOIN door_intents col ON col.id = (SELECT max(id) FROM door_intents WHERE asset_id = a.id AND kind = 'collect' AND state = 'completed')
           LEFT JOIN officers colBy ON colBy.id = col.officer_id
          WHERE a.status IN (${RETIRED.map((s) => `'${s}'`).join(', ')}) OR dep.id IS NOT NULL
          ORDER BY coalesce(dep.updated_at, a.updated_at) DESC LIMIT 500`,
      ),
      sanitisation: db.prepare<[number], SanitisationView & { verifiedFlag: number }>(
        `SELECT s.method, s.tool, s.operator, s.verified AS verifiedFlag, s.certificate_id AS certificateId, s.recorded_at AS recordedAt,
                o.collar_number || ' ' || o.display_name AS recordedBy
           FROM sanitisation_records s JOIN officers o ON o.id = s.recorded_by WHERE s.asset_id = ? ORDER BY s.id DESC LIMIT 1`,
      ),
      disposal: db.prepare<[number], DisposalView>(
        `SELECT x.outcome, x.receiving_organisation AS receivingOrganisation, x.certificate, x.recorded_at AS recordedAt,
                o.collar_number || ' ' || o.display_name AS recordedBy
           FROM disposals x JOIN officers o ON o.id = x.recorded_by WHERE x.asset_id = ? ORDER BY x.id DESC LIMIT 1`,
      ),
      asset: db.prepare<[number], { id: number; serial: string; status: AssetStatus; doorNumber: number | null; typeName: string }>(
        `SELECT a.id, a.serial, a.status, d.number AS doorNumber, t.name AS typeName
           FROM assets a JOIN asset_types t ON t.id = a.asset_type_id LEFT JOIN doors d ON d.id = a.door_id WHERE a.id = ?`,
      ),
      insertSanitisation: db.prepare<[number, string, string, string, number, string, string, number]>(
        `INSERT INTO sanitisation_records (asset_id, method, tool, operator, verified, certificate_id, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertDisposal: db.prepare<[number, string, string | null, string | null, string, number]>(
        `INSERT INTO disposals (asset_id, outcome, receiving_organisation, certificate, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      setStatus: db.prepare<[AssetStatus, string, number, AssetStatus]>('UPDATE assets SET status = ?, updated_at = ? WHERE id = ? AND status = ?'),
    };
  }

  order(orderId: number): SwapOrderRow | undefined {
    return this.sql.order.get(orderId);
  }

  /** The officer's live orders, for the home screen. */
  ordersFor(officerId: number): OfficerSwapView[] {
    return this.sql.liveFor.all(officerId, localDate(this.clock.now())).map((o) => ({ ...o, deposited: Boolean(o.deposited) }));
  }

  view(): DeviceRefreshView {
    return { orders: this.sql.recentOrders.all(), devices: this.retiredDevices(), models: this.sql.models.all() };
  }

  /** Order a one-for-one swap: the device on loan to the officer now, for a named device or any of a model. */
  create(itOfficerId: number, input: RequestInput<'createSwapOrder'>): Result<SwapOrderView> {
    return this.db
      .transaction((): Result<SwapOrderView> => {
        const officer = this.sql.officerByCollar.get(input.officer);
        if (!officer) return refuse('not-found', `No officer has the collar number "${input.officer}".`);
        const old = this.records.assetBySerial(input.oldAsset) ?? this.records.assetByTag(input.oldAsset);
        if (!old) return refuse('not-found', `No device has the serial number or tag "${input.oldAsset}".`);
        const loan = this.db.prepare<[number], { officerId: number }>('SELECT officer_id AS officerId FROM loans WHERE asset_id = ? AND returned_at IS NULL').get(old.id);
        if (loan?.officerId !== officer.id) return refuse('conflict', `${old.assetTypeName} ${old.serial} is not on loan to ${input.officer}: a swap takes in the device the officer holds.`);
        if (this.sql.liveForAsset.get(old.id)) return refuse('conflict', `${old.assetTypeName} ${old.serial} already has a swap order waiting.`);
        const today = localDate(this.clock.now());
        if (input.expiresOn < today) return refuse('invalid-request', `The order's last day (${humanDate(input.expiresOn)}) has already passed.`);
        let newAssetId: number | null = null;
        let newTypeId: number;
        if (input.newAsset !== null) {
          const device = this.records.assetBySerial(input.newAsset) ?? this.records.assetByTag(input.newAsset);
          if (!device) return refuse('not-found', `No device has the serial number or tag "${input.newAsset}".`);
          if (device.id === old.id) return refuse('invalid-request', 'The new device must not be the old one.');
          if (device.status !== 'available' || device.doorId === null) return refuse('conflict', `${device.assetTypeName} ${device.serial} is not available in a locker (it is ${device.status}).`);
          newAssetId = device.id;
          newTypeId = device.assetTypeId;
        } else if (input.newAssetTypeId !== null) {
          if (!this.sql.typeExists.get(input.newAssetTypeId)) return refuse('not-found', 'That model is not known here.');
          newTypeId = input.newAssetTypeId;
        } else {
          return refuse('invalid-request', 'Name the new device, or the model to issue.');
        }
        const now = this.clock.now().toISOString();
        const id = Number(this.sql.insert.run(officer.id, old.id, newAssetId, newTypeId, input.expiresOn, now, itOfficerId, now).lastInsertRowid);
        this.audit.append(
          {
            actor: `officer:${itOfficerId}`,
            action: 'swap.order-created',
            subject: `swap-order:${id}`,
            details: { order: id, officer: officer.id, asset: old.id, newAsset: newAssetId, newAssetType: newTypeId, expiresOn: input.expiresOn },
          },
          this.clock.now(),
        );
        return { ok: true, value: this.mustView(id) };
      })
      .immediate();
  }

  cancel(itOfficerId: number, orderId: number, reason: string): Result<SwapOrderView> {
    return this.db
      .transaction((): Result<SwapOrderView> => {
        const order = this.order(orderId);
        if (!order) return refuse('not-found', `There is no swap order ${orderId}.`);
        if (order.state !== 'open') {
          return refuse('conflict', order.state === 'deposited' ? 'The old device is already in: the officer must collect the new one.' : `Swap order ${orderId} is already ${order.state}.`);
        }
        this.sql.setState.run('cancelled', this.clock.now().toISOString(), orderId, 'open');
        this.sql.setNote.run(`cancelled: ${reason}`, this.clock.now().toISOString(), orderId);
        this.audit.append({ actor: `officer:${itOfficerId}`, action: 'swap.order-cancelled', subject: `swap-order:${orderId}`, details: { order: orderId, reason } }, this.clock.now());
        return { ok: true, value: this.mustView(orderId) };
      })
      .immediate();
  }

  /** Open orders past their last day expire (the overdue scheduler calls this); returns how many. */
  expireLapsed(): number {
    return this.db
      .transaction(() => {
        const now = this.clock.now();
        const lapsed = this.sql.lapsed.all(localDate(now));
        for (const { id } of lapsed) {
          this.sql.setState.run('expired', now.toISOString(), id, 'open');
          this.audit.append({ actor: 'system', action: 'swap.order-expired', subject: `swap-order:${id}`, details: { order: id } }, now);
        }
        return lapsed.length;
      })
      .immediate();
  }

  /** Inside the caller's transaction: the order moves on (guarded on the state it must be in). */
  advance(orderId: number, from: SwapOrderState, to: SwapOrderState): boolean {
    return this.sql.setState.run(to, this.clock.now().toISOString(), orderId, from).changes === 1;
  }

  /** What last happened to the order, in words, for IT's list. */
  note(orderId: number, text: string): void {
    this.sql.setNote.run(text, this.clock.now().toISOString(), orderId);
  }

  /** Hold a device of the order's model for it (so nobody else's swap takes it); false if one is held already. */
  reserve(orderId: number, assetId: number): boolean {
    return this.sql.reserve.run(assetId, this.clock.now().toISOString(), orderId).changes === 1;
  }

  retiredDevices(): RetiredDeviceView[] {
    return this.sql.retired.all().map((row) => {
      const stored = this.sql.sanitisation.get(row.assetId);
      const sanitisation: SanitisationView | null = stored
        ? { method: stored.method, tool: stored.tool, operator: stored.operator, verified: stored.verifiedFlag === 1, certificateId: stored.certificateId, recordedAt: stored.recordedAt, recordedBy: stored.recordedBy }
        : null;
      const disposal = this.sql.disposal.get(row.assetId) ?? null;
      return { ...row, sanitisation, disposal, nextStep: nextStep(row.status, row.door, sanitisation) };
    });
  }

  recordSanitisation(itOfficerId: number, input: RequestInput<'recordSanitisation'>): Result<RetiredDeviceView> {
    return this.db
      .transaction((): Result<RetiredDeviceView> => {
        const asset = this.sql.asset.get(input.assetId);
        if (!asset) return refuse('not-found', 'There is no such device.');
        if (asset.status !== 'awaiting-sanitisation') return refuse('conflict', `${asset.typeName} ${asset.serial} is ${asset.status}, not awaiting sanitisation.`);
        if (asset.doorNumber !== null) return refuse('conflict', `${asset.typeName} ${asset.serial} is still behind door ${asset.doorNumber}: collect it first.`);
        const now = this.clock.now();
        this.sql.insertSanitisation.run(asset.id, input.method, input.tool, input.operator, input.verified ? 1 : 0, input.certificateId, now.toISOString(), itOfficerId);
        if (input.verified) this.sql.setStatus.run('sanitised', now.toISOString(), asset.id, 'awaiting-sanitisation');
        this.audit.append(
          {
            actor: `officer:${itOfficerId}`,
            action: input.verified ? 'device.sanitised' : 'device.sanitisation-failed',
            subject: `asset:${asset.id}`,
            details: { asset: asset.id, method: input.method, tool: input.tool, operator: input.operator, verified: input.verified, certificateId: input.certificateId },
          },
          now,
        );
        return { ok: true, value: this.mustRetired(asset.id) };
      })
      .immediate();
  }

  recordDisposal(itOfficerId: number, input: RequestInput<'recordDisposal'>): Result<RetiredDeviceView> {
    return this.db
      .transaction((): Result<RetiredDeviceView> => {
        const asset = this.sql.asset.get(input.assetId);
        if (!asset) return refuse('not-found', 'There is no such device.');
        if (asset.status !== 'sanitised') {
          return refuse('conflict', `${asset.typeName} ${asset.serial} is ${asset.status}: only a device whose sanitisation was verified can be disposed of.`);
        }
        const leaves = input.outcome !== 'redeploy';
        if ((input.outcome === 'donate' || input.outcome === 'recycle') && input.receivingOrganisation === null) {
          return refuse('invalid-request', `Name the organisation receiving the device (${input.outcome === 'donate' ? 'the school or charity' : 'the recycler'}).`);
        }
        if (leaves && input.certificate === null) return refuse('invalid-request', `A ${input.outcome} needs its certificate number.`);
        const now = this.clock.now();
        this.sql.insertDisposal.run(asset.id, input.outcome, input.receivingOrganisation, input.certificate, now.toISOString(), itOfficerId);
        // Redeployed: back in stock (in the store, not in a locker, until someone puts it in one).
        this.sql.setStatus.run(leaves ? 'disposed' : 'available', now.toISOString(), asset.id, 'sanitised');
        this.audit.append(
          {
            actor: `officer:${itOfficerId}`,
            action: 'device.disposed',
            subject: `asset:${asset.id}`,
            details: { asset: asset.id, outcome: input.outcome, receivingOrganisation: input.receivingOrganisation, certificate: input.certificate },
          },
          now,
        );
        return { ok: true, value: this.mustRetired(asset.id) };
      })
      .immediate();
  }

  private mustView(orderId: number): SwapOrderView {
    const view = this.sql.orderView.get(orderId);
    if (!view) throw new Error(`swap order ${orderId} vanished inside its own transaction`);
    return view;
  }

  private mustRetired(assetId: number): RetiredDeviceView {
    const view = this.retiredDevices().find((d) => d.assetId === assetId);
    if (!view) throw new Error(`device ${assetId} is not on the retired list after its own change`);
    return view;
  }
}

function nextStep(status: AssetStatus, door: number | null, sanitisation: SanitisationView | null): string {
  switch (status) {
    case 'awaiting-sanitisation':
      if (door !== null) return `Collect it from door ${door}`;
      return sanitisation && !sanitisation.verified ? 'Sanitise it again: the last verification failed' : 'Sanitise it and record the certificate';
    case 'sanitised':
      return 'Record its disposal';
    case 'disposed':
      return 'Disposed of';
    default:
      return `Back in service (${status})`;
  }
}
