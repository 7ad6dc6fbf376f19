import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/core/db/database.ts';
import { WebhookReceiver } from '../../native-bridges/video-trigger/webhook-receiver.ts';
import { startHarness, type Harness } from '../helpers/kiosk-harness.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234' };
const SECRET = 'a-shared-secret-for-tests';
let h: Harness | undefined;
let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await h?.close();
  await receiver?.close();
  h = undefined;
  receiver = undefined;
});

async function harnessWithWebhook(policy: 'required' | 'best-effort'): Promise<Harness> {
  receiver = await WebhookReceiver.start({ secret: SECRET, port: 0, host: '127.0.0.1' });
  return startHarness({}, undefined, { video: { policy, camera: 'CAM-7', triggers: [{ id: 'vms', kind: 'webhook', url: receiver.url, secret: SECRET }] } });
}

async function signIn(): Promise<void> {
  await h!.call('demoTapCard', { uid: ALEX.card });
  await h!.waitFor((s) => s.screen.kind === 'pin');
  const r = await h!.call('submitPin', { pin: ALEX.pin });
  if (!r.ok) throw new Error(r.error.message);
}

async function drawAndTake(typeName: string): Promise<void> {
  const type = h!.latest()?.session?.drawOptions.find((o) => o.name === typeName);
  const drawn = await h!.call('startDraw', { assetTypeId: type!.assetTypeId });
  if (!drawn.ok) throw new Error(drawn.error.message);
  if (drawn.value.screen.kind !== 'draw-door-open') throw new Error(drawn.value.screen.kind);
  const door = drawn.value.screen.doorNumber;
  await h!.call('demoDoor', { doorNumber: door, action: 'take-item' });
  await h!.call('demoDoor', { doorNumber: door, action: 'close' });
  await h!.waitFor((s) => s.screen.kind === 'draw-done');
  await h!.call('dismiss', {});
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('video trigger policy', () => {
  it('required: every issue reaches the VMS signed; while it is down nothing is released; after it returns nothing is lost', async () => {
    h = await harnessWithWebhook('required');
    await signIn();
    await drawAndTake('Taser 7');
    await until('the ISSUE event', () => receiver!.received.length === 1);
    expect(receiver!.received[0]?.event).toMatchObject({ kind: 'ISSUE', officer: 'PC 1234', camera: 'CAM-7', terminal: 'Armoury A, terminal 1' });
    expect(receiver!.badSignatures).toBe(0);

    await receiver!.setFaults({ down: true });
    await drawAndTake('Body-worn camera'); // queued before the door opened; its delivery now fails
    await until('the trigger offline', () => h!.latest()?.devices.find((d) => d.id === 'video:vms')?.state === 'offline');
    // Any release is blocked now: try returning the radio PC 1234 holds.
    const holding = h!.latest()!.session!.holdings.find((x) => x.assetTypeName === 'Airwave radio')!;
    const blocked = await h!.call('startReturn', { assetId: holding.assetId });
    expect(blocked).toMatchObject({ ok: false, error: { kind: 'device', message: expect.stringContaining('records every issue and return on video') } });
    expect(h!.latest()?.demo?.doors.every((d) => !d.open)).toBe(true);

    await receiver!.setFaults({ down: false });
    await until('the queued event delivered', () => receiver!.received.length === 2, 90_000);
    expect(receiver!.received.map((r) => r.event.kind)).toEqual(['ISSUE', 'ISSUE']);
    expect(new Set(receiver!.received.map((r) => r.idempotencyKey)).size).toBe(2);
    await until('the trigger online', () => h!.latest()?.devices.find((d) => d.id === 'video:vms')?.state === 'online');
    const allowed = await h!.call('startReturn', { assetId: holding.assetId });
    expect(allowed.ok).toBe(true);
  }, 120_000);

  it('best effort: the door opens while the VMS is down, and the failure becomes an exception', async () => {
    h = await harnessWithWebhook('best-effort');
    await receiver!.setFaults({ down: true });
    await signIn();
    await drawAndTake('Taser 7');
    await until('a video-trigger-failed exception', () => {
      const db = openDatabase(`${h!.dataDir}/armoury.db`);
      try {
        return (db.prepare("SELECT count(*) AS n FROM exceptions WHERE kind = 'video-trigger-failed'").get() as { n: number }).n === 1;
      } finally {
        db.close();
      }
    }, 60_000);
    expect(h.latest()?.session?.holdings.some((x) => x.assetTypeName === 'Taser 7')).toBe(true);
  }, 90_000);
});
