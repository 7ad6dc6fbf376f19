import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/kiosk-harness.ts';
import { ManualTime } from '../helpers/manual-time.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234' };
const PRIYA = { card: '04B2C3D4E5', pin: '2345' };
let h: Harness;
afterEach(async () => h?.close());

async function signIn(card: string, pin: string): Promise<void> {
  await h.call('demoTapCard', { uid: card });
  await h.waitFor((s) => s.screen.kind === 'pin');
  const result = await h.call('submitPin', { pin });
  if (!result.ok) throw new Error(result.error.message);
}

describe('kiosk (demo site, simulated bank over the Kerong protocol)', () => {
  it('an officer in date draws a Taser and returns it, end to end', async () => {
    h = await startHarness();
    expect(h.latest()?.screen.kind).toBe('idle');
    await signIn(ALEX.card, ALEX.pin);
    const home = await h.waitFor((s) => s.screen.kind === 'home');
    const taser = home.session?.drawOptions.find((o) => o.name === 'Taser 7');
    expect(taser).toMatchObject({ allowed: true });

    const drawn = await h.call('startDraw', { assetTypeId: taser!.assetTypeId });

    expect(drawn.ok).toBe(true);
    const open = await h.waitFor((s) => s.screen.kind === 'draw-door-open' && (s.demo?.doors.find((d) => d.number === 1)?.open ?? false));
    expect(open.screen).toMatchObject({ kind: 'draw-door-open', doorNumber: 1, assetTypeName: 'Taser 7' });
    await h.call('demoDoor', { doorNumber: 1, action: 'take-item' });
    await h.call('demoDoor', { doorNumber: 1, action: 'close' });
    const done = await h.waitFor((s) => s.screen.kind === 'draw-done');
    const serial = done.screen.kind === 'draw-done' ? done.screen.serial : '';
    expect(done.session?.holdings.map((x) => x.serial)).toContain(serial);

    await h.call('dismiss', {});
    const holding = h.latest()?.session?.holdings.find((x) => x.serial === serial);
    const tag = h.latest()?.demo?.tags.find((t) => t.label.includes(serial))?.tag;
    expect(tag).toBeDefined();
    await h.call('demoScanTag', { tag: tag! }); // the return starts from a scan, as at a real terminal
    const returnOpen = await h.waitFor((s) => s.screen.kind === 'return-door-open');
    const door = returnOpen.screen.kind === 'return-door-open' ? returnOpen.screen.doorNumber : 0;
    await h.waitFor((s) => s.demo?.doors.find((d) => d.number === door)?.open ?? false);
    await h.call('demoDoor', { doorNumber: door, action: 'put-item' });
    await h.call('demoDoor', { doorNumber: door, action: 'close' });
    await h.waitFor((s) => s.screen.kind === 'return-condition');
    const conditioned = await h.call('recordCondition', { condition: 'discharged' });
    expect(conditioned.ok && conditioned.value.screen).toMatchObject({ kind: 'return-done', quarantined: true, condition: 'discharged' });
    expect(h.latest()?.session?.holdings.some((x) => x.loanId === holding?.loanId)).toBe(false);
  });

  it('says a door is opening until a status poll has seen it open, for a draw and for a return', async () => {
    h = await startHarness();
    const seen: { kind: string; opened: boolean }[] = [];
    h.kiosk.service.onSnapshot((s) => {
      if (s.screen.kind === 'draw-door-open' || s.screen.kind === 'return-door-open') seen.push({ kind: s.screen.kind, opened: s.screen.opened });
    });
    await signIn(ALEX.card, ALEX.pin);
    const home = await h.waitFor((s) => s.screen.kind === 'home');
    const taser = home.session?.drawOptions.find((o) => o.name === 'Taser 7');
    // The draw answers once a poll has confirmed the door: by then the screen says it is open.
    const drawn = await h.call('startDraw', { assetTypeId: taser!.assetTypeId });
    expect(drawn.ok && drawn.value.screen).toMatchObject({ kind: 'draw-door-open', opened: true });
    await h.call('demoDoor', { doorNumber: 1, action: 'take-item' });
    await h.call('demoDoor', { doorNumber: 1, action: 'close' });
    const done = await h.waitFor((s) => s.screen.kind === 'draw-done');
    const serial = done.screen.kind === 'draw-done' ? done.screen.serial : '';
    await h.call('dismiss', {});
    await h.call('demoScanTag', { tag: h.latest()!.demo!.tags.find((t) => t.label.includes(serial))!.tag });
    await h.waitFor((s) => s.screen.kind === 'return-door-open' && s.screen.opened);

    // The first push after each intent's commit (the unlock on its way, no reading yet) says "opening";
    // "open" follows, and never the other way round.
    for (const kind of ['draw-door-open', 'return-door-open']) {
      const states = seen.filter((x) => x.kind === kind).map((x) => x.opened);
      expect(states[0]).toBe(false);
      expect(states.at(-1)).toBe(true);
      expect(states.indexOf(true)).toBeGreaterThan(states.lastIndexOf(false));
    }
  });

  it('refuses an officer whose Taser refresher has expired, saying so', async () => {
    h = await startHarness();
    await signIn(PRIYA.card, PRIYA.pin);
    const home = await h.waitFor((s) => s.screen.kind === 'home');
    const taser = home.session?.drawOptions.find((o) => o.name === 'Taser 7');
    expect(taser?.allowed).toBe(false);
    expect(taser?.reasons[0]?.message).toMatch(/^Taser refresher expired \d+ \w{3} \d{4}$/);
    const result = await h.call('startDraw', { assetTypeId: taser!.assetTypeId });
    expect(result).toMatchObject({ ok: false, error: { kind: 'refused' } });
    expect(h.latest()?.demo?.doors.every((d) => !d.open)).toBe(true);
  });

  it('signs out after the idle timeout, warning first, to the second', async () => {
    const time = new ManualTime('2026-12-01T12:00:00Z');
    h = await startHarness({ idleTimeoutSeconds: 60, idleWarningSeconds: 15 }, undefined, {}, time);
    await signIn(ALEX.card, ALEX.pin);
    await time.advance(44_999);
    expect(h.latest()?.idle.warningSecondsLeft).toBeNull();
    await time.advance(1);
    expect(h.latest()).toMatchObject({ screen: { kind: 'home' }, idle: { warningSecondsLeft: 15 } });
    await time.advance(10_000);
    expect(h.latest()?.idle.warningSecondsLeft).toBe(5);
    await time.advance(4_999);
    expect(h.latest()?.session?.collarNumber).toBe('PC 1234');
    await time.advance(1);
    expect(h.latest()).toMatchObject({ screen: { kind: 'idle' }, session: null });
  });

  it('"still here" restarts the countdown', async () => {
    const time = new ManualTime('2026-12-01T12:00:00Z');
    h = await startHarness({ idleTimeoutSeconds: 60, idleWarningSeconds: 15 }, undefined, {}, time);
    await signIn(ALEX.card, ALEX.pin);
    await time.advance(50_000);
    expect(h.latest()?.idle.warningSecondsLeft).toBe(10);
    const kept = await h.call('stillHere', {});
    expect(kept.ok && kept.value.idle.warningSecondsLeft).toBe(null);
    await time.advance(59_000);
    expect(h.latest()).toMatchObject({ screen: { kind: 'home' }, idle: { warningSecondsLeft: 1 } });
    await time.advance(1_000);
    expect(h.latest()?.screen.kind).toBe('idle');
  });

  it('a card tapped during a session does not switch officers', async () => {
    h = await startHarness();
    await signIn(ALEX.card, ALEX.pin);
    await h.call('demoTapCard', { uid: PRIYA.card });
    const s = await h.waitFor((x) => x.screen.kind === 'home' && x.screen.message !== null);
    expect(s.session?.collarNumber).toBe('PC 1234');
  });

  it('a door that is closed cannot have its item taken in the simulator', async () => {
    h = await startHarness();
    const result = await h.call('demoDoor', { doorNumber: 2, action: 'take-item' });
    expect(result).toMatchObject({ ok: false, error: { kind: 'conflict' } });
  });

  it('requests that need a session are refused without one', async () => {
    h = await startHarness();
    expect(await h.call('startDraw', { assetTypeId: 1 })).toMatchObject({ ok: false, error: { kind: 'not-signed-in' } });
    expect(await h.call('recordCondition', { condition: 'ok' })).toMatchObject({ ok: false, error: { kind: 'not-signed-in' } });
    // No card tapped, so there is no PIN pad to answer.
    expect(await h.call('submitPin', { pin: '1234' })).toMatchObject({ ok: false, error: { kind: 'wrong-state' } });
  });
});
