import { createPublicKey } from 'node:crypto';
import Database from 'better-sqlite3';
import { chmodSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { TERMINAL_KEY_FILE } from '../../main/terminal-key.ts';
import { tamper } from '../helpers/anchored-db.ts';
import { startHarness, type Harness } from '../helpers/kiosk-harness.ts';
import { join, tempDir } from '../helpers/temp-db.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234' }; // officer, Taser in date
const JO = { card: '0418293A4B', pin: '9001' }; // armourer

let h: Harness | null = null;
let cleanup: (() => void) | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
  cleanup?.();
  cleanup = null;
});

async function signIn(who: { card: string; pin: string }): Promise<void> {
  await h!.call('demoTapCard', { uid: who.card });
  await h!.waitFor((s) => s.screen.kind === 'pin');
  const signed = await h!.call('submitPin', { pin: who.pin });
  expect(signed).toMatchObject({ ok: true, value: { screen: { kind: 'home' } } });
}

const checkpoints = (dataDir: string) => {
  const db = new Database(join(dataDir, 'armoury.db'), { readonly: true });
  try {
    return db.prepare('SELECT seq, reason FROM audit_checkpoints ORDER BY id').all() as { seq: number; reason: string }[];
  } finally {
    db.close();
  }
};

describe('audit anchoring in the running terminal', () => {
  it('signs a checkpoint at start-up and at sign-out, and shows its key on the console', async () => {
    const t = tempDir('armoury-anchor-kiosk-');
    cleanup = t.cleanup;
    h = await startHarness({}, t.dir);
    expect(h.latest()?.lockers.inService).toBe(true);
    await signIn(JO);
    const view = await h.call('getAuditAnchor', {});
    expect(view).toMatchObject({ ok: true, value: { terminalId: 'terminal-1', trail: { state: 'verified', message: null }, latestCheckpoint: { reason: 'start-up' } } });
    const exported = await h.call('exportAuditPublicKey', {});
    if (!exported.ok || !view.ok) throw new Error('no key');
    const pem = Buffer.from(exported.value.base64, 'base64').toString('utf8');
    // The exported key is the public half of the private key in the data directory.
    const fromFile = createPublicKey(readFileSync(join(t.dir, TERMINAL_KEY_FILE), 'utf8')).export({ type: 'spki', format: 'pem' }).toString();
    expect(pem).toBe(fromFile);
    expect(exported.value).toMatchObject({ fileName: 'terminal-1-audit-public-key.pem', mimeType: 'application/x-pem-file' });
    expect(view.value.publicKeyFingerprint).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    await h.call('signOut', {});
    await h.kiosk.close();
    h = null;
    expect(checkpoints(t.dir).map((c) => c.reason)).toEqual(['start-up', 'sign-out']);
  });

  it('does not start when its signing key can be read by others', async () => {
    const t = tempDir('armoury-anchor-kiosk-');
    cleanup = t.cleanup;
    h = await startHarness({}, t.dir);
    await h.kiosk.close();
    h = null;
    chmodSync(join(t.dir, TERMINAL_KEY_FILE), 0o604);
    await expect(startHarness({}, t.dir)).rejects.toThrow(/can be read by users other than the kiosk user \(mode 0604\)/);
  });

  it('refuses draws and returns, says why on screen, and raises an exception when the trail fails its check', async () => {
    const t = tempDir('armoury-anchor-kiosk-');
    cleanup = t.cleanup;
    h = await startHarness({}, t.dir);
    await signIn(ALEX);
    await h.call('signOut', {});
    await h.close();
    h = null;
    const signed = checkpoints(t.dir).at(-1)!;
    // With the terminal off, the last rows are cut off the log (and the triggers put back).
    tamper(join(t.dir, 'armoury.db'), (db) => db.prepare('DELETE FROM audit_log WHERE seq > ?').run(signed.seq - 2));

    h = await startHarness({}, t.dir);
    const idle = h.latest()!;
    expect(idle.lockers).toMatchObject({ inService: false });
    expect(idle.lockers.reason).toMatch(/^The audit trail failed its integrity check, so nothing can be drawn or returned here\. Call an armourer or site admin/);

    await signIn(ALEX);
    const draw = await h.call('startDraw', { assetTypeId: 1 });
    expect(draw).toMatchObject({ ok: false, error: { kind: 'device' } });
    if (draw.ok) return;
    expect(draw.error.message).toMatch(/^The audit trail failed its integrity check/);
    const holding = h.latest()!.session!.holdings[0]!;
    const back = await h.call('startReturn', { assetId: holding.assetId });
    expect(back).toMatchObject({ ok: false, error: { message: draw.error.message } });
    await h.call('signOut', {});

    await signIn(JO);
    const queue = await h.call('listExceptions', { state: 'open', kind: 'audit-check-failed' });
    expect(queue).toMatchObject({ ok: true, value: [{ kind: 'audit-check-failed', subject: 'audit:trail' }] });
    const view = await h.call('getAuditAnchor', {});
    expect(view).toMatchObject({ ok: true, value: { trail: { state: 'failed' } } });
    // What was found is for the armourer (the console and the exception), not the officer's screen.
    if (view.ok) expect(view.value.trail.message).toContain(`the chain is shorter than the signed checkpoint: it ends at row ${signed.seq - 2}`);
    if (queue.ok) expect(queue.value[0]?.message).toContain('the chain is shorter than the signed checkpoint');
    // Nothing is signed over a trail that failed: the sign-outs since added no checkpoint.
    expect(checkpoints(t.dir).at(-1)).toEqual(signed);
  });
});
