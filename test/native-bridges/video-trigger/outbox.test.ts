import { afterEach, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileOutboxStore } from '../../../native-bridges/outbox/file-store.ts';
import { MemoryOutboxStore, Outbox, backoffDelay } from '../../../native-bridges/outbox/outbox.ts';
import type { Delivered, DeliveryFailure, OutboxOptions, OutboxStore } from '../../../native-bridges/outbox/outbox.ts';
import { legacyVideoMessage, videoMessage, videoOutboxTarget } from '../../../native-bridges/video-trigger/video-outbox.ts';
import { WebhookTrigger } from '../../../native-bridges/video-trigger/webhook.ts';
import { WebhookReceiver } from '../../../native-bridges/video-trigger/webhook-receiver.ts';
import { MilestoneTrigger } from '../../../native-bridges/video-trigger/milestone.ts';
import { MilestoneSimulator } from '../../../native-bridges/video-trigger/milestone-simulator.ts';
import { TriggerError } from '../../../native-bridges/video-trigger/trigger.ts';
import type { VideoEvent, VideoTrigger } from '../../../native-bridges/video-trigger/trigger.ts';
import type { LinkHealth } from '../../../native-bridges/device-health.ts';
import { videoEvent } from './events.ts';

const SECRET = 'outbox test shared secret';
const FAST = { minMs: 10, maxMs: 50 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'video-outbox-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function receiver(faults: Parameters<typeof WebhookReceiver.start>[0]['faults'] = {}): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start({ secret: SECRET, faults });
  cleanups.push(() => r.close());
  return r;
}

function webhook(r: WebhookReceiver, url = r.url): WebhookTrigger {
  const t = new WebhookTrigger({ name: 'webhook', url, secret: SECRET, timeoutMs: 1000 });
  cleanups.push(() => t.close());
  return t;
}

type VideoOutboxOptions = Omit<Partial<OutboxOptions<VideoEvent>>, 'targets'> & { store: OutboxStore; triggers: readonly VideoTrigger[] };

/** The outbox as the video service opens it: each trigger a target. */
function open(options: VideoOutboxOptions): Promise<Outbox<VideoEvent>> {
  const { triggers, ...rest } = options;
  return Outbox.open({ backoff: FAST, ...rest, targets: triggers.map(videoOutboxTarget) });
}

async function openOutbox(options: VideoOutboxOptions): Promise<Outbox<VideoEvent>> {
  const outbox = await open(options);
  cleanups.push(() => outbox.close());
  return outbox;
}

/** A trigger whose outcome the test scripts. */
class ScriptedTrigger implements VideoTrigger {
  readonly sent: VideoEvent[] = [];
  constructor(
    readonly name: string,
    private readonly outcome: (event: VideoEvent, attempt: number) => TriggerError | null,
  ) {}
  async send(event: VideoEvent): Promise<void> {
    this.sent.push(event);
    const error = this.outcome(event, this.sent.filter((e) => e.id === event.id).length);
    if (error !== null) throw error;
  }
  health(): LinkHealth {
    return { state: 'online', lastError: null };
  }
  onHealth(): () => void {
    return () => undefined;
  }
  async close(): Promise<void> {}
}

describe('backoffDelay', () => {
  it('starts at min, doubles its ceiling, never exceeds max, and jitters between', () => {
    expect(backoffDelay(1, { minMs: 500, maxMs: 60_000 }, () => 0.99)).toBe(500);
    expect(backoffDelay(2, { minMs: 500, maxMs: 60_000 }, () => 1)).toBe(1000);
    expect(backoffDelay(3, { minMs: 500, maxMs: 60_000 }, () => 0)).toBe(500);
    expect(backoffDelay(3, { minMs: 500, maxMs: 60_000 }, () => 1)).toBe(2000);
    expect(backoffDelay(50, { minMs: 500, maxMs: 60_000 }, () => 1)).toBe(60_000);
    expect(backoffDelay(1000, {}, () => 0.5)).toBeLessThanOrEqual(60_000);
    expect(backoffDelay(1)).toBe(500);
  });
});

describe('Outbox', () => {
  it('loses no event across an outage: receiver and VMS down, 50 events, both back, all delivered exactly once', async () => {
    const dir = await tempDir();
    const r = await receiver({ down: true });
    const vms = await MilestoneSimulator.start({ port: 0, faults: { down: true } });
    cleanups.push(() => vms.close());
    const milestone = new MilestoneTrigger({ name: 'milestone', host: '127.0.0.1', port: vms.port, connectTimeoutMs: 300, replyTimeoutMs: 300 });
    cleanups.push(() => milestone.close());
    const outbox = await openOutbox({ store: await FileOutboxStore.open(dir), triggers: [webhook(r), milestone] });
    const failures: DeliveryFailure[] = [];
    outbox.onDeliveryFailure((f) => failures.push(f));

    const events = Array.from({ length: 50 }, (_, i) => videoEvent({ kind: i % 2 === 0 ? 'ISSUE' : 'RETURN', asset: `A-${i}` }));
    for (const event of events) await outbox.enqueue(videoMessage(event));
    expect(outbox.pending()).toEqual({ deliveries: 100, messages: 50, byTarget: { webhook: 50, milestone: 50 } });

    await expect.poll(() => failures.filter((f) => f.target === 'webhook').length, { timeout: 3000 }).toBeGreaterThanOrEqual(3);
    expect(failures.every((f) => !f.permanent && f.error.kind === 'unreachable' && f.message.id === events[0]?.id)).toBe(true);
    // Back-off: repeated attempts at the head event, not one attempt per queued event.
    expect(Math.max(...failures.map((f) => f.attempts))).toBeGreaterThanOrEqual(2);

    await r.setFaults({ down: false });
    await vms.setFaults({ down: false });
    await outbox.whenIdle();

    expect(r.received.map((x) => x.idempotencyKey)).toEqual(events.map((e) => e.id));
    expect(r.duplicates).toBe(0);
    expect(vms.events.map((e) => e.message?.asset)).toEqual(events.map((e) => e.asset));
    expect(outbox.pending()).toEqual({ deliveries: 0, messages: 0, byTarget: {} });
    expect(outbox.failures()).toEqual([]);
  });

  it('survives a restart mid-way: reopened from disk, the rest is delivered, nothing twice', async () => {
    const dir = await tempDir();
    const r = await receiver({ delayMs: 15 });
    const events = Array.from({ length: 30 }, (_, i) => videoEvent({ asset: `R-${i}` }));
    const first = await open({ store: await FileOutboxStore.open(dir), triggers: [webhook(r)] });
    for (const event of events) await first.enqueue(videoMessage(event));
    await expect.poll(() => r.received.length, { timeout: 5000, interval: 5 }).toBeGreaterThanOrEqual(8);
    await first.close();
    const deliveredBeforeRestart = r.received.length;
    expect(deliveredBeforeRestart).toBeLessThan(30);

    const store = await FileOutboxStore.open(dir);
    expect(store.corruptLines).toBe(0);
    const second = await openOutbox({ store, triggers: [webhook(r)] });
    expect(second.pending().deliveries).toBe(30 - deliveredBeforeRestart);
    await second.whenIdle();
    expect(r.received.map((x) => x.idempotencyKey)).toEqual(events.map((e) => e.id));
    expect(r.duplicates).toBe(0);
  });

  it('keeps the order and the pending events when the last line was torn by a power cut', async () => {
    const dir = await tempDir();
    const down = await receiver({ down: true });
    const first = await open({ store: await FileOutboxStore.open(dir), triggers: [webhook(down)] });
    const events = [videoEvent(), videoEvent(), videoEvent()];
    for (const event of events) await first.enqueue(videoMessage(event));
    await first.close();
    await appendFile(join(dir, 'outbox.jsonl'), '{"op":"add","entry":{"message":{"id":"half-writ');

    const store = await FileOutboxStore.open(dir);
    expect(store.corruptLines).toBe(1);
    expect((await store.load()).map((e) => e.message.id)).toEqual(events.map((e) => e.id));
    // Compaction on open rewrote the file without the torn line.
    expect((await readFile(join(dir, 'outbox.jsonl'), 'utf8')).split('\n').filter((l) => l.length > 0)).toHaveLength(3);
    const up = await receiver();
    const second = await openOutbox({ store, triggers: [webhook(up)] });
    await second.whenIdle();
    expect(up.received.map((x) => x.idempotencyKey)).toEqual(events.map((e) => e.id));
  });

  it('records a rejection as a permanent failure, reports it, keeps it across restarts, and can retry or dismiss it', async () => {
    const dir = await tempDir();
    const r = await receiver({ status: 422 });
    const first = await open({ store: await FileOutboxStore.open(dir), triggers: [webhook(r)] });
    const failures: DeliveryFailure[] = [];
    first.onDeliveryFailure((f) => failures.push(f));
    const bad = videoEvent();
    const other = videoEvent();
    await first.enqueue(videoMessage(bad));
    await first.enqueue(videoMessage(other));
    await first.whenIdle();
    expect(failures.map((f) => [f.message.id, f.attempts, f.permanent, f.error.kind])).toEqual([
      [bad.id, 1, true, 'rejected'],
      [other.id, 1, true, 'rejected'],
    ]);
    expect(r.requests).toBe(2); // not retried
    expect(first.pending().deliveries).toBe(0);
    await first.close();

    const second = await openOutbox({ store: await FileOutboxStore.open(dir), triggers: [webhook(r)] });
    expect(second.failures().map((f) => [f.message.id, f.target, f.error?.kind])).toEqual([
      [bad.id, 'webhook', 'rejected'],
      [other.id, 'webhook', 'rejected'],
    ]);
    await r.setFaults({ status: null });
    await second.retry(bad.id, 'webhook');
    await second.whenIdle();
    expect(r.received.map((x) => x.idempotencyKey)).toEqual([bad.id]);
    await second.dismiss(other.id, 'webhook');
    expect(second.failures()).toEqual([]);
    await expect(second.dismiss(other.id, 'webhook')).rejects.toThrow(RangeError);
  });

  it('delivers to a healthy target while another is down, and counts pending per target', async () => {
    const up = new ScriptedTrigger('up', () => null);
    const down = new ScriptedTrigger('down', () => new TriggerError('unreachable', 'ECONNREFUSED'));
    const outbox = await openOutbox({ store: new MemoryOutboxStore(), triggers: [up, down] });
    const delivered: Delivered[] = [];
    outbox.onDelivered((d) => delivered.push(d));
    for (let i = 0; i < 5; i++) await outbox.enqueue(videoMessage(videoEvent()));
    await expect.poll(() => up.sent.length).toBe(5);
    expect(outbox.pending()).toEqual({ deliveries: 5, messages: 5, byTarget: { down: 5 } });
    expect(delivered.every((d) => d.target === 'up' && d.attempts === 1)).toBe(true);
  });

  it('retries timeouts and protocol errors, then delivers', async () => {
    const flaky = new ScriptedTrigger('flaky', (_e, attempt) =>
      attempt === 1 ? new TriggerError('timeout', 'slow') : attempt === 2 ? new TriggerError('protocol', 'garbage') : null,
    );
    const outbox = await openOutbox({ store: new MemoryOutboxStore(), triggers: [flaky] });
    const failures: DeliveryFailure[] = [];
    outbox.onDeliveryFailure((f) => failures.push(f));
    await outbox.enqueue(videoMessage(videoEvent()));
    await outbox.whenIdle();
    expect(failures.map((f) => [f.attempts, f.error.kind, f.permanent])).toEqual([
      [1, 'timeout', false],
      [2, 'protocol', false],
    ]);
    expect(flaky.sent).toHaveLength(3);
  });

  it('treats a trigger that never settles as a timeout', async () => {
    const hung = new ScriptedTrigger('hung', () => null);
    hung.send = () => new Promise(() => undefined);
    const outbox = await openOutbox({ store: new MemoryOutboxStore(), triggers: [hung], attemptTimeoutMs: 30 });
    const failure = new Promise<DeliveryFailure>((resolve) => outbox.onDeliveryFailure(resolve));
    await outbox.enqueue(videoMessage(videoEvent()));
    expect((await failure).error.kind).toBe('timeout');
  });

  it('refuses unknown targets, duplicate trigger names and malformed events; ignores a repeated enqueue', async () => {
    const t = new ScriptedTrigger('t', () => null);
    await expect(open({ store: new MemoryOutboxStore(), triggers: [t, t] })).rejects.toThrow(/unique/);
    const outbox = await openOutbox({ store: new MemoryOutboxStore(), triggers: [t] });
    await expect(outbox.enqueue(videoMessage(videoEvent()), ['nope'])).rejects.toThrow(/no target named nope/);
    // A malformed event is refused as it is made into a message, before anything is queued.
    expect(() => videoMessage(videoEvent({ id: '' }))).toThrow(TriggerError);
    expect(() => videoMessage(videoEvent({ at: 'yesterday' }))).toThrow(/ISO/);
    const event = videoEvent();
    await Promise.all([outbox.enqueue(videoMessage(event)), outbox.enqueue(videoMessage(event))]);
    await outbox.whenIdle();
    expect(t.sent.filter((e) => e.id === event.id)).toHaveLength(1);
    await outbox.close();
    await expect(outbox.enqueue(videoMessage(videoEvent()))).rejects.toThrow(/closed/);
  });

  it('delivers what a log from before the outbox was generic still had pending, and rewrites it in the new form', async () => {
    const dir = await tempDir();
    const pending = videoEvent({ asset: 'OLD-PENDING' });
    const delivered = videoEvent({ asset: 'OLD-DELIVERED' });
    const old = (event: VideoEvent): string =>
      JSON.stringify({ op: 'add', entry: { event, enqueuedAt: '2025-03-01T10:15:01.000Z', targets: { webhook: { status: 'pending', attempts: 0, error: null } } } });
    const set = JSON.stringify({ op: 'set', id: delivered.id, target: 'webhook', delivery: { status: 'delivered', attempts: 1, error: null }, at: '2025-03-01T10:15:02.000Z' });
    await appendFile(join(dir, 'outbox.jsonl'), `${old(pending)}\n${old(delivered)}\n${set}\n`);

    const store = await FileOutboxStore.open(dir, { legacy: legacyVideoMessage });
    expect(store.corruptLines).toBe(0);
    expect(await readFile(store.file, 'utf8')).not.toContain('"event"');
    const r = await receiver();
    const outbox = await openOutbox({ store, triggers: [webhook(r)] });
    await outbox.whenIdle();
    expect(r.received.map((x) => x.idempotencyKey)).toEqual([pending.id]);
    expect(r.received[0]?.event).toEqual(pending);
  });

  it('compacts the log once it is mostly delivered', async () => {
    const dir = await tempDir();
    const t = new ScriptedTrigger('t', () => null);
    const store = await FileOutboxStore.open(dir, { compactAfter: 20 });
    const outbox = await openOutbox({ store, triggers: [t] });
    for (let i = 0; i < 30; i++) await outbox.enqueue(videoMessage(videoEvent()));
    await outbox.whenIdle();
    const lines = (await readFile(store.file, 'utf8')).split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBeLessThan(60);
  });
});
