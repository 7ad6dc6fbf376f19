/**
 * `npm run bench [-- --json FILE]`: the terminal's hot paths on a force-sized database.
 * Builds a synthetic database in a temp dir, times decisions, door commits against the
 * fsync floor, audit verification and start-up, prints a table against the targets and
 * optionally writes the figures as JSON. Targets are reported, never enforced: a miss is
 * something to look into, not a failed build.
 *
 * `npm run bench -- --peer-style` runs only the peer-style section (peer-style.ts): the
 * terminal as its own process over ptys, with Chromium, timed as other kiosks are measured.
 */
import { DOOR_CHOICE, measureDoorChoice } from './door-choice.ts';
import { measureRecallQuery, RECALL_QUERY } from './recall-query.ts';
import { ESTATE_SIM, simulateEstate } from './estate-sim.ts';
import { ESTATE_BENCH, measureEstate, type EstateFigures } from './estate.ts';
import { POSTGRES_MISSING } from '../helpers/postgres.ts';
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startKiosk } from '../../main/compose.ts';
import { AuditLog } from '../../main/core/audit.ts';
import { openDatabase, type Db } from '../../main/core/db/database.ts';
import { bankIdByName } from '../../main/core/demo-seed.ts';
import { systemClock } from '../../main/system-time.ts';
import { workerChainWalker } from '../../main/workers/audit-walker.ts';
import { doorCore } from '../helpers/door-core.ts';
import { measurePeerStyle, PEER_STYLE_DEFAULTS, type PeerStyleFigures } from './peer-style.ts';
import { measureCollectionToUnlock } from './collection-to-unlock.ts';
import { measureScanToUnlock } from './scan-to-unlock.ts';
import { measureTrainingImport } from './training-import.ts';
import { measureConsole } from './console.ts';
import { measureTerminalProcess } from './terminal-process.ts';
import { measureTouchDuringHeavyWork } from './touch-during-heavy-work.ts';
import { seededRandom, summarize, timeMs, timeMsAsync, type Summary } from './stats.ts';
import { BANK_NAME } from './synthetic-db.ts';

const DECISIONS = { warmup: 200, measured: 2_000 };
const DRAWS = { warmup: 30, measured: 400, cpuOnly: 100 };
const STARTUPS = 3;
const SCAN_TO_UNLOCK_RUNS = 100;
/** Each is two sign-ins (stores stage, the officer collects) and a return: about 0.7 s on this VM. */
const COLLECTION_RUNS = 100;
const EXPIRY_WARNING_DAYS = 30; // as in resources/default-terminal-config.json
const RESOURCES = new URL('../../resources/', import.meta.url).pathname;
/** Officer 0 of the synthetic force: an armourer and admin; every bench officer's PIN is 1234. */
const BENCH_ARMOURER = { card: '0410000000', pin: '1234' };

interface Target {
  op: '<=' | '>=';
  limit: number;
}

/** key, value, target; and, when the figure cannot be judged against its target yet, why (printed instead of yes/NO). */
type Row = [string, number, Target | null, string?];

const { values: args } = parseArgs({
  options: { json: { type: 'string' }, 'peer-style': { type: 'boolean', default: false }, 'peer-gc': { type: 'boolean', default: false }, estate: { type: 'boolean', default: false }, 'estate-sim': { type: 'boolean', default: false } },
  strict: true,
});
/** `--peer-gc`: the peer-style section also sets the terminal's garbage collections beside its worst samples. */
const PEER_OPTIONS = { ...PEER_STYLE_DEFAULTS, gcProbe: args['peer-gc'] };

const log = (line: string) => console.log(line);
const fixed = (x: number, digits = 3) => Number(x.toFixed(digits));

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'armoury-bench-'));
  const dataDir = join(tmp, 'data');
  let db: Db | null = null;
  try {
    // --- build -------------------------------------------------------------------
    // startKiosk looks for exactly this file name in its data dir.
    mkdirSync(dataDir);
    log(`building the synthetic database in ${dataDir} ...`);
    const built = await timeMsAsync(() => buildInChild(join(dataDir, 'armoury.db')));
    // `live` for use inside closures; `db` so the finally block can close it on failure.
    const live = openDatabase(join(dataDir, 'armoury.db'));
    db = live;
    const synthetic = syntheticIds(live);
    const data = countData(live);
    log(`built in ${(built.ms / 1000).toFixed(1)} s: ${describeData(data)}`);

    const doors = doorCore(live, systemClock, { bankName: BANK_NAME, expiryWarningDays: EXPIRY_WARNING_DAYS });
    const { eligibility } = doors.services;
    const random = seededRandom(7);
    const randomOfficer = () => synthetic.officerIds[Math.floor(random() * synthetic.officerIds.length)] as number;
    const randomType = () => synthetic.assetTypeIds[Math.floor(random() * synthetic.assetTypeIds.length)] as number;

    // --- decisions: the read side of every home screen and draw ----------------------
    log('timing decisions ...');
    const decisionSamples: number[] = [];
    let allowed = 0;
    for (let i = 0; i < DECISIONS.warmup + DECISIONS.measured; i++) {
      const { ms, value } = timeMs(() => eligibility.decide(randomOfficer(), randomType()));
      if (!value) throw new Error('decide found no officer or type');
      if (i >= DECISIONS.warmup) {
        decisionSamples.push(ms);
        if (value.decision.allowed) allowed++;
      }
    }
    const decision = summarize(decisionSamples);

    // --- draws, interleaved with the fsync floor so both see the same disk ------------
    log('timing draw commits against the fsync floor ...');
    live.exec('CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, at TEXT NOT NULL)');
    const floorInsert = live.prepare('INSERT INTO bench_floor (at) VALUES (?)');
    const floorCommit = live.transaction(() => floorInsert.run(new Date().toISOString()));
    const drawn: { officerId: number; assetId: number }[] = [];
    /** One timed draw (and, before it, one timed floor commit); the door is then settled untimed. */
    const drawOnce = (): { drawMs: number; floorMs: number } => {
      // Untimed: find a pair the decision allows, so every timed commit is a real draw.
      let officerId = randomOfficer();
      let typeId = randomType();
      while (!eligibility.decide(officerId, typeId)?.decision.allowed) [officerId, typeId] = [randomOfficer(), randomType()];

      const floor = timeMs(() => floorCommit.immediate());
      const draw = timeMs(() => doors.beginDraw(officerId, typeId));
      if (!draw.value.ok) throw new Error(`draw refused: ${draw.value.message}`);
      // Untimed: the officer opens the door and takes the item, which frees the door.
      const intent = draw.value.intent;
      doors.observe([{ doorNumber: intent.doorNumber, open: true, itemPresent: true }]);
      doors.observe([{ doorNumber: intent.doorNumber, open: false, itemPresent: false }]);
      if (doors.intent(intent.id)?.state !== 'completed') throw new Error(`draw intent ${intent.id} did not complete`);
      drawn.push({ officerId, assetId: intent.assetId });
      return { drawMs: draw.ms, floorMs: floor.ms };
    };
    const drawSamples: number[] = [];
    const floorSamples: number[] = [];
    for (let i = 0; i < DRAWS.warmup + DRAWS.measured; i++) {
      const { drawMs, floorMs } = drawOnce();
      if (i >= DRAWS.warmup) {
        drawSamples.push(drawMs);
        floorSamples.push(floorMs);
      }
    }
    // Diagnostic, no target: the same draw without the fsync is its CPU and page-write cost,
    // so ratio ~ (cpu + floor) / floor says how the ratio moves on a disk with a slower flush.
    live.pragma('synchronous = OFF');
    const drawCpuSamples: number[] = [];
    for (let i = 0; i < DRAWS.warmup + DRAWS.cpuOnly; i++) {
      const { drawMs } = drawOnce();
      if (i >= DRAWS.warmup) drawCpuSamples.push(drawMs);
    }
    live.pragma('synchronous = FULL');
    const drawCpu = summarize(drawCpuSamples);
    const drawCommit = summarize(drawSamples);
    const floorCommitStats = summarize(floorSamples);

    // --- returns: the condition report that settles loan and asset --------------------
    log('timing return commits ...');
    const returnSamples: number[] = [];
    for (const [i, item] of drawn.entries()) {
      const begun = doors.beginReturn(item.officerId, item.assetId, new Set());
      if (!begun.ok) throw new Error(`return refused: ${begun.message}`);
      const doorNumber = begun.intent.doorNumber;
      doors.observe([{ doorNumber, open: true, itemPresent: false }]);
      doors.observe([{ doorNumber, open: false, itemPresent: true }]);
      const done = timeMs(() => doors.completeReturn(begun.intent.id, 'ok'));
      if (done.value?.intent.state !== 'completed') throw new Error(`return intent ${begun.intent.id} did not complete`);
      if (i >= DRAWS.warmup) returnSamples.push(done.ms);
    }
    const returnCommit = summarize(returnSamples);

    // --- audit chain verification, as the terminal does it: in a worker thread ---------
    log('verifying the audit chain ...');
    const rssBeforeVerifyMb = process.memoryUsage().rss / (1024 * 1024);
    const verified = await timeMsAsync(() => workerChainWalker(join(dataDir, 'armoury.db')).walk());
    if (!verified.value.ok) throw new Error(`audit chain broken at ${verified.value.firstBrokenSeq}: ${verified.value.reason}`);
    const auditRows = verified.value.rows;
    const verifyRowsPerS = auditRows / (verified.ms / 1000);
    // The same walk on the main thread, for the figure without a worker's start-up (not what the terminal runs).
    const inProcess = timeMs(() => new AuditLog(live).verify());
    const verifyInProcessRowsPerS = auditRows / (inProcess.ms / 1000);

    // --- armourer console queries on this database (plus 5,000 open loans) -------------
    live.close();
    db = null;
    log('timing the console queries ...');
    const consoleFigures = await measureConsole(join(dataDir, 'armoury.db'));

    // --- start-up on this database ---------------------------------------------------
    log('timing start-up ...');
    const startups: number[] = [];
    for (let i = 0; i < STARTUPS; i++) {
      const started = await timeMsAsync(() => startKiosk({ dataDir, resourcesDir: RESOURCES, demo: true, log: () => {} }));
      startups.push(started.ms);
      await started.value.close();
    }
    // The first start is what an officer waits for after a reboot; later ones are warmer.
    const startupMs = startups[0] as number;

    const benchRssMb = process.memoryUsage().rss / (1024 * 1024);

    // --- the terminal as its own process, as a site runs it -----------------------------
    log('running the built terminal on this database (console session, whole-chain walk) ...');
    const terminal = await measureTerminalProcess(dataDir, BENCH_ARMOURER);
    log('touching the terminal while it walks the whole chain, then imports 100,000 training records ...');
    const heavy = await measureTouchDuringHeavyWork(dataDir, BENCH_ARMOURER);

    // --- scan to unlock over real ptys (its own small demo database) ------------------
    log(`timing scan-to-unlock over socat ptys (${SCAN_TO_UNLOCK_RUNS} returns) ...`);
    const scanToUnlock = await measureScanToUnlock(RESOURCES, SCAN_TO_UNLOCK_RUNS, log);
    log(`timing ${COLLECTION_RUNS} collections of a staged booking, PIN accepted to unlock frame, over ptys ...`);
    const collectionToUnlock = await measureCollectionToUnlock(RESOURCES, COLLECTION_RUNS, log);

    // --- the same and more with the terminal as its own process, Chromium and the room -----
    log('peer-style: the terminal as its own process over ptys, with Chromium ...');
    const peer = await measurePeerStyle(RESOURCES, log, PEER_OPTIONS);

    // --- training records import (its own 10,000-officer database, 100,000-row file) ---
    log('timing a 100,000-row training import ...');
    const training = await measureTrainingImport();

    log(`timing door choices among ${DOOR_CHOICE.doors.toLocaleString('en-GB')} doors ...`);
    const doorChoice = measureDoorChoice();
    log(`timing lot recalls over a ledger of ${RECALL_QUERY.ledgerEntries.toLocaleString('en-GB')} entries ...`);
    const recall = measureRecallQuery();

    // --- the estate, on a PostgreSQL of its own (skipped, saying why, without one) ---------
    const estate = POSTGRES_MISSING === null ? await measureEstate(log) : null;
    if (estate === null) log(`estate section skipped: ${POSTGRES_MISSING}`);

    // --- report ------------------------------------------------------------------------
    const rows: Row[] = [
      ['decision_p50_ms', decision.p50, null],
      ['decision_p99_ms', decision.p99, { op: '<=', limit: 2 }],
      ['draw_commit_p50_ms', drawCommit.p50, null],
      ['draw_commit_p99_ms', drawCommit.p99, null],
      ['return_commit_p50_ms', returnCommit.p50, null],
      ['return_commit_p99_ms', returnCommit.p99, null],
      ['draw_cpu_p50_ms', drawCpu.p50, null],
      ['floor_commit_p50_ms', floorCommitStats.p50, null],
      ['floor_commit_p99_ms', floorCommitStats.p99, null],
      ['draw_to_floor_ratio', drawCommit.p50 / floorCommitStats.p50, { op: '<=', limit: 1.5 }],
      ['audit_verify_rows_per_s', verifyRowsPerS, { op: '>=', limit: 500_000 }],
      ['audit_verify_in_process_rows_per_s', verifyInProcessRowsPerS, null],
      ['startup_ms', startupMs, { op: '<=', limit: 500 }],
      ['rss_mb', terminal.rssMb, { op: '<=', limit: 200 }],
      ['terminal_peak_rss_mb', terminal.peakRssMb, null],
      ['terminal_first_timeline_ms', terminal.firstTimelineMs, null],
      ['bench_process_rss_before_verify_mb', rssBeforeVerifyMb, null],
      ['bench_process_rss_mb', benchRssMb, null],
      ['scan_to_unlock_in_process_p50_ms', scanToUnlock.p50, null],
      ['scan_to_unlock_in_process_p99_ms', scanToUnlock.p99, { op: '<=', limit: 15 }],
      ['collection_to_unlock_p50_ms', collectionToUnlock.p50, null],
      ['collection_to_unlock_p99_ms', collectionToUnlock.p99, { op: '<=', limit: 15 }],
      ...peerStyleRows(peer),
      ['training_import_rows_per_s', training.rowsPerS, { op: '>=', limit: 50_000 }],
      ['door_choice_p50_ms', doorChoice.choice.p50, null],
      ['door_choice_p99_ms', doorChoice.choice.p99, { op: '<=', limit: 5 }],
      ['recall_query_p50_ms', recall.query.p50, null],
      ['recall_query_p99_ms', recall.query.p99, { op: '<=', limit: 20 }],
      ['training_import_write_wait_first_ms', training.writeWaitFirstMs, null],
      ['training_import_write_wait_reimport_ms', training.writeWaitReimportMs, null],
      ['touch_during_verify_p99_ms', heavy.duringVerify.p99, { op: '<=', limit: 15 }],
      ['touch_during_import_p99_ms', heavy.duringImport.p99, { op: '<=', limit: 15 }],
      ['touch_during_import_worker_p99_ms', heavy.duringImportWorker.p99, null],
      ['board_p99_ms', consoleFigures.board_p99_ms, { op: '<=', limit: 20 }],
      ['mobilisation_p99_ms', consoleFigures.mobilisation_p99_ms, { op: '<=', limit: 20 }],
      ['timeline_p99_ms', consoleFigures.timeline_p99_ms, { op: '<=', limit: 20 }],
      ['board_after_loan_change_p99_ms', consoleFigures.board_after_loan_change_p99_ms, null],
      ['mobilisation_after_loan_change_p99_ms', consoleFigures.mobilisation_after_loan_change_p99_ms, null],
      ['mobilisation_after_reference_change_p99_ms', consoleFigures.mobilisation_after_reference_change_p99_ms, null],
      ['board_loaded_p99_ms', consoleFigures.board_loaded_p99_ms, { op: '<=', limit: 20 }],
      ['mobilisation_loaded_p99_ms', consoleFigures.mobilisation_loaded_p99_ms, { op: '<=', limit: 20 }],
      ['site_load_cores', consoleFigures.site_load_cores, null],
      ['machine_busy_quiet_percent', consoleFigures.machine_busy_quiet_percent, null],
      ['machine_busy_loaded_percent', consoleFigures.machine_busy_loaded_percent, null],
      ...(estate === null ? [] : estateRows(estate)),
    ];
    printTable(rows);
    log('');
    log(`data: ${describeData({ ...data, auditRows })}`);
    log(`lot recall: ${RECALL_QUERY.ledgerEntries.toLocaleString('en-GB')} ledger entries over ${RECALL_QUERY.lots} lots and ${RECALL_QUERY.officers.toLocaleString('en-GB')} officers; about ${recall.holdersPerLot} holders listed per lot`);
    log(`door choice: ${DOOR_CHOICE.doors.toLocaleString('en-GB')} doors of four sizes and four purposes, ${Math.round(DOOR_CHOICE.filled * 100)}% holding something; ${DOOR_CHOICE.choices.toLocaleString('en-GB')} choices of random fits with up to 4 doors reading occupied (${doorChoice.none} found none)`);
    log(`build: ${(built.ms / 1000).toFixed(1)} s; decisions allowed ${allowed}/${decision.n}; start-ups ${startups.map((s) => s.toFixed(0)).join(', ')} ms`);
    log(describeSamples('decision', decision));
    log(describeSamples('draw commit', drawCommit));
    log(describeSamples('return commit', returnCommit));
    log(describeSamples('floor commit', floorCommitStats));
    log(describeSamples('draw, no fsync', drawCpu));
    log(describeSamples('scan to unlock (in process)', scanToUnlock));
    log(describeSamples('peer-style scan to unlock', peer.scanToUnlock));
    log(describeSamples('peer-style touch to unlock', peer.touchToUnlock));
    log(`training import: ${training.rows.toLocaleString('en-GB')} rows against ${training.officers.toLocaleString('en-GB')} officers in ${training.ms.toFixed(0)} ms`);
    log(`${describeSamples('touches during the walk', heavy.duringVerify)} (walk ${heavy.verifyMs.toFixed(0)} ms); ${describeSamples('during the upload', heavy.duringImport)} (${heavy.importMs.toFixed(0)} ms, ${heavy.imported.changed} records changed)`);

    if (args.json) {
      const json = {
        ...Object.fromEntries(rows.map(([name, value]) => [name, fixed(value)])),
        ...peerStyleJson(peer),
        decisions_measured: decision.n,
        commits_measured: drawCommit.n,
        build_ms: fixed(built.ms, 0),
        startup_runs_ms: startups.map((s) => fixed(s, 1)),
        data: {
          officers: data.officers,
          qualifications: data.qualifications,
          assets: data.assets,
          audit_rows: auditRows,
          open_loans: data.openLoans,
          doors: data.doors,
        },
      };
      writeFileSync(args.json, `${JSON.stringify(json, null, 2)}\n`);
      log(`wrote ${args.json}`);
    }
  } finally {
    db?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The estate section alone (`--estate`): its own PostgreSQL, no synthetic database; skipped, saying why, without PostgreSQL. */
async function estateOnly(): Promise<void> {
  if (POSTGRES_MISSING !== null) {
    log(`estate section skipped: ${POSTGRES_MISSING}`);
    return;
  }
  const figures = await measureEstate(log);
  printTable(estateRows(figures));
  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify({ ...Object.fromEntries(estateRows(figures).map(([name, value]) => [name, fixed(value)])), estate_sizes: ESTATE_BENCH }, null, 2)}\n`);
    log(`wrote ${args.json}`);
  }
}

function estateRows(figures: EstateFigures): Row[] {
  return [
    ['estate_ingest_events_per_s', figures.ingestEventsPerS, { op: '>=', limit: 5000 }],
    ['estate_catchup_s', figures.catchupS, { op: '<=', limit: 5 }],
    ['estate_reference_fanout_s', figures.fanoutS, { op: '<=', limit: 10 }, `${figures.fanoutTerminals} terminals, not the issue's 90`],
  ];
}

/** The estate simulation (`--estate-sim`, see estate-sim.ts): 90 terminal cores through a shift change against one PostgreSQL. */
async function estateSimulation(): Promise<void> {
  if (POSTGRES_MISSING !== null) {
    log(`estate simulation skipped: ${POSTGRES_MISSING}`);
    return;
  }
  const sim = await simulateEstate(log);
  const rows: Row[] = [
    ['estate_reference_fanout_s', sim.trainingFanoutS, { op: '<=', limit: 10 }, `a ${sim.officers.toLocaleString('en-GB')}-row training import, from its start`],
    ['estate_mobilisation_p99_ms', sim.mobilisation.p99, { op: '<=', limit: 50 }, 'armed, qualified and available per site and type, from its own process'],
    ['estate_mobilisation_lists_p99_ms', sim.picture.p99, null, 'the same with every name (the C2 feed and the console)'],
    ['estate_page_p99_ms', sim.page.p99, null, 'the control-room page, from the same process'],
    ['estate_ingest_events_per_s', sim.eventsPerS, null, 'as fast as the shift change made them'],
    ['estate_catchup_s', sim.catchupS, { op: '<=', limit: 5 }],
    ['estate_events_missing', sim.missing, { op: '<=', limit: 0 }],
    ['estate_events_doubled', sim.doubled, { op: '<=', limit: 0 }],
  ];
  printTable(rows);
  log('');
  log(`data: ${sim.terminals} terminals (${ESTATE_SIM.sites} sites) in ${ESTATE_SIM.processes} processes, ${sim.officers.toLocaleString('en-GB')} officers (${sim.availableBefore.toLocaleString('en-GB')} counted available before the shift); ${sim.cycles.toLocaleString('en-GB')} Taser draws and returns in ${sim.shiftS.toFixed(1)} s; ${sim.eventsStored.toLocaleString('en-GB')} events stored; ${ESTATE_SIM.cutOff} terminals cut off for the first half`);
  log(`officers, roles and records (${(sim.officers * 3).toLocaleString('en-GB')} rows) at every terminal in ${sim.officersFanoutS.toFixed(1)} s; the training import itself ${sim.trainingImportS.toFixed(1)} s; page failures ${sim.pageFailures}`);
  log(describeSamples('estate mobilisation (counts) during the shift change', sim.mobilisation));
  log(describeSamples('estate mobilisation with its lists during the shift change', sim.picture));
  log(describeSamples('control-room page during the shift change', sim.page));
  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify({ ...Object.fromEntries(rows.map(([name, value]) => [name, fixed(value)])), estate_sim_sizes: { ...ESTATE_SIM, cycles: sim.cycles, events: sim.eventsStored } }, null, 2)}\n`);
    log(`wrote ${args.json}`);
  }
}

/** The peer-style section alone: its own demo-site terminal, no synthetic database. */
async function peerStyleOnly(): Promise<void> {
  log('peer-style: the terminal as its own process over ptys, with Chromium (demo site: 50 officers, 34 assets, 16 doors) ...');
  const peer = await measurePeerStyle(RESOURCES, log, PEER_OPTIONS);
  printTable(peerStyleRows(peer));
  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify(peerStyleJson(peer), null, 2)}\n`);
    log(`wrote ${args.json}`);
  }
}

/** The peer-style keys; the flush counts only when strace could count them. */
function peerStyleRows(peer: PeerStyleFigures): Row[] {
  const screenCaveat = peer.screenAheadOfSensor > 0 ? `n/a: screen ahead of sensor in ${peer.screenAheadOfSensor} draws` : undefined;
  const rows: Row[] = [
    ['scan_to_unlock_p50_ms', peer.scanToUnlock.p50, { op: '<=', limit: 1.5 }],
    ['scan_to_unlock_p99_ms', peer.scanToUnlock.p99, { op: '<=', limit: 5 }],
    ['touch_to_unlock_p50_ms', peer.touchToUnlock.p50, null],
    ['touch_to_unlock_p99_ms', peer.touchToUnlock.p99, { op: '<=', limit: 15 }],
    ['unlock_to_confirm_p50_ms', peer.unlockToConfirm.p50, { op: '<=', limit: 60 }],
    ['unlock_to_confirm_p99_ms', peer.unlockToConfirm.p99, null],
    ['sensor_to_screen_p50_ms', peer.sensorToScreen.p50, null, screenCaveat],
    ['sensor_to_screen_p99_ms', peer.sensorToScreen.p99, { op: '<=', limit: 50 }, screenCaveat],
  ];
  if (peer.fsyncs.ok) rows.push(['fsyncs_per_draw', peer.fsyncs.perDraw, null], ['fsyncs_per_return', peer.fsyncs.perReturn, null]);
  return rows;
}

function peerStyleJson(peer: PeerStyleFigures): Record<string, unknown> {
  return {
    ...Object.fromEntries(peerStyleRows(peer).map(([name, value]) => [name, fixed(value)])),
    peer_style_samples: { scan_to_unlock: peer.scanToUnlock.n, touch_to_unlock: peer.touchToUnlock.n, unlock_to_confirm: peer.unlockToConfirm.n, sensor_to_screen: peer.sensorToScreen.n },
    sensor_to_screen_screen_ahead: peer.screenAheadOfSensor,
    ...(peer.fsyncs.ok ? {} : { fsyncs_skipped: peer.fsyncs.why }),
  };
}

/** Build the database in a child process; see synthetic-db.ts for why. */
function buildInChild(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./synthetic-db.ts', import.meta.url), [path], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the synthetic database failed (exit ${code})`))));
  });
}

/** What the benchmark draws with, read back from the built database. */
function syntheticIds(db: Db): { bankId: number; officerIds: number[]; assetTypeIds: number[] } {
  const bankId = bankIdByName(db, BANK_NAME);
  if (bankId === undefined) throw new Error(`no locker bank "${BANK_NAME}" in the synthetic database`);
  const ids = (sql: string) => db.prepare<[], { id: number }>(sql).all().map((r) => r.id);
  return { bankId, officerIds: ids('SELECT id FROM officers ORDER BY id'), assetTypeIds: ids('SELECT id FROM asset_types ORDER BY id') };
}

interface DataSizes {
  officers: number;
  qualifications: number;
  assets: number;
  doors: number;
  openLoans: number;
  auditRows: number;
}

function countData(db: Db): DataSizes {
  const count = (sql: string) => db.prepare<[], { n: number }>(sql).get()?.n ?? 0;
  return {
    officers: count('SELECT count(*) AS n FROM officers'),
    qualifications: count('SELECT count(*) AS n FROM officer_qualifications'),
    assets: count('SELECT count(*) AS n FROM assets'),
    doors: count('SELECT count(*) AS n FROM doors'),
    openLoans: count('SELECT count(*) AS n FROM loans WHERE returned_at IS NULL'),
    auditRows: count('SELECT count(*) AS n FROM audit_log'),
  };
}

function describeData(d: DataSizes): string {
  const n = (x: number) => x.toLocaleString('en-GB');
  return `${n(d.officers)} officers, ${n(d.qualifications)} qualification records, ${n(d.assets)} assets, ${n(d.doors)} doors, ${n(d.openLoans)} open loans, ${n(d.auditRows)} audit rows`;
}

function describeSamples(name: string, s: Summary): string {
  return `${name}: n=${s.n} p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms, mean ${s.mean.toFixed(3)} ms, max ${s.max.toFixed(3)} ms`;
}

function printTable(rows: readonly Row[]): void {
  const format = (x: number) => (Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-GB') : x.toFixed(3));
  const lines = rows.map(([name, value, target, caveat]) => [
    name,
    format(value),
    target ? `${target.op} ${format(target.limit)}` : '',
    caveat ?? (target ? ((target.op === '<=' ? value <= target.limit : value >= target.limit) ? 'yes' : 'NO') : ''),
  ]);
  const header = ['metric', 'value', 'target', 'meets'];
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => (l[c] as string).length)));
  const render = (cells: readonly string[]) => cells.map((cell, c) => (c === 1 ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number))).join('  ').trimEnd();
  log('');
  log(render(header));
  log(render(widths.map((w) => '-'.repeat(w))));
  for (const line of lines) log(render(line));
}

await (args['peer-style'] ? peerStyleOnly() : args.estate ? estateOnly() : args['estate-sim'] ? estateSimulation() : main());
