/**
 * Touches while heavy work runs in the terminal: the built terminal as its own process (see
 * terminal-process.ts), with a touch's request sent every TOUCH_EVERY_MS and each answer timed,
 * first while the console's first timeline waits for the whole audit chain's walk (worker
 * threads), then while a 100,000-row training export is uploaded, checked and applied (the
 * import worker). A touch is `stillHere`, what the renderer sends on every pointer-down; it is
 * answered with the kiosk's snapshot, as every request is. Target: p99 at most 15 ms for each.
 *
 * The terminal runs live, as a site runs it: its card reader (RDM6300) and locker board (Kerong)
 * are the simulators on socat ptys. In demo mode every snapshot also lists the simulator
 * panel's tags, all 20,000 of the bench's assets (1.4 MB, about 110 ms to read), which would be
 * what the touches measured.
 *
 * Run on its own as `node --import tsx test/bench/touch-during-heavy-work.ts DATA_DIR` on a
 * data directory whose armoury.db synthetic-db.ts built (after `npm run build`). It adds the
 * training bench's qualification codes to that database and imports records into it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AuditAnchorView, TrainingImportView } from '../../preload/contract.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { MAX_IN_FLIGHT_PER_SOCKET } from '../../main/shell/browser-shell.ts';
import { systemClock } from '../../main/system-time.ts';
import { Rdm6300Simulator } from '../../native-bridges/card-reader/rdm6300-simulator.ts';
import { KerongSimulator } from '../../native-bridges/locker-kerong/simulator.ts';
import { openPtyPair } from '../../native-bridges/sim-args.ts';
import { openSerialTransport } from '../../native-bridges/transport/serial-transport.ts';
import { summarize, type Summary } from './stats.ts';
import { startTerminal, type TerminalProcess } from './terminal-process.ts';
import { ensureBenchQualifications, trainingCsv } from './training-import.ts';

/**
 * About as often as a finger can tap, and under the browser shell's message allowance (50 a
 * second), which the touches share with the work's own requests.
 */
const TOUCH_EVERY_MS = 20;
const IMPORT_ROWS = 100_000;

export interface HeavyWorkFigures {
  /** Touches answered while the console's first timeline waited for the whole chain's walk. */
  duringVerify: Summary;
  verifyMs: number;
  /** Touches answered from the upload's sending to its report: the whole import, the upload's own arrival included. */
  duringImport: Summary;
  /**
   * The same, of the touches sent once the terminal had taken the upload in (see touchesDuring):
   * while the import worker checked and wrote the file.
   */
  duringImportWorker: Summary;
  importMs: number;
  imported: TrainingImportView;
  officers: number;
}

interface Touches<T> {
  all: number[];
  /** Touches sent after the first one was answered. */
  afterFirst: number[];
  ms: number;
  value: T;
}

/**
 * Touch every TOUCH_EVERY_MS from the moment `work` sends its request until it and every touch
 * sent meanwhile are answered. The first touch goes right behind the work's request on the same
 * socket, so its answer marks when the terminal had taken that request in (a large upload
 * arrives, is parsed and validated on the main thread before anything behind it is read).
 */
async function touchesDuring<T>(terminal: TerminalProcess, work: () => Promise<T>): Promise<Touches<T>> {
  const all: number[] = [];
  const afterFirst: number[] = [];
  const refusals: string[] = [];
  const answered: Promise<void>[] = [];
  let firstAnsweredAt: number | null = null;
  const touch = () => {
    const sent = performance.now();
    answered.push(
      terminal.call('stillHere', {}).then((answer) => {
        const at = performance.now();
        firstAnsweredAt ??= at;
        if (!answer.ok) refusals.push(answer.error?.message ?? 'refused');
        else {
          all.push(at - sent);
          if (sent > firstAnsweredAt) afterFirst.push(at - sent);
        }
      }),
    );
  };
  const started = performance.now();
  const done = work();
  touch();
  const timer = setInterval(touch, TOUCH_EVERY_MS);
  let value: T;
  try {
    value = await done;
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - started;
  await Promise.all(answered);
  if (refusals.length > 0) throw new Error(`${refusals.length} of ${answered.length} touches were refused (${refusals[0]}): the terminal fell ${MAX_IN_FLIGHT_PER_SOCKET * TOUCH_EVERY_MS} ms or more behind`);
  return { all, afterFirst, ms, value };
}

/** Waits for the start-up check of the audit trail (a whole walk of its own) to finish, so it does not overlap the one timed. */
async function startUpCheckDone(terminal: TerminalProcess): Promise<void> {
  for (;;) {
    const answer = await terminal.call('getAuditAnchor', {});
    if (!answer.ok) throw new Error(`getAuditAnchor: ${answer.error?.message ?? 'refused'}`);
    const { trail } = answer.value as AuditAnchorView;
    if (trail.state === 'verified') return;
    if (trail.state === 'failed') throw new Error(`the bench database's audit trail failed its check: ${trail.message ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const RESOURCES = new URL('../../resources/', import.meta.url).pathname;

/**
 * The room of a live terminal with the default configuration's one board (16 doors, each
 * stocked, as the bench database says) and a 125 kHz card reader, on ptys; its configuration file.
 */
async function liveRoom(dir: string, cleanups: (() => Promise<void> | void)[]): Promise<{ configPath: string; tap: (card: string) => Promise<void> }> {
  const bus = await openPtyPair(dir, { names: ['bus-app', 'bus-sim'] });
  cleanups.push(() => bus.close());
  const card = await openPtyPair(dir, { names: ['card-app', 'card-sim'] });
  cleanups.push(() => card.close());
  const boards = new KerongSimulator(await openSerialTransport(bus.simPath, 19200), { boards: [0] });
  cleanups.push(() => boards.close());
  for (let lock = 0; lock < 16; lock++) boards.setItemPresent(0, lock, true);
  const reader = new Rdm6300Simulator(await openSerialTransport(card.simPath, 9600));
  cleanups.push(() => reader.close());
  const config = JSON.parse(readFileSync(join(RESOURCES, 'default-terminal-config.json'), 'utf8')) as Record<string, unknown> & { lockerBank: { buses: Record<string, unknown>[] } };
  config.lockerBank.buses[0] = { ...config.lockerBank.buses[0], link: { kind: 'serial', path: bus.appPath, baudRate: 19200 } };
  config.cardReaders = [{ id: 'reader', kind: 'rdm6300', link: { kind: 'serial', path: card.appPath, baudRate: 9600 } }];
  config.scanners = [];
  config.video = { policy: 'off', camera: 'CAM-1', triggers: [] };
  const configPath = join(dir, 'terminal-config.json');
  writeFileSync(configPath, JSON.stringify(config));
  return { configPath, tap: (uid) => reader.tap(uid) };
}

/** `admin` must be an armourer and a site admin of the database in `dataDir` (officer 0 of the synthetic force). */
export async function measureTouchDuringHeavyWork(dataDir: string, admin: { card: string; pin: string }): Promise<HeavyWorkFigures> {
  const db = openDatabase(join(dataDir, 'armoury.db'));
  let officers: number;
  try {
    ensureBenchQualifications(db);
    officers = db.prepare<[], number>('SELECT count(*) FROM officers').pluck().get() ?? 0;
  } finally {
    db.close();
  }
  // The synthetic force's collar numbers are the training bench's: every record names a known officer and code.
  const base64 = Buffer.from(trainingCsv(IMPORT_ROWS, officers, systemClock.now())).toString('base64');
  const dir = mkdtempSync(join(tmpdir(), 'armoury-touch-bench-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const room = await liveRoom(dir, cleanups);
    const terminal = await startTerminal(dataDir, ['--live', '--config', room.configPath]);
    cleanups.push(() => terminal.stop());
    await terminal.signIn(admin, room.tap);
    await terminal.must('openConsole', {});
    await startUpCheckDone(terminal);
    // One door's timeline: a few hundred rows to show, so what it waits for is the walk.
    const verify = await touchesDuring(terminal, () => terminal.must('getTimeline', { by: 'door', value: '1', from: null, to: null }));
    await terminal.must('openTraining', {});
    const upload = await touchesDuring(terminal, () => terminal.call('importTraining', { fileName: 'force-export.csv', base64 }));
    if (!upload.value.ok) throw new Error(`the bench upload was refused: ${upload.value.error?.message ?? ''}`);
    const imported = upload.value.value as TrainingImportView;
    if (imported.status !== 'applied') throw new Error(`the bench upload was ${imported.status}: ${imported.problems[0]?.message ?? ''}`);
    return {
      duringVerify: summarize(verify.all),
      verifyMs: verify.ms,
      duringImport: summarize(upload.all),
      duringImportWorker: summarize(upload.afterFirst),
      importMs: upload.ms,
      imported,
      officers,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: touch-during-heavy-work.ts DATA_DIR');
  console.log(JSON.stringify(await measureTouchDuringHeavyWork(dataDir, { card: '0410000000', pin: '1234' }), null, 2));
}
