import type { RequestInput } from '../../preload/contract.ts';

/** A drugs exhibit as its seizing officer would deposit it, with what a test needs changed. */
export function exhibitSample(overrides: Partial<RequestInput<'depositExhibit'>> = {}): RequestInput<'depositExhibit'> {
  return {
    reference: 'AP/1',
    occurrence: '23/41877/26',
    seizedBy: 'PC 1234',
    seizedAt: '2026-11-21T08:30:00.000Z',
    seizedWhere: '14 Mill Lane, rear garden',
    description: 'Clear bag of white powder, approx. 20 g',
    category: 'drugs',
    bagType: 'small bag',
    seals: ['SEAL-100231'],
    photoRef: null,
    madeSafe: false,
    ...overrides,
  };
}
