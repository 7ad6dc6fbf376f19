import { describe, expect, it } from 'vitest';
import { decideDraw, describeQualification, type DrawDecisionInput, type HeldQualification, type OfficerStatus } from '../../../main/core/decision.ts';

const TODAY = '2026-11-21';
const TASER = { code: 'TASER', name: 'Taser refresher' };
const AFO = { code: 'AFO', name: 'Firearms requalification (AFO)' };

function input(overrides: Partial<Omit<DrawDecisionInput, 'held'>> & { held?: HeldQualification[] }): DrawDecisionInput {
  const held = overrides.held ?? [{ ...TASER, expiresOn: '2027-06-01' }];
  return {
    officerStatus: 'active',
    assetTypeName: 'Taser 7',
    required: [TASER],
    holdingOfType: 0,
    maxPerOfficer: 1,
    availableCount: 3,
    today: TODAY,
    ...overrides,
    held: new Map(held.map((q) => [q.code, q])),
  };
}

describe('decideDraw', () => {
  const qualificationStates: [string, HeldQualification[], string[]][] = [
    ['in date', [{ ...TASER, expiresOn: '2027-06-01' }], []],
    ['expires today (last valid day)', [{ ...TASER, expiresOn: TODAY }], []],
    ['expired yesterday', [{ ...TASER, expiresOn: '2026-11-20' }], ['qualification-expired']],
    ['no expiry', [{ ...TASER, expiresOn: null }], []],
    ['missing', [], ['qualification-missing']],
  ];
  const statuses: [OfficerStatus, string[]][] = [
    ['active', []],
    ['suspended', ['officer-suspended']],
    ['restricted', ['officer-restricted']],
  ];
  for (const [qualName, held, qualReasons] of qualificationStates) {
    for (const [status, statusReasons] of statuses) {
      it(`qualification ${qualName}, officer ${status}`, () => {
        const decision = decideDraw(input({ held, officerStatus: status }));
        const expected = [...statusReasons, ...qualReasons];
        expect(decision.reasons.map((r) => r.code)).toEqual(expected);
        expect(decision.allowed).toBe(expected.length === 0);
      });
    }
  }

  it('names the exact expired qualification and its date', () => {
    const decision = decideDraw(input({ held: [{ ...TASER, expiresOn: '2026-10-03' }] }));
    expect(decision.reasons[0]?.message).toBe('Taser refresher expired 3 Oct 2026');
    expect(decision.reasons[0]?.advice).toMatch(/refresher/);
  });

  it('requires every qualification of a type, reporting each missing one', () => {
    const decision = decideDraw(input({ required: [TASER, AFO], held: [{ ...TASER, expiresOn: '2026-01-01' }] }));
    expect(decision.reasons.map((r) => r.code)).toEqual(['qualification-expired', 'qualification-missing']);
    expect(decision.reasons[1]?.message).toBe('Firearms requalification (AFO) is not on your training record');
  });

  it('a type with no requirements is open to any active officer', () => {
    expect(decideDraw(input({ required: [], held: [] })).allowed).toBe(true);
  });

  it('one item of a type per officer unless the type allows more', () => {
    expect(decideDraw(input({ holdingOfType: 1 })).reasons.map((r) => r.code)).toEqual(['limit-reached']);
    expect(decideDraw(input({ holdingOfType: 1 })).reasons[0]?.message).toBe('You already hold a Taser 7');
    expect(decideDraw(input({ holdingOfType: 1, assetTypeName: 'Airwave radio', required: [] })).reasons[0]?.message).toBe('You already hold an Airwave radio');
    expect(decideDraw(input({ holdingOfType: 1, maxPerOfficer: 2 })).allowed).toBe(true);
    expect(decideDraw(input({ holdingOfType: 2, maxPerOfficer: 2 })).reasons[0]?.message).toBe('You already hold 2 of 2 Taser 7 allowed');
  });

  it('refuses when none is in the lockers', () => {
    const decision = decideDraw(input({ availableCount: 0 }));
    expect(decision.reasons.map((r) => r.code)).toEqual(['none-available']);
  });

  it('reports every reason at once, status first', () => {
    const decision = decideDraw(input({ officerStatus: 'suspended', held: [], holdingOfType: 1, availableCount: 0 }));
    expect(decision.reasons.map((r) => r.code)).toEqual(['officer-suspended', 'qualification-missing', 'limit-reached', 'none-available']);
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
    const view = describeQualification({ ...TASER, expiresOn }, TODAY, 30);
    expect(view.state).toBe(state);
    expect(view.label).toBe(label);
  });
});
