/**
 * The control room during the estate simulation, in a process of its own, each read timed: the
 * estate-wide mobilisation's counts (estate/mobilisation.ts, as the estate's reader: what the
 * page shows) every 200 ms, with every fifth read the whole picture with its lists of people
 * (what the C2 feed and a console's estate scope read), and the control room's page
 * (estate/service.ts, signed in with its one-use link) every second.
 */
import pg from 'pg';
import { EstateMobilisation } from '../../estate/mobilisation.ts';
import { startEstateService } from '../../estate/service.ts';
import type { FromProbe } from './estate-sim-messages.ts';

const adminUrl = process.argv[2];
if (adminUrl === undefined) throw new Error('estate-sim-probe: give the administrator connection string');

const reader = new pg.Client({ connectionString: adminUrl, application_name: 'armoury-sim-probe' });
await reader.connect();
await reader.query('SET ROLE estate_reader');
const service = await startEstateService({ databaseUrl: adminUrl, estateName: 'Simulated estate' });
const launch = await fetch(service.launchUrl, { redirect: 'manual' });
const cookie = launch.headers.get('set-cookie')?.split(';')[0] ?? '';

const mobilisation = new EstateMobilisation();
const mobilisationMs: number[] = [];
const pictureMs: number[] = [];
const pageMs: number[] = [];
let pageFailures = 0;
let lastTotals: { armed: number; available: number } | null = null;
let running = true;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pictures = (async () => {
  for (let read = 1; running; read++) {
    const started = performance.now();
    if (read % 5 === 0) {
      lastTotals = (await mobilisation.picture(reader, new Date())).totals;
      pictureMs.push(performance.now() - started);
    } else {
      lastTotals = (await mobilisation.counts(reader, new Date())).totals;
      mobilisationMs.push(performance.now() - started);
    }
    await sleep(200);
  }
})();
const pages = (async () => {
  while (running) {
    const started = performance.now();
    const reply = await fetch(`${service.origin}/picture`, { headers: { cookie } });
    const body = await reply.text();
    if (reply.ok && body.includes('Mobilisation per site and type')) pageMs.push(performance.now() - started);
    else pageFailures++;
    await sleep(1000);
  }
})();

process.send?.({ type: 'ready' } satisfies FromProbe);
// A parent that dies takes the probe with it.
process.on('disconnect', () => process.exit(0));
process.on('message', () => {
  running = false;
  void (async () => {
    await Promise.all([pictures, pages]);
    process.send?.({ type: 'samples', mobilisation: mobilisationMs, pictures: pictureMs, pages: pageMs, pageFailures, lastTotals } satisfies FromProbe);
    await service.close();
    await reader.end();
    if (process.connected) process.disconnect();
  })();
});
