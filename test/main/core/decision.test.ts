import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../helpers/seeded-random.ts';
import type { RefusalReason, Role, RuleView } from '../../../preload/contract.ts';
import { addDays, addMonths } from '../../../main/core/dates.ts';
import { decideDraw, describeQualification, qualifiedThrough, type DrawDecisionInput, type HeldQualification, type OfficerStatus } from '../../../main/core/decision.ts';
import { validUntil } from '../../../main/core/validity.ts';

const TODAY = '2026-11-21';
const TASER = { code: 'TASER', name: 'Taser refresher' };
const AFO = { code: 'AFO', name: 'Firearms requalification (AFO)' };
const BWV = { code: 'BWV', name: 'Body-worn video training' };
const NAMES = new Map([TASER, AFO, BWV].map((q) => [q.code, q.name]));

const RULE: RuleView = { allOf: [], anyOf: [], graceDays: 0, roles: [], units: [], maxLoanHours: null, returnBy: null };

/** A record as stored: its last valid day worked out by the one rule (validity.ts) from what a file would give. */
function held(q: { code: string; name: string }, fields: { awardedOn?: string; expiresOn?: string | null; validityMonths?: number | null } = {}): HeldQualification {
  const awardedOn = fields.awardedOn ?? '2026-01-01';
  const expiresOn = fields.expiresOn === undefined ? '2027-06-01' : fields.expiresOn;
  return { ...q, awardedOn, validUntil: validUntil(awardedOn, expiresOn, fields.validityMonths ?? null) };
}

function input(overrides: Partial<Omit<DrawDecisionInput, 'held'>> & { held?: HeldQualification[] }): DrawDecisionInput {
  const list = overrides.held ?? [held(TASER)];
  return {
    officerStatus: 'active',
    officerRoles: ['officer'],
    officerUnit: null,
    assetTypeName: 'Taser 7',
    rule: { ...RULE, allOf: ['TASER'] },
    qualificationNames: NAMES,
    holdingOfType: 0,
    maxPerOfficer: 1,
    availableCount: 3,
    today: TODAY,
    weapon: true,
    referenceStale: null,
    ...overrides,
    held: new Map(list.map((q) => [q.code, q])),
  };
}

// ---------------------------------------------------------------------------------------------
// The matrix: every qualification state x officer status x rule shape, each against an
// expectation written out from the policy (names, dates and codes spelled here by hand).

/** What a qualification in a state means for a rule with 14 days' grace. */
interface QualState {
  name: string;
  /** The officer's record for a qualification, or undefined when it is not held. */
  record: (q: { code: string; name: string }) => HeldQualification | undefined;
  /** 'ok' counts as held and valid; otherwise the reason and, for expired, the date as people read it. */
  outcome: { kind: 'ok' } | { kind: 'missing' } | { kind: 'expired'; on: string };
}

const GRACE = 14;
const STATES: QualState[] = [
  { name: 'valid', record: (q) => held(q, { expiresOn: '2027-06-01' }), outcome: { kind: 'ok' } },
  { name: 'expiring in 10 days', record: (q) => held(q, { expiresOn: '2026-12-01' }), outcome: { kind: 'ok' } },
  { name: 'last valid day today', record: (q) => held(q, { expiresOn: TODAY }), outcome: { kind: 'ok' } },
  { name: 'expired beyond grace', record: (q) => held(q, { expiresOn: '2026-10-03' }), outcome: { kind: 'expired', on: '3 Oct 2026' } },
  { name: 'in grace (expired 14 Nov, grace to 28 Nov)', record: (q) => held(q, { expiresOn: '2026-11-14' }), outcome: { kind: 'ok' } },
  { name: 'last day of grace (expired 7 Nov)', record: (q) => held(q, { expiresOn: '2026-11-07' }), outcome: { kind: 'ok' } },
  { name: 'one day past grace (expired 6 Nov)', record: (q) => held(q, { expiresOn: '2026-11-06' }), outcome: { kind: 'expired', on: '6 Nov 2026' } },
  { name: 'missing', record: () => undefined, outcome: { kind: 'missing' } },
  {
    name: 'no expiry date, awarded 1 Mar 2026 + 12 months',
    record: (q) => held(q, { awardedOn: '2026-03-01', expiresOn: null, validityMonths: 12 }),
    outcome: { kind: 'ok' },
  },
  {
    name: 'no expiry date, awarded 30 Jun 2025 + 12 months',
    record: (q) => held(q, { awardedOn: '2025-06-30', expiresOn: null, validityMonths: 12 }),
    outcome: { kind: 'expired', on: '29 Jun 2026' },
  },
  { name: 'does not expire', record: (q) => held(q, { awardedOn: '2001-01-01', expiresOn: null, validityMonths: null }), outcome: { kind: 'ok' } },
];

const STATUSES: { status: OfficerStatus; reason: Pick<RefusalReason, 'code' | 'message'> | null }[] = [
  { status: 'active', reason: null },
  { status: 'suspended', reason: { code: 'officer-suspended', message: 'You are suspended from duty' } },
  { status: 'restricted', reason: { code: 'officer-restricted', message: 'You are on restricted duties' } },
];

type Expected = Pick<RefusalReason, 'code' | 'message'>;

/** A required qualification's reason, as policy words it. */
function allOfReason(q: { name: string }, s: QualState): Expected[] {
  if (s.outcome.kind === 'missing') return [{ code: 'qualification-missing', message: `${q.name} is not on your training record` }];
  if (s.outcome.kind === 'expired') return [{ code: 'qualification-expired', message: `${q.name} expired ${s.outcome.on}` }];
  return [];
}

interface Shape {
  name: string;
  rule: Omit<RuleView, 'graceDays'>;
  roles: Role[];
  unit: string | null;
  /** The records the officer holds when the shape's subject qualifications are in state s. */
  records: (s: QualState) => (HeldQualification | undefined)[];
  expected: (s: QualState) => Expected[];
}

const SHAPES: Shape[] = [
  {
    name: 'no requirements',
    rule: { ...RULE, allOf: [] },
    roles: ['officer'],
    unit: null,
    records: (s) => [s.record(TASER)],
    expected: () => [],
  },
  {
    name: 'allOf one',
    rule: { ...RULE, allOf: ['TASER'] },
    roles: ['officer'],
    unit: null,
    records: (s) => [s.record(TASER)],
    expected: (s) => allOfReason(TASER, s),
  },
  {
    name: 'allOf two, both in the state',
    rule: { ...RULE, allOf: ['TASER', 'AFO'] },
    roles: ['officer'],
    unit: null,
    records: (s) => [s.record(TASER), s.record(AFO)],
    expected: (s) => [...allOfReason(TASER, s), ...allOfReason(AFO, s)],
  },
  {
    name: 'anyOf two, one in the state and the other not held',
    rule: { ...RULE, anyOf: ['TASER', 'AFO'] },
    roles: ['officer'],
    unit: null,
    records: (s) => [s.record(TASER)],
    expected: (s) =>
      s.outcome.kind === 'ok'
        ? []
        : s.outcome.kind === 'missing'
          ? [{ code: 'qualification-missing', message: 'Needs one of: Taser refresher, Firearms requalification (AFO)' }]
          : [{ code: 'qualification-expired', message: `Needs one of: Taser refresher, Firearms requalification (AFO) (Taser refresher expired ${s.outcome.on})` }],
  },
  {
    name: 'allOf one + anyOf two, all in the state',
    rule: { ...RULE, allOf: ['BWV'], anyOf: ['TASER', 'AFO'] },
    roles: ['officer'],
    unit: null,
    records: (s) => [s.record(BWV), s.record(TASER), s.record(AFO)],
    expected: (s) => [
      ...allOfReason(BWV, s),
      ...(s.outcome.kind === 'ok'
        ? []
        : s.outcome.kind === 'missing'
          ? [{ code: 'qualification-missing' as const, message: 'Needs one of: Taser refresher, Firearms requalification (AFO)' }]
          : // Both expired the same day: the first named is reported.
            [{ code: 'qualification-expired' as const, message: `Needs one of: Taser refresher, Firearms requalification (AFO) (Taser refresher expired ${s.outcome.on})` }]),
    ],
  },
  {
    name: 'allOf one + armourer role the officer lacks',
    rule: { ...RULE, allOf: ['TASER'], roles: ['armourer'] },
    roles: ['officer'],
    unit: null,
    records: (s) => [s.record(TASER)],
    expected: (s) => [...allOfReason(TASER, s), { code: 'role-required', message: 'Needs the armourer role' }],
  },
  {
    name: 'allOf one + units the officer is not in',
    rule: { ...RULE, allOf: ['TASER'], units: ['TSG', 'ARV'] },
    roles: ['officer'],
    unit: 'Lambeth response',
    records: (s) => [s.record(TASER)],
    expected: (s) => [...allOfReason(TASER, s), { code: 'unit-not-authorised', message: 'Taser 7 is issued only to TSG or ARV (your unit: Lambeth response)' }],
  },
];

describe('decideDraw matrix: qualification state x officer status x rule shape', () => {
  const cases = STATES.flatMap((state) => STATUSES.flatMap((status) => SHAPES.map((shape) => ({ state, status, shape }))));

  it('covers every combination', () => {
    expect(cases).toHaveLength(STATES.length * STATUSES.length * SHAPES.length);
  });

  it.each(cases.map((c) => [`${c.shape.name} | ${c.state.name} | ${c.status.status}`, c] as const))('%s', (_name, { state, status, shape }) => {
    const records = shape.records(state).filter((r): r is HeldQualification => r !== undefined);
    const decision = decideDraw(
      input({
        officerStatus: status.status,
        officerRoles: shape.roles,
        officerUnit: shape.unit,
        rule: { ...shape.rule, graceDays: GRACE },
        held: records,
      }),
    );
    const expected = [...(status.reason ? [status.reason] : []), ...shape.expected(state)];
    expect(decision.reasons.map((r) => ({ code: r.code, message: r.message }))).toEqual(expected);
    expect(decision.allowed).toBe(expected.length === 0);
    for (const reason of decision.reasons) expect(reason.advice.length).toBeGreaterThan(10);
  });
});

// ---------------------------------------------------------------------------------------------

describe('decideDraw', () => {
  it('names the exact expired qualification and its date', () => {
    const decision = decideDraw(input({ held: [held(TASER, { expiresOn: '2026-10-03' })] }));
    expect(decision.reasons[0]?.message).toBe('Taser refresher expired 3 Oct 2026');
    expect(decision.reasons[0]?.advice).toMatch(/refresher/);
  });

  it('with no grace, the day after the last valid day is expired', () => {
    expect(decideDraw(input({ held: [held(TASER, { expiresOn: '2026-11-20' })] })).reasons.map((r) => r.code)).toEqual(['qualification-expired']);
  });

  it('requires every qualification of a type, reporting each missing one', () => {
    const decision = decideDraw(input({ rule: { ...RULE, allOf: ['TASER', 'AFO'] }, held: [held(TASER, { expiresOn: '2026-01-01' })] }));
    expect(decision.reasons.map((r) => r.code)).toEqual(['qualification-expired', 'qualification-missing']);
    expect(decision.reasons[1]?.message).toBe('Firearms requalification (AFO) is not on your training record');
  });

  it('anyOf names the most recently expired of several', () => {
    const decision = decideDraw(
      input({
        rule: { ...RULE, anyOf: ['TASER', 'AFO', 'BWV'] },
        held: [held(TASER, { expiresOn: '2026-03-01' }), held(AFO, { expiresOn: '2026-09-15' })],
      }),
    );
    expect(decision.reasons).toHaveLength(1);
    expect(decision.reasons[0]?.message).toBe(
      'Needs one of: Taser refresher, Firearms requalification (AFO), Body-worn video training (Firearms requalification (AFO) expired 15 Sep 2026)',
    );
  });

  it('anyOf is met by any one valid qualification', () => {
    const rule = { ...RULE, anyOf: ['TASER', 'AFO'] };
    expect(decideDraw(input({ rule, held: [held(TASER, { expiresOn: '2026-01-01' }), held(AFO)] })).allowed).toBe(true);
  });

  it('falls back to the code for a qualification whose name is unknown', () => {
    const decision = decideDraw(input({ rule: { ...RULE, allOf: ['PAVA'] }, held: [] }));
    expect(decision.reasons[0]?.message).toBe('PAVA is not on your training record');
  });

  it('roles: every listed role is needed', () => {
    const rule = { ...RULE, allOf: [], roles: ['armourer', 'admin'] as Role[] };
    expect(decideDraw(input({ rule, officerRoles: ['armourer', 'admin'] })).allowed).toBe(true);
    expect(decideDraw(input({ rule, officerRoles: ['officer', 'armourer'] })).reasons.map((r) => r.message)).toEqual(['Needs the site admin role']);
    expect(decideDraw(input({ rule, officerRoles: ['officer'] })).reasons.map((r) => r.message)).toEqual(['Needs the armourer and site admin roles']);
  });

  it('units: matches a listed unit (case and spacing forgiven); no unit on record is refused', () => {
    const rule = { ...RULE, allOf: [], units: ['TSG'] };
    expect(decideDraw(input({ rule, officerUnit: ' tsg ' })).allowed).toBe(true);
    expect(decideDraw(input({ rule, officerUnit: null })).reasons).toEqual([
      expect.objectContaining({ code: 'unit-not-authorised', message: 'Taser 7 is issued only to TSG (no unit is on your record)' }),
    ]);
    expect(decideDraw(input({ rule: { ...rule, units: [] }, officerUnit: null })).allowed).toBe(true);
  });

  it('one item of a type per officer unless the type allows more', () => {
    expect(decideDraw(input({ holdingOfType: 1 })).reasons.map((r) => r.code)).toEqual(['limit-reached']);
    expect(decideDraw(input({ holdingOfType: 1 })).reasons[0]?.message).toBe('You already hold a Taser 7');
    expect(decideDraw(input({ holdingOfType: 1, assetTypeName: 'Airwave radio', rule: RULE })).reasons[0]?.message).toBe('You already hold an Airwave radio');
    expect(decideDraw(input({ holdingOfType: 1, maxPerOfficer: 2 })).allowed).toBe(true);
    expect(decideDraw(input({ holdingOfType: 2, maxPerOfficer: 2 })).reasons[0]?.message).toBe('You already hold 2 of 2 Taser 7 allowed');
  });

  it('refuses when none is in the lockers', () => {
    const decision = decideDraw(input({ availableCount: 0 }));
    expect(decision.reasons.map((r) => r.code)).toEqual(['none-available']);
  });

  it('reports every reason at once, status first', () => {
    const decision = decideDraw(
      input({
        officerStatus: 'suspended',
        rule: { ...RULE, allOf: ['TASER'], roles: ['armourer'], units: ['TSG'] },
        held: [],
        holdingOfType: 1,
        availableCount: 0,
      }),
    );
    expect(decision.reasons.map((r) => r.code)).toEqual([
      'officer-suspended',
      'qualification-missing',
      'role-required',
      'unit-not-authorised',
      'limit-reached',
      'none-available',
    ]);
  });
});

describe('qualifiedThrough: the last day a decision holds with no write', () => {

  it('agrees with decideDraw on every day around it, for 500 random rules and records', () => {
    const next = seededRandom(10);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const codes = [TASER, AFO, BWV];
    for (let c = 0; c < 500; c++) {
      const subset = () => codes.filter(() => next() < 0.4).map((q) => q.code);
      const rule: RuleView = { ...RULE, allOf: subset(), anyOf: subset(), graceDays: pick([0, 0, 1, 7, 30]) };
      // Last valid days from three weeks back to three weeks on, or none.
      const records = codes
        .filter(() => next() < 0.7)
        .map((q) => ({ ...q, awardedOn: '2025-01-01', validUntil: next() < 0.15 ? null : addDays(TODAY, Math.floor(next() * 43) - 21) }));
      const held = new Map(records.map((q) => [q.code, q]));
      const through = qualifiedThrough(rule, held);
      for (let offset = -25; offset <= 60; offset++) {
        const day = addDays(TODAY, offset);
        const allowed = decideDraw({ ...input({ rule }), held, today: day }).allowed;
        const expected = through !== undefined && (through === null || day <= through);
        expect(allowed, `case ${c} on ${day}: ${JSON.stringify({ rule, records, through })}`).toBe(expected);
      }
    }
  });

  it('is the earliest last day of every needed record, and the latest of any one', () => {
    const records = new Map([
      ['TASER', { name: 'Taser refresher', validUntil: '2026-12-01' }],
      ['AFO', { name: 'Firearms requalification (AFO)', validUntil: '2026-11-25' }],
      ['BWV', { name: 'Body-worn video training', validUntil: null }],
    ]);
    expect(qualifiedThrough({ ...RULE, allOf: ['TASER', 'AFO'] }, records)).toBe('2026-11-25');
    expect(qualifiedThrough({ ...RULE, anyOf: ['TASER', 'AFO'], graceDays: 2 }, records)).toBe('2026-12-03');
    expect(qualifiedThrough({ ...RULE, anyOf: ['TASER', 'BWV'] }, records)).toBeNull();
    expect(qualifiedThrough({ ...RULE, allOf: ['BWV'] }, records)).toBeNull();
    expect(qualifiedThrough({ ...RULE, allOf: ['TASER'], anyOf: ['FIRSTAID'] }, records)).toBeUndefined();
    expect(qualifiedThrough(RULE, records)).toBeNull();
  });
});

describe('validity from the award date', () => {
  it.each([
    ['2026-03-01', 12, '2027-03-01'],
    ['2026-01-31', 1, '2026-02-28'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2026-11-30', 3, '2027-02-28'],
    ['2026-06-15', 24, '2028-06-15'],
  ] as const)('%s + %i months is %s', (from, months, to) => {
    expect(addMonths(from, months)).toBe(to);
  });

  it('a recorded expiry wins over the validity period, which ends the day before the anniversary', () => {
    expect(validUntil('2026-01-01', '2026-05-01', 12)).toBe('2026-05-01');
    expect(validUntil('2026-01-01', null, 12)).toBe('2026-12-31');
    expect(validUntil('2026-03-15', null, 12)).toBe('2027-03-14');
    expect(validUntil('2026-01-31', null, 1)).toBe('2026-02-27');
    expect(validUntil('2026-01-01', null, null)).toBeNull();
  });
});

describe('describeQualification', () => {
  it.each([
    ['2027-06-01', 'valid', 'Taser refresher: valid until 1 Jun 2027'],
    ['2026-12-21', 'expiring', 'Taser refresher expires 21 Dec 2026 (in 30 days): book your refresher'],
    ['2026-12-22', 'valid', 'Taser refresher: valid until 22 Dec 2026'],
    ['2026-11-22', 'expiring', 'Taser refresher expires 22 Nov 2026 (tomorrow): book your refresher'],
    ['2026-11-21', 'expiring', 'Taser refresher expires 21 Nov 2026 (today): book your refresher'],
    ['2026-11-20', 'expired', 'Taser refresher expired 20 Nov 2026'],
  ] as const)('expiry %s reads as %s', (expiresOn, state, label) => {
    const view = describeQualification(held(TASER, { expiresOn }), TODAY, 30);
    expect(view.state).toBe(state);
    expect(view.label).toBe(label);
  });

  it.each([
    ['2026-11-14', 14, 'expiring', 'Taser refresher expired 14 Nov 2026 and is in its grace period (until 28 Nov 2026): book your refresher'],
    ['2026-11-08', 14, 'expiring', 'Taser refresher expired 8 Nov 2026 and is in its grace period (ends tomorrow): book your refresher'],
    ['2026-11-07', 14, 'expiring', 'Taser refresher expired 7 Nov 2026 and is in its grace period (ends today): book your refresher'],
    ['2026-11-06', 14, 'expired', 'Taser refresher expired 6 Nov 2026'],
    ['2026-11-14', 0, 'expired', 'Taser refresher expired 14 Nov 2026'],
  ] as const)('expired %s with %i days of grace reads as %s', (expiresOn, grace, state, label) => {
    const view = describeQualification(held(TASER, { expiresOn }), TODAY, 30, grace);
    expect(view).toMatchObject({ state, label, expiresOn });
  });

  it('a record without an expiry date shows the date its validity period gives', () => {
    const view = describeQualification(held(TASER, { awardedOn: '2026-03-01', expiresOn: null, validityMonths: 12 }), TODAY, 30);
    expect(view).toEqual({ code: 'TASER', name: 'Taser refresher', expiresOn: '2027-02-28', state: 'valid', label: 'Taser refresher: valid until 28 Feb 2027' });
    expect(describeQualification(held(TASER, { expiresOn: null }), TODAY, 30)).toMatchObject({ expiresOn: null, state: 'valid', label: 'Taser refresher: does not expire' });
  });
});

describe('stale reference data from the estate', () => {
  it('refuses a weapon, with the reason and what to do, beside any other reason', () => {
    const stale = 'were last brought up to date from the estate 26 hours ago (the limit is 24 hours)';
    const decision = decideDraw(input({ referenceStale: stale, availableCount: 0 }));
    expect(decision.allowed).toBe(false);
    expect(decision.reasons.map((r) => r.code)).toEqual(['reference-stale', 'none-available']);
    expect(decision.reasons[0]).toEqual({
      code: 'reference-stale',
      message: `This terminal's training records ${stale}, so no weapon is released on them`,
      advice: 'Tell an armourer: the terminal cannot reach the estate. Other kit can still be drawn.',
    });
  });

  it('lets other kit go, and weapons go while the data is fresh', () => {
    expect(decideDraw(input({ weapon: false, referenceStale: 'have never been brought up to date from the estate', rule: RULE, assetTypeName: 'Airwave radio' })).allowed).toBe(true);
    expect(decideDraw(input({ weapon: true, referenceStale: null })).allowed).toBe(true);
  });
});
