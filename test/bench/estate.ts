/**
 * The estate's figures on a real PostgreSQL started for the bench (test/helpers/postgres.ts):
 *
 * - `estate_ingest_events_per_s`: terminals' audit rows (real AuditLog chains in SQLite) sent
 *   to estate.ingest_events in batches of 500, every terminal at once, each row checked and
 *   hashed again by the estate;
 * - `estate_reference_fanout_s`: a 10,000-row reference change put in the estate until every
 *   terminal's puller (main/estate/reference-puller.ts, one per terminal database) has applied
 *   all of it, woken by NOTIFY.
 *
 * All in one process on the build machine: the terminals' side shares the cores with the
 * server, so these are floors for a site, not ceilings.
 */
import pg from 'pg';
import { addSite, addTerminal } from '../../estate/admin.ts';
import { AuditLog } from '../../main/core/audit.ts';
import { openDatabase, type Db } from '../../main/core/db/database.ts';
import { EstatePublisher } from '../../main/estate/estate-publisher.ts';
import { ReferencePuller } from '../../main/estate/reference-puller.ts';
import { systemScheduler } from '../../main/system-time.ts';
import { startTestEstate } from '../helpers/postgres.ts';
import { join, seededDb, tempDir } from '../helpers/temp-db.ts';

export interface EstateFigures {
  ingestTerminals: number;
  ingestEvents: number;
  ingestEventsPerS: number;
  catchupEvents: number;
  catchupS: number;
  fanoutTerminals: number;
  fanoutRows: number;
  fanoutS: number;
}

/**
 * Catch-up: an hour offline at shift change. 10,000 Taser officers over 90 terminals is about
 * 111 draws per terminal in the half hour, and as many returns in the next; a draw or return
 * writes about 8 audit rows (sign-in, intent, door opened, completed, sign-out...), so an hour
 * is about 2,000 rows.
 */
export const ESTATE_BENCH = { ingestTerminals: 10, eventsPerTerminal: 5000, batch: 500, fanoutTerminals: 20, fanoutRows: 10_000, catchupEvents: 2000 };

export async function measureEstate(log: (line: string) => void): Promise<EstateFigures> {
  const estate = await startTestEstate();
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    await addSite(estate.admin, 'bench', 'Bench site');

    // --- ingest -------------------------------------------------------------------------
    const { ingestTerminals, eventsPerTerminal, batch } = ESTATE_BENCH;
    log(`estate: ${ingestTerminals} terminals' chains of ${eventsPerTerminal.toLocaleString('en-GB')} audit rows each ...`);
    const senders: { client: pg.Client; rows: unknown[] }[] = [];
    for (let t = 0; t < ingestTerminals; t++) {
      const credentials = await addTerminal(estate.admin, `bench-${t}`, 'bench');
      const { dir, cleanup } = tempDir('armoury-estate-bench-');
      const db = openDatabase(join(dir, 'armoury.db'));
      cleanups.push(() => (db.close(), cleanup()));
      const audit = new AuditLog(db);
      db.transaction(() => {
        for (let i = 0; i < eventsPerTerminal; i++) {
          audit.append({ actor: `officer:${i % 500}`, action: 'auth.signed-out', subject: `officer:${i % 500}`, details: { why: 'sign-out at the end of a draw' } }, new Date(Date.UTC(2026, 10, 21, 7) + i * 1000));
        }
      })();
      const rows = db.prepare('SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log ORDER BY seq').all();
      const client = new pg.Client({ connectionString: estate.urlFor(credentials.roleName, credentials.password) });
      await client.connect();
      cleanups.push(() => client.end());
      senders.push({ client, rows });
    }
    const started = performance.now();
    await Promise.all(
      senders.map(async ({ client, rows }) => {
        for (let from = 0; from < rows.length; from += batch) {
          const reply = await client.query<{ r: { ok: boolean } }>('SELECT estate.ingest_events($1::jsonb) AS r', [JSON.stringify(rows.slice(from, from + batch))]);
          if (!reply.rows[0]?.r.ok) throw new Error('estate bench: the estate refused a bench chain');
        }
      }),
    );
    const ingestS = (performance.now() - started) / 1000;
    const ingestEvents = ingestTerminals * eventsPerTerminal;
    log(`estate: ingested ${ingestEvents.toLocaleString('en-GB')} events in ${ingestS.toFixed(2)} s`);

    // --- catch-up after an hour offline (the terminal's own publisher) ---------------------
    const { catchupEvents } = ESTATE_BENCH;
    const back = await addTerminal(estate.admin, 'bench-back', 'bench');
    const backDir = tempDir('armoury-estate-catchup-');
    const backDb = openDatabase(join(backDir.dir, 'armoury.db'));
    cleanups.push(() => (backDb.close(), backDir.cleanup()));
    const backAudit = new AuditLog(backDb);
    backDb.transaction(() => {
      for (let i = 0; i < catchupEvents; i++) backAudit.append({ actor: `officer:${i % 111}`, action: 'auth.signed-out', subject: `officer:${i % 111}`, details: { why: 'shift change' } }, new Date(Date.UTC(2026, 10, 21, 7) + i * 1800));
    })();
    const publisher = new EstatePublisher({ url: estate.urlFor(back.roleName, back.password), db: backDb, scheduler: systemScheduler, now: () => new Date(), log: () => {}, idleMs: 1000 });
    const catchupStart = performance.now();
    publisher.start();
    await until(() => publisher.current().state === 'caught-up');
    const catchupS = (performance.now() - catchupStart) / 1000;
    await publisher.stop();
    log(`estate: a terminal back with ${catchupEvents.toLocaleString('en-GB')} events waiting was caught up in ${catchupS.toFixed(2)} s (connect included)`);

    // --- reference fan-out ---------------------------------------------------------------
    const { fanoutTerminals, fanoutRows } = ESTATE_BENCH;
    log(`estate: ${fanoutTerminals} terminals pulling reference data; putting ${fanoutRows.toLocaleString('en-GB')} officer rows ...`);
    const credentials = await addTerminal(estate.admin, 'bench-fanout', 'bench');
    const terminals: Db[] = [];
    for (let t = 0; t < fanoutTerminals; t++) {
      const { dir, cleanup } = tempDir('armoury-estate-fanout-');
      const db = await seededDb(join(dir, 'armoury.db'), new Date('2026-11-21T10:00:00Z'));
      const puller = new ReferencePuller({ url: estate.urlFor(credentials.roleName, credentials.password), db, scheduler: systemScheduler, now: () => new Date(), log: () => {}, pollMs: 60_000 });
      puller.start();
      cleanups.push(async () => {
        await puller.stop();
        db.close();
        cleanup();
      });
      terminals.push(db);
    }
    // Every puller has made its first (empty) pull and is listening.
    await until(() => terminals.every((db) => db.prepare<[], { s: string | null }>('SELECT reference_synced_at AS s FROM estate_link').get()?.s != null));
    const officers = Array.from({ length: fanoutRows }, (_, i) => ({
      id: 10_000 + i,
      collar_number: `PC ${20_000 + i}`,
      display_name: `Officer ${i}`,
      status: 'active',
      site_id: 1,
      created_at: '2026-11-20T09:00:00.000Z',
      unit: null,
      left_on: null,
    }));
    const put = performance.now();
    await estate.admin.query('SELECT estate.put_reference($1, $2::jsonb)', ['officers', JSON.stringify(officers)]);
    log(`estate: the put itself committed in ${((performance.now() - put) / 1000).toFixed(2)} s`);
    const counts = terminals.map((db) => db.prepare<[], { n: number }>('SELECT count(*) AS n FROM officers WHERE id >= 10000'));
    await until(() => counts.every((c) => c.get()?.n === fanoutRows), 120_000);
    const fanoutS = (performance.now() - put) / 1000;
    log(`estate: every terminal had all ${fanoutRows.toLocaleString('en-GB')} rows ${fanoutS.toFixed(2)} s after the put began`);
    return { ingestTerminals, ingestEvents, ingestEventsPerS: ingestEvents / ingestS, catchupEvents, catchupS, fanoutTerminals, fanoutRows, fanoutS };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await estate.stop();
  }
}

async function until(ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error('estate bench: timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
