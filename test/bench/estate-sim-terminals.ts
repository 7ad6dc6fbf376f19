/**
 * One of the estate simulation's terminal processes (estate-sim.ts forks a few): real terminal
 * cores, each on its own SQLite file with its own EstatePublisher and ReferencePuller, driven by
 * the parent's messages (estate-sim-messages.ts). Each terminal is a whole terminal here: its
 * decisions, doors, audit log and both estate links share this process, as on a kiosk.
 */
import type { Db } from '../../main/core/db/database.ts';
import { EstatePublisher } from '../../main/estate/estate-publisher.ts';
import { ReferencePuller } from '../../main/estate/reference-puller.ts';
import { systemClock, systemScheduler } from '../../main/system-time.ts';
import { doorCore, type DoorCore } from '../helpers/door-core.ts';
import { join, seededDb, tempDir } from '../helpers/temp-db.ts';
import type { FromTerminals, SimTerminalSpec, ToTerminals } from './estate-sim-messages.ts';

const TASER_TYPE = 1; // the demo seed's Taser 7, at every terminal

interface Terminal {
  spec: SimTerminalSpec;
  db: Db;
  core: DoorCore;
  publisher: EstatePublisher;
  puller: ReferencePuller;
  cleanup: () => void;
}

const terminals: Terminal[] = [];
const send = (message: FromTerminals) => process.send?.(message);
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves once `ok` holds for every terminal, looking every 50 ms. */
async function everywhere(ok: (t: Terminal) => boolean): Promise<void> {
  while (!terminals.every(ok)) await new Promise((resolve) => setTimeout(resolve, 50));
}

let officerCount = 0;

async function init(specs: SimTerminalSpec[], seededAt: Date, officers: number): Promise<void> {
  officerCount = officers;
  for (const spec of specs) {
    const { dir, cleanup } = tempDir('armoury-estate-sim-');
    const db = await seededDb(join(dir, 'armoury.db'), seededAt);
    const link = { db, scheduler: systemScheduler, now: () => new Date(), log: () => {} };
    const publisher = new EstatePublisher({ ...link, url: spec.publishUrl, idleMs: 250, retryMs: 100, maxRetryMs: 1000, timeoutMs: 2000 });
    const puller = new ReferencePuller({ ...link, url: spec.referenceUrl, pollMs: 60_000 });
    terminals.push({ spec, db, core: doorCore(db, systemClock), publisher, puller, cleanup });
  }
  send({ type: 'ready' });
}

async function pull(): Promise<void> {
  const officers = officerCount;
  for (const t of terminals) t.puller.start();
  const held = new Map(terminals.map((t) => [t, t.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM officer_qualifications WHERE officer_id >= 1000')]));
  await everywhere((t) => held.get(t)?.get()?.n === officers);
  send({ type: 'officers-everywhere', at: Date.now() });
}

async function awaitRecords(awardedOn: string, count: number): Promise<void> {
  const held = new Map(terminals.map((t) => [t, t.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM officer_qualifications WHERE officer_id >= 1000 AND awarded_on = ?')]));
  await everywhere((t) => held.get(t)?.get(awardedOn)?.n === count);
  send({ type: 'records-everywhere', at: Date.now() });
}

async function publish(): Promise<void> {
  for (const t of terminals) t.publisher.start();
  // The terminals cut off from the start never catch up here; the parent knows which they are.
  await everywhere((t) => t.publisher.current().state === 'caught-up' || t.publisher.current().state === 'offline');
  send({ type: 'caught-up' });
}

async function shift(from: number, to: number): Promise<void> {
  let cycles = 0;
  for (let round = from; round < to; round++) {
    for (const t of terminals) {
      const officer = t.spec.officers[round];
      if (officer === undefined) continue;
      const drawn = t.core.beginDraw(officer, TASER_TYPE);
      if (!drawn.ok) throw new Error(`${t.spec.id} refused officer ${officer} a Taser: ${drawn.message}`);
      const door = drawn.intent.doorNumber;
      t.core.observe([{ doorNumber: door, open: true, itemPresent: true }]);
      t.core.observe([{ doorNumber: door, open: false, itemPresent: false }]);
      const back = t.core.beginReturn(officer, drawn.intent.assetId);
      if (!back.ok) throw new Error(`${t.spec.id} refused a return: ${back.message}`);
      const returnDoor = back.intent.doorNumber;
      t.core.observe([{ doorNumber: returnDoor, open: true, itemPresent: false }]);
      t.core.observe([{ doorNumber: returnDoor, open: false, itemPresent: true }]);
      t.core.completeReturn(back.intent.id, 'ok');
      t.publisher.nudge();
      cycles++;
      // The publishers and pullers share this thread with the terminals, as on a kiosk.
      await tick();
    }
  }
  const lastSeq = Object.fromEntries(terminals.map((t) => [t.spec.id, t.db.prepare<[], { max: number }>('SELECT max(seq) AS max FROM audit_log').get()?.max ?? 0]));
  send({ type: 'shift-done', cycles, lastSeq });
}

function report(): void {
  send({
    type: 'audit',
    logs: terminals.map((t) => {
      const row = t.db.prepare<[], { n: number; max: number }>('SELECT count(*) AS n, max(seq) AS max FROM audit_log').get();
      return { id: t.spec.id, rows: row?.n ?? 0, maxSeq: row?.max ?? 0 };
    }),
  });
}

let stopping: Promise<void> | null = null;

function stop(): Promise<void> {
  stopping ??= (async () => {
    for (const t of terminals.splice(0)) {
      await t.publisher.stop();
      await t.puller.stop();
      t.db.close();
      t.cleanup();
    }
    if (process.connected) process.disconnect();
  })();
  return stopping;
}

// A parent that dies (a bench stopped with Ctrl-C) takes its terminals with it, files and all.
process.on('disconnect', () => void stop().finally(() => process.exit(0)));

process.on('message', (message: ToTerminals) => {
  const work = (async () => {
    switch (message.type) {
      case 'init':
        return init(message.terminals, new Date(message.seededAt), message.officers);
      case 'pull':
        return pull();
      case 'await-records':
        return awaitRecords(message.awardedOn, message.count);
      case 'publish':
        return publish();
      case 'shift':
        return shift(message.from, message.to);
      case 'report':
        return report();
      case 'stop':
        return stop();
    }
  })();
  work.catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
});
