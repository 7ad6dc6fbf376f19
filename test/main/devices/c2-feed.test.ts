import { outboxStore } from '../../helpers/temp-db.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { C2Feed, C2_SCHEMA_VERSION, buildC2Document, c2Picture, idempotencyKey, type C2Document, type C2FeedConfig, type C2FeedOptions } from '../../../main/devices/c2-feed.ts';
import { checkTerminalConfig, maskSecrets, SECRET_MASK, unmaskSecrets, type TerminalConfig } from '../../../main/config/terminal-config.ts';
import { C2Receiver, C2_SCHEMA, validate } from '../../helpers/c2-receiver.ts';
import type { MobilisationTypeView, MobilisationView } from '../../../preload/contract.ts';

const RESOURCES = fileURLToPath(new URL('../../../resources/', import.meta.url));
const SECRET = 'c2 feed test shared secret';
const FAST = { minMs: 10, maxMs: 50 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'c2-feed-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function startReceiver(secret: string): Promise<C2Receiver> {
  const receiver = await C2Receiver.start(secret);
  cleanups.push(() => receiver.down());
  return receiver;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------
// Pictures
// ---------------------------------------------------------------------------------------------

function taser(armed: MobilisationTypeView['armed'], available: MobilisationTypeView['available']): MobilisationTypeView {
  return { assetTypeId: 1, assetTypeName: 'Taser 7', category: 'taser', armed, available };
}

const ALEX = { officerId: 1, collarNumber: '1234', name: 'Alex Morgan' };
const SAM = { officerId: 2, collarNumber: '987', name: 'Sam Patel' };
const JO = { officerId: 3, collarNumber: '5001', name: 'Jo Evans' };

function view(types: MobilisationTypeView[]): MobilisationView {
  return { generatedAt: new Date().toISOString(), types };
}

const EMPTY = view([taser([], [ALEX, SAM, JO])]);
const ONE_ARMED = view([taser([{ ...ALEX, serial: 'T7-0001', since: '2026-11-14T08:00:00.000Z' }], [SAM, JO])]);

/** A picture the test can change, as the kiosk's would after a loan. */
class Room {
  current: MobilisationView = EMPTY;
  reads = 0;
  picture = (): MobilisationView => {
    this.reads++;
    return this.current;
  };
  /** n officers: the first k armed. */
  static armed(k: number): MobilisationView {
    const people = [ALEX, SAM, JO];
    return view([taser(people.slice(0, k).map((p, i) => ({ ...p, serial: `T7-000${i + 1}`, since: '2026-11-14T08:00:00.000Z' })), people.slice(k))]);
  }
}

// ---------------------------------------------------------------------------------------------

function config(overrides: Partial<C2FeedConfig> = {}): C2FeedConfig {
  return { webhook: null, file: null, terminalId: 'armoury-a-1', ...overrides };
}

interface Started {
  feed: C2Feed;
  log: string[];
}

const outboxDirs = new Map<string, string>();

async function startFeed(c: C2FeedConfig, options: Partial<C2FeedOptions> & Pick<C2FeedOptions, 'stateDir' | 'picture'>): Promise<Started> {
  const log: string[] = [];
  // Away from the state folder, whose contents some tests check; the same database for the same folder, as a restart finds it.
  const databaseDir = outboxDirs.get(options.stateDir) ?? (await tempDir());
  outboxDirs.set(options.stateDir, databaseDir);
  const store = outboxStore(databaseDir, 'c2');
  const feed = await C2Feed.start(c, { terminalName: 'Armoury A, terminal 1', log: (line) => log.push(line), debounceMs: 20, backoff: FAST, timeoutMs: 1000, store, ...options });
  cleanups.push(() => feed.stop());
  return { feed, log };
}

describe('C2 feed document', () => {
  it('validates against resources/c2-feed.schema.json, for an empty room and a busy one', () => {
    const meta = { terminalId: 'armoury-a-1', terminalName: 'Armoury A, terminal 1', sequence: 1, generatedAt: new Date('2026-11-14T09:00:00Z') };
    const busy = view([
      taser([{ ...ALEX, serial: 'T7-0001', since: '2026-11-14T08:00:00Z' }], [SAM]),
      { assetTypeId: 2, assetTypeName: 'Glock 17', category: 'firearm', armed: [{ ...ALEX, serial: 'G17-0042', since: '2026-11-14T08:05:00.000Z' }], available: [SAM, JO] },
    ]);
    for (const v of [view([]), EMPTY, ONE_ARMED, busy]) {
      const document = buildC2Document(c2Picture(v), meta);
      expect(validate(C2_SCHEMA, document)).toEqual([]);
      // What goes over the wire is the JSON text: check that too.
      expect(validate(C2_SCHEMA, JSON.parse(JSON.stringify(document)))).toEqual([]);
    }
  });

  it('the validator catches what the schema forbids (so the test above means something)', () => {
    const good = buildC2Document(c2Picture(ONE_ARMED), { terminalId: 't1', terminalName: 'T', sequence: 3, generatedAt: new Date() });
    const broken = (change: (d: Record<string, unknown>) => void): string[] => {
      const d = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      change(d);
      return validate(C2_SCHEMA, d);
    };
    expect(broken((d) => delete d.totals)).toEqual(['$: missing totals']);
    expect(broken((d) => (d.officerId = 1))).toEqual(['$: unexpected property officerId']);
    expect(broken((d) => (d.schemaVersion = '2.0'))[0]).toMatch(/not one of/);
    expect(broken((d) => (d.sequence = 0))[0]).toMatch(/below 1/);
    expect(broken((d) => (d.sequence = 1.5))[0]).toMatch(/expected integer/);
    expect(broken((d) => (d.generatedAt = '14/11/2026'))[0]).toMatch(/does not match/);
    expect(broken((d) => ((d.types as { armed: { since: string }[] }[])[0]!.armed[0]!.since = 'yesterday'))[0]).toMatch(/types\[0\]\.armed\[0\]\.since/);
    expect(() => validate({ type: 'string', maxLength: 3 }, 'x')).toThrow(/unsupported keyword maxLength/);
  });

  it('carries only collar number and name for people, sorted by collar number, with distinct-officer totals', () => {
    const both = view([
      taser([{ ...SAM, serial: 'T7-0002', since: '2026-11-14T08:00:00+01:00' }, { ...ALEX, serial: 'T7-0001', since: '2026-11-14T08:00:00Z' }], [JO]),
      { assetTypeId: 2, assetTypeName: 'Glock 17', category: 'firearm', armed: [], available: [ALEX, JO] },
    ]);
    const picture = c2Picture(both);
    expect(picture.types[0]!.armed.map((a) => a.collarNumber)).toEqual(['987', '1234']);
    expect(picture.types[0]!.armed[0]).toEqual({ collarNumber: '987', name: 'Sam Patel', serial: 'T7-0002', since: '2026-11-14T07:00:00.000Z' });
    expect(picture.types[1]!.available).toEqual([
      { collarNumber: '1234', name: 'Alex Morgan' },
      { collarNumber: '5001', name: 'Jo Evans' },
    ]);
    expect(JSON.stringify(picture)).not.toContain('officerId');
    // Alex is armed (Taser) and could draw a Glock: counted once, as armed. Jo is available for both: once.
    expect(picture.totals).toEqual({ armed: 2, available: 1 });
    expect(picture.types.map((t) => [t.armedCount, t.availableCount])).toEqual([
      [2, 1],
      [0, 2],
    ]);
  });
});

describe('C2 feed webhook', () => {
  it('publishes on change, signed, with idempotency key terminalId:sequence; the documents validate', async () => {
    const receiver = await startReceiver(SECRET);
    const room = new Room();
    const { feed } = await startFeed(config({ webhook: { url: receiver.url, secret: SECRET } }), { stateDir: await tempDir(), picture: room.picture });
    await feed.publishNow();
    await feed.whenDelivered();
    expect(receiver.received).toHaveLength(1);
    room.current = ONE_ARMED;
    feed.changed();
    await until(() => receiver.received.length === 2, 'the change to arrive');
    expect(receiver.badSignatures).toBe(0);
    const [first, second] = receiver.received;
    expect(first!.key).toBe(idempotencyKey('armoury-a-1', first!.document.sequence));
    expect(second!.key).toBe('armoury-a-1:2');
    expect(second!.document).toMatchObject({ schemaVersion: C2_SCHEMA_VERSION, terminalId: 'armoury-a-1', terminalName: 'Armoury A, terminal 1', sequence: 2, totals: { armed: 1, available: 2 } });
    expect(second!.document.types[0]!.armed).toEqual([{ collarNumber: '1234', name: 'Alex Morgan', serial: 'T7-0001', since: '2026-11-14T08:00:00.000Z' }]);
    for (const r of receiver.received) expect(validate(C2_SCHEMA, JSON.parse(r.raw))).toEqual([]);
    expect(feed.lastDocument()).toEqual(second!.document);
  });

  it('a receiver with another secret refuses every document (the signature is checked)', async () => {
    const receiver = await startReceiver('a different shared secret');
    const { feed, log } = await startFeed(config({ webhook: { url: receiver.url, secret: SECRET } }), { stateDir: await tempDir(), picture: new Room().picture });
    await feed.publishNow();
    // 401 is a refusal: recorded as failed and not retried, not a crash.
    await until(() => receiver.badSignatures === 1 && log.some((l) => /refused/.test(l)), 'the refusal');
    expect(receiver.received).toHaveLength(0);
  });

  it('publishes nothing when nothing changed, and coalesces a burst of changes into one document', async () => {
    const receiver = await startReceiver(SECRET);
    const room = new Room();
    const { feed } = await startFeed(config({ webhook: { url: receiver.url, secret: SECRET } }), { stateDir: await tempDir(), picture: room.picture });
    await feed.publishNow();
    await feed.whenDelivered();
    expect(receiver.requests).toBe(1);
    for (let i = 0; i < 5; i++) feed.changed();
    await sleep(100);
    await feed.publishNow();
    await feed.whenDelivered();
    expect(room.reads).toBeGreaterThan(1); // it did look
    expect(receiver.requests).toBe(1); // and sent nothing
    // A new array with the same content (the read model rebuilds it each time) is still no change.
    room.current = JSON.parse(JSON.stringify(EMPTY)) as MobilisationView;
    await feed.publishNow();
    await feed.whenDelivered();
    expect(receiver.requests).toBe(1);

    room.current = Room.armed(1);
    feed.changed();
    room.current = Room.armed(2);
    feed.changed();
    room.current = Room.armed(3);
    feed.changed();
    await until(() => receiver.received.length === 2, 'the burst');
    await sleep(100);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.document.totals).toEqual({ armed: 3, available: 0 });
  });

  it('receiver down: changes queue; receiver up: all delivered, in order, no loss, unique keys', async () => {
    const receiver = await startReceiver(SECRET);
    const room = new Room();
    const { feed } = await startFeed(config({ webhook: { url: receiver.url, secret: SECRET } }), { stateDir: await tempDir(), picture: room.picture });
    await feed.publishNow();
    await feed.whenDelivered();
    await receiver.down();
    const pictures = [Room.armed(1), Room.armed(2), Room.armed(3), Room.armed(2), Room.armed(1), Room.armed(0)];
    for (const p of pictures) {
      room.current = p;
      await feed.publishNow();
    }
    expect(feed.status().pending).toBe(pictures.length);
    await until(() => feed.status().webhook?.state === 'offline', 'the webhook to show offline');
    await receiver.up();
    await until(() => receiver.received.length === pictures.length + 1, 'the backlog', 10_000);
    const sequences = receiver.received.map((r) => r.document.sequence);
    expect(sequences).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(receiver.received.slice(1).map((r) => r.document.totals.armed)).toEqual([1, 2, 3, 2, 1, 0]);
    expect(new Set(receiver.received.map((r) => r.key)).size).toBe(receiver.received.length);
    expect(receiver.received.every((r) => r.key === `armoury-a-1:${r.document.sequence}`)).toBe(true);
    // The last answer may still be on its way back to the outbox.
    await feed.whenDelivered();
    expect(feed.status().pending).toBe(0);
  });

  it('the sequence survives a restart, and a backlog queued before the stop is delivered after it', async () => {
    const stateDir = await tempDir();
    const receiver = await startReceiver(SECRET);
    const room = new Room();
    const c = config({ webhook: { url: receiver.url, secret: SECRET } });
    const first = await startFeed(c, { stateDir, picture: room.picture });
    await first.feed.publishNow();
    await first.feed.whenDelivered();
    await receiver.down();
    room.current = ONE_ARMED;
    await first.feed.publishNow();
    const before = first.feed.status().sequence;
    expect(before).toBe(2);
    await first.feed.stop();

    await receiver.up();
    const second = await startFeed(c, { stateDir, picture: room.picture });
    await second.feed.publishNow();
    await second.feed.whenDelivered();
    // The queued document 2 arrives, then the start's own publish (the same picture, a fresh sequence).
    expect(receiver.received.map((r) => r.document.sequence)).toEqual([1, 2, 3]);
    expect(second.feed.status().sequence).toBeGreaterThan(before);
    room.current = EMPTY;
    await second.feed.publishNow();
    await second.feed.whenDelivered();
    expect(receiver.received.at(-1)!.document.sequence).toBe(4);
  });
});

describe('C2 feed upgrade', () => {
  it('a document queued by the version before the generic outbox is still delivered, byte for byte, before new ones', async () => {
    const stateDir = await tempDir();
    const receiver = await startReceiver(SECRET);
    const meta = { terminalId: 'armoury-a-1', terminalName: 'Armoury A, terminal 1', sequence: 5, generatedAt: new Date('2026-11-14T09:00:00Z') };
    const body = JSON.stringify(buildC2Document(c2Picture(ONE_ARMED), meta));
    // What that version wrote: the body rode in the `camera` field of a fake video event.
    const event = { id: 'armoury-a-1:5', kind: 'DOOR', terminal: 'armoury-a-1', asset: 'c2-feed', officer: '-', camera: body, at: '2026-11-14T09:00:00.000Z' };
    const entry = { event, enqueuedAt: event.at, targets: { 'c2-webhook': { status: 'pending', attempts: 3, error: null } } };
    await mkdir(join(stateDir, 'outbox'), { recursive: true });
    await writeFile(join(stateDir, 'outbox', 'outbox.jsonl'), `${JSON.stringify({ op: 'add', entry })}\n`);
    await writeFile(join(stateDir, 'c2-feed-state.json'), '{"sequence":5}\n');

    const { feed } = await startFeed(config({ webhook: { url: receiver.url, secret: SECRET } }), { stateDir, picture: new Room().picture });
    await feed.publishNow();
    await feed.whenDelivered();
    expect(receiver.received.map((r) => r.key)).toEqual(['armoury-a-1:5', 'armoury-a-1:6']);
    expect(receiver.received[0]!.raw).toBe(body);
    expect(receiver.badSignatures).toBe(0);
  });
});

describe('C2 feed file', () => {
  it('replaces the file atomically: a reader always finds a whole document, the latest in the end', async () => {
    const dir = await tempDir();
    const file = join(dir, 'armoury-a.json');
    const room = new Room();
    const { feed } = await startFeed(config({ file }), { stateDir: join(dir, 'state'), picture: room.picture });
    await feed.publishNow();
    let reads = 0;
    let reading = true;
    // A reader polling as fast as it can while documents are replaced: every read must parse.
    const reader = (async () => {
      while (reading) {
        const text = await readFile(file, 'utf8');
        const parsed = JSON.parse(text) as C2Document;
        expect(validate(C2_SCHEMA, parsed)).toEqual([]);
        reads++;
      }
    })();
    for (let i = 0; i < 30; i++) {
      room.current = Room.armed(i % 4);
      await feed.publishNow();
    }
    reading = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    const final = JSON.parse(await readFile(file, 'utf8')) as C2Document;
    expect(final).toEqual(feed.lastDocument());
    expect(final.totals.armed).toBe(29 % 4);
    // No temp files left beside it.
    expect((await readdir(dir)).sort()).toEqual(['armoury-a.json', 'state']);
  });

  it('a file it cannot write is logged and retried, never thrown', async () => {
    const dir = await tempDir();
    const file = join(dir, 'not-yet', 'armoury-a.json');
    const { feed, log } = await startFeed(config({ file }), { stateDir: join(dir, 'state'), picture: new Room().picture });
    await expect(feed.publishNow()).resolves.toBeUndefined();
    expect(feed.status().lastError).toMatch(/writing .*armoury-a\.json failed/);
    expect(log.some((l) => /trying again/.test(l))).toBe(true);
  });

  it('a picture that cannot be read is logged and retried until it can', async () => {
    const dir = await tempDir();
    const file = join(dir, 'c2.json');
    let broken = true;
    const { feed, log } = await startFeed(config({ file }), {
      stateDir: join(dir, 'state'),
      picture: () => {
        if (broken) throw new Error('console not ready');
        return EMPTY;
      },
    });
    await feed.publishNow();
    expect(log.join('\n')).toMatch(/reading the armed\/available picture failed: console not ready/);
    broken = false;
    // The retry (1 s) publishes without anyone calling changed().
    await until(() => feed.lastDocument() !== null && feed.status().lastError === null, 'the retry', 5000);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(feed.lastDocument());
    expect(feed.status().lastError).toBeNull();
  });
});

describe('C2 feed configuration', () => {
  const base = (): Record<string, unknown> => JSON.parse(readFileSync(join(RESOURCES, 'default-terminal-config.json'), 'utf8')) as Record<string, unknown>;
  const check = (c2Feed: unknown): ReturnType<typeof checkTerminalConfig> => checkTerminalConfig({ ...base(), c2Feed });

  it('defaults to off, with terminal id terminal-1', () => {
    const checked = checkTerminalConfig(base());
    expect(checked.ok && checked.config.c2Feed).toEqual({ webhook: null, file: null, terminalId: 'terminal-1' });
  });

  it('wants https (http only to loopback), a 16-character secret and an absolute file', () => {
    expect(check({ webhook: { url: 'https://c2.force.example/armoury', secret: SECRET }, file: '/srv/c2/a.json', terminalId: 'a-1' }).ok).toBe(true);
    expect(check({ webhook: { url: 'http://127.0.0.1:9000/c2', secret: SECRET } }).ok).toBe(true);
    const bad = check({ webhook: { url: 'http://c2.force.example/armoury', secret: 'short' }, file: 'c2.json', terminalId: 'has space' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.join('\n')).toMatch(/https only[\s\S]*16 characters[\s\S]*absolute[\s\S]*letters, digits/);
  });

  it('masks the secret, and puts it back only for the same origin', () => {
    const checked = check({ webhook: { url: 'https://c2.force.example/armoury', secret: SECRET }, file: null, terminalId: 'a-1' });
    if (!checked.ok) throw new Error(checked.problems.join('\n'));
    const saved: TerminalConfig = checked.config;
    const masked = maskSecrets(saved);
    expect(JSON.stringify(masked)).not.toContain(SECRET);
    expect(masked.c2Feed.webhook?.secret).toBe(SECRET_MASK);
    // The admin screen validates the masked text before unmasking: the mask must pass.
    expect(checkTerminalConfig(JSON.parse(JSON.stringify(masked))).ok).toBe(true);
    expect(unmaskSecrets(masked, saved).c2Feed.webhook?.secret).toBe(SECRET);
    const moved = { ...masked, c2Feed: { ...masked.c2Feed, webhook: { url: 'https://elsewhere.example/x', secret: SECRET_MASK } } };
    expect(unmaskSecrets(moved, saved).c2Feed.webhook?.secret).toBe(SECRET_MASK);
  });

  it('a feed left with the masked secret refuses to sign with it, and still writes its file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'c2.json');
    const { feed, log } = await startFeed(config({ webhook: { url: 'https://c2.force.example/armoury', secret: SECRET_MASK }, file }), { stateDir: join(dir, 'state'), picture: new Room().picture });
    await feed.publishNow();
    expect(log.join('\n')).toMatch(/webhook not started: .*masked/);
    expect(feed.status().webhook).toBeNull();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ sequence: 1 });
  });

  it('with neither a webhook nor a file it does nothing and touches no disk', async () => {
    const dir = await tempDir();
    const room = new Room();
    const { feed } = await startFeed(config(), { stateDir: join(dir, 'state'), picture: room.picture });
    feed.changed();
    await feed.publishNow();
    expect(room.reads).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });
});
