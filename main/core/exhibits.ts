import { TWO_PERSON_CATEGORIES, type ExhibitCategory, type ExhibitEventView, type ExhibitView, type RequestInput } from '../../preload/contract.ts';
import type { AuditLog, StoredAuditRow } from './audit.ts';
import { localDate } from './dates.ts';
import type { Db } from './db/database.ts';
import type { VideoStage } from './door-intents.ts';
import type { Exceptions } from './exceptions.ts';
import type { Clock } from './ports.ts';
import type { Records } from './records.ts';

export type DepositInput = RequestInput<'depositExhibit'>;

/** The qualification that makes an officer authorised to declare a firearm safe, besides the armourer's role. */
const FIREARMS_QUALIFICATION = 'AFO';

interface ExhibitRow {
  id: number;
  reference: string;
  occurrence: string;
  category: ExhibitCategory;
  seals: string;
  assetId: number;
  state: ExhibitView['state'];
  depositedBy: number;
  doorId: number | null;
  doorNumber: number | null;
  pendingWitnessId: number | null;
  pendingPurpose: string | null;
}

type EventKind = ExhibitEventView['kind'];

const VIEW_SELECT = `
  SELECT e.id, e.reference, e.occurrence, e.category, e.description, e.bag_type AS bagType, e.seals, e.seized_by AS seizedBy,
         e.seized_at AS seizedAt, e.seized_where AS seizedWhere, e.photo_ref AS photoRef,
         ms.collar_number || ' ' || ms.display_name AS madeSafeBy, e.state, d.number AS doorNumber,
         dep.collar_number || ' ' || dep.display_name AS depositedBy, e.stored_at AS storedAt, e.dwell_alarm_at AS dwellAlarmAt
    FROM exhibits e
    JOIN assets a ON a.id = e.asset_id
    LEFT JOIN doors d ON d.id = a.door_id
    JOIN officers dep ON dep.id = e.deposited_by
    LEFT JOIN officers ms ON ms.id = e.made_safe_by`;

type ViewRow = Omit<ExhibitView, 'seals' | 'twoPerson' | 'overdue' | 'events'> & { seals: string; dwellAlarmAt: string | null };

/** One row of an exhibit's continuity record: the event, and the audit row that records it as stored. */
export interface ContinuityEntry {
  event: ExhibitEventView;
  audit: StoredAuditRow;
}

/**
 * The exhibits store (PCD 1698): each exhibit, its seals, and every event in its chain of
 * custody (exhibit_events, append-only), each pointing at the audit row that records it. The
 * doors are the journeys' (journeys/exhibit.ts); what happens when a door closes is recorded
 * here, inside the door's own transaction, with its CCTV bookmark and evidence-lock request.
 */
export class Exhibits {
  private readonly sql;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly records: Records,
    private readonly exceptions: Exceptions,
    private readonly video: VideoStage,
    private readonly policy: () => { dwellHours: number },
  ) {
    this.sql = {
      row: db.prepare<[number], ExhibitRow>(
        `SELECT e.id, e.reference, e.occurrence, e.category, e.seals, e.asset_id AS assetId, e.state, e.deposited_by AS depositedBy,
                a.door_id AS doorId, d.number AS doorNumber, e.pending_witness_id AS pendingWitnessId, e.pending_purpose AS pendingPurpose
           FROM exhibits e JOIN assets a ON a.id = e.asset_id LEFT JOIN doors d ON d.id = a.door_id WHERE e.id = ?`,
      ),
      byAsset: db.prepare<[number], { id: number }>('SELECT id FROM exhibits WHERE asset_id = ?'),
      byReference: db.prepare<[string, string], { id: number; state: string }>('SELECT id, state FROM exhibits WHERE occurrence = ? AND reference = ?'),
      view: db.prepare<[number], ViewRow>(`${VIEW_SELECT} WHERE e.id = ?`),
      list: db.prepare<[{ query: string; like: string }], ViewRow>(
        `${VIEW_SELECT} WHERE e.state IN ('stored', 'retrieved')
            AND (@query = '' OR e.reference LIKE @like ESCAPE '\\' OR e.occurrence LIKE @like ESCAPE '\\' OR e.description LIKE @like ESCAPE '\\')
          ORDER BY e.state = 'stored' DESC, e.stored_at, e.id LIMIT 200`,
      ),
      events: db.prepare<[number], Omit<ExhibitEventView, 'seals'> & { seals: string }>(
        `SELECT x.at, x.kind, o.collar_number || ' ' || o.display_name AS officer, w.collar_number || ' ' || w.display_name AS witness,
                x.door_number AS doorNumber, x.seals, x.detail, x.footage, x.audit_seq AS auditSeq
           FROM exhibit_events x LEFT JOIN officers o ON o.id = x.officer_id LEFT JOIN officers w ON w.id = x.witness_id
          WHERE x.exhibit_id = ? ORDER BY x.id`,
      ),
      // The exhibits' own asset type, made with the first exhibit (an empty terminal has no types at all).
      ensureType: db.prepare(
        "INSERT INTO asset_types (code, name, category, max_per_officer, self_service, size_class) VALUES ('EXHIBIT', 'Exhibit', 'exhibit', 1, 0, 'S') ON CONFLICT (code) DO NOTHING",
      ),
      insertAsset: db.prepare<[string, string, string]>(
        "INSERT INTO assets (serial, tag, asset_type_id, status, door_id, updated_at) VALUES (?, ?, (SELECT id FROM asset_types WHERE code = 'EXHIBIT'), 'evidence-out', NULL, ?)",
      ),
      insert: db.prepare<[string, string, number | null, string, string, string, string, string, string, string, string | null, number | null, number, number, string, string]>(
        `INSERT INTO exhibits (reference, occurrence, parent_id, seized_by, seized_at, seized_where, description, category, bag_type, seals, photo_ref, made_safe_by,
                               asset_id, deposited_by, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'depositing', ?, ?)`,
      ),
      setState: db.prepare<[string, string, number]>('UPDATE exhibits SET state = ?, updated_at = ? WHERE id = ?'),
      stored: db.prepare<[string, string, number]>(
        "UPDATE exhibits SET state = 'stored', stored_at = ?, dwell_alarm_at = NULL, pending_witness_id = NULL, pending_purpose = NULL, updated_at = ? WHERE id = ?",
      ),
      redeposit: db.prepare<[number, string, number]>("UPDATE exhibits SET state = 'depositing', deposited_by = ?, updated_at = ? WHERE id = ? AND state = 'retrieved'"),
      pending: db.prepare<[number | null, string | null, string, number]>('UPDATE exhibits SET pending_witness_id = ?, pending_purpose = ?, updated_at = ? WHERE id = ?'),
      seals: db.prepare<[string, string, number]>('UPDATE exhibits SET seals = ?, updated_at = ? WHERE id = ?'),
      alarmed: db.prepare<[string, number]>('UPDATE exhibits SET dwell_alarm_at = ? WHERE id = ?'),
      dwelling: db.prepare<[string], { id: number }>("SELECT id FROM exhibits INDEXED BY exhibits_stored WHERE state = 'stored' AND dwell_alarm_at IS NULL AND stored_at <= ?"),
      insertEvent: db.prepare<[number, string, EventKind, number | null, number | null, number | null, string, string | null, string | null, number]>(
        `INSERT INTO exhibit_events (exhibit_id, at, kind, officer_id, witness_id, door_number, seals, detail, footage, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      auditRow: db.prepare<[number], StoredAuditRow>('SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log WHERE seq = ?'),
      parent: db.prepare<[string, string], { id: number }>('SELECT id FROM exhibits WHERE occurrence = ? AND reference = ?'),
    };
  }

  /** Whether this officer may declare a firearm exhibit made safe: an armourer, or in-date firearms (AFO) training. */
  mayDeclareSafe(officerId: number): boolean {
    const officer = this.records.officer(officerId);
    if (!officer) return false;
    if (officer.roles.includes('armourer')) return true;
    const today = localDate(this.clock.now());
    return this.records.qualifications(officerId).some((q) => q.code === FIREARMS_QUALIFICATION && (q.validUntil === null || q.validUntil >= today));
  }

  /** Why this officer may not deposit this exhibit as described (said before any door is chosen), or null. */
  depositRefusal(officerId: number, input: DepositInput): string | null {
    // A few minutes' grace for a clock that differs from the officer's watch.
    if (Date.parse(input.seizedAt) > this.clock.now().getTime() + 5 * 60_000) return 'The time it was seized is in the future: check the day and time.';
    if (input.category !== 'firearm' || this.sql.byReference.get(input.occurrence, input.reference)) return null;
    if (!input.madeSafe) return 'A firearm exhibit must be declared made safe before it is deposited.';
    if (!this.mayDeclareSafe(officerId)) return 'Only an armourer or an authorised firearms officer may declare a firearm made safe: ask one to deposit it.';
    return null;
  }

  /**
   * Inside the deposit's transaction: the exhibit's record and its place in the lockers (an
   * asset of type EXHIBIT, out of any door until its door closes on it). A retrieved exhibit
   * deposited again keeps its record; its seals must be the ones it was retrieved with.
   */
  prepareDeposit(officerId: number, input: DepositInput): { ok: true; exhibitId: number; assetId: number } | { ok: false; message: string } {
    const now = this.clock.now().toISOString();
    const existing = this.sql.byReference.get(input.occurrence, input.reference);
    if (existing) {
      if (existing.state !== 'retrieved') return { ok: false, message: `Exhibit ${input.reference} of ${input.occurrence} is already ${existing.state === 'stored' ? 'in the lockers' : 'recorded'}.` };
      const row = this.mustRow(existing.id);
      const seals = parseSeals(row.seals);
      if (!sameSeals(seals, input.seals)) return { ok: false, message: `Exhibit ${input.reference} is sealed ${seals.join(', ')}, not ${input.seals.join(', ')}: record the reseal first.` };
      this.sql.redeposit.run(officerId, now, existing.id);
      return { ok: true, exhibitId: existing.id, assetId: row.assetId };
    }
    const refusal = this.depositRefusal(officerId, input);
    if (refusal !== null) return { ok: false, message: refusal };
    const parentReference = input.reference.split('/').slice(0, -1).join('/');
    const parent = parentReference.includes('/') ? this.sql.parent.get(input.occurrence, parentReference) : undefined;
    this.sql.ensureType.run();
    const assetId = Number(this.sql.insertAsset.run(`${input.reference} (${input.occurrence})`, `EXHIBIT:${input.occurrence}:${input.reference}`, now).lastInsertRowid);
    const exhibitId = Number(
      this.sql.insert.run(
        input.reference,
        input.occurrence,
        parent?.id ?? null,
        input.seizedBy,
        input.seizedAt,
        input.seizedWhere,
        input.description,
        input.category,
        input.bagType,
        JSON.stringify(input.seals),
        input.photoRef,
        input.category === 'firearm' ? officerId : null,
        assetId,
        officerId,
        now,
        now,
      ).lastInsertRowid,
    );
    return { ok: true, exhibitId, assetId };
  }

  exhibitOfAsset(assetId: number): number {
    const row = this.sql.byAsset.get(assetId);
    if (!row) throw new Error(`asset ${assetId} is not an exhibit`);
    return row.id;
  }

  row(exhibitId: number): ExhibitRow | undefined {
    return this.sql.row.get(exhibitId);
  }

  /** Inside the door's transaction: the exhibit is behind its door. */
  recordStored(exhibitId: number, doorId: number, doorNumber: number, officerId: number): void {
    const now = this.clock.now();
    this.db.prepare<[number, string, number]>("UPDATE assets SET status = 'evidence', door_id = ?, updated_at = ? WHERE id = ?").run(doorId, now.toISOString(), this.mustRow(exhibitId).assetId);
    this.sql.stored.run(now.toISOString(), now.toISOString(), exhibitId);
    this.event(exhibitId, 'deposited', { officerId, doorNumber, detail: null, footage: true });
  }

  /** Inside the door's transaction: the door shut without it, or never opened. */
  recordNotDeposited(exhibitId: number): void {
    const row = this.mustRow(exhibitId);
    // A retrieved exhibit brought back and not put in is still retrieved; a new one never was deposited.
    const wasRetrieved = this.db.prepare<[number], { n: number }>("SELECT count(*) AS n FROM exhibit_events WHERE exhibit_id = ? AND kind = 'retrieved'").get(exhibitId)?.n ?? 0;
    this.sql.setState.run(wasRetrieved > 0 ? 'retrieved' : 'not-deposited', this.clock.now().toISOString(), row.id);
  }

  /** Inside the retrieval's transaction, before its door opens: who witnessed it and why. */
  recordPendingRetrieval(exhibitId: number, witnessId: number | null, purpose: string): void {
    this.sql.pending.run(witnessId, purpose, this.clock.now().toISOString(), exhibitId);
  }

  /** Inside the door's transaction: it left its door with the property store. */
  recordRetrieved(exhibitId: number, officerId: number, doorNumber: number): void {
    const row = this.mustRow(exhibitId);
    const now = this.clock.now().toISOString();
    this.db.prepare<[string, number]>("UPDATE assets SET status = 'evidence-out', door_id = NULL, updated_at = ? WHERE id = ?").run(now, row.assetId);
    this.sql.setState.run('retrieved', now, exhibitId);
    this.event(exhibitId, 'retrieved', { officerId, witnessId: row.pendingWitnessId, doorNumber, detail: row.pendingPurpose, footage: true });
    this.sql.pending.run(null, null, now, exhibitId);
  }

  /** The seal read at retrieval is not on the exhibit: a hard exception, recorded in its chain; nothing opens. */
  recordSealMismatch(exhibitId: number, officerId: number, witnessId: number | null, seal: string): void {
    this.db
      .transaction(() => {
        const row = this.mustRow(exhibitId);
        const seals = parseSeals(row.seals);
        this.event(exhibitId, 'seal-mismatch', { officerId, witnessId, doorNumber: row.doorNumber, detail: `seal read ${seal}; on record ${seals.join(', ')}`, footage: true });
        this.exceptions.raise(
          'seal-mismatch',
          `exhibit:${exhibitId}`,
          `Exhibit ${row.reference} (${row.occurrence}) behind door ${row.doorNumber ?? '?'}: the seal read at retrieval, ${seal}, is not its seal on record (${seals.join(', ')}). The door stayed shut. Investigate before it is opened.`,
          { exhibit: exhibitId, seal },
        );
      })
      .immediate();
  }

  /** A reseal: the old seal (one on record) replaced by the new, by whom and why. Only while the exhibit is out of its door. */
  reseal(officerId: number, exhibitId: number, oldSeal: string, newSeal: string, reason: string): { ok: true; exhibit: ExhibitView } | { ok: false; kind: 'not-found' | 'conflict'; message: string } {
    return this.db
      .transaction((): { ok: true; exhibit: ExhibitView } | { ok: false; kind: 'not-found' | 'conflict'; message: string } => {
        const row = this.sql.row.get(exhibitId);
        if (!row) return { ok: false, kind: 'not-found', message: 'There is no such exhibit.' };
        if (row.state !== 'retrieved') return { ok: false, kind: 'conflict', message: `Exhibit ${row.reference} is ${row.state === 'stored' ? 'behind its door' : row.state}: it is resealed in hand, after retrieval.` };
        const seals = parseSeals(row.seals);
        if (!seals.includes(oldSeal)) return { ok: false, kind: 'conflict', message: `${oldSeal} is not a seal of exhibit ${row.reference} (on record: ${seals.join(', ')}).` };
        if (seals.includes(newSeal)) return { ok: false, kind: 'conflict', message: `${newSeal} is already a seal of exhibit ${row.reference}.` };
        const next = seals.map((s) => (s === oldSeal ? newSeal : s));
        this.sql.seals.run(JSON.stringify(next), this.clock.now().toISOString(), exhibitId);
        this.event(exhibitId, 'resealed', { officerId, doorNumber: null, detail: `${oldSeal} → ${newSeal}: ${reason}`, footage: false });
        return { ok: true, exhibit: this.mustView(exhibitId) };
      })
      .immediate();
  }

  /** On the terminal's schedule: exhibits stored longer than the dwell time raise an exception (once each). */
  sweepDwell(): number {
    const now = this.clock.now();
    const before = new Date(now.getTime() - this.policy().dwellHours * 3_600_000).toISOString();
    let raised = 0;
    for (const { id } of this.sql.dwelling.all(before)) {
      this.db
        .transaction(() => {
          const row = this.mustRow(id);
          this.sql.alarmed.run(now.toISOString(), id);
          this.event(id, 'dwell-alarm', { officerId: null, doorNumber: row.doorNumber, detail: `not collected within ${this.policy().dwellHours} hours`, footage: false });
          this.exceptions.raise(
            'exhibit-dwell',
            `exhibit:${id}`,
            `Exhibit ${row.reference} (${row.occurrence}) has been behind door ${row.doorNumber ?? '?'} for more than ${this.policy().dwellHours} hours: the property store should collect it.`,
            { exhibit: id },
          );
        })
        .immediate();
      raised++;
    }
    return raised;
  }

  list(query: string): ExhibitView[] {
    const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.sql.list.all({ query, like }).map((r) => this.shown(r));
  }

  view(exhibitId: number): ExhibitView | undefined {
    const row = this.sql.view.get(exhibitId);
    return row && this.shown(row);
  }

  /** Every event of the exhibit's chain of custody, each with the audit row that records it exactly as stored. */
  continuity(exhibitId: number): ContinuityEntry[] {
    const view = this.view(exhibitId);
    if (!view) return [];
    return view.events.map((event) => {
      const audit = this.sql.auditRow.get(event.auditSeq);
      if (!audit) throw new Error(`audit row ${event.auditSeq} of exhibit ${exhibitId} is missing`);
      return { event, audit };
    });
  }

  private event(exhibitId: number, kind: EventKind, what: { officerId: number | null; witnessId?: number | null; doorNumber: number | null; detail: string | null; footage: boolean }): void {
    const row = this.mustRow(exhibitId);
    const now = this.clock.now();
    const seals = parseSeals(row.seals);
    // The bookmark is the door's own video event; this asks the VMS to keep that footage.
    if (what.footage) {
      const officer = what.officerId === null ? 'TERMINAL' : (this.records.officer(what.officerId)?.collarNumber ?? `officer ${what.officerId}`);
      this.video.stage({ kind: 'evidence-lock', asset: `${row.reference} (${row.occurrence})`, officer }, now);
    }
    const footage = what.footage ? `CCTV bookmark and evidence lock requested at ${now.toISOString()}` : null;
    const seq = this.audit.append(
      {
        actor: what.officerId === null ? 'system' : `officer:${what.officerId}`,
        action: `exhibit.${kind}`,
        subject: `exhibit:${exhibitId}`,
        details: { exhibit: exhibitId, reference: row.reference, occurrence: row.occurrence, door: what.doorNumber, seals, witness: what.witnessId ?? null, detail: what.detail, footage },
      },
      now,
    );
    this.sql.insertEvent.run(exhibitId, now.toISOString(), kind, what.officerId, what.witnessId ?? null, what.doorNumber, JSON.stringify(seals), what.detail, footage, seq);
  }

  private mustRow(id: number): ExhibitRow {
    const row = this.sql.row.get(id);
    if (!row) throw new Error(`exhibit ${id} vanished inside its own transaction`);
    return row;
  }

  private mustView(id: number): ExhibitView {
    const view = this.view(id);
    if (!view) throw new Error(`exhibit ${id} vanished inside its own transaction`);
    return view;
  }

  private shown({ seals, dwellAlarmAt, ...row }: ViewRow): ExhibitView {
    return {
      ...row,
      seals: parseSeals(seals),
      twoPerson: TWO_PERSON_CATEGORIES.includes(row.category),
      overdue: dwellAlarmAt !== null && row.state === 'stored',
      events: this.sql.events.all(row.id).map((e) => ({ ...e, seals: parseSeals(e.seals) })),
    };
  }
}

function parseSeals(text: string): string[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

function sameSeals(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}
