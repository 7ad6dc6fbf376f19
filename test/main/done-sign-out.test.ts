import { afterEach, describe, expect, it } from 'vitest';
import type { KioskSnapshot } from '../../preload/contract.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { CONFIRM_POLL_MS } from '../../main/core/door-command.ts';
import { DrawJourney } from '../../main/core/journeys/draw.ts';
import { Session } from '../../main/core/session.ts';
import { copyDemoTemplate } from '../helpers/demo-template.ts';
import { doorCore } from '../helpers/door-core.ts';
import { noonToday, startHarness, type Harness } from '../helpers/kiosk-harness.ts';
import { ManualTime } from '../helpers/manual-time.ts';
import { assetTypeId, join, officerIdByCollar, seededDb, tempDir } from '../helpers/temp-db.ts';

// Issue #10, point 6: after a completed draw, return or swap the done screen counts down and
// main signs the officer out, unless they stay. The core's clock and timers are moved by hand;
// the simulated bank keeps real time.

const ALEX = { card: '04A1B2C3D4', pin: '1234' }; // Taser in date
const PRIYA = { card: '04B2C3D4E5', pin: '2345' }; // Taser refresher expired
const DONE_SECONDS = 5;

let h: Harness | undefined;
let time: ManualTime;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A demo kiosk on the run's seeded database, its core on a clock the test moves. */
async function start(): Promise<Harness> {
  time = new ManualTime(noonToday());
  const t = tempDir('armoury-done-');
  cleanups.push(t.cleanup);
  copyDemoTemplate(t.dir, noonToday());
  h = await startHarness({ idleTimeoutSeconds: 60, idleWarningSeconds: 15, doneSignOutSeconds: DONE_SECONDS }, t.dir, {}, time);
  return h;
}

function kiosk(): Harness {
  if (!h) throw new Error('no kiosk started');
  return h;
}

function latest(): KioskSnapshot {
  const s = kiosk().latest();
  if (!s) throw new Error('no snapshot yet');
  return s;
}

async function signIn(who: { card: string; pin: string }): Promise<void> {
  await kiosk().call('demoTapCard', { uid: who.card });
  await kiosk().waitFor((s) => s.screen.kind === 'pin');
  const result = await kiosk().call('submitPin', { pin: who.pin });
  if (!result.ok) throw new Error(result.error.message);
  await kiosk().waitFor((s) => s.screen.kind === 'home');
}

function typeId(name: string): number {
  const option = latest().session?.drawOptions.find((o) => o.name === name);
  if (!option) throw new Error(`no ${name} option`);
  return option.assetTypeId;
}

/**
 * Draw one `typeName` up to its door closing, with the item taken or left inside. The unlock's
 * confirmation polls wait on the core's scheduler: one poll's time is moved on while the door is
 * open, before the countdown (if any) starts.
 */
async function draw(take: boolean, typeName = 'Taser 7'): Promise<KioskSnapshot> {
  const k = kiosk();
  const drawn = k.call('startDraw', { assetTypeId: typeId(typeName) });
  const open = await k.waitFor((s) => s.screen.kind === 'draw-door-open');
  const door = open.screen.kind === 'draw-door-open' ? open.screen.doorNumber : 0;
  await k.waitFor((s) => s.demo?.doors.find((d) => d.number === door)?.open ?? false);
  await time.advance(CONFIRM_POLL_MS);
  expect((await drawn).ok).toBe(true);
  if (take) await k.call('demoDoor', { doorNumber: door, action: 'take-item' });
  await k.call('demoDoor', { doorNumber: door, action: 'close' });
  return k.waitFor((s) => s.screen.kind === (take ? 'draw-done' : 'problem'));
}

/** The kiosk's sign-outs, oldest first: whose, and why. */
function signOuts(): { subject: string; why: string }[] {
  const db = openDatabase(`${kiosk().dataDir}/armoury.db`);
  try {
    return db
      .prepare<[], { subject: string; details: string }>("SELECT subject, details FROM audit_log WHERE action = 'auth.signed-out' ORDER BY seq")
      .all()
      .map((r) => ({ subject: r.subject, why: (JSON.parse(r.details) as { why: string }).why }));
  } finally {
    db.close();
  }
}

describe('the done screen signs the officer out after its countdown (main, controlled clock)', () => {
  it('counts down from the policy in whole seconds of the core clock, and signs out at the deadline, not before', async () => {
    await start();
    await signIn(ALEX);
    const done = await draw(true);
    expect(done.idle).toMatchObject({ doneSecondsLeft: DONE_SECONDS, warningSecondsLeft: null });
    expect(done.screen).toMatchObject({ kind: 'draw-done', assetTypeName: 'Taser 7' });

    await time.advance(1_000);
    expect(latest().idle.doneSecondsLeft).toBe(4);
    await time.advance(3_999);
    // One millisecond before the deadline: still signed in, on the done screen, one second showing.
    expect(latest()).toMatchObject({ screen: { kind: 'draw-done' }, session: { collarNumber: 'PC 1234' }, idle: { doneSecondsLeft: 1 } });
    expect(signOuts()).toEqual([]);
    await time.advance(1);
    expect(latest()).toMatchObject({ screen: { kind: 'idle' }, session: null, idle: { doneSecondsLeft: null } });
    const alex = `officer:${done.session?.officerId}`;
    expect(signOuts()).toEqual([{ subject: alex, why: 'draw complete' }]);
    // Nothing is left running: no second sign-out, no idle warning for nobody.
    await time.advance(120_000);
    expect(signOuts()).toHaveLength(1);
    expect(latest().screen.kind).toBe('idle');
  });

  it('"Stay signed in" stops the countdown and goes home; the idle timer runs again from then', async () => {
    await start();
    await signIn(ALEX);
    await draw(true);
    await time.advance(3_000);
    const stayed = await kiosk().call('dismiss', {});
    expect(stayed.ok && stayed.value).toMatchObject({ screen: { kind: 'home', message: null }, idle: { doneSecondsLeft: null } });
    await time.advance(DONE_SECONDS * 1000);
    expect(latest()).toMatchObject({ screen: { kind: 'home' }, session: { collarNumber: 'PC 1234' } });
    // The idle warning comes 45 s after the stay, as after any touch.
    await time.advance(45_000 - DONE_SECONDS * 1000 - 1);
    expect(latest().idle.warningSecondsLeft).toBeNull();
    await time.advance(1);
    expect(latest().idle.warningSecondsLeft).toBe(15);
    expect(signOuts()).toEqual([]);
  });

  it('any touch on the screen, or a tag scanned, counts as staying; the simulator playing a door does not', async () => {
    await start();
    await signIn(ALEX);
    const done = await draw(true);
    // The simulator is the room's hardware: its requests are not the officer at the screen.
    await kiosk().call('demoDoor', { doorNumber: 2, action: 'take-item' }); // refused: door 2 is shut
    await time.advance(1_000);
    expect(latest()).toMatchObject({ screen: { kind: 'draw-done' }, idle: { doneSecondsLeft: 4 } });

    // A touch anywhere on the screen (the renderer sends "still here").
    const touched = await kiosk().call('stillHere', {});
    expect(touched.ok && touched.value).toMatchObject({ screen: { kind: 'home' }, idle: { doneSecondsLeft: null } });
    // Pushed too: the renderer sends "still here" without reading its answer.
    expect(latest()).toMatchObject({ screen: { kind: 'home' }, idle: { doneSecondsLeft: null } });
    await time.advance(DONE_SECONDS * 1000);
    expect(latest().session?.collarNumber).toBe('PC 1234');

    // A camera drawn next, then the Taser's tag scanned during its countdown: the return starts, nobody is signed out.
    const serial = done.screen.kind === 'draw-done' ? done.screen.serial : '';
    const tag = latest().demo?.tags.find((t) => t.label.includes(serial))?.tag;
    expect(tag).toBeDefined();
    const camera = await draw(true, 'Body-worn camera');
    expect(camera.idle.doneSecondsLeft).toBe(DONE_SECONDS);
    await kiosk().call('demoScanTag', { tag: tag! });
    await kiosk().waitFor((s) => s.screen.kind === 'return-door-open');
    await time.advance(DONE_SECONDS * 1000);
    expect(latest()).toMatchObject({ screen: { kind: 'return-door-open' }, session: { collarNumber: 'PC 1234' } });
    expect(signOuts()).toEqual([]);
  });

  it('"Sign out now" signs out at once, as the officer\'s own sign-out', async () => {
    await start();
    await signIn(ALEX);
    const done = await draw(true);
    const out = await kiosk().call('signOut', {});
    expect(out.ok && out.value).toMatchObject({ screen: { kind: 'idle' }, session: null });
    expect(signOuts()).toEqual([{ subject: `officer:${done.session?.officerId}`, why: 'signed out' }]);
    await time.advance(DONE_SECONDS * 1000);
    expect(signOuts()).toHaveLength(1);
  });

  it('the next officer\'s card during the countdown signs the first out now and opens the PIN pad for the second', async () => {
    await start();
    await signIn(ALEX);
    const done = await draw(true);
    await time.advance(2_000);
    await kiosk().call('demoTapCard', { uid: PRIYA.card });
    const pad = await kiosk().waitFor((s) => s.screen.kind === 'pin');
    expect(pad).toMatchObject({ session: null, idle: { doneSecondsLeft: null } });
    expect(signOuts()).toEqual([{ subject: `officer:${done.session?.officerId}`, why: 'draw complete, next card' }]);
    // The first countdown is gone: its deadline passes with no second sign-out, and the pad stays.
    await time.advance(DONE_SECONDS * 1000);
    expect(latest().screen.kind).toBe('pin');
    expect(signOuts()).toHaveLength(1);
    const second = await kiosk().call('submitPin', { pin: PRIYA.pin });
    expect(second.ok && second.value.session?.collarNumber).toBe('PC 2345');
  });

  it('a completed return counts down too, once its condition is given', async () => {
    await start();
    await signIn(ALEX);
    const done = await draw(true);
    await kiosk().call('dismiss', {});
    const loan = latest().session?.holdings.find((x) => done.screen.kind === 'draw-done' && x.serial === done.screen.serial);
    expect(loan).toBeDefined();
    const returning = kiosk().call('startReturn', { assetId: loan!.assetId });
    const open = await kiosk().waitFor((s) => s.screen.kind === 'return-door-open');
    const door = open.screen.kind === 'return-door-open' ? open.screen.doorNumber : 0;
    await kiosk().waitFor((s) => s.demo?.doors.find((d) => d.number === door)?.open ?? false);
    await time.advance(CONFIRM_POLL_MS);
    expect((await returning).ok).toBe(true);
    await kiosk().call('demoDoor', { doorNumber: door, action: 'put-item' });
    await kiosk().call('demoDoor', { doorNumber: door, action: 'close' });
    await kiosk().waitFor((s) => s.screen.kind === 'return-condition');
    // The condition screen waits for the officer: no countdown there.
    expect(latest().idle.doneSecondsLeft).toBeNull();
    const given = await kiosk().call('recordCondition', { condition: 'ok' });
    expect(given.ok && given.value).toMatchObject({ screen: { kind: 'return-done' }, idle: { doneSecondsLeft: DONE_SECONDS } });
    await time.advance(DONE_SECONDS * 1000);
    expect(latest()).toMatchObject({ screen: { kind: 'idle' }, session: null });
    expect(signOuts().map((s) => s.why)).toEqual(['return complete']);
  });

  it('no countdown after a refused draw or one left inside the door: the officer reads why and tries again', async () => {
    await start();
    await signIn(PRIYA);
    const refused = await kiosk().call('startDraw', { assetTypeId: typeId('Taser 7') });
    expect(refused).toMatchObject({ ok: false, error: { kind: 'refused' } });
    expect(latest()).toMatchObject({ screen: { kind: 'home', message: expect.stringMatching(/Taser refresher expired/) }, idle: { doneSecondsLeft: null } });
    await time.advance(30_000);
    expect(latest().session?.collarNumber).toBe('PC 2345');
    await kiosk().call('signOut', {});

    await signIn(ALEX);
    const problem = await draw(false);
    expect(problem).toMatchObject({ screen: { kind: 'problem', title: 'Nothing drawn' }, idle: { doneSecondsLeft: null } });
    await time.advance(30_000);
    expect(latest()).toMatchObject({ screen: { kind: 'problem' }, session: { collarNumber: 'PC 1234' } });
    expect(signOuts().map((s) => s.why)).toEqual(['signed out']);
  });

  it('a policy of 0 turns the countdown off: the done screen waits for the officer', async () => {
    time = new ManualTime(noonToday());
    const t = tempDir('armoury-done-');
    cleanups.push(t.cleanup);
    copyDemoTemplate(t.dir, noonToday());
    h = await startHarness({ doneSignOutSeconds: 0 }, t.dir, {}, time);
    await signIn(ALEX);
    const done = await draw(true);
    expect(done.idle.doneSecondsLeft).toBeNull();
    await time.advance(30_000);
    expect(latest()).toMatchObject({ screen: { kind: 'draw-done' }, session: { collarNumber: 'PC 1234' } });
  });
});

describe('a draw whose door did not open (session and journey, controlled clock)', () => {
  it('shows the problem and starts no countdown', async () => {
    const t = tempDir('armoury-done-door-');
    cleanups.push(t.cleanup);
    const at = noonToday();
    if (!copyDemoTemplate(t.dir, at)) (await seededDb(join(t.dir, 'armoury.db'), at)).close();
    const db = openDatabase(join(t.dir, 'armoury.db'));
    cleanups.push(() => db.close());
    const clock = new ManualTime(at);
    const doors = doorCore(db, clock);
    const alex = officerIdByCollar(db, 'PC 1234');
    const begun = doors.beginDraw(alex, assetTypeId(db, 'TASER7'));
    if (!begun.ok) throw new Error(begun.message);
    const ended: string[] = [];
    const session = new Session(clock, clock, () => ({ timeoutSeconds: 60, warningSeconds: 15, doneSeconds: DONE_SECONDS }), () => ended.push('idle timeout'), () => {}, (why) => ended.push(why));
    session.cardTapped(ALEX.card, false);
    session.signedIn(alex);
    const journey = new DrawJourney(begun.intent);
    session.startJourney(journey);

    const failed = doors.fail(begun.intent.id, 'the door did not read open');
    if (!failed) throw new Error('the intent did not fail');
    journey.intentsChanged([failed]);
    expect(journey.finished).toBe(true);
    session.endJourney(journey.outcome());

    expect(session.state).toBe('signed-in');
    expect(session.screen).toMatchObject({ kind: 'problem', title: 'Door 1 did not open' });
    expect(session.doneSecondsLeft()).toBeNull();
    await clock.advance(DONE_SECONDS * 1000 + 1);
    expect(ended).toEqual([]);
    expect(session.officerId).toBe(alex);
    session.stop();
  });
});
