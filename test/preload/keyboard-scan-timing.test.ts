import { describe, expect, it } from 'vitest';
import { ScanTimingDetector, classifyKeys } from '../../preload/keyboard-scan-timing.ts';
import type { KeyInput, TimingHeuristicOptions } from '../../preload/keyboard-scan-timing.ts';

/** Types `text` (then Enter unless told otherwise) from `start`, one key every `gap` ms. */
function typed(text: string, gap: number, start = 0, enter = true): KeyInput[] {
  const keys = [...text].map((key, i) => ({ key, at: start + i * gap }));
  if (enter) keys.push({ key: 'Enter', at: start + text.length * gap });
  return keys;
}

const text = (keys: readonly KeyInput[]): string => keys.map((k) => (k.key.length === 1 ? k.key : `<${k.key}>`)).join('');

interface Case {
  name: string;
  keys: KeyInput[];
  options?: TimingHeuristicOptions;
  scans: string[];
  passThrough: string;
}

const cases: Case[] = [
  { name: 'scanner burst, 5 ms gaps', keys: typed('ABC-12345', 5), scans: ['ABC-12345'], passThrough: '' },
  { name: 'scanner burst at the limit, 29 ms gaps', keys: typed('TAG1', 29), scans: ['TAG1'], passThrough: '' },
  { name: 'human typing, 120 ms gaps', keys: typed('hello', 120), scans: [], passThrough: 'hello<Enter>' },
  { name: 'fast human, 45 ms gaps', keys: typed('abcd', 45), scans: [], passThrough: 'abcd<Enter>' },
  { name: 'slow scanner, 40 ms gaps, default settings: typing', keys: typed('SLOW-1', 40), scans: [], passThrough: 'SLOW-1<Enter>' },
  { name: 'slow scanner, 40 ms gaps, maxGapMs 50: a scan', keys: typed('SLOW-1', 40), options: { maxGapMs: 50 }, scans: ['SLOW-1'], passThrough: '' },
  { name: 'burst shorter than minLength is typing', keys: typed('AB1', 5), scans: [], passThrough: 'AB1<Enter>' },
  { name: 'minLength 2 accepts it', keys: typed('AB1', 5), options: { minLength: 2 }, scans: ['AB1'], passThrough: '' },
  { name: 'burst without Enter is handed back after the idle reset', keys: typed('NOENTER', 5, 0, false), scans: [], passThrough: 'NOENTER' },
  {
    name: 'Enter trailing the burst by 80 ms still ends the scan (suffix pause)',
    keys: [...typed('PAUSE1', 5, 0, false), { key: 'Enter', at: 25 + 80 }],
    scans: ['PAUSE1'],
    passThrough: '',
  },
  {
    name: 'Enter 150 ms after the burst: the burst was given up as typing',
    keys: [...typed('PAUSE1', 5, 0, false), { key: 'Enter', at: 25 + 150 }],
    scans: [],
    passThrough: 'PAUSE1<Enter>',
  },
  {
    name: 'human types, then a scan arrives',
    keys: [...typed('hi', 150, 0, false), ...typed('WARRANT-9', 8, 1000)],
    scans: ['WARRANT-9'],
    passThrough: 'hi',
  },
  {
    name: 'a scan, then a human types',
    keys: [...typed('G17-001', 8), ...typed('ok', 200, 1000)],
    scans: ['G17-001'],
    passThrough: 'ok<Enter>',
  },
  {
    name: 'human key right before a scan: the slow first key is typing, the burst is the scan',
    keys: [{ key: 'x', at: 0 }, ...typed('SCAN42', 6, 60)],
    scans: ['SCAN42'],
    passThrough: 'x',
  },
  {
    name: 'Shift keydowns inside a burst are ignored',
    keys: [
      { key: 'Shift', at: 0 },
      { key: 'A', at: 2 },
      { key: 'b', at: 6 },
      { key: 'Shift', at: 9 },
      { key: 'C', at: 11 },
      { key: 'd', at: 15 },
      { key: 'Enter', at: 20 },
    ],
    scans: ['AbCd'],
    passThrough: '',
  },
  {
    name: 'Backspace breaks a burst: a person editing',
    keys: [...typed('abcd', 5, 0, false), { key: 'Backspace', at: 25 }, { key: 'Enter', at: 30 }],
    scans: [],
    passThrough: 'abcd<Backspace><Enter>',
  },
  {
    name: 'two scans back to back',
    keys: [...typed('FIRST1', 4), ...typed('SECOND2', 4, 200)],
    scans: ['FIRST1', 'SECOND2'],
    passThrough: '',
  },
  { name: 'a lone Enter passes through', keys: [{ key: 'Enter', at: 0 }], scans: [], passThrough: '<Enter>' },
];

describe('timing heuristic: scanner burst vs human typing', () => {
  it.each(cases)('$name', ({ keys, options, scans, passThrough }) => {
    const result = classifyKeys(keys, options, (keys.at(-1)?.at ?? 0) + 1000);
    expect(result.scans).toEqual(scans);
    expect(text(result.passThrough)).toBe(passThrough);
  });

  it('never loses or duplicates a key: every key is in a scan, passed through, or a modifier/Enter', () => {
    for (const { keys, options } of cases) {
      const result = classifyKeys(keys, options);
      const typedText = keys.filter((k) => k.key.length === 1).map((k) => k.key).join('');
      const outText = result.scans.join('') + result.passThrough.filter((k) => k.key.length === 1).map((k) => k.key).join('');
      expect(outText.length).toBe(typedText.length);
      expect([...outText].sort()).toEqual([...typedText].sort());
    }
  });

  it('passes human keys back in the order they were pressed', () => {
    const keys = [...typed('abc', 100, 0, false), ...typed('xy', 10, 400, false)];
    const result = classifyKeys(keys, {}, 2000);
    expect(result.passThrough).toEqual(keys);
  });
});

describe('ScanTimingDetector step by step', () => {
  it('holds a key that might start a burst and hands it back on tick once too slow to be one', () => {
    const d = new ScanTimingDetector();
    expect(d.push({ key: 'q', at: 1000 })).toEqual({ scans: [], passThrough: [] });
    expect(d.pending).toHaveLength(1);
    expect(d.tick(1020)).toEqual({ scans: [], passThrough: [] });
    expect(d.tick(1031).passThrough).toEqual([{ key: 'q', at: 1000 }]);
    expect(d.pending).toHaveLength(0);
  });

  it('keeps a long enough burst until the idle reset, waiting for Enter', () => {
    const d = new ScanTimingDetector();
    for (const k of typed('ABCDE', 5, 0, false)) d.push(k);
    expect(d.tick(80).passThrough).toEqual([]);
    expect(d.tick(121).passThrough.map((k) => k.key).join('')).toBe('ABCDE');
  });

  it('hands back a burst longer than maxLength as typing', () => {
    const d = new ScanTimingDetector({ maxLength: 8 });
    const results = typed('0123456789', 2).map((k) => d.push(k));
    expect(results.flatMap((r) => r.scans)).toEqual([]);
    // The first 8 go back as soon as the 9th arrives; the rest are too few for a scan at Enter.
    expect(results.flatMap((r) => r.passThrough.map((p) => p.key)).join('')).toBe('0123456789Enter');
  });

  it('a clock that goes backwards breaks the burst instead of joining it', () => {
    const d = new ScanTimingDetector();
    d.push({ key: 'a', at: 100 });
    expect(d.push({ key: 'b', at: 50 }).passThrough).toEqual([{ key: 'a', at: 100 }]);
  });
});
