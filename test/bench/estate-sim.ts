/**
 * The estate simulation (`npm run bench -- --estate-sim`): 45 sites × 2 terminals against one
 * PostgreSQL holding 10,000 officers, through a shift change in which every one of them draws a
 * Taser and returns it. Each terminal is a real terminal core (the door intents, the decision,
 * the ledger, the audit log) on its own SQLite file, with its own EstatePublisher and
 * ReferencePuller, all in this one process. Two terminals are cut off (a TCP proxy stops
 * forwarding) for the first half of the shift change and catch up afterwards.
 *
 * It prints: how long the 10,000 officers took to reach all 90 terminals; the estate's
 * items-out query (the control room's mobilisation picture) p50/p99 while the shift change
 * runs; events stored per second; the cut-off terminals' catch-up; and, for every terminal, that
 * the estate holds exactly its audit log, no row missing and none twice.
 */
import pg from 'pg';
import { addSite, addTerminal } from '../../estate/admin.ts';
import type { Db } from '../../main/core/db/database.ts';
import { EstatePublisher } from '../../main/estate/estate-publisher.ts';
import { ReferencePuller } from '../../main/estate/reference-puller.ts';
import { systemClock, systemScheduler } from '../../main/system-time.ts';
import { doorCore, type DoorCore } from '../helpers/door-core.ts';
import { startTestEstate } from '../helpers/postgres.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { join, seededDb, tempDir } from '../helpers/temp-db.ts';
import { summarize, type Summary } from './stats.ts';

export const ESTATE_SIM = { sites: Number(process.env.ESTATE_SIM_SITES ?? 45), terminalsPerSite: 2, officers: Number(process.env.ESTATE_SIM_OFFICERS ?? 10_000), cutOff: 2 };

export interface EstateSimFigures {
  terminals: number;
  officers: number;
  fanoutS: number;
  shiftS: number;
  cycles: number;
  eventsStored: number;
  eventsPerS: number;
  outNow: Summary;
  catchupS: number;
  missing: number;
  doubled: number;
}

interface SimTerminal {
  id: string;
  db: Db;
  core: DoorCore;
  publisher: EstatePublisher;
  puller: ReferencePuller;
  proxy: TcpProxy | null;
  officers: number[];
}

const TASER_TYPE = 1; // the demo seed's Taser 7, at every terminal
const TASER_QUALIFICATION = 1;

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function until(ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > deadline) throw new Error(`estate simulation: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function simulateEstate(log: (line: string) => void): Promise<EstateSimFigures> {
  const estate = await startTestEstate();
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const { sites, terminalsPerSite, officers, cutOff } = ESTATE_SIM;
    const count = sites * terminalsPerSite;
    log(`estate simulation: ${sites} sites × ${terminalsPerSite} terminals, ${officers.toLocaleString('en-GB')} officers ...`);

    // --- the estate's reference data: every officer, their role and an in-date Taser refresher ---
    const people = Array.from({ length: officers }, (_, i) => 1000 + i);
    const put = async (table: string, rows: unknown[]) => estate.admin.query('SELECT estate.put_reference($1, $2::jsonb)', [table, JSON.stringify(rows)]);
    // Collar numbers well clear of the demo seed's own officers at each terminal (a duplicate would refuse the pull, rightly).
    await put('officers', people.map((id) => ({ id, collar_number: `PC ${50_000 + id}`, display_name: `Officer ${id}`, status: 'active', site_id: 1, created_at: '2026-11-01T09:00:00.000Z', unit: null, left_on: null })));
    await put('officer_roles', people.map((id) => ({ officer_id: id, role: 'officer' })));
    await put('officer_qualifications', people.map((id) => ({ officer_id: id, qualification_id: TASER_QUALIFICATION, awarded_on: '2026-06-01', expires_on: '2027-06-01', source: 'estate', recorded_at: '2026-11-01T09:00:00.000Z', import_id: null, valid_until: '2027-06-01' })));

    // --- the terminals ---------------------------------------------------------------------
    const terminals: SimTerminal[] = [];
    const seededAt = new Date('2026-11-21T10:00:00Z');
    for (let s = 0; s < sites; s++) await addSite(estate.admin, `site-${s + 1}`, `Site ${s + 1}`);
    for (let t = 0; t < count; t++) {
      const id = `site-${Math.floor(t / terminalsPerSite) + 1}-t${(t % terminalsPerSite) + 1}`;
      const credentials = await addTerminal(estate.admin, id, `site-${Math.floor(t / terminalsPerSite) + 1}`);
      const { dir, cleanup } = tempDir('armoury-estate-sim-');
      const db = await seededDb(join(dir, 'armoury.db'), seededAt);
      const proxy = t < cutOff ? await startTcpProxy(estate.cluster.port) : null;
      const link = { db, scheduler: systemScheduler, now: () => new Date(), log: () => {} };
      const publisher = new EstatePublisher({ ...link, url: estate.urlFor(credentials.roleName, credentials.password, proxy?.port), idleMs: 250, retryMs: 100, maxRetryMs: 1000, timeoutMs: 2000 });
      const puller = new ReferencePuller({ ...link, url: estate.urlFor(credentials.roleName, credentials.password), pollMs: 60_000 });
      terminals.push({ id, db, core: doorCore(db, systemClock), publisher, puller, proxy, officers: people.filter((_, i) => i % count === t) });
      cleanups.push(async () => {
        await publisher.stop();
        await puller.stop();
        await proxy?.close();
        db.close();
        cleanup();
      });
    }

    // --- fan-out: the 10,000 officers at every terminal ----------------------------------------
    const fanoutStart = performance.now();
    for (const t of terminals) t.puller.start();
    const heldAt = terminals.map((t) => t.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM officer_qualifications WHERE officer_id >= 1000'));
    await until(() => heldAt.every((q) => q.get()?.n === officers), 600_000, `${officers} officers at all ${count} terminals`);
    const fanoutS = (performance.now() - fanoutStart) / 1000;
    log(`estate simulation: all ${officers.toLocaleString('en-GB')} officers, with their roles and records, at all ${count} terminals in ${fanoutS.toFixed(1)} s`);

    // --- the shift change, with two terminals cut off for its first half -------------------------
    for (const t of terminals) t.publisher.start();
    await until(() => terminals.every((t) => t.publisher.current().state === 'caught-up'), 120_000, 'every terminal to publish its seed rows');
    const storedBefore = Number((await estate.admin.query<{ n: string }>('SELECT count(*) AS n FROM estate.events')).rows[0]?.n);
    for (const t of terminals) t.proxy?.cut();

    const reader = new pg.Client({ connectionString: estate.cluster.adminUrl });
    await reader.connect();
    await reader.query('SET ROLE estate_reader');
    cleanups.push(() => reader.end());
    const outNowSamples: number[] = [];
    let shiftRunning = true;
    const watching = (async () => {
      while (shiftRunning) {
        const started = performance.now();
        await reader.query('SELECT * FROM estate.out_now');
        outNowSamples.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    const shiftStart = performance.now();
    const rounds = Math.max(...terminals.map((t) => t.officers.length));
    let cycles = 0;
    let catching: Promise<number> | null = null;
    for (let round = 0; round < rounds; round++) {
      if (catching === null && round >= rounds / 2) {
        // The link comes back: caught up once the estate holds everything they logged while cut off.
        const cut = terminals.filter((t) => t.proxy !== null);
        const owed = cut.map((t) => ({ id: t.id, through: t.db.prepare<[], { max: number }>('SELECT max(seq) AS max FROM audit_log').get()?.max ?? 0 }));
        for (const t of cut) t.proxy?.restore();
        const restoredAt = performance.now();
        catching = (async () => {
          for (const { id, through } of owed) {
            await until(async () => Number((await estate.admin.query<{ max: string | null }>('SELECT max(seq) AS max FROM estate.events WHERE terminal_id = $1', [id])).rows[0]?.max ?? 0) >= through, 300_000, `${id} to catch up`);
          }
          return (performance.now() - restoredAt) / 1000;
        })();
      }
      for (const t of terminals) {
        const officer = t.officers[round];
        if (officer === undefined) continue;
        const drawn = t.core.beginDraw(officer, TASER_TYPE);
        if (!drawn.ok) throw new Error(`estate simulation: ${t.id} refused officer ${officer} a Taser: ${drawn.message}`);
        const door = drawn.intent.doorNumber;
        t.core.observe([{ doorNumber: door, open: true, itemPresent: true }]);
        t.core.observe([{ doorNumber: door, open: false, itemPresent: false }]);
        const back = t.core.beginReturn(officer, drawn.intent.assetId);
        if (!back.ok) throw new Error(`estate simulation: ${t.id} refused a return: ${back.message}`);
        const returnDoor = back.intent.doorNumber;
        t.core.observe([{ doorNumber: returnDoor, open: true, itemPresent: false }]);
        t.core.observe([{ doorNumber: returnDoor, open: false, itemPresent: true }]);
        t.core.completeReturn(back.intent.id, 'ok');
        t.publisher.nudge();
        cycles++;
        // The publishers, pullers and the control room's reads share this thread with the terminals.
        await tick();
      }
    }
    const localTotal = () => terminals.reduce((sum, t) => sum + (t.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_log').get()?.n ?? 0), 0);
    const total = localTotal();
    await until(async () => Number((await estate.admin.query<{ n: string }>('SELECT count(*) AS n FROM estate.events')).rows[0]?.n) === total, 300_000, 'the estate to hold every event');
    const shiftS = (performance.now() - shiftStart) / 1000;
    const catchupS = catching === null ? 0 : await catching;
    shiftRunning = false;
    await watching;
    const eventsStored = total - storedBefore;

    // --- nothing lost, nothing twice: each terminal's log against the estate's copy -------------
    let missing = 0;
    let doubled = 0;
    for (const t of terminals) {
      const local = t.db.prepare<[], { n: number; max: number }>('SELECT count(*) AS n, max(seq) AS max FROM audit_log').get();
      const held = (await estate.admin.query<{ n: string; d: string; max: string }>('SELECT count(*) AS n, count(DISTINCT seq) AS d, max(seq) AS max FROM estate.events WHERE terminal_id = $1', [t.id])).rows[0];
      missing += Math.max(0, (local?.n ?? 0) - Number(held?.d));
      doubled += Number(held?.n) - Number(held?.d);
      if (Number(held?.max) !== local?.max) missing += 1;
    }
    log(`estate simulation: ${cycles.toLocaleString('en-GB')} draws and returns in ${shiftS.toFixed(1)} s; ${eventsStored.toLocaleString('en-GB')} events stored; the cut-off terminals held everything they logged while cut off ${catchupS.toFixed(1)} s after the link came back, the shift change still running`);
    return { terminals: count, officers, fanoutS, shiftS, cycles, eventsStored, eventsPerS: eventsStored / shiftS, outNow: summarize(outNowSamples), catchupS, missing, doubled };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await estate.stop();
  }
}
