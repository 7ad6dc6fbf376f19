import { afterEach, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import {
  WebhookTrigger,
  classifyWebhookStatus,
  signWebhookBody,
  verifyWebhookSignature,
  webhookBody,
} from '../../../native-bridges/video-trigger/webhook.ts';
import type { WebhookTriggerOptions } from '../../../native-bridges/video-trigger/webhook.ts';
import { WebhookReceiver } from '../../../native-bridges/video-trigger/webhook-receiver.ts';
import type { WebhookReceiverOptions } from '../../../native-bridges/video-trigger/webhook-receiver.ts';
import { MemoryOutboxStore, Outbox } from '../../../native-bridges/outbox/outbox.ts';
import type { DeliveryFailure } from '../../../native-bridges/outbox/outbox.ts';
import { videoMessage, videoOutboxTarget } from '../../../native-bridges/video-trigger/video-outbox.ts';
import { expectTriggerError, videoEvent } from './events.ts';

const SECRET = 'correct horse battery staple';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function rig(
  receiverOptions: Partial<WebhookReceiverOptions> = {},
  triggerOptions: Partial<WebhookTriggerOptions> = {},
): Promise<{ receiver: WebhookReceiver; trigger: WebhookTrigger }> {
  const receiver = await WebhookReceiver.start({ secret: SECRET, ...receiverOptions });
  const trigger = new WebhookTrigger({ url: receiver.url, secret: SECRET, timeoutMs: 500, ...triggerOptions });
  cleanups.push(async () => {
    await trigger.close();
    await receiver.close();
  });
  return { receiver, trigger };
}

/** Posts raw bytes with the given headers, as an attacker or a broken client would. */
function rawPost(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('webhook signing', () => {
  it('signs the raw body with HMAC-SHA256 as sha256=<hex>', () => {
    const body = '{"id":"x"}';
    expect(signWebhookBody(body, 'k'.repeat(16))).toBe(`sha256=${createHmac('sha256', 'k'.repeat(16)).update(body).digest('hex')}`);
    // A fixed vector, so a change of algorithm or encoding is caught, not just self-consistency.
    expect(signWebhookBody('hello', 'secret')).toBe('sha256=88aab3ede8d3adf94d26ab90d3bafd4a2083070c3bcce9c014ee04a443847c0b');
  });

  it('verifies only the exact signature of the exact bytes', () => {
    const body = webhookBody(videoEvent());
    const good = signWebhookBody(body, SECRET);
    expect(verifyWebhookSignature(body, SECRET, good)).toBe(true);
    expect(verifyWebhookSignature(`${body} `, SECRET, good)).toBe(false);
    expect(verifyWebhookSignature(body, `${SECRET}!`, good)).toBe(false);
    expect(verifyWebhookSignature(body, SECRET, good.slice(0, -1))).toBe(false);
    expect(verifyWebhookSignature(body, SECRET, undefined)).toBe(false);
  });

  it('classifies statuses: 2xx accepted, 408/429/5xx retry, other 4xx rejected', () => {
    expect([200, 201, 204].map(classifyWebhookStatus)).toEqual(['accepted', 'accepted', 'accepted']);
    expect([408, 429, 500, 502, 503].map(classifyWebhookStatus)).toEqual(Array(5).fill('unreachable'));
    expect([400, 401, 403, 404, 409, 422].map(classifyWebhookStatus)).toEqual(Array(6).fill('rejected'));
    expect([301, 302, 101].map(classifyWebhookStatus)).toEqual(Array(3).fill('protocol'));
  });

  it('refuses plain http except to loopback, and short secrets', () => {
    expect(() => new WebhookTrigger({ url: 'http://vms.example/hook', secret: SECRET })).toThrow(/https/);
    expect(() => new WebhookTrigger({ url: 'https://vms.example/hook', secret: 'short' })).toThrow(/16/);
    expect(new WebhookTrigger({ url: 'https://vms.example/hook', secret: SECRET }).name).toBe('webhook:https://vms.example');
  });
});

describe('WebhookTrigger against the loopback receiver', () => {
  it('delivers a signed event with timestamp and idempotency key', async () => {
    const now = new Date('2025-03-01T10:15:30Z');
    const { receiver, trigger } = await rig({}, { now: () => now });
    const event = videoEvent({ kind: 'RETURN', asset: 'TASER-7', officer: 'PC5' });
    await trigger.send(event);
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.event).toEqual(event);
    expect(receiver.received[0]?.idempotencyKey).toBe(event.id);
    expect(receiver.received[0]?.timestamp).toBe(String(now.getTime() / 1000));
    expect(trigger.health()).toEqual({ state: 'online', lastError: null });
  });

  it('a receiver with a different secret rejects the event (401, no retry)', async () => {
    const { receiver, trigger } = await rig({ secret: 'a different shared secret' });
    const error = await expectTriggerError(trigger.send(videoEvent()), 'rejected');
    expect(error.message).toMatch(/HTTP 401: bad signature/);
    expect(receiver.received).toHaveLength(0);
    expect(receiver.badSignatures).toBe(1);
    expect(trigger.health().state).toBe('degraded');
  });

  it('the receiver refuses a tampered body whose signature was for the original', async () => {
    const { receiver } = await rig();
    const event = videoEvent({ asset: 'GLOCK-1' });
    const body = webhookBody(event);
    const headers = { 'x-armoury-signature': signWebhookBody(body, SECRET), 'x-armoury-timestamp': '1', 'idempotency-key': event.id };
    expect(await rawPost(receiver.url, body.replace('GLOCK-1', 'GLOCK-2'), headers)).toBe(401);
    expect(receiver.received).toHaveLength(0);
    expect(await rawPost(receiver.url, body, headers)).toBe(201);
    expect(receiver.received.map((r) => r.event.asset)).toEqual(['GLOCK-1']);
  });

  it('de-duplicates by idempotency key: a repeat is answered 200 but recorded once', async () => {
    const { receiver, trigger } = await rig();
    const event = videoEvent();
    await trigger.send(event);
    await trigger.send(event);
    await trigger.send(videoEvent());
    expect(receiver.received.map((r) => r.idempotencyKey)).toHaveLength(2);
    expect(receiver.received[0]?.idempotencyKey).toBe(event.id);
    expect(receiver.duplicates).toBe(1);
  });

  it('500 is unreachable (retry), a slow receiver is a timeout, a down one is unreachable', async () => {
    const { receiver, trigger } = await rig({ faults: { status: 500 } }, { timeoutMs: 150 });
    const error = await expectTriggerError(trigger.send(videoEvent()), 'unreachable');
    expect(error.message).toMatch(/HTTP 500/);
    await receiver.setFaults({ status: null, delayMs: 400 });
    await expectTriggerError(trigger.send(videoEvent()), 'timeout');
    await receiver.setFaults({ delayMs: 0, down: true });
    const down = await expectTriggerError(trigger.send(videoEvent()), 'unreachable');
    expect(down.message).toMatch(/ECONNREFUSED/);
    expect(trigger.health().state).toBe('offline');
  });

  it('429 is retried, 422 is not', async () => {
    const { receiver, trigger } = await rig({ faults: { status: 429 } });
    await expectTriggerError(trigger.send(videoEvent()), 'unreachable');
    await receiver.setFaults({ status: 422 });
    await expectTriggerError(trigger.send(videoEvent()), 'rejected');
  });

  it('through the outbox, 500 is retried with back-off until the receiver recovers, then delivered once', async () => {
    const { receiver, trigger } = await rig({ faults: { failNext: 3 } });
    const outbox = await Outbox.open({ store: new MemoryOutboxStore(), targets: [videoOutboxTarget(trigger)], backoff: { minMs: 10, maxMs: 40 } });
    cleanups.push(() => outbox.close());
    const failures: DeliveryFailure[] = [];
    outbox.onDeliveryFailure((f) => failures.push(f));
    const event = videoEvent();
    await outbox.enqueue(videoMessage(event));
    await outbox.whenIdle();
    expect(receiver.requests).toBe(4);
    expect(receiver.received.map((r) => r.idempotencyKey)).toEqual([event.id]);
    expect(failures.map((f) => [f.attempts, f.error.kind, f.permanent])).toEqual([
      [1, 'unreachable', false],
      [2, 'unreachable', false],
      [3, 'unreachable', false],
    ]);
    expect(outbox.pending().deliveries).toBe(0);
  });
});
