/**
 * The estate simulation (`npm run bench -- --estate-sim`): 45 sites × 2 terminals against one
 * PostgreSQL holding 10,000 officers, through a shift change in which every one of them draws a
 * Taser and returns it.
 *
 * - The terminals run in a few processes of their own (estate-sim-terminals.ts; 2 by default,
 *   one per core), each terminal a real terminal core (door intents, decision, ledger, audit log)
 *   on its own SQLite file with its own EstatePublisher and ReferencePuller.
 * - The control room runs in another (estate-sim-probe.ts): the estate-wide mobilisation every
 *   200 ms and the control-room page every second, each timed.
 * - This process is the estate's side: the database, the reference data, a 10,000-row training
 *   import through the estate's own import (main/estate/estate-import.ts), and the TCP proxies
 *   that cut two terminals off for the first half of the shift change.
 *
 * It prints how long the officers and then the training import took to reach all 90
 * terminals, the mobilisation's and the page's times during the shift change, events stored per
 * second, the cut-off terminals' catch-up, and, for every terminal, that the estate holds exactly
 * its audit log, no row missing and none twice.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { addSite, addTerminal } from '../../estate/admin.ts';
import { EstateMobilisation } from '../../estate/mobilisation.ts';
import type { Db } from '../../main/core/db/database.ts';
import { importIntoEstate } from '../../main/estate/estate-import.ts';
import { startTestEstate } from '../helpers/postgres.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { join, seededDb, tempDir } from '../helpers/temp-db.ts';
import type { FromProbe, FromTerminals, SimTerminalSpec, ToTerminals } from './estate-sim-messages.ts';
import { summarize, type Summary } from './stats.ts';

export const ESTATE_SIM = {
  sites: Number(process.env.ESTATE_SIM_SITES ?? 45),
  terminalsPerSite: 2,
  officers: Number(process.env.ESTATE_SIM_OFFICERS ?? 10_000),
  cutOff: 2,
  processes: Number(process.env.ESTATE_SIM_PROCESSES ?? 2),
};

export interface EstateSimFigures {
  terminals: number;
  officers: number;
  /** The officers, their roles and records (3 rows each) at every terminal, from the pullers' start. */
  officersFanoutS: number;
  /** The training import itself: checked by the terminals' import code and put in the estate. */
  trainingImportS: number;
  /** From the import's start until every terminal holds all its records. */
  trainingFanoutS: number;
  shiftS: number;
  cycles: number;
  eventsStored: number;
  eventsPerS: number;
  /** The estate-wide mobilisation's counts (the page's read), from the probe's process during the shift change. */
  mobilisation: Summary;
  /** The whole picture with its lists (the C2 feed's and a console's read), from the same process. */
  picture: Summary;
  /** The control-room page, from the same process. */
  page: Summary;
  pageFailures: number;
  /** Officers counted available estate-wide before the shift change (all 10,000 are qualified). */
  availableBefore: number;
  catchupS: number;
  missing: number;
  doubled: number;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const RENEWED_ON = '2026-11-01';

async function until(ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > deadline) throw new Error(`estate simulation: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A child process and the messages it has sent, to wait on. */
class Child<M extends { type: string }> {
  private readonly received: M[] = [];
  private failure: string | null = null;

  constructor(readonly process: ChildProcess) {
    process.on('message', (message: M) => {
      if (message.type === 'failed') this.failure = (message as unknown as { message: string }).message;
      this.received.push(message);
    });
    process.on('exit', (code) => {
      if (code !== 0 && code !== null) this.failure ??= `exited with ${code}`;
    });
  }

  send(message: unknown): void {
    this.process.send(message as never);
  }

  /** The next message of this type not taken yet. */
  async next<T extends M['type']>(type: T, ms = 600_000): Promise<Extract<M, { type: T }>> {
    let found: M | undefined;
    await until(
      () => {
        if (this.failure !== null) throw new Error(`estate simulation: a child process failed: ${this.failure}`);
        const index = this.received.findIndex((m) => m.type === type);
        if (index < 0) return false;
        found = this.received.splice(index, 1)[0];
        return true;
      },
      ms,
      `a child's ${type}`,
    );
    return found as Extract<M, { type: T }>;
  }
}

const forkChild = <M extends { type: string }>(file: string, args: string[] = []) => new Child<M>(fork(here(file), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));

/** The demo site's own qualifications, types and rules, as every simulated terminal is seeded with them: the estate's too. */
async function demoReferenceRows(): Promise<Record<string, unknown[]>> {
  const { dir, cleanup } = tempDir('armoury-estate-sim-demo-');
  let db: Db | null = null;
  try {
    db = await seededDb(join(dir, 'armoury.db'), new Date('2026-11-21T10:00:00Z'));
    const rows: Record<string, unknown[]> = {};
    for (const table of ['qualifications', 'asset_types', 'asset_type_requirements', 'asset_type_rules']) rows[table] = db.prepare(`SELECT * FROM ${table}`).all();
    return rows;
  } finally {
    db?.close();
    cleanup();
  }
}

export async function simulateEstate(log: (line: string) => void): Promise<EstateSimFigures> {
  const estate = await startTestEstate();
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const { sites, terminalsPerSite, officers, cutOff, processes } = ESTATE_SIM;
    const count = sites * terminalsPerSite;
    log(`estate simulation: ${sites} sites × ${terminalsPerSite} terminals in ${processes} processes, ${officers.toLocaleString('en-GB')} officers ...`);

    // --- the estate's reference data: every officer at a home site, their role and an in-date Taser record ---
    const put = async (table: string, rows: unknown[]) => estate.admin.query('SELECT estate.put_reference($1, $2::jsonb)', [table, JSON.stringify(rows)]);
    const demo = await demoReferenceRows();
    for (const [table, rows] of Object.entries(demo)) await put(table, rows);
    const taserCode = (demo.qualifications?.[0] as { code?: string } | undefined)?.code;
    if (taserCode === undefined) throw new Error('estate simulation: the demo site has no qualification');
    // Reference site ids clear of the demo site's own (1) at each terminal.
    await put('sites', Array.from({ length: sites }, (_, s) => ({ id: 101 + s, name: `Site ${s + 1}` })));
    for (let s = 0; s < sites; s++) await addSite(estate.admin, `site-${s + 1}`, `Site ${s + 1}`, 101 + s);
    const people = Array.from({ length: officers }, (_, i) => 1000 + i);
    const terminalOf = (i: number) => i % count;
    const homeSite = (i: number) => 101 + Math.floor(terminalOf(i) / terminalsPerSite);
    // Collar numbers well clear of the demo seed's own officers at each terminal (a duplicate would refuse the pull, rightly).
    await put('officers', people.map((id, i) => ({ id, collar_number: `PC ${50_000 + id}`, display_name: `Officer ${id}`, status: 'active', site_id: homeSite(i), created_at: '2026-11-01T09:00:00.000Z', unit: null, left_on: null })));
    await put('officer_roles', people.map((id) => ({ officer_id: id, role: 'officer' })));
    await put('officer_qualifications', people.map((id) => ({ officer_id: id, qualification_id: 1, awarded_on: '2026-06-01', expires_on: '2027-06-01', source: 'estate', recorded_at: '2026-11-01T09:00:00.000Z', import_id: null, valid_until: '2027-06-01' })));

    // --- the terminals, in processes of their own ---------------------------------------------
    const specs: SimTerminalSpec[] = [];
    const proxies: TcpProxy[] = [];
    for (let t = 0; t < count; t++) {
      const site = `site-${Math.floor(t / terminalsPerSite) + 1}`;
      const id = `${site}-t${(t % terminalsPerSite) + 1}`;
      const credentials = await addTerminal(estate.admin, id, site);
      const proxy = t < cutOff ? await startTcpProxy(estate.cluster.port) : null;
      if (proxy) {
        proxies.push(proxy);
        cleanups.push(() => proxy.close());
      }
      specs.push({ id, publishUrl: estate.urlFor(credentials.roleName, credentials.password, proxy?.port), referenceUrl: estate.urlFor(credentials.roleName, credentials.password), officers: people.filter((_, i) => terminalOf(i) === t) });
    }
    const children = Array.from({ length: processes }, () => forkChild<FromTerminals>('./estate-sim-terminals.ts'));
    cleanups.push(async () => {
      for (const child of children) child.send({ type: 'stop' } satisfies ToTerminals);
      await Promise.all(children.map((child) => new Promise((resolve) => (child.process.exitCode !== null ? resolve(null) : child.process.once('exit', resolve)))));
    });
    const all = async <T extends FromTerminals['type']>(message: ToTerminals, reply: T): Promise<Extract<FromTerminals, { type: T }>[]> => {
      for (const child of children) child.send(message);
      return Promise.all(children.map((child) => child.next(reply)));
    };
    const seededAt = new Date('2026-11-21T10:00:00Z').toISOString();
    children.forEach((child, p) => child.send({ type: 'init', terminals: specs.filter((_, t) => t % processes === p), seededAt, officers } satisfies ToTerminals));
    await Promise.all(children.map((child) => child.next('ready')));

    // --- fan-out: the officers at every terminal, then a 10,000-row training import ----------------
    const pullStart = Date.now();
    const reached = await all({ type: 'pull' }, 'officers-everywhere');
    const officersFanoutS = (Math.max(...reached.map((r) => r.at)) - pullStart) / 1000;
    log(`estate simulation: all ${officers.toLocaleString('en-GB')} officers, with their roles and records, at all ${count} terminals in ${officersFanoutS.toFixed(1)} s`);

    for (const child of children) child.send({ type: 'await-records', awardedOn: RENEWED_ON, count: officers } satisfies ToTerminals);
    const file = ['collar_number,qualification_code,awarded_on,expires_on', ...people.map((id) => `PC ${50_000 + id},${taserCode},${RENEWED_ON},2027-11-01`)].join('\n');
    const importStart = Date.now();
    const imported = await importIntoEstate(estate.admin, { kind: 'training', fileName: 'lms-refreshers.csv', content: Buffer.from(file), now: new Date() });
    const trainingImportS = (Date.now() - importStart) / 1000;
    if (imported.report.status !== 'applied') throw new Error(`estate simulation: the training import was ${imported.report.status}: ${JSON.stringify(imported.report.problems.slice(0, 3))}`);
    const recorded = await Promise.all(children.map((child) => child.next('records-everywhere')));
    const trainingFanoutS = (Math.max(...recorded.map((r) => r.at)) - importStart) / 1000;
    log(`estate simulation: a ${officers.toLocaleString('en-GB')}-row training import checked and put in ${trainingImportS.toFixed(1)} s, at all ${count} terminals ${trainingFanoutS.toFixed(1)} s after it began`);

    // --- the control room, from a process of its own ----------------------------------------------
    const probe = forkChild<FromProbe>('./estate-sim-probe.ts', [estate.cluster.adminUrl]);
    cleanups.push(() => {
      if (probe.process.exitCode === null) probe.process.kill();
    });
    await probe.next('ready');

    // --- the shift change, with two terminals cut off for its first half -------------------------
    await all({ type: 'publish' }, 'caught-up');
    const storedBefore = Number((await estate.admin.query<{ n: string }>('SELECT count(*) AS n FROM estate.events')).rows[0]?.n);
    // Every officer is qualified, and nobody holds a Taser yet.
    const reader = new pg.Client({ connectionString: estate.cluster.adminUrl });
    await reader.connect();
    await reader.query('SET ROLE estate_reader');
    const availableBefore = (await new EstateMobilisation().picture(reader, new Date())).totals.available;
    await reader.end();
    for (const proxy of proxies) proxy.cut();
    const shiftStart = performance.now();
    const rounds = Math.max(...specs.map((s) => s.officers.length));
    const half = Math.floor(rounds / 2);
    const firstHalf = await all({ type: 'shift', from: 0, to: half }, 'shift-done');
    // The link comes back: caught up once the estate holds everything they logged while cut off.
    const owed = specs.slice(0, cutOff).map((s) => ({ id: s.id, through: firstHalf.map((r) => r.lastSeq[s.id] ?? 0).reduce((a, b) => Math.max(a, b), 0) }));
    for (const proxy of proxies) proxy.restore();
    const restoredAt = performance.now();
    const catching = (async () => {
      for (const { id, through } of owed) {
        await until(async () => Number((await estate.admin.query<{ max: string | null }>('SELECT max(seq) AS max FROM estate.events WHERE terminal_id = $1', [id])).rows[0]?.max ?? 0) >= through, 300_000, `${id} to catch up`);
      }
      return (performance.now() - restoredAt) / 1000;
    })();
    const secondHalf = await all({ type: 'shift', from: half, to: rounds }, 'shift-done');
    const cycles = [...firstHalf, ...secondHalf].reduce((sum, r) => sum + r.cycles, 0);
    const logs = (await all({ type: 'report' }, 'audit')).flatMap((r) => r.logs);
    const total = logs.reduce((sum, l) => sum + l.rows, 0);
    await until(async () => Number((await estate.admin.query<{ n: string }>('SELECT count(*) AS n FROM estate.events')).rows[0]?.n) === total, 300_000, 'the estate to hold every event');
    const shiftS = (performance.now() - shiftStart) / 1000;
    const catchupS = await catching;
    probe.send({ type: 'stop' });
    const samples = await probe.next('samples');
    const eventsStored = total - storedBefore;

    // --- nothing lost, nothing twice: each terminal's log against the estate's copy -------------
    let missing = 0;
    let doubled = 0;
    for (const local of logs) {
      const held = (await estate.admin.query<{ n: string; d: string; max: string }>('SELECT count(*) AS n, count(DISTINCT seq) AS d, max(seq) AS max FROM estate.events WHERE terminal_id = $1', [local.id])).rows[0];
      missing += Math.max(0, local.rows - Number(held?.d));
      doubled += Number(held?.n) - Number(held?.d);
      if (Number(held?.max) !== local.maxSeq) missing += 1;
    }
    log(`estate simulation: ${cycles.toLocaleString('en-GB')} draws and returns in ${shiftS.toFixed(1)} s; ${eventsStored.toLocaleString('en-GB')} events stored; the cut-off terminals held everything they logged while cut off ${catchupS.toFixed(1)} s after the link came back, the shift change still running`);
    return {
      terminals: count,
      officers,
      officersFanoutS,
      trainingImportS,
      trainingFanoutS,
      shiftS,
      cycles,
      eventsStored,
      eventsPerS: eventsStored / shiftS,
      mobilisation: summarize(samples.mobilisation),
      picture: summarize(samples.pictures),
      page: summarize(samples.pages),
      pageFailures: samples.pageFailures,
      availableBefore,
      catchupS,
      missing,
      doubled,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await estate.stop();
  }
}
