import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import type { VideoEventInput } from '../../../main/core/ports.ts';
import { SqliteOutboxStore } from '../../../main/devices/sqlite-outbox-store.ts';
import { Outbox, type OutboxMessage, type OutboxTarget, type StoredEntry } from '../../../native-bridges/outbox/outbox.ts';
import { doorCore } from '../../helpers/door-core.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

const NOW = new Date('2026-11-21T10:00:00Z');
const clock = { now: () => NOW };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function freshDb(): { db: Db; path: string } {
  const t = tempDir('armoury-outbox-');
  const path = join(t.dir, 'armoury.db');
  const db = openDatabase(path);
  cleanups.push(t.cleanup, () => void db.close());
  return { db, path };
}

/** A far end that takes everything and keeps it. */
class Keeper implements OutboxTarget<string> {
  readonly got: OutboxMessage<string>[] = [];
  constructor(readonly name: string) {}
  async send(message: OutboxMessage<string>): Promise<void> {
    this.got.push(message);
  }
}

function entry(id: string, targets: string[]): StoredEntry {
  return { message: { id, topic: 'note', at: NOW.toISOString(), payload: `body of ${id}` }, enqueuedAt: NOW.toISOString(), targets: Object.fromEntries(targets.map((t) => [t, { status: 'pending', attempts: 0, error: null }])) };
}

async function open(store: SqliteOutboxStore, targets: OutboxTarget<string>[]): Promise<Outbox<string>> {
  const outbox = await Outbox.open<string>({ store, targets, backoff: { minMs: 5, maxMs: 20 } });
  cleanups.push(() => outbox.close());
  return outbox;
}

describe('the outbox in the terminal database', () => {
  it('keeps each owner apart, gives back what is owed in enqueue order, and adds only missing targets to a known id', async () => {
    const { db } = freshDb();
    const video = new SqliteOutboxStore(db, 'video');
    const c2 = new SqliteOutboxStore(db, 'c2');
    await video.add(entry('b', ['vms']));
    await video.add(entry('a', ['vms']));
    await c2.add(entry('a', ['feed']));
    await video.add(entry('b', ['vms', 'relay'])); // a retried enqueue: 'vms' is kept as it is
    await video.setStatus('b', 'vms', { status: 'delivered', attempts: 1, error: null });
    await video.setStatus('a', 'vms', { status: 'failed', attempts: 3, error: { kind: 'rejected', message: 'HTTP 400' } });

    const owed = await video.load();
    expect(owed.map((e) => [e.message.id, e.targets])).toEqual([
      ['b', { vms: { status: 'delivered', attempts: 1, error: null }, relay: { status: 'pending', attempts: 0, error: null } }],
      ['a', { vms: { status: 'failed', attempts: 3, error: { kind: 'rejected', message: 'HTTP 400' } } }],
    ]);
    expect((await c2.load()).map((e) => e.message.payload)).toEqual(['body of a']);
    await expect(video.setStatus('nope', 'vms', { status: 'delivered', attempts: 1, error: null })).rejects.toThrow(RangeError);
    await expect(video.setStatus('a', 'nobody', { status: 'delivered', attempts: 1, error: null })).rejects.toThrow(RangeError);
  });

  it('a message staged in a transaction that rolls back is never stored or delivered; one that commits is delivered once adopted', async () => {
    const { db } = freshDb();
    const store = new SqliteOutboxStore(db, 'video');
    const vms = new Keeper('vms');
    const outbox = await open(store, [vms]);
    const kept = outbox.entryFor({ id: 'kept', topic: 'note', at: NOW.toISOString(), payload: 'kept' }, NOW.toISOString());
    const lost = outbox.entryFor({ id: 'lost', topic: 'note', at: NOW.toISOString(), payload: 'lost' }, NOW.toISOString());
    db.transaction(() => store.stage(kept)).immediate();
    expect(() =>
      db.transaction(() => {
        store.stage(lost);
        throw new Error('the decision failed after staging');
      }).immediate(),
    ).toThrow('the decision failed');
    expect(store.holds('kept')).toBe(true);
    expect(store.holds('lost')).toBe(false);
    for (const e of [kept, lost]) if (store.holds(e.message.id)) outbox.adopt(e);
    await outbox.whenIdle();
    expect(vms.got.map((m) => m.id)).toEqual(['kept']);
    expect(await store.load()).toEqual([]); // delivered: nothing owed
  });

  it('what was owed when the terminal stopped is delivered after it starts again, from the same database file', async () => {
    const { db, path } = freshDb();
    const store = new SqliteOutboxStore(db, 'video');
    db.transaction(() => store.stage(entry('before-restart', ['vms']))).immediate();
    db.close();
    const reopened = openDatabase(path);
    cleanups.push(() => void reopened.close());
    const vms = new Keeper('vms');
    const outbox = await open(new SqliteOutboxStore(reopened, 'video'), [vms]);
    await outbox.whenIdle();
    expect(vms.got.map((m) => [m.id, m.payload])).toEqual([['before-restart', 'body of before-restart']]);
  });

  it('moves what an outbox file from an earlier release still owed into the database, once', async () => {
    const { db } = freshDb();
    const t = tempDir('armoury-legacy-outbox-');
    cleanups.push(t.cleanup);
    mkdirSync(join(t.dir, 'video-outbox'));
    const line = (e: StoredEntry) => `${JSON.stringify({ op: 'add', entry: e })}\n`;
    const done = entry('done', ['vms']);
    done.targets.vms = { status: 'delivered', attempts: 1, error: null };
    writeFileSync(join(t.dir, 'video-outbox', 'outbox.jsonl'), line(entry('owed', ['vms'])) + line(done));
    const store = new SqliteOutboxStore(db, 'video');
    expect(await store.adoptFile(join(t.dir, 'video-outbox'))).toBe(1);
    expect(existsSync(join(t.dir, 'video-outbox', 'outbox.jsonl'))).toBe(false);
    expect(await store.adoptFile(join(t.dir, 'video-outbox'))).toBe(0);
    expect((await store.load()).map((e) => e.message.id)).toEqual(['owed']);
  });
});

describe('a door intent and its video event are one transaction', () => {
  let template: string;
  const templateDir = tempDir('armoury-outbox-template-');
  afterAll(templateDir.cleanup);
  beforeAll(async () => {
    template = join(templateDir.dir, 'template.db');
    (await seededDb(template, NOW)).close();
  });

  function seeded(): Db {
    const t = tempDir('armoury-outbox-draw-');
    copyFileSync(template, join(t.dir, 'armoury.db'));
    const db = openDatabase(join(t.dir, 'armoury.db'));
    cleanups.push(t.cleanup, () => void db.close());
    return db;
  }

  it('a draw writes its ISSUE event with the intent, naming the officer and the serial behind the door', () => {
    const db = seeded();
    const staged: VideoEventInput[] = [];
    const doors = doorCore(db, clock, { video: { stage: (event) => void staged.push({ ...event, inTransaction: db.inTransaction } as VideoEventInput) } });
    const drawn = doors.beginDraw(officerIdByCollar(db, 'PC 1234'), assetTypeId(db, 'TASER7'));
    if (!drawn.ok) throw new Error(drawn.message);
    expect(staged).toEqual([{ kind: 'ISSUE', asset: drawn.intent.serial, officer: 'PC 1234', inTransaction: true }]);
  });

  it('when the video event cannot be written, the intent is not committed either: no door opens without it', () => {
    const db = seeded();
    const doors = doorCore(db, clock, {
      video: {
        stage: () => {
          throw new Error('disk full');
        },
      },
    });
    const taser = assetTypeId(db, 'TASER7');
    const before = db.prepare('SELECT count(*) AS n FROM door_intents').get() as { n: number };
    expect(() => doors.beginDraw(officerIdByCollar(db, 'PC 1234'), taser)).toThrow('disk full');
    expect(db.prepare('SELECT count(*) AS n FROM door_intents').get()).toEqual(before);
    expect(db.prepare("SELECT count(*) AS n FROM assets WHERE asset_type_id = ? AND status = 'issuing'").get(taser)).toEqual({ n: 0 });
  });
});
