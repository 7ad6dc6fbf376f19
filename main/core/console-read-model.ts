import { ROLES, type BoardEntry, type MobilisationTypeView, type MobilisationView, type Role, type RuleView } from '../../preload/contract.ts';
import { localDate } from './dates.ts';
import type { Db } from './db/database.ts';
import type { DecidingRecord } from './decision.ts';
import { MOBILISATION_CATEGORIES, releasedTo, type MobilisationOfficer } from './releasable.ts';
import { legacyRule, type RuleStore } from './rules.ts';

type ArmedView = MobilisationTypeView['armed'][number];
type AvailableView = MobilisationTypeView['available'][number];

type Officer = MobilisationOfficer;

interface AssetType {
  id: number;
  name: string;
  category: string;
  /** Its requirements from before versioned rules: the rule of a type with none stored. */
  required: string[];
}

interface OpenLoan {
  loanId: number;
  officerId: number;
  assetId: number;
  assetTypeId: number;
  serial: string;
  drawnAt: string;
  dueAt: string | null;
}

/** Reference data the board and the view show: read again whenever migration 7's generation moves. */
interface Directory {
  generation: number;
  officers: Map<number, Officer>;
  /** Every officer, in the database's collar-number order (the order the view lists them in). */
  byCollar: Officer[];
  types: Map<number, AssetType>;
}

/** For each firearm and Taser type, everyone its rule releases to, and through which day. */
interface Releasable {
  generation: number;
  /** The local day the decisions were made on; a clock moved back before it means deciding again. */
  day: string;
  types: { type: AssetType; officers: { view: AvailableView; through: string | null }[] }[];
}

/** Just the loan's own fields: a changed-loans row also carries its log key. */
function toLoan(row: OpenLoan): OpenLoan {
  return { loanId: row.loanId, officerId: row.officerId, assetId: row.assetId, assetTypeId: row.assetTypeId, serial: row.serial, drawnAt: row.drawnAt, dueAt: row.dueAt };
}

/** SQLite's BINARY order for the ASCII text collar numbers, serials and ISO times are (UTF-16 code units in JS). */
function binaryOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * An array kept in order as items come and go, so a draw or a return moves one entry
 * (a binary search and a splice) instead of sorting 5,000 again.
 */
class SortedList<T> {
  readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  /** Many at once (a whole rebuild): one sort instead of an insert each. */
  insertAll(items: readonly T[]): void {
    this.items.push(...items);
    this.items.sort(this.compare);
  }

  insert(item: T): void {
    this.items.splice(this.firstNotBefore(item), 0, item);
  }

  remove(item: T): void {
    for (let i = this.firstNotBefore(item); i < this.items.length && this.compare(this.items[i] as T, item) === 0; i++) {
      if (this.items[i] === item) {
        this.items.splice(i, 1);
        return;
      }
    }
  }

  private firstNotBefore(item: T): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.compare(this.items[middle] as T, item) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** What the open loans give the views, kept in step with each loan that changes. */
interface LoanViews {
  /** Newest draw first, as the board lists them. */
  board: SortedList<OpenLoan>;
  /** By collar number, then serial; per type. */
  armedByType: Map<number, SortedList<ArmedView>>;
  armedByLoan: Map<number, ArmedView>;
  /** Per type, how many items each officer holds on open loans (as the decision counts them): a holder is never listed as available. */
  holdersByType: Map<number, Map<number, number>>;
  /**
   * What was last handed out, kept until a loan changes (or, for the board, until the clock
   * leaves the times its overdue flags hold for), so a read that finds nothing new copies an
   * array instead of making 5,000 objects again.
   */
  shownBoard: ShownBoard | null;
  /** Each loan's board entry as last made (frozen; made again when its overdue flag flips or the loan changes). */
  entryByLoan: Map<number, BoardEntry>;
  /** Per type, its lists for one day and one set of decisions; a changed loan drops only its types'. */
  shownLists: Map<number, { day: string; releasable: Releasable; view: MobilisationTypeView }>;
}

/** Board entries with their overdue flags as at `from`; they hold until `until` (the earliest due time not yet passed; null: none). */
interface ShownBoard {
  from: string;
  until: string | null;
  entries: readonly BoardEntry[];
}

/**
 * The armourer console's board and mobilisation view, held in memory and kept up to date
 * from what the database says changed, instead of read whole on every request (5,000 open
 * loans and 10,000 officers per read cost 20-100 ms on the 2-core VM, most of it in making
 * the rows, which no index saves).
 *
 * - Open loans, which change with every draw and return, are kept incrementally: migration
 *   11's triggers log each loan that changed (a loan row, or its item's serial or type),
 *   and a read re-reads just those.
 * - Reference data (officers, roles, qualification records, types, rules), which changes
 *   with imports and the rules screen, is read again whole when migration 7's generation
 *   counter moves; the mobilisation decisions are made again then, lazily, by decideDraw
 *   itself for every officer and type, so the view gives the decision engine's answer.
 * - Time: each officer the rule releases to carries the last day it still does
 *   (qualifiedThrough), so a qualification lapsing at midnight leaves the view at once with
 *   no write and no rebuild; a clock moved back before the day decided on decides again.
 *
 * Every read first looks at both counters in one read transaction, with the rows it then
 * reads, so it sees one snapshot whichever connection wrote.
 */
export class ConsoleReadModel {
  private readonly sql;
  private readonly snapshot: <T>(read: () => T) => T;
  private directory: Directory | null = null;
  private releasable: Releasable | null = null;
  private readonly loans = new Map<number, OpenLoan>();
  /** The last loan change applied; null until the open loans are first read. */
  private loanChange: number | null = null;
  private loanViews: LoanViews | null = null;

  constructor(
    db: Db,
    private readonly rules: RuleStore,
  ) {
    const openLoanColumns = `l.id AS loanId, l.officer_id AS officerId, l.asset_id AS assetId, a.asset_type_id AS assetTypeId, a.serial,
                             l.drawn_at AS drawnAt, l.due_at AS dueAt`;
    this.sql = {
      generation: db.prepare<[], { n: number }>('SELECT n FROM reference_generation WHERE id = 1'),
      // The highest change is the newest: AUTOINCREMENT never reuses one.
      lastLoanChange: db.prepare<[], { n: number }>('SELECT coalesce(max(change), 0) AS n FROM loan_changes'),
      openLoans: db.prepare<[], OpenLoan>(
        `SELECT ${openLoanColumns} FROM loans l JOIN assets a ON a.id = l.asset_id WHERE l.returned_at IS NULL`,
      ),
      // Each loan changed since: its row now if still open (loanId null if returned or gone).
      changedLoans: db.prepare<[number], { changed: number } & (OpenLoan | { [K in keyof OpenLoan]: null })>(
        `SELECT c.loan_id AS changed, ${openLoanColumns}
           FROM loan_changes c
           LEFT JOIN loans l ON l.id = c.loan_id AND l.returned_at IS NULL
           LEFT JOIN assets a ON a.id = l.asset_id
          WHERE c.change > +?`,
      ),
      officers: db.prepare<[], Officer>(
        'SELECT id, collar_number AS collarNumber, display_name AS name, status, unit FROM officers ORDER BY collar_number',
      ),
      types: db.prepare<[], { id: number; name: string; category: string; required: string }>(
        `SELECT t.id, t.name, t.category,
                (SELECT json_group_array(q.code) FROM asset_type_requirements r JOIN qualifications q ON q.id = r.qualification_id
                  WHERE r.asset_type_id = t.id) AS required
           FROM asset_types t ORDER BY t.category, t.name`,
      ),
      roles: db.prepare<[], { officerId: number; role: string }>('SELECT officer_id AS officerId, role FROM officer_roles'),
      qualifications: db.prepare<[string], { id: number; code: string; name: string }>(
        'SELECT id, code, name FROM qualifications WHERE code IN (SELECT value FROM json_each(?))',
      ),
      // The records of the qualifications the rules name (all a decision looks up), from the covering
      // (qualification_id, valid_until) index alone; as arrays, since making 16,000 row objects is most of the cost.
      records: db
        .prepare<[string], [number, number, string | null]>(
          'SELECT officer_id, qualification_id, valid_until FROM officer_qualifications WHERE qualification_id IN (SELECT value FROM json_each(?))',
        )
        .raw(),
    };
    const transaction = db.transaction((read: () => unknown) => read());
    this.snapshot = <T>(read: () => T): T => transaction(read) as T;
  }

  /** Every open loan, newest draw first; overdue once its due time is before `now`. */
  board(category: string | null, now: Date): BoardEntry[] {
    const { directory, views } = this.snapshot(() => {
      const current = this.currentDirectory();
      return { directory: current, views: this.currentLoanViews(current) };
    });
    // Stored times are UTC ISO text, so text order is time order (as the SQL compared them).
    const at = now.toISOString();
    const shown = views.shownBoard;
    const board = shown && shown.from <= at && (shown.until === null || at <= shown.until) ? shown : (views.shownBoard = boardAt(directory, views, at));
    return category === null ? board.entries.slice() : board.entries.filter((e) => e.category === category);
  }

  /** Who is armed now and who the rule in force would arm on `now`'s local day, per firearm and Taser type. */
  mobilisation(now: Date): MobilisationView {
    const today = localDate(now);
    const { releasable, views } = this.snapshot(() => {
      const directory = this.currentDirectory();
      return { releasable: this.currentReleasable(directory, today), views: this.currentLoanViews(directory) };
    });
    const types = releasable.types.map(({ type, officers }): MobilisationTypeView => {
      let shown = views.shownLists.get(type.id);
      if (!shown || shown.day !== today || shown.releasable !== releasable) {
        const holders = views.holdersByType.get(type.id);
        const available: AvailableView[] = [];
        for (const officer of officers) {
          if ((officer.through === null || today <= officer.through) && !holders?.has(officer.view.officerId)) available.push(officer.view);
        }
        const armed = [...(views.armedByType.get(type.id)?.items ?? [])];
        shown = { day: today, releasable, view: { assetTypeId: type.id, assetTypeName: type.name, category: type.category, armed, available } };
        views.shownLists.set(type.id, shown);
      }
      // The caller's own arrays (the C2 feed sorts its copies; nobody may reorder ours); the entries are frozen.
      return { ...shown.view, armed: shown.view.armed.slice(), available: shown.view.available.slice() };
    });
    return { generatedAt: now.toISOString(), types };
  }

  /** The reference data, read again if the generation moved. Inside a snapshot. */
  private currentDirectory(): Directory {
    const generation = this.sql.generation.get()?.n ?? 0;
    if (this.directory?.generation === generation) return this.directory;
    const byCollar = this.sql.officers.all();
    const types = new Map(
      this.sql.types.all().map((t) => [t.id, { id: t.id, name: t.name, category: t.category, required: JSON.parse(t.required) as string[] }]),
    );
    const previous = this.directory;
    this.directory = { generation, officers: new Map(byCollar.map((o) => [o.id, o])), byCollar, types };
    this.releasable = null;
    // The loans' lists and entries carry names only: kept unless a name moved (an import of records or a rule moves none).
    if (!previous || !sameNames(previous, this.directory)) this.loanViews = null;
    return this.directory;
  }

  /**
   * Who each type's rule releases to (holdings aside), decided by decideDraw for every officer
   * on `today`, with the last day each decision holds. Made again only when the reference data
   * changed or the clock went back before the day decided on. Inside a snapshot.
   */
  private currentReleasable(directory: Directory, today: string): Releasable {
    const kept = this.releasable;
    if (kept && kept.generation === directory.generation && today >= kept.day) return kept;
    const stored = this.rules.currentAll();
    const counted = [...directory.types.values()].filter((t) => MOBILISATION_CATEGORIES.includes(t.category));
    // As Eligibility.ruleFor: a type with no stored rule is decided by its requirements.
    const ruled = counted.map((type) => ({ type, rule: stored.get(type.id)?.rule ?? legacyRule(type.required) }));

    const codes = [...new Set(ruled.flatMap(({ rule }) => [...rule.allOf, ...rule.anyOf]))];
    const qualifications = new Map(this.sql.qualifications.all(JSON.stringify(codes)).map((q) => [q.id, q]));
    const held = new Map<number, Map<string, DecidingRecord>>();
    for (const [officerId, qualificationId, validUntil] of this.sql.records.all(JSON.stringify([...qualifications.keys()]))) {
      const qualification = qualifications.get(qualificationId);
      if (!qualification) continue;
      let mine = held.get(officerId);
      if (!mine) held.set(officerId, (mine = new Map()));
      mine.set(qualification.code, { name: qualification.name, validUntil });
    }
    // decideDraw reads an officer's roles only against the rule's: with no rule naming one (the usual case), nobody's are needed.
    const roles = new Map<number, Role[]>();
    if (ruled.some(({ rule }) => rule.roles.length > 0)) {
      for (const { officerId, role } of this.sql.roles.all()) {
        // As Records.officer: only roles this version knows.
        if (!(ROLES as readonly string[]).includes(role)) continue;
        const mine = roles.get(officerId);
        if (mine) mine.push(role as Role);
        else roles.set(officerId, [role as Role]);
      }
    }

    const types = ruled.map(({ type, rule }) => ({ type, officers: this.releasedTo(directory, type, rule, held, roles, today) }));
    this.releasable = { generation: directory.generation, day: today, types };
    return this.releasable;
  }

  private releasedTo(
    directory: Directory,
    type: AssetType,
    rule: RuleView,
    held: ReadonlyMap<number, ReadonlyMap<string, DecidingRecord>>,
    roles: ReadonlyMap<number, readonly Role[]>,
    today: string,
  ): Releasable['types'][number]['officers'] {
    return releasedTo(directory.byCollar, type.name, rule, held, roles, today).map(({ officer, through }) => ({
      view: Object.freeze({ officerId: officer.id, collarNumber: officer.collarNumber, name: officer.name }),
      through,
    }));
  }

  /** The open loans brought up to date from the change log, and what they give the views. Inside a snapshot. */
  private currentLoanViews(directory: Directory): LoanViews {
    const last = this.sql.lastLoanChange.get()?.n ?? 0;
    if (this.loanChange === null) {
      for (const row of this.sql.openLoans.all()) this.loans.set(row.loanId, toLoan(row));
      this.loanChange = last;
      this.loanViews = null;
    } else if (last !== this.loanChange) {
      const views = this.loanViews;
      if (views) views.shownBoard = null;
      for (const row of this.sql.changedLoans.all(this.loanChange)) {
        const before = this.loans.get(row.changed);
        if (before) {
          this.loans.delete(row.changed);
          if (views) unindexLoan(views, before);
        }
        if (row.loanId === null) continue;
        const after = toLoan(row);
        this.loans.set(after.loanId, after);
        if (views) indexLoans(views, [after], directory);
      }
      this.loanChange = last;
    }
    if (!this.loanViews) {
      const views: LoanViews = {
        board: new SortedList<OpenLoan>((a, b) => binaryOrder(b.drawnAt, a.drawnAt) || b.loanId - a.loanId),
        armedByType: new Map(),
        armedByLoan: new Map(),
        holdersByType: new Map(),
        shownBoard: null,
        entryByLoan: new Map(),
        shownLists: new Map(),
      };
      indexLoans(views, [...this.loans.values()], directory);
      this.loanViews = views;
    }
    return this.loanViews;
  }
}

/** Whether every officer and type of `before` is still there under the same collar number, name and category. */
function sameNames(before: Directory, after: Directory): boolean {
  for (const [id, officer] of before.officers) {
    const now = after.officers.get(id);
    if (now?.collarNumber !== officer.collarNumber || now.name !== officer.name) return false;
  }
  for (const [id, type] of before.types) {
    const now = after.types.get(id);
    if (now?.name !== type.name || now.category !== type.category) return false;
  }
  return true;
}

/** The board as at `at`: each open loan with its officer and type, frozen, newest draw first. */
function boardAt(directory: Directory, views: LoanViews, at: string): ShownBoard {
  const entries: BoardEntry[] = [];
  let until: string | null = null;
  for (const loan of views.board.items) {
    const type = directory.types.get(loan.assetTypeId);
    const officer = directory.officers.get(loan.officerId);
    // Foreign keys make both exist; a row without them is skipped, as the join it replaces did.
    if (!type || !officer) continue;
    const overdue = loan.dueAt !== null && loan.dueAt < at;
    if (loan.dueAt !== null && !overdue && (until === null || loan.dueAt < until)) until = loan.dueAt;
    let entry = views.entryByLoan.get(loan.loanId);
    if (entry?.overdue !== overdue) {
      entry = Object.freeze({
        loanId: loan.loanId,
        officerId: officer.id,
        collarNumber: officer.collarNumber,
        officerName: officer.name,
        assetId: loan.assetId,
        assetTypeName: type.name,
        category: type.category,
        serial: loan.serial,
        drawnAt: loan.drawnAt,
        dueAt: loan.dueAt,
        overdue,
      });
      views.entryByLoan.set(loan.loanId, entry);
    }
    entries.push(entry);
  }
  return { from: at, until, entries };
}

function armedOrder(a: ArmedView, b: ArmedView): number {
  return binaryOrder(a.collarNumber, b.collarNumber) || binaryOrder(a.serial, b.serial);
}

/** Add loans to the views: one sorted insert each, or for many (a rebuild) one sort per list. */
function indexLoans(views: LoanViews, loans: readonly OpenLoan[], directory: Directory): void {
  const armedByType = new Map<number, ArmedView[]>();
  for (const loan of loans) {
    views.shownLists.delete(loan.assetTypeId);
    const holders = views.holdersByType.get(loan.assetTypeId) ?? new Map<number, number>();
    holders.set(loan.officerId, (holders.get(loan.officerId) ?? 0) + 1);
    views.holdersByType.set(loan.assetTypeId, holders);
    // As the join it replaces: armed lists name the officer, so a loan without one is not listed.
    const officer = directory.officers.get(loan.officerId);
    if (!officer) continue;
    const view: ArmedView = Object.freeze({ officerId: officer.id, collarNumber: officer.collarNumber, name: officer.name, serial: loan.serial, since: loan.drawnAt });
    const added = armedByType.get(loan.assetTypeId);
    if (added) added.push(view);
    else armedByType.set(loan.assetTypeId, [view]);
    views.armedByLoan.set(loan.loanId, view);
  }
  const many = loans.length > 1;
  if (many) views.board.insertAll(loans);
  else for (const loan of loans) views.board.insert(loan);
  for (const [typeId, added] of armedByType) {
    let armed = views.armedByType.get(typeId);
    if (!armed) views.armedByType.set(typeId, (armed = new SortedList(armedOrder)));
    if (many) armed.insertAll(added);
    else for (const view of added) armed.insert(view);
  }
}

function unindexLoan(views: LoanViews, loan: OpenLoan): void {
  views.board.remove(loan);
  views.entryByLoan.delete(loan.loanId);
  views.shownLists.delete(loan.assetTypeId);
  const holders = views.holdersByType.get(loan.assetTypeId);
  const held = (holders?.get(loan.officerId) ?? 0) - 1;
  if (held > 0) holders?.set(loan.officerId, held);
  else holders?.delete(loan.officerId);
  const view = views.armedByLoan.get(loan.loanId);
  if (!view) return;
  views.armedByType.get(loan.assetTypeId)?.remove(view);
  views.armedByLoan.delete(loan.loanId);
}
