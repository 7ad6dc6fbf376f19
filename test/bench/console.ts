/**
 * The armourer console's reads on the bench database: the live board, the mobilisation
 * view and one asset's timeline (with the chain verdict); then the board and the view right
 * after a loan changed and right after reference data changed (the in-memory views' update
 * and rebuild), and the board and the view again while the machine also runs a site's load
 * (site-load.ts: the built terminal polling its bus, and Chromium on its screen; `npm run
 * build` first). Run on its own as `node --import tsx test/bench/console.ts DB_PATH` (a
 * database synthetic-db.ts built), or call measureConsole from the bench.
 */
import { pathToFileURL } from 'node:url';
import { AuditLog } from '../../main/core/audit.ts';
import { ArmourerConsole } from '../../main/core/console.ts';
import { openDatabase, type Db } from '../../main/core/db/database.ts';
import { systemClock } from '../../main/system-time.ts';
import { workerChainWalker } from '../../main/workers/audit-walker.ts';
import { RuleStore } from '../../main/core/rules.ts';
import { machineBusySince, underSiteLoad } from './site-load.ts';
import { seededRandom, summarize, timeMs, timeMsAsync } from './stats.ts';

const RUNS = 200;
const WARMUP = 20;
/** Each is a whole rebuild (every officer decided again): fewer runs, still a p99 of something. */
const REBUILD_RUNS = 50;
/**
 * Board and view reads are spread 0-25 ms apart over a few seconds, quiet and loaded alike:
 * as a console reads (every few seconds, not back to back), so that under load they meet the
 * bus's polls and Chromium's frames, and so that one garbage collection (a read that finds
 * nothing new takes ~20 µs: 200 back-to-back reads last 4 ms) is not three of 200 samples.
 */
const READ_GAP_MS = 25;
/** The board a busy force shows: about one officer in two armed or kitted. */
const OPEN_LOANS = 5_000;

export interface ConsoleFigures {
  board_p99_ms: number;
  mobilisation_p99_ms: number;
  timeline_p99_ms: number;
  /** The first read after one loan changed (a draw or a return): the in-memory views brought up to date. */
  board_after_loan_change_p99_ms: number;
  mobilisation_after_loan_change_p99_ms: number;
  /** The first read after reference data changed (an import, a rule): every officer decided again. */
  mobilisation_after_reference_change_p99_ms: number;
  board_loaded_p99_ms: number;
  mobilisation_loaded_p99_ms: number;
  /** CPU the site load itself used while the loaded figures were taken, in cores. */
  site_load_cores: number;
  /** How busy the whole machine was while the quiet and the loaded figures were taken (0-100). */
  machine_busy_quiet_percent: number;
  machine_busy_loaded_percent: number;
}

export async function measureConsole(dbPath: string): Promise<ConsoleFigures> {
  const db = openDatabase(dbPath);
  try {
    ensureOpenLoans(db, OPEN_LOANS);
    const rules = new RuleStore(db, new AuditLog(db), systemClock);
    // As the terminal runs it: the first whole-chain walk in a worker thread, increments here.
    const armourer = new ArmourerConsole(db, systemClock, rules, workerChainWalker(dbPath));
    const serials = db.prepare<[], { serial: string }>('SELECT serial FROM assets ORDER BY id').all().map((r) => r.serial);
    const random = seededRandom(11);
    const randomSerial = () => serials[Math.floor(random() * serials.length)] as string;

    // The first timeline walks the whole chain once; what is measured is every query after it.
    armourer.timeline({ by: 'asset', value: randomSerial(), from: null, to: null });

    /** p99 of `fn`, with `before` (untimed) ahead of each call. */
    const time = (fn: () => unknown, options: { before?: () => void; runs?: number } = {}): number => {
      const samples: number[] = [];
      const runs = options.runs ?? RUNS;
      for (let i = 0; i < WARMUP + runs; i++) {
        options.before?.();
        const { ms } = timeMs(fn);
        if (i >= WARMUP) samples.push(ms);
      }
      return summarize(samples).p99;
    };
    const timeAsync = async (fn: () => Promise<unknown>, gapMs = 0): Promise<number> => {
      const samples: number[] = [];
      for (let i = 0; i < WARMUP + RUNS; i++) {
        if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, random() * gapMs));
        const { ms } = await timeMsAsync(fn);
        if (i >= WARMUP) samples.push(ms);
      }
      return summarize(samples).p99;
    };
    // The first timeline waits for the whole chain's walk; the figure is the console as used after it.
    await armourer.timeline({ by: 'window', value: '', from: null, to: null });

    const quietBusy = machineBusySince();
    const board = await timeAsync(async () => armourer.board(null), READ_GAP_MS);
    const mobilisation = await timeAsync(async () => armourer.mobilisation(), READ_GAP_MS);
    const timeline = await timeAsync(async () => {
      const view = await armourer.timeline({ by: 'asset', value: randomSerial(), from: null, to: null });
      if (!view.chain.ok) throw new Error(`audit chain broken at ${view.chain.firstBrokenSeq}: ${view.chain.reason}`);
    });

    // A write that changes nothing but still fires the triggers, as a draw's loan row or an import's records would.
    const openLoans = db.prepare<[], { id: number }>('SELECT id FROM loans WHERE returned_at IS NULL ORDER BY id').all().map((r) => r.id);
    const touchLoan = db.prepare<[number]>('UPDATE loans SET due_at = due_at WHERE id = ?');
    const touchOfficer = db.prepare<[number]>('UPDATE officers SET display_name = display_name WHERE id = ?');
    const randomLoan = () => touchLoan.run(openLoans[Math.floor(random() * openLoans.length)] as number);
    const boardAfterLoan = time(() => armourer.board(null), { before: randomLoan });
    const mobilisationAfterLoan = time(() => armourer.mobilisation(), { before: randomLoan });
    const mobilisationAfterReference = time(() => armourer.mobilisation(), { before: () => touchOfficer.run(1 + Math.floor(random() * 100)), runs: REBUILD_RUNS });
    const machineQuiet = quietBusy();

    const loaded = await underSiteLoad(async () => ({
      board: await timeAsync(async () => armourer.board(null), READ_GAP_MS),
      mobilisation: await timeAsync(async () => armourer.mobilisation(), READ_GAP_MS),
    }));
    return {
      board_p99_ms: board,
      mobilisation_p99_ms: mobilisation,
      timeline_p99_ms: timeline,
      board_after_loan_change_p99_ms: boardAfterLoan,
      mobilisation_after_loan_change_p99_ms: mobilisationAfterLoan,
      mobilisation_after_reference_change_p99_ms: mobilisationAfterReference,
      board_loaded_p99_ms: loaded.value.board,
      mobilisation_loaded_p99_ms: loaded.value.mobilisation,
      site_load_cores: loaded.load.loadCores,
      machine_busy_quiet_percent: machineQuiet,
      machine_busy_loaded_percent: loaded.load.machineBusyPercent,
    };
  } finally {
    db.close();
  }
}

/**
 * Top the board up to `target` open loans: store items (available, not behind a door) lent to
 * officers holding none of that type, as the draw path would leave them.
 */
function ensureOpenLoans(db: Db, target: number): void {
  const open = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM loans WHERE returned_at IS NULL').get()?.n ?? 0;
  if (open >= target) return;
  const items = db
    .prepare<[number], { id: number; typeId: number }>(
      "SELECT id, asset_type_id AS typeId FROM assets WHERE status = 'available' AND door_id IS NULL ORDER BY id LIMIT ?",
    )
    .all(target - open);
  const officers = db.prepare<[], { id: number }>("SELECT id FROM officers WHERE status = 'active' ORDER BY id").all().map((r) => r.id);
  const holds = db.prepare<[number, number], { n: number }>(
    `SELECT count(*) AS n FROM loans l JOIN assets a ON a.id = l.asset_id WHERE l.officer_id = ? AND l.returned_at IS NULL AND a.asset_type_id = ?`,
  );
  const lend = db.prepare<[number, number, string]>('INSERT INTO loans (asset_id, officer_id, drawn_at) VALUES (?, ?, ?)');
  const setOnLoan = db.prepare<[string, number]>("UPDATE assets SET status = 'on-loan', door_id = NULL, updated_at = ? WHERE id = ?");
  const now = Date.now();
  db.transaction(() => {
    let next = 0;
    for (const [i, item] of items.entries()) {
      // The next officer who holds none of this type: one per type, as the limit says.
      let tries = 0;
      while (tries < officers.length && (holds.get(officers[next % officers.length] as number, item.typeId)?.n ?? 0) > 0) {
        next++;
        tries++;
      }
      if (tries === officers.length) break;
      const officer = officers[next % officers.length] as number;
      next++;
      lend.run(item.id, officer, new Date(now - (1 + (i % 10)) * 3_600_000).toISOString());
      setOnLoan.run(new Date(now).toISOString(), item.id);
    }
  }).immediate();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const path = process.argv[2];
  if (!path) throw new Error('usage: console.ts DB_PATH');
  console.log(JSON.stringify(await measureConsole(path), null, 2));
}
