import { TextDecoder } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, findDuplicateKeys, firstInvalidUtf8, formatOf, matchColumns, parseJson, type FieldSpec } from '../../../main/core/import-parsing.ts';

const strictlyValid = (bytes: Uint8Array): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

describe('decodeUtf8', () => {
  it('decodes UTF-8 and drops a leading BOM', () => {
    expect(decodeUtf8(Buffer.from('\uFEFFcollar,name\nPC 1,Zoë Ångström\n', 'utf8'))).toEqual({ ok: true, text: 'collar,name\nPC 1,Zoë Ångström\n' });
  });

  it('refuses latin-1, naming the line of the first bad byte', () => {
    const bytes = Buffer.from('a\nb\r\nc Jos\u00e9\nd \u00e9\n', 'latin1');
    const decoded = decodeUtf8(bytes);
    expect(decoded).toMatchObject({ ok: false, line: 3, offset: bytes.indexOf(0xe9) });
    expect(decoded.ok === false && decoded.message).toBe(
      'the file is not UTF-8 text (first bad character on line 3): save the export as UTF-8 (in Excel, "CSV UTF-8") and import it again',
    );
  });

  it('counts lines by bytes, so a U+FFFD already in the text does not move the line', () => {
    // A real U+FFFD on line 1 (valid UTF-8), then a lone 0xFF on line 2.
    const bytes = Buffer.concat([Buffer.from('x\uFFFD\n', 'utf8'), Buffer.from([0x79, 0xff, 0x0a])]);
    expect(decodeUtf8(bytes)).toMatchObject({ ok: false, line: 2, offset: 6 });
  });

  it('finds the first ill-formed sequence: overlong, surrogate, too high, truncated, stray continuation', () => {
    const cases: [number[], number][] = [
      [[0x41, 0xc0, 0x80], 1], // overlong NUL
      [[0xe0, 0x80, 0x80], 0], // overlong 3-byte
      [[0xed, 0xa0, 0x80], 0], // a UTF-16 surrogate
      [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
      [[0x41, 0x42, 0xe2, 0x82], 2], // truncated at the end
      [[0x80], 0], // a continuation byte alone
      [[0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], -1], // € and an emoji: fine
    ];
    for (const [bytes, at] of cases) {
      expect(firstInvalidUtf8(Uint8Array.from(bytes)), bytes.join(' ')).toBe(at);
      expect(strictlyValid(Uint8Array.from(bytes)), bytes.join(' ')).toBe(at === -1);
    }
  });

  it('agrees with the platform decoder on arbitrary bytes, and the prefix before the bad byte decodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.string({ unit: 'binary', maxLength: 16 }), (noise, text) => {
        const bytes = Buffer.concat([Buffer.from(text, 'utf8'), noise]);
        const at = firstInvalidUtf8(bytes);
        expect(at === -1).toBe(strictlyValid(bytes));
        if (at >= 0) expect(strictlyValid(bytes.subarray(0, at))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('findDuplicateKeys and parseJson', () => {
  it('finds a key given twice in one record, with the record, both positions and the decoded key', () => {
    const text = '{\n  "records": [\n    {"a": 1},\n    {"a": 1, "b": "x", "\\u0061": 2}\n  ]\n}';
    expect(findDuplicateKeys(text)).toEqual([{ key: 'a', path: ['records', 1], line: 4, column: 24, firstLine: 4, firstColumn: 6 }]);
    const parsed = parseJson(text);
    expect(parsed).toEqual({
      ok: false,
      problems: [
        {
          message: 'the key "a" is given twice in records[1] (line 4, column 6, and again at line 4, column 24): give it once',
          path: ['records', 1],
          line: 4,
          column: 24,
        },
      ],
    });
  });

  it('is not fooled by braces, quotes, commas and escapes inside strings', () => {
    const text = JSON.stringify([{ note: 'a "b", {c: 1}, [2]', 'k\\"': 1, 'k"': 2, x: { note: '}', y: [{ note: 1 }] } }]);
    expect(findDuplicateKeys(text)).toEqual([]);
    expect(parseJson(text)).toMatchObject({ ok: true });
  });

  it('ends a string at the right quote however its backslashes fall', () => {
    // A value ending in an escaped backslash, then an escaped quote, then a key with an escape.
    expect(findDuplicateKeys(String.raw`{"a": "x\\", "a": 1}`).map((d) => d.key)).toEqual(['a']);
    expect(findDuplicateKeys(String.raw`{"a": "say \"a\": 1", "b": 2}`)).toEqual([]);
    expect(findDuplicateKeys(String.raw`{"q\"": 1, "b": "\\", "q\"": 2}`).map((d) => d.key)).toEqual(['q"']);
  });

  it('keeps keys apart per object: the same key in siblings, parents and children is fine', () => {
    expect(findDuplicateKeys('{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}')).toEqual([]);
  });

  it('names the path of a nested duplicate and of one at the top', () => {
    expect(findDuplicateKeys('[{"x": [{}, {"y": 1, "y": 2}]}]').map((d) => d.path)).toEqual([[0, 'x', 1]]);
    expect(parseJson('{"records": [], "records": [{"a": 1}]}')).toMatchObject({
      ok: false,
      problems: [{ path: [], message: expect.stringMatching(/^the key "records" is given twice in the top-level object/) }],
    });
  });

  it('lists every duplicate, a third time included', () => {
    expect(findDuplicateKeys('{"a":1,"a":2,"a":3,"b":1,"b":2}').map((d) => [d.key, d.column, d.firstColumn])).toEqual([
      ['a', 8, 2],
      ['a', 14, 2],
      ['b', 26, 20],
    ]);
  });

  it('never reports anything JSON.stringify wrote, and always the key it was made to repeat', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, key) => {
        const text = JSON.stringify(value);
        expect(findDuplicateKeys(text)).toEqual([]);
        // The same key twice at the front of a record built around the value.
        const twice = `{${JSON.stringify(key)}: 1, "v": ${text}, ${JSON.stringify(key)}: 2}`;
        const found = findDuplicateKeys(twice);
        expect(found.every((d) => d.key === key && d.path.length === 0)).toBe(true);
        expect(found).toHaveLength(key === 'v' ? 2 : 1);
      }),
      { numRuns: 500 },
    );
  });

  it('reports JSON that does not parse, once, before looking for keys', () => {
    expect(parseJson('{"a": 1, "a": ')).toMatchObject({ ok: false, problems: [{ message: expect.stringMatching(/^not valid JSON: /), path: [], line: null }] });
  });
});

describe('matchColumns and formatOf', () => {
  const FIELDS: Record<'collar' | 'start', FieldSpec> = {
    collar: { column: 'collar_number', aliases: ['officer', 'warrant number'], required: true },
    start: { column: 'start_date', aliases: [], required: false },
  };

  it('finds columns by name or alias, ignoring case, spaces, dashes and underscores', () => {
    expect(matchColumns(['Name', ' Warrant-Number ', 'StartDate'], FIELDS)).toEqual({ ok: true, at: { collar: 1, start: 2 } });
    expect(matchColumns(['collarNumber'], FIELDS)).toEqual({ ok: true, at: { collar: 0, start: -1 } });
  });

  it('names a missing required column with its aliases, and two columns for one field', () => {
    expect(matchColumns(['name'], FIELDS)).toEqual({ ok: false, problems: [{ kind: 'missing-field', message: 'the file has no collar_number column (also accepted: officer, warrant number)' }] });
    expect(matchColumns(['Officer', 'collar number'], FIELDS)).toEqual({
      ok: false,
      problems: [{ kind: 'malformed', message: 'columns "Officer" and "collar number" both give the collar_number: keep one' }],
    });
  });

  it('tells CSV from JSON by extension, else by the first character', () => {
    expect(formatOf('x.CSV', '[')).toBe('csv');
    expect(formatOf('x.json', 'a,b')).toBe('json');
    expect(formatOf('export', '  [{}]')).toBe('json');
    expect(formatOf('export', 'a,b')).toBe('csv');
  });
});
