import type { AssetStatus, Result, StockCheckView } from '../../preload/contract.ts';
import type { AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import { Exceptions } from './exceptions.ts';
import type { Clock } from './ports.ts';

/** The states in which an item should be physically in the armoury (lockers or store). */
const EXPECTED_PRESENT: readonly AssetStatus[] = ['available', 'quarantined', 'maintenance'];

/** Longer than any real tag; a scanner spewing garbage should not grow the database without bound. */
const MAX_TAG_LENGTH = 128;

interface CheckRow {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  startedBy: string;
}

interface ScanRow {
  tag: string;
  scannedAt: string;
  assetId: number | null;
  serial: string | null;
  status: AssetStatus | null;
  typeName: string | null;
  holder: string | null;
  drawnAt: string | null;
  intentDoor: number | null;
}

type Finding = StockCheckView['unexpected'][number] & { problem: 'unknown' | 'on-loan' | 'retired' | 'issuing'; assetId: number | null };

/**
 * Stock checks: an armourer starts one, scans every item in the room (lockers and store),
 * and finishes it. What was scanned is compared with the database: items that should be here
 * but were not scanned are missing; scanned items that should not be here are unexpected.
 * Only one check runs at a time, and while it runs the kiosk sends it every scan.
 */
export class StockChecks {
  private readonly sql;
  private readonly exceptions: Exceptions;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    // Raised inside finish's transaction, so the check closing and its findings commit together.
    this.exceptions = new Exceptions(db, audit, clock);
    const expected = EXPECTED_PRESENT.map((s) => `'${s}'`).join(', ');
    this.sql = {
      // Through the partial unique index: cheap enough to ask on every scan.
      running: db.prepare<[], CheckRow>(
        `SELECT c.id, c.started_at AS startedAt, c.finished_at AS finishedAt, o.collar_number || ' ' || o.display_name AS startedBy
           FROM stock_checks c JOIN officers o ON o.id = c.started_by WHERE c.finished_at IS NULL LIMIT 1`,
      ),
      byId: db.prepare<[number], CheckRow>(
        `SELECT c.id, c.started_at AS startedAt, c.finished_at AS finishedAt, o.collar_number || ' ' || o.display_name AS startedBy
           FROM stock_checks c JOIN officers o ON o.id = c.started_by WHERE c.id = ?`,
      ),
      insertCheck: db.prepare<[number, string]>('INSERT INTO stock_checks (started_by, started_at) VALUES (?, ?)'),
      finishCheck: db.prepare<[number, string, number]>('UPDATE stock_checks SET finished_by = ?, finished_at = ? WHERE id = ? AND finished_at IS NULL'),
      // The first read of a tag is the one that counts; a second pass over the same shelf changes nothing.
      insertScan: db.prepare<[number, string, string]>('INSERT OR IGNORE INTO stock_check_scans (check_id, tag, scanned_at) VALUES (?, ?, ?)'),
      scans: db.prepare<[number], ScanRow>(
        `SELECT s.tag, s.scanned_at AS scannedAt, a.id AS assetId, a.serial, a.status, t.name AS typeName,
                o.collar_number || ' ' || o.display_name AS holder, l.drawn_at AS drawnAt,
                (SELECT d.number FROM door_intents i JOIN doors d ON d.id = i.door_id
                  WHERE i.asset_id = a.id AND i.state IN ('pending', 'open', 'closed') LIMIT 1) AS intentDoor
           FROM stock_check_scans s
           LEFT JOIN assets a ON a.tag = s.tag
           LEFT JOIN asset_types t ON t.id = a.asset_type_id
           LEFT JOIN loans l ON l.asset_id = a.id AND l.returned_at IS NULL
           LEFT JOIN officers o ON o.id = l.officer_id
          WHERE s.check_id = ?
          ORDER BY s.scanned_at, s.tag`,
      ),
      missing: db.prepare<[number], StockCheckView['missing'][number]>(
        `SELECT a.id AS assetId, t.name AS assetTypeName, a.serial, a.tag, a.status
           FROM assets a JOIN asset_types t ON t.id = a.asset_type_id
          WHERE a.status IN (${expected})
            AND NOT EXISTS (SELECT 1 FROM stock_check_scans s WHERE s.check_id = ? AND s.tag = a.tag)
          ORDER BY t.name, a.serial`,
      ),
    };
  }

  active(): boolean {
    return this.sql.running.get() !== undefined;
  }

  /**
   * Count one scan towards the running check. Called from the scanner's event, so it never
   * throws: a scan lost to a database error shows the item as missing, which an armourer sees
   * and rescans, whereas an exception here would take down the scanner's listener.
   */
  scan(tag: string): void {
    try {
      const code = tag.trim();
      if (code.length === 0 || code.length > MAX_TAG_LENGTH) return;
      const running = this.sql.running.get();
      if (!running) return;
      this.sql.insertScan.run(running.id, code, this.clock.now().toISOString());
    } catch {
      // See above: deliberately swallowed.
    }
  }

  start(officerId: number): Result<StockCheckView> {
    try {
      return this.db
        .transaction((): Result<StockCheckView> => {
          const running = this.sql.running.get();
          if (running) return { ok: false, error: { kind: 'conflict', message: alreadyRunning(running) } };
          const now = this.clock.now();
          const id = Number(this.sql.insertCheck.run(officerId, now.toISOString()).lastInsertRowid);
          this.audit.append({ actor: `officer:${officerId}`, action: 'stock.started', subject: `stock-check:${id}`, details: {} }, now);
          return { ok: true, value: this.view(id) };
        })
        .immediate();
    } catch (error) {
      // The partial unique index is the real guard; the read above only words the refusal.
      if (isUniqueViolation(error)) return { ok: false, error: { kind: 'conflict', message: 'A stock check is already running. Finish it first.' } };
      throw error;
    }
  }

  /** Close the running check, record what it found, and raise a wrong-item exception per stray tag. */
  finish(officerId: number): Result<StockCheckView> {
    return this.db
      .transaction((): Result<StockCheckView> => {
        const running = this.sql.running.get();
        if (!running) return { ok: false, error: { kind: 'conflict', message: 'No stock check is running.' } };
        const now = this.clock.now();
        this.sql.finishCheck.run(officerId, now.toISOString(), running.id);
        const { view, findings } = this.compute(running.id);
        this.audit.append(
          {
            actor: `officer:${officerId}`,
            action: 'stock.checked',
            subject: `stock-check:${running.id}`,
            details: {
              scanned: view.scanned,
              missing: view.missing.length,
              unexpected: view.unexpected.length,
              // The lists too, not just counts: the view is recomputed from live state, so
              // this row is the lasting record of what this check found.
              missingTags: view.missing.map((m) => m.tag),
              unexpectedTags: findings.map((f) => ({ tag: f.tag, problem: f.problem })),
            },
          },
          now,
        );
        for (const finding of findings) {
          if (finding.problem !== 'unknown' && finding.problem !== 'on-loan') continue;
          const what = finding.assetId === null ? `Tag ${finding.tag}` : `${finding.assetTypeName ?? 'Item'} ${finding.serial ?? finding.tag}`;
          this.exceptions.raise(
            'wrong-item',
            finding.assetId === null ? `tag:${finding.tag}` : `asset:${finding.assetId}`,
            `Stock check ${running.id}: ${what} was scanned in the armoury. ${finding.why}`,
            { stockCheck: running.id, tag: finding.tag, problem: finding.problem },
          );
        }
        return { ok: true, value: view };
      })
      .immediate();
  }

  current(): StockCheckView | null {
    const running = this.sql.running.get();
    return running ? this.view(running.id) : null;
  }

  private view(id: number): StockCheckView {
    return this.compute(id).view;
  }

  private compute(id: number): { view: StockCheckView; findings: Finding[] } {
    const check = this.sql.byId.get(id);
    if (!check) throw new Error(`stock check ${id} vanished`);
    const scans = this.sql.scans.all(id);
    const findings = scans.map(classify).filter((f): f is Finding => f !== null);
    const view: StockCheckView = {
      id: check.id,
      startedAt: check.startedAt,
      finishedAt: check.finishedAt,
      scanned: scans.length,
      missing: this.sql.missing.all(id),
      unexpected: findings.map(({ tag, assetTypeName, serial, why }) => ({ tag, assetTypeName, serial, why })),
    };
    return { view, findings };
  }
}

/** Why a scanned tag should not have been in the room, or null if it belongs there. */
function classify(scan: ScanRow): Finding | null {
  const base = { tag: scan.tag, assetTypeName: scan.typeName, serial: scan.serial, assetId: scan.assetId };
  if (scan.assetId === null) return { ...base, problem: 'unknown', why: 'The tag is not registered to any item here.' };
  switch (scan.status) {
    case 'on-loan':
      // Drawn after it was scanned: it was here when counted and has simply gone out since.
      if (scan.drawnAt !== null && scan.drawnAt > scan.scannedAt) return null;
      return { ...base, problem: 'on-loan', why: `It is on loan to ${scan.holder ?? 'an officer'}, so it should be with them, not here.` };
    case 'retired':
      return { ...base, problem: 'retired', why: 'It is retired, so it should have left the armoury.' };
    case 'issuing':
      return {
        ...base,
        problem: 'issuing',
        why: `It is being drawn${scan.intentDoor === null ? '' : ` (door ${scan.intentDoor} is open for the draw)`}, so it should be behind that door.`,
      };
    default:
      return null;
  }
}

function alreadyRunning(check: CheckRow): string {
  return `A stock check is already running (started by ${check.startedBy} at ${new Date(check.startedAt).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}). Finish it first.`;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
