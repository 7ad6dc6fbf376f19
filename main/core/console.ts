import PDFDocument from 'pdfkit';
import type {
  BoardEntry,
  ChainStatus,
  DashboardView,
  ExportedFile,
  MobilisationView,
  TimelineEntry,
  TimelineQuery,
  TimelineView,
} from '../../preload/contract.ts';
import { AuditLog, type ChainVerdict } from './audit.ts';
import { ConsoleReadModel } from './console-read-model.ts';
import { auditSentence, humanDateTime, namesNeeded, refId, type TimelineNames } from './audit-sentences.ts';
import { humanTime, localDate } from './dates.ts';
import type { Db } from './db/database.ts';
import type { ChainWalker, Clock } from './ports.ts';
import type { RuleStore } from './rules.ts';

/** Most entries one timeline shows or exports: the newest are kept, and the title says so. */
export const TIMELINE_LIMIT = 5_000;

/**
 * How long a whole-chain verdict is trusted before the chain is walked again from row 1.
 * In between, only rows appended since (and the last verified row) are checked, so a query
 * stays fast on a million rows; the full walk catches an edit to an older row (which needs
 * the append-only triggers dropped first) within this long.
 */
export const FULL_REVERIFY_MS = 10 * 60_000;

/** A sign-in followed by the officer's door opening within this long counts for the dashboard. */
const SIGN_IN_TO_DOOR_MS = 10 * 60_000;
const DASHBOARD_DAYS = 7;
const HOUR_MS = 3_600_000;

type AuditRow = { seq: number; at: string; actor: string; action: string; subject: string; details: string };

/** The last whole-chain verdict, and when the chain was last walked from row 1 (clock ms). */
interface ChainCache {
  verdict: ChainVerdict;
  fullAt: number;
}

/**
 * One CSV cell (RFC 4180). Text that a spreadsheet would run as a formula is prefixed with
 * an apostrophe: audit details carry text people typed (notes, reasons, file names).
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | boolean | null)[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** "20261121-1405" in the terminal's local time, for file names. */
function fileStamp(at: Date): string {
  return `${localDate(at).replaceAll('-', '')}-${humanTime(at).replace(':', '')}`;
}

function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}


function parseDetails(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The armourer console's read side: board, mobilisation, investigation timeline, exports and dashboard. */
export class ArmourerConsole {
  private readonly sql;
  private readonly audit: AuditLog;
  /** The board and the mobilisation view, kept in memory from what changed (see console-read-model.ts). */
  private readonly model: ConsoleReadModel;
  private chainCache: ChainCache | null = null;
  private fullWalk: Promise<ChainCache> | null = null;

  /**
   * `walker` walks the whole chain for the first verdict and every FULL_REVERIFY_MS after
   * (the composition root gives a worker thread, so a million rows never hold up the main
   * thread or stay in its heap); in between, only rows appended since are checked here.
   */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    rules: RuleStore,
    private readonly walker: ChainWalker = { walk: async () => new AuditLog(db).verify() },
  ) {
    this.audit = new AuditLog(db);
    this.model = new ConsoleReadModel(db, rules);
    const timelineColumns = 'SELECT seq, at, actor, action, subject, details FROM audit_log';
    // Newest first so LIMIT keeps the latest; the window bounds are applied to the few rows the indexes found.
    const timelineTail = 'AND at >= :from AND at <= :to ORDER BY seq DESC LIMIT :limit';
    this.sql = {
      assetByCode: db.prepare<[string, string], { id: number; serial: string; tag: string; typeName: string }>(
        `SELECT a.id, a.serial, a.tag, t.name AS typeName FROM assets a JOIN asset_types t ON t.id = a.asset_type_id
          WHERE a.id = coalesce((SELECT id FROM assets WHERE serial = ?), (SELECT id FROM assets WHERE tag = ?))`,
      ),
      officerByCollar: db.prepare<[string], { id: number; collar: string; name: string }>(
        'SELECT id, collar_number AS collar, display_name AS name FROM officers WHERE collar_number = ?',
      ),
      byAsset: db.prepare<{ subject: string; id: number; from: string; to: string; limit: number }, AuditRow>(
        `${timelineColumns} WHERE seq IN (SELECT seq FROM audit_log WHERE subject = :subject
                             UNION SELECT seq FROM audit_log WHERE json_extract(details, '$.asset') = :id) ${timelineTail}`,
      ),
      byOfficer: db.prepare<{ ref: string; id: number; from: string; to: string; limit: number }, AuditRow>(
        `${timelineColumns} WHERE seq IN (SELECT seq FROM audit_log WHERE actor = :ref
                             UNION SELECT seq FROM audit_log WHERE subject = :ref
                             UNION SELECT seq FROM audit_log WHERE json_extract(details, '$.officer') = :id) ${timelineTail}`,
      ),
      byDoor: db.prepare<{ subject: string; from: string; to: string; limit: number }, AuditRow>(
        `${timelineColumns} WHERE subject = :subject ${timelineTail}`,
      ),
      // By the time index, newest first, so LIMIT stops the walk: never a sort of a year of rows.
      byWindow: db.prepare<{ from: string; to: string; limit: number }, AuditRow>(
        `${timelineColumns} WHERE at >= :from AND at <= :to ORDER BY at DESC, seq DESC LIMIT :limit`,
      ),
      officerNames: db.prepare<[string], { id: number; collar: string; name: string }>(
        'SELECT id, collar_number AS collar, display_name AS name FROM officers WHERE id IN (SELECT value FROM json_each(?))',
      ),
      assetNames: db.prepare<[string], { id: number; serial: string; typeName: string }>(
        `SELECT a.id, a.serial, t.name AS typeName FROM assets a JOIN asset_types t ON t.id = a.asset_type_id
          WHERE a.id IN (SELECT value FROM json_each(?))`,
      ),
      typeNames: db.prepare<[string], { id: number; name: string }>('SELECT id, name FROM asset_types WHERE id IN (SELECT value FROM json_each(?))'),
      issuesByHour: db.prepare<[string], { hour: string; n: number }>(
        'SELECT substr(drawn_at, 1, 13) AS hour, count(*) AS n FROM loans WHERE drawn_at >= ? GROUP BY hour',
      ),
      returnsByHour: db.prepare<[string], { hour: string; n: number }>(
        'SELECT substr(returned_at, 1, 13) AS hour, count(*) AS n FROM loans WHERE returned_at >= ? GROUP BY hour',
      ),
      // The week's rows by the time index; only these two actions kept.
      signInsAndDoors: db.prepare<[string], { at: string; action: string; actor: string; officer: number | null }>(
        `SELECT at, action, actor, CASE WHEN action = 'door.opened' THEN json_extract(details, '$.officer') END AS officer
           FROM audit_log WHERE at >= ? AND action IN ('auth.signed-in', 'door.opened') ORDER BY at, seq`,
      ),
      overdue: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM loans WHERE returned_at IS NULL AND due_at < ?'),
      refusals: db.prepare<[string], { code: string; count: number }>(
        `SELECT coalesce(json_extract(r.value, '$.code'), 'unknown') AS code, count(*) AS count
           FROM audit_log a, json_each(a.details, '$.reasons') r
          WHERE a.at >= ? AND a.action = 'draw.refused'
          GROUP BY 1 ORDER BY count DESC, code`,
      ),
      utilisation: db.prepare<[], { assetTypeName: string; onLoan: number; total: number }>(
        `SELECT t.name AS assetTypeName, count(a.id) FILTER (WHERE a.status = 'on-loan') AS onLoan, count(a.id) AS total
           FROM asset_types t LEFT JOIN assets a ON a.asset_type_id = t.id AND a.status != 'retired'
          WHERE t.category <> 'exhibit'
          GROUP BY t.id ORDER BY t.name`,
      ),
    };
  }

  /** Every open loan, newest draw first; overdue once past its due time. */
  board(category: string | null): BoardEntry[] {
    return this.model.board(category, this.clock.now());
  }

  /** Who is armed now and who the rule in force would arm, per firearm and Taser type. */
  mobilisation(): MobilisationView {
    return this.model.mobilisation(this.clock.now());
  }

  exportMobilisationCsv(): ExportedFile {
    const view = this.mobilisation();
    const rows: (string | null)[][] = [];
    for (const type of view.types) {
      for (const a of type.armed) rows.push([type.category, type.assetTypeName, 'armed', a.collarNumber, a.name, a.serial, a.since]);
      for (const a of type.available) rows.push([type.category, type.assetTypeName, 'available', a.collarNumber, a.name, null, null]);
    }
    const csv = toCsv(['category', 'asset_type', 'status', 'collar_number', 'name', 'serial', 'since'], rows);
    return { fileName: `mobilisation-${fileStamp(new Date(view.generatedAt))}.csv`, mimeType: 'text/csv', base64: Buffer.from(csv, 'utf8').toString('base64') };
  }

  /** One asset's, officer's or door's history, or a time window, with the whole chain's verdict. */
  async timeline(query: TimelineQuery): Promise<TimelineView> {
    const chain = await this.verifyChain();
    const from = query.from === null ? null : new Date(query.from).toISOString();
    const to = query.to === null ? null : new Date(query.to).toISOString();
    const bounds = { from: from ?? '', to: to ?? '\uffff', limit: TIMELINE_LIMIT + 1 };
    const value = query.value.trim();
    let rows: AuditRow[];
    let subjectTitle: string;
    switch (query.by) {
      case 'asset': {
        const asset = this.sql.assetByCode.get(value, value);
        if (!asset) return { entries: [], chain, title: `No asset with serial or tag "${value}"` };
        rows = this.sql.byAsset.all({ subject: `asset:${asset.id}`, id: asset.id, ...bounds });
        subjectTitle = `${asset.typeName} ${asset.serial}`;
        break;
      }
      case 'officer': {
        const officer = this.sql.officerByCollar.get(value);
        if (!officer) return { entries: [], chain, title: `No officer with collar number "${value}"` };
        rows = this.sql.byOfficer.all({ ref: `officer:${officer.id}`, id: officer.id, ...bounds });
        subjectTitle = `${officer.collar} ${officer.name}`;
        break;
      }
      case 'door': {
        if (!/^\d{1,6}$/.test(value) || Number(value) < 1) return { entries: [], chain, title: `"${value}" is not a door number` };
        rows = this.sql.byDoor.all({ subject: `door:${Number(value)}`, ...bounds });
        subjectTitle = `Door ${Number(value)}`;
        break;
      }
      case 'window': {
        // A window with no start is the last day: a whole year in one view helps nobody.
        const windowFrom = from ?? new Date((to === null ? this.clock.now().getTime() : Date.parse(to)) - 24 * HOUR_MS).toISOString();
        rows = this.sql.byWindow.all({ ...bounds, from: windowFrom });
        subjectTitle = 'All activity';
        return this.finish(rows, chain, subjectTitle, windowFrom, to);
      }
    }
    return this.finish(rows, chain, subjectTitle, from, to);
  }

  async exportTimeline(query: TimelineQuery, format: 'csv' | 'pdf'): Promise<ExportedFile> {
    const view = await this.timeline(query);
    const base = `timeline-${query.by}${query.by === 'window' ? '' : `-${fileSafe(query.value.trim())}`}-${fileStamp(this.clock.now())}`;
    if (format === 'csv') {
      const csv = toCsv(
        ['seq', 'at', 'actor', 'action', 'subject', 'summary'],
        view.entries.map((e) => [e.seq, e.at, e.actor, e.action, e.subject, e.summary]),
      );
      return { fileName: `${base}.csv`, mimeType: 'text/csv', base64: Buffer.from(csv, 'utf8').toString('base64') };
    }
    const pdf = await timelinePdf(view, this.clock.now());
    return { fileName: `${base}.pdf`, mimeType: 'application/pdf', base64: pdf.toString('base64') };
  }

  dashboard(): DashboardView {
    const now = this.clock.now();
    // 168 whole UTC hours ending with the current one; stored times are UTC ISO, so an hour is a prefix.
    const currentHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const firstHour = currentHour - (DASHBOARD_DAYS * 24 - 1) * HOUR_MS;
    const since = new Date(firstHour).toISOString();
    const issues = new Map(this.sql.issuesByHour.all(since).map((r) => [r.hour, r.n]));
    const returns = new Map(this.sql.returnsByHour.all(since).map((r) => [r.hour, r.n]));
    const issuesReturnsByHour: DashboardView['issuesReturnsByHour'] = [];
    for (let h = firstHour; h <= currentHour; h += HOUR_MS) {
      const hour = new Date(h).toISOString();
      const key = hour.slice(0, 13);
      issuesReturnsByHour.push({ hour, issues: issues.get(key) ?? 0, returns: returns.get(key) ?? 0 });
    }

    const weekAgo = new Date(now.getTime() - DASHBOARD_DAYS * 24 * HOUR_MS).toISOString();
    return {
      issuesReturnsByHour,
      medianSignInToDoorSeconds: this.medianSignInToDoor(weekAgo),
      overdueCount: this.sql.overdue.get(now.toISOString())?.n ?? 0,
      refusalsByReason: this.sql.refusals.all(weekAgo),
      utilisationByType: this.sql.utilisation.all(),
    };
  }

  /** Each sign-in paired with the same officer's next door opening within ten minutes. */
  private medianSignInToDoor(since: string): number | null {
    const doorsByOfficer = new Map<number, number[]>();
    const signIns: { officer: number; at: number }[] = [];
    for (const row of this.sql.signInsAndDoors.all(since)) {
      if (row.action === 'door.opened') {
        if (row.officer === null) continue;
        const list = doorsByOfficer.get(row.officer) ?? [];
        list.push(Date.parse(row.at));
        doorsByOfficer.set(row.officer, list);
      } else {
        const officer = refId(row.actor, 'officer');
        if (officer !== null) signIns.push({ officer, at: Date.parse(row.at) });
      }
    }
    const seconds: number[] = [];
    for (const signIn of signIns) {
      // Rows came ordered by time, so each officer's openings are ascending.
      const next = doorsByOfficer.get(signIn.officer)?.find((t) => t >= signIn.at);
      if (next !== undefined && next - signIn.at <= SIGN_IN_TO_DOOR_MS) seconds.push((next - signIn.at) / 1000);
    }
    if (seconds.length === 0) return null;
    seconds.sort((a, b) => a - b);
    const mid = Math.floor(seconds.length / 2);
    return seconds.length % 2 === 1 ? (seconds[mid] as number) : ((seconds[mid - 1] as number) + (seconds[mid] as number)) / 2;
  }

  private finish(rowsNewestFirst: AuditRow[], chain: ChainStatus, subject: string, from: string | null, to: string | null): TimelineView {
    const cut = rowsNewestFirst.length > TIMELINE_LIMIT;
    const rows = rowsNewestFirst.slice(0, TIMELINE_LIMIT).reverse();
    const parsed = rows.map((row) => ({ row, details: parseDetails(row.details) }));
    const names = this.namesFor(parsed);
    const entries: TimelineEntry[] = parsed.map(({ row, details }) => ({
      seq: row.seq,
      at: row.at,
      actor: actorLabel(row.actor, names),
      action: row.action,
      subject: row.subject,
      summary: auditSentence(row, details, names),
    }));
    const when =
      from === null && to === null ? 'all time' : from === null ? `up to ${humanDateTime(to as string)}` : to === null ? `from ${humanDateTime(from)}` : `${humanDateTime(from)} to ${humanDateTime(to)}`;
    const title = `${subject}, ${when}${cut ? ` (latest ${TIMELINE_LIMIT.toLocaleString('en-GB')} entries)` : ''}`;
    return { entries, chain, title };
  }

  private namesFor(rows: readonly { row: AuditRow; details: Record<string, unknown> }[]): TimelineNames {
    const { officers, assets, types } = namesNeeded(rows);
    const json = (ids: Set<number>) => JSON.stringify([...ids]);
    return {
      officers: new Map(officers.size === 0 ? [] : this.sql.officerNames.all(json(officers)).map((o) => [o.id, { collar: o.collar, name: o.name }])),
      assets: new Map(assets.size === 0 ? [] : this.sql.assetNames.all(json(assets)).map((a) => [a.id, { serial: a.serial, typeName: a.typeName }])),
      types: new Map(types.size === 0 ? [] : this.sql.typeNames.all(json(types)).map((t) => [t.id, t.name])),
    };
  }

  /**
   * The whole chain's verdict. The first call walks every row (through the walker); later ones
   * re-check the last verified row and hash only rows appended since, until the verdict is
   * FULL_REVERIFY_MS old and the chain is walked again from row 1. A broken chain stays broken.
   */
  private async verifyChain(): Promise<ChainStatus> {
    const now = this.clock.now().getTime();
    const cache = this.chainCache;
    let next: ChainCache;
    if (cache === null || now - cache.fullAt >= FULL_REVERIFY_MS || now < cache.fullAt) {
      // Concurrent timelines share one walk.
      this.fullWalk ??= this.walker.walk().then((verdict) => ({ verdict, fullAt: now }));
      try {
        next = await this.fullWalk;
      } finally {
        this.fullWalk = null;
      }
    } else {
      next = cache.verdict.ok ? { verdict: this.audit.verifyAfter(cache.verdict), fullAt: cache.fullAt } : cache;
    }
    this.chainCache = next;
    const verdict = next.verdict;
    return {
      ok: verdict.ok,
      rows: verdict.rows,
      firstBrokenSeq: verdict.ok ? null : verdict.firstBrokenSeq,
      reason: verdict.ok ? null : verdict.reason,
      checkedAt: new Date(now).toISOString(),
    };
  }
}

function actorLabel(actor: string, names: TimelineNames): string {
  if (actor === 'system') return 'terminal';
  const id = refId(actor, 'officer');
  if (id === null) return actor;
  const officer = names.officers.get(id);
  return officer ? `${officer.collar} ${officer.name}` : actor;
}

/**
 * The timeline as a PDF: title, chain verdict, one block per entry, page numbers. Standard
 * fonts only (Helvetica, built into pdfkit), so nothing is read from disk.
 */
export function timelinePdf(view: TimelineView, generatedAt: Date, options: { compress?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 40,
      bufferPages: true,
      compress: options.compress ?? true,
      info: { Title: view.title, Creator: 'Armoury Kiosk', CreationDate: generatedAt },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);

    const left = doc.page.margins.left;
    const width = doc.page.width - left - doc.page.margins.right;
    const columns = { time: left, actor: left + 100, text: left + 230 };
    const textWidth = left + width - columns.text;
    const bottom = () => doc.page.height - doc.page.margins.bottom - 20;

    doc.font('Helvetica-Bold').fontSize(14).text(view.title, { width });
    doc.moveDown(0.3);
    const chain = view.chain;
    const chainLine = chain.ok
      ? `Audit chain verified: ${chain.rows.toLocaleString('en-GB')} rows intact (checked ${humanDateTime(chain.checkedAt)}).`
      : `AUDIT CHAIN BROKEN at row ${chain.firstBrokenSeq ?? '?'}: ${chain.reason ?? 'unknown'} (${chain.rows.toLocaleString('en-GB')} rows verified before it; checked ${humanDateTime(chain.checkedAt)}).`;
    doc.font('Helvetica').fontSize(9).fillColor(chain.ok ? 'black' : 'red').text(chainLine, { width });
    doc.fillColor('black').text(`${view.entries.length.toLocaleString('en-GB')} entries. Generated ${humanDateTime(generatedAt.toISOString())}.`, { width });
    doc.moveDown(0.8);

    const header = () => {
      const y = doc.y;
      doc.font('Helvetica-Bold').fontSize(8);
      doc.text('Time', columns.time, y, { width: 95 });
      doc.text('Actor', columns.actor, y, { width: 125 });
      doc.text('What happened', columns.text, y, { width: textWidth });
      doc.moveTo(left, doc.y + 2).lineTo(left + width, doc.y + 2).stroke();
      doc.y += 5;
      doc.font('Helvetica').fontSize(8);
    };
    header();
    if (view.entries.length === 0) doc.text('No entries.', left, doc.y, { width });
    for (const entry of view.entries) {
      const what = `${entry.summary} [#${entry.seq} ${entry.action}]`;
      const height = Math.max(doc.heightOfString(what, { width: textWidth }), doc.heightOfString(entry.actor, { width: 125 }));
      if (doc.y + height > bottom()) {
        doc.addPage();
        header();
      }
      const y = doc.y;
      doc.text(humanDateTime(entry.at), columns.time, y, { width: 95 });
      doc.text(entry.actor, columns.actor, y, { width: 125 });
      doc.text(what, columns.text, y, { width: textWidth });
      doc.y = y + height + 3;
    }

    // Page numbers last, once the count is known; the bottom margin is lifted so writing there adds no page.
    const range = doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const margin = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      doc.font('Helvetica').fontSize(8).text(`Page ${i - range.start + 1} of ${range.count}`, left, doc.page.height - 30, { width, align: 'center' });
      doc.page.margins.bottom = margin;
    }
    doc.end();
  });
}
