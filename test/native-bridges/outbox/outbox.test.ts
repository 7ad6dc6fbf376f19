import { afterEach, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileOutboxStore } from '../../../native-bridges/outbox/file-store.ts';
import { DeliveryError, MemoryOutboxStore, Outbox, type DeliveryFailure, type Json, type OutboxMessage, type OutboxStore, type OutboxTarget } from '../../../native-bridges/outbox/outbox.ts';

// The outbox knows nothing of video: these tests carry a made-up "stock order" payload and raw string bodies.

const FAST = { minMs: 5, maxMs: 20 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

type Order = { order: number; lines: { sku: string; quantity: number }[]; note: string | null };

let counter = 0;
function orderMessage(order: number, overrides: Partial<OutboxMessage<Order>> = {}): OutboxMessage<Order> {
  counter++;
  return { id: `order-${process.pid}-${counter}`, topic: 'stock-order', at: '2026-11-14T09:00:00.000Z', payload: { order, lines: [{ sku: 'CS-GAS', quantity: 2 }], note: null }, ...overrides };
}

/** A target whose outcome the test scripts; it keeps what it was sent. */
class Recorder<P extends Json> implements OutboxTarget<P> {
  readonly sent: OutboxMessage<P>[] = [];
  constructor(
    readonly name: string,
    private readonly outcome: (message: OutboxMessage<P>, attempt: number) => Error | null = () => null,
  ) {}
  async send(message: OutboxMessage<P>): Promise<void> {
    this.sent.push(message);
    const error = this.outcome(message, this.sent.filter((m) => m.id === message.id).length);
    if (error !== null) throw error;
  }
}

async function openOutbox<P extends Json>(store: OutboxStore, targets: OutboxTarget<P>[]): Promise<Outbox<P>> {
  const outbox = await Outbox.open<P>({ store, targets, backoff: FAST });
  cleanups.push(() => outbox.close());
  return outbox;
}

describe('generic outbox', () => {
  it('delivers a structured payload to each target in order, each getting its own copy of exactly what was queued', async () => {
    const tamperer = new Recorder<Order>('tamperer');
    // A target that changes what it was given must not change what the next target or a retry gets.
    tamperer.send = async (message) => {
      tamperer.sent.push(JSON.parse(JSON.stringify(message)) as OutboxMessage<Order>);
      message.payload.lines.length = 0;
      message.id = 'changed';
    };
    const other = new Recorder<Order>('other');
    const outbox = await openOutbox(new MemoryOutboxStore(), [tamperer, other]);
    const queued = [orderMessage(1), orderMessage(2), orderMessage(3)];
    for (const message of queued) await outbox.enqueue(message);
    // The caller changing its object after enqueue doesn't reach the far end either.
    queued[0]!.payload.note = 'edited after queueing';
    await outbox.whenIdle();
    const expected = [orderMessage(1), orderMessage(2), orderMessage(3)].map((m, i) => ({ ...m, id: queued[i]!.id }));
    expect(tamperer.sent).toEqual(expected);
    expect(other.sent).toEqual(expected);
  });

  it('keeps a string body byte for byte, and its topic, across a restart from the file store', async () => {
    const dir = await tempDir();
    const down = new Recorder<string>('receiver', () => new DeliveryError('unreachable', 'ECONNREFUSED'));
    const first = await Outbox.open<string>({ store: await FileOutboxStore.open(dir), targets: [down], backoff: FAST });
    // Spacing, key order, escapes and non-ASCII that a re-serialisation would change.
    const body = '{ "b":1,"a" : "caf\u00e9 \\u00e9",\n"n":1.50 }';
    await first.enqueue({ id: 'doc-1', topic: 'raw-body', at: '2026-11-14T09:00:00Z', payload: body });
    await expect.poll(() => down.sent.length).toBeGreaterThanOrEqual(1);
    await first.close();

    const up = new Recorder<string>('receiver');
    const second = await openOutbox<string>(await FileOutboxStore.open(dir), [up]);
    await second.whenIdle();
    expect(up.sent).toEqual([{ id: 'doc-1', topic: 'raw-body', at: '2026-11-14T09:00:00Z', payload: body }]);
  });

  it('restarts from any store, not just a file: the engine uses only the OutboxStore calls', async () => {
    const calls: string[] = [];
    const memory = new MemoryOutboxStore();
    const store: OutboxStore = {
      load: () => (calls.push('load'), memory.load()),
      add: (entry) => (calls.push(`add ${entry.message.id}`), memory.add(entry)),
      setStatus: (id, target, delivery) => (calls.push(`set ${id} ${target} ${delivery.status}`), memory.setStatus(id, target, delivery)),
      close: () => (calls.push('close'), Promise.resolve()),
    };
    const down = new Recorder<Order>('t', () => new Error('socket hang up'));
    const first = await Outbox.open<Order>({ store, targets: [down], backoff: FAST });
    const failures: DeliveryFailure<Order>[] = [];
    first.onDeliveryFailure((f) => failures.push(f));
    const message = orderMessage(7);
    await first.enqueue(message);
    await expect.poll(() => failures.length).toBeGreaterThanOrEqual(1);
    // Anything thrown that isn't a DeliveryError counts as unreachable: retried, not given up on.
    expect(failures[0]).toMatchObject({ target: 't', permanent: false, error: { kind: 'unreachable', message: 'socket hang up' }, message: { id: message.id } });
    await first.close();

    const up = new Recorder<Order>('t');
    const second = await openOutbox<Order>(store, [up]);
    await second.whenIdle();
    expect(up.sent).toEqual([message]);
    expect(calls).toEqual(['load', `add ${message.id}`, 'close', 'load', `set ${message.id} t delivered`]);
  });

  it('a rejection is permanent: listed in failures() with its payload until retried or dismissed', async () => {
    let refuse = true;
    const target = new Recorder<Order>('t', () => (refuse ? new DeliveryError('rejected', 'HTTP 422') : null));
    const outbox = await openOutbox(new MemoryOutboxStore(), [target]);
    const message = orderMessage(9);
    await outbox.enqueue(message);
    await outbox.whenIdle();
    expect(outbox.failures()).toEqual([{ message, target: 't', attempts: 1, error: { kind: 'rejected', message: 'HTTP 422' } }]);
    refuse = false;
    await outbox.retry(message.id, 't');
    await outbox.whenIdle();
    expect(target.sent.map((m) => m.payload.order)).toEqual([9, 9]);
    expect(outbox.failures()).toEqual([]);
  });

  it('reports a store that fails a status change, and carries on delivering', async () => {
    const memory = new MemoryOutboxStore();
    const store: OutboxStore = {
      load: () => memory.load(),
      add: (entry) => memory.add(entry),
      setStatus: () => Promise.reject(new Error('database is locked')),
      close: () => memory.close(),
    };
    const target = new Recorder<Order>('t');
    const outbox = await openOutbox(store, [target]);
    const errors: Error[] = [];
    outbox.onStoreError((e) => errors.push(e));
    await outbox.enqueue(orderMessage(1));
    await outbox.enqueue(orderMessage(2));
    await outbox.whenIdle();
    expect(target.sent.map((m) => m.payload.order)).toEqual([1, 2]);
    expect(errors.map((e) => e.message)).toEqual(['database is locked', 'database is locked']);
  });

  it('refuses at enqueue a message no far end could take', async () => {
    const outbox = await openOutbox<Json>(new MemoryOutboxStore(), [new Recorder<Json>('t')]);
    const good = { id: 'm-1', topic: 'test', at: '2026-11-14T09:00:00Z', payload: 'body' };
    const refused = async (message: OutboxMessage<Json>): Promise<DeliveryError> => {
      const error = await outbox.enqueue(message).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DeliveryError);
      if (!(error instanceof DeliveryError)) throw new Error('not refused');
      expect(error.kind).toBe('rejected');
      return error;
    };
    expect((await refused({ ...good, id: '' })).message).toMatch(/id/);
    expect((await refused({ ...good, id: 'x'.repeat(201) })).message).toMatch(/id/);
    expect((await refused({ ...good, topic: '' })).message).toMatch(/topic/);
    expect((await refused({ ...good, at: 'yesterday' })).message).toMatch(/ISO/);
    // What the types forbid but JavaScript callers can still pass.
    expect((await refused({ ...good, payload: undefined as unknown as Json })).message).toMatch(/no payload/);
    expect((await refused({ ...good, payload: { n: 1n } as unknown as Json })).message).toMatch(/not JSON/);
    expect(outbox.pending().deliveries).toBe(0);
  });
});

describe('FileOutboxStore legacy entries', () => {
  const legacyLine = (event: Record<string, string>): string =>
    `${JSON.stringify({ op: 'add', entry: { event, enqueuedAt: '2026-11-14T08:59:00.000Z', targets: { t: { status: 'pending', attempts: 2, error: null } } } })}\n`;

  it('turns what the owner recognises into messages (keeping their delivery state), and drops the rest as corrupt', async () => {
    const dir = await tempDir();
    await appendFile(join(dir, 'outbox.jsonl'), legacyLine({ id: 'mine-1', at: '2026-11-14T08:59:00.000Z', body: 'hello' }) + legacyLine({ id: 'not-mine' }));
    const store = await FileOutboxStore.open(dir, {
      legacy: (event) => {
        const { id, at, body } = event as Record<string, unknown>;
        return typeof id === 'string' && typeof at === 'string' && typeof body === 'string' ? { id, topic: 'greeting', at, payload: body } : null;
      },
    });
    expect(store.corruptLines).toBe(1);
    expect(await store.load()).toEqual([
      { message: { id: 'mine-1', topic: 'greeting', at: '2026-11-14T08:59:00.000Z', payload: 'hello' }, enqueuedAt: '2026-11-14T08:59:00.000Z', targets: { t: { status: 'pending', attempts: 2, error: null } } },
    ]);
    // Rewritten on open in the current form: the next start needs no converter.
    await store.close();
    const again = await FileOutboxStore.open(dir);
    expect(again.corruptLines).toBe(0);
    expect((await again.load()).map((e) => e.message.id)).toEqual(['mine-1']);
    await again.close();
  });

  it('without a converter, an old entry is counted corrupt rather than misread', async () => {
    const dir = await tempDir();
    await appendFile(join(dir, 'outbox.jsonl'), legacyLine({ id: 'old' }));
    const store = await FileOutboxStore.open(dir);
    expect(store.corruptLines).toBe(1);
    expect(await store.load()).toEqual([]);
    expect(await readFile(store.file, 'utf8')).toBe('');
    await store.close();
  });
});
