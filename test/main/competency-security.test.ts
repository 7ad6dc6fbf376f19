import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/core/db/database.ts';
import { AuditLog } from '../../main/core/audit.ts';
import { startHarness, type Harness } from '../helpers/kiosk-harness.ts';

// Demo cards (resources/demo-site.json).
const PRIYA = { card: '04B2C3D4E5', pin: '2345' }; // Taser refresher expired
const DAN = { card: '04D4E5F607', pin: '4567' }; // suspended
const ALEX = { card: '04A1B2C3D4', pin: '1234' }; // plain officer
const JO = { card: '0418293A4B', pin: '9001' }; // armourer
const MARCUS = { card: '04293A4B5C', pin: '9002' }; // armourer
const ADMIN = { card: '043A4B5C6D', pin: '9003' };

let h: Harness;
afterEach(async () => h?.close());

function signIn(who: { card: string; pin: string }): Promise<void> {
  return h.signIn(who);
}

function taserId(): number {
  const option = h.latest()?.session?.drawOptions.find((o) => o.name === 'Taser 7');
  if (!option) throw new Error('no Taser 7 option');
  return option.assetTypeId;
}

function count(sql: string): number {
  const db = openDatabase(`${h.dataDir}/armoury.db`);
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('the competency gate is enforced in main, whatever the renderer sends', () => {
  it('an officer cannot confirm an override without an armourer authenticating', async () => {
    h = await startHarness();
    await signIn(PRIYA);
    // Straight to the last step, skipping the armourer: refused.
    expect(await h.call('confirmOverride', { reasonCode: 'SPONTANEOUS-INCIDENT', note: 'urgent call' })).toMatchObject({ ok: false, error: { kind: 'wrong-state' } });
    await h.call('requestOverride', { assetTypeId: taserId() });
    expect(await h.call('confirmOverride', { reasonCode: 'SPONTANEOUS-INCIDENT', note: 'urgent call' })).toMatchObject({ ok: false, error: { kind: 'wrong-state' } });
    expect(await h.call('submitOverridePin', { pin: '9001' })).toMatchObject({ ok: false, error: { kind: 'wrong-state' } }); // no armourer card yet
    expect(count('SELECT count(*) AS n FROM overrides')).toBe(0);
    expect(h.latest()?.demo?.doors.every((d) => !d.open)).toBe(true);
  });

  it('refuses a self-override, even by an armourer', async () => {
    h = await startHarness();
    await signIn(JO); // an armourer whose own draw is refused would need someone else
    // Make Jo's Taser refresher expired so there is something to override.
    const db = openDatabase(`${h.dataDir}/armoury.db`);
    db.prepare("UPDATE officer_qualifications SET expires_on = '2020-01-01', valid_until = '2020-01-01' WHERE officer_id = (SELECT id FROM officers WHERE collar_number = 'ARM 01')").run();
    db.close();
    await h.call('signOut', {});
    await signIn(JO);
    expect((await h.call('requestOverride', { assetTypeId: taserId() })).ok).toBe(true);
    await h.call('demoTapCard', { uid: JO.card });
    await h.waitFor((s) => s.screen.kind === 'override' && s.screen.step === 'armourer-pin');
    const self = await h.call('submitOverridePin', { pin: JO.pin });
    expect(self).toMatchObject({ ok: false, error: { kind: 'forbidden', message: expect.stringContaining('second person') } });
    expect(h.latest()?.screen).toMatchObject({ kind: 'override', step: 'armourer-card' });
  });

  it('refuses an override by someone who is not an armourer', async () => {
    h = await startHarness();
    await signIn(PRIYA);
    await h.call('requestOverride', { assetTypeId: taserId() });
    await h.call('demoTapCard', { uid: ALEX.card });
    await h.waitFor((s) => s.screen.kind === 'override' && s.screen.step === 'armourer-pin');
    expect(await h.call('submitOverridePin', { pin: ALEX.pin })).toMatchObject({ ok: false, error: { message: 'Only an armourer can authorise an override.' } });
  });

  it('a suspended officer cannot be overridden (policy)', async () => {
    h = await startHarness();
    await signIn(DAN);
    expect(await h.call('requestOverride', { assetTypeId: taserId() })).toMatchObject({ ok: false, error: { kind: 'refused' } });
  });

  it('an override covers one draw only', async () => {
    h = await startHarness();
    await signIn(PRIYA);
    await h.call('requestOverride', { assetTypeId: taserId() });
    await h.call('demoTapCard', { uid: MARCUS.card });
    await h.waitFor((s) => s.screen.kind === 'override' && s.screen.step === 'armourer-pin');
    expect((await h.call('submitOverridePin', { pin: MARCUS.pin })).ok).toBe(true);
    const drawn = await h.call('confirmOverride', { reasonCode: 'SPONTANEOUS-INCIDENT', note: 'firearms incident, Taser needed now' });
    expect(drawn.ok && drawn.value.screen.kind).toBe('draw-door-open');
    expect(count('SELECT count(*) AS n FROM overrides WHERE used_by_intent IS NOT NULL')).toBe(1);
    expect(count("SELECT count(*) AS n FROM exceptions WHERE kind = 'override-used'")).toBe(1);
    expect(count('SELECT count(*) AS n FROM door_intents WHERE override_id IS NOT NULL')).toBe(1);
    // The next draw of anything overridable needs a fresh override.
    await h.call('demoDoor', { doorNumber: 1, action: 'close' }); // closes with the item inside: nothing issued
    await h.waitFor((s) => s.screen.kind === 'problem');
    await h.call('dismiss', {});
    expect(await h.call('startDraw', { assetTypeId: taserId() })).toMatchObject({ ok: false, error: { kind: 'refused' } });
    const db = openDatabase(`${h.dataDir}/armoury.db`);
    expect(new AuditLog(db).verify().ok).toBe(true);
    db.close();
  });

  it('an officer cannot see or change the exceptions queue, rules or training imports', async () => {
    h = await startHarness();
    await signIn(ALEX);
    const refused = [
      await h.call('openExceptions', {}),
      await h.call('listExceptions', { state: 'all', kind: null }),
      await h.call('acknowledgeException', { id: 1 }),
      await h.call('resolveException', { id: 1, note: 'sorted it' }),
      await h.call('openRules', {}),
      await h.call('getRules', {}),
      await h.call('saveRule', { assetTypeId: 1, rule: { allOf: [], anyOf: [], graceDays: 0, roles: [], units: [], maxLoanHours: null, returnBy: null } }),
      await h.call('openTraining', {}),
      await h.call('importTraining', { fileName: 'x.csv', base64: Buffer.from('collar_number,qualification_code,awarded_on,expires_on\nPC 2345,TASER,2026-11-01,2027-10-31\n').toString('base64') }),
      await h.call('listTrainingImports', {}),
    ];
    for (const result of refused) expect(result).toMatchObject({ ok: false, error: { kind: 'wrong-role' } });
    expect(count('SELECT count(*) AS n FROM asset_type_rules WHERE version > 1')).toBe(0);
    expect(count('SELECT count(*) AS n FROM training_imports')).toBe(0);
  });

  it('an armourer works the queue; a resolved exception cannot be resolved again', async () => {
    h = await startHarness();
    await h.call('demoDoor', { doorNumber: 9, action: 'open' }); // forced door
    await new Promise((r) => setTimeout(r, 700));
    await signIn(JO);
    const list = await h.call('listExceptions', { state: 'unresolved', kind: null });
    if (!list.ok) throw new Error(list.error.message);
    const forced = list.value.find((e) => e.kind === 'forced-door');
    expect(forced).toMatchObject({ subject: 'door:9', state: 'open' });
    expect(await h.call('acknowledgeException', { id: forced!.id })).toMatchObject({ ok: true, value: { state: 'acknowledged', acknowledgedBy: 'ARM 01 Jo Evans' } });
    expect(await h.call('resolveException', { id: forced!.id, note: 'Cleaner opened it; checked contents' })).toMatchObject({
      ok: true,
      value: { state: 'resolved', resolutionNote: 'Cleaner opened it; checked contents' },
    });
    expect(await h.call('resolveException', { id: forced!.id, note: 'again' })).toMatchObject({ ok: false, error: { kind: 'conflict' } });
  });

  it('an admin edits a rule: a new version, audited; officers see the effect at once', async () => {
    h = await startHarness();
    await signIn(ADMIN);
    const rules = await h.call('getRules', {});
    if (!rules.ok) throw new Error(rules.error.message);
    const radio = rules.value.find((r) => r.assetTypeName === 'Airwave radio')!;
    const saved = await h.call('saveRule', { assetTypeId: radio.assetTypeId, rule: { ...radio.rule, allOf: ['BWV'] } });
    expect(saved).toMatchObject({ ok: true, value: { version: radio.version + 1, rule: { allOf: ['BWV'] } } });
    expect(await h.call('saveRule', { assetTypeId: radio.assetTypeId, rule: { ...radio.rule, allOf: ['NOPE'] } })).toMatchObject({
      ok: false,
      error: { kind: 'invalid-request', message: expect.stringContaining('NOPE') },
    });
    expect(count("SELECT count(*) AS n FROM audit_log WHERE action = 'rule.changed'")).toBe(1);
  });
});

describe('override reason codes are configured by the site admin', () => {
  it('a saved configuration adds and withdraws reason codes, audited; withdrawn codes are refused', async () => {
    h = await startHarness();
    await signIn(ADMIN);
    const view = await h.call('getHardware', {});
    if (!view.ok) throw new Error(view.error.message);
    const config = JSON.parse(view.value.configJson) as { policy: { overrideReasons: { code: string; label: string }[] } };
    config.policy.overrideReasons = [
      { code: 'SPONTANEOUS-INCIDENT', label: 'Spontaneous incident: immediate deployment' },
      { code: 'FIREARMS-CALL', label: 'Armed response call in progress' },
    ];
    const saved = await h.call('saveHardwareConfig', { configJson: JSON.stringify(config) });
    expect(saved.ok && saved.value.saved).toBe(true);
    await h.call('signOut', {});

    await signIn(PRIYA);
    await h.call('requestOverride', { assetTypeId: taserId() });
    await h.call('demoTapCard', { uid: MARCUS.card });
    await h.waitFor((s) => s.screen.kind === 'override' && s.screen.step === 'armourer-pin');
    const authorised = await h.call('submitOverridePin', { pin: MARCUS.pin });
    expect(authorised.ok && authorised.value.screen.kind === 'override' && authorised.value.screen.reasonCodes.map((r) => r.code)).toEqual(['FIREARMS-CALL', 'SPONTANEOUS-INCIDENT']);
    expect(await h.call('confirmOverride', { reasonCode: 'RECORD-ERROR', note: 'record is wrong' })).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    expect(count("SELECT count(*) AS n FROM audit_log WHERE action = 'override-reasons.changed'")).toBe(1);
  });
});

describe('override policy is applied when the configuration is saved', () => {
  it('making a missing qualification overridable takes effect without a restart', async () => {
    h = await startHarness();
    const BEN = { card: '040718293A', pin: '7890' }; // no Taser qualification on record
    await signIn(BEN);
    expect(h.latest()?.session?.drawOptions.find((o) => o.name === 'Taser 7')).toMatchObject({ allowed: false, overridable: false });
    await h.call('signOut', {});
    await signIn(ADMIN);
    const view = await h.call('getHardware', {});
    if (!view.ok) throw new Error(view.error.message);
    const config = JSON.parse(view.value.configJson) as { policy: { overridableRefusals: string[] } };
    config.policy.overridableRefusals = ['qualification-expired', 'qualification-missing'];
    const saved = await h.call('saveHardwareConfig', { configJson: JSON.stringify(config) });
    expect(saved.ok && saved.value.saved).toBe(true);
    await h.call('signOut', {});
    await signIn(BEN);
    expect(h.latest()?.session?.drawOptions.find((o) => o.name === 'Taser 7')).toMatchObject({ allowed: false, overridable: true });
  });
});
