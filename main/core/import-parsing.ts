import { TextDecoder } from 'node:util';

/**
 * Reading the files people bring to the terminal (training records exports, personnel lists):
 * bytes to text, CSV records, JSON values, column names and dates. Nothing here knows what a
 * row means; each import maps these pieces onto its own fields and problems.
 *
 * The pieces, in the order an import uses them:
 *
 * - decodeUtf8(bytes): strict UTF-8 (a leading BOM dropped), or where the first bad byte is.
 * - formatOf(fileName, text): 'csv' or 'json', by extension, else sniffed.
 * - csvRecords(text): RFC 4180 records, each with its line and, if broken, why.
 * - parseJson(text): JSON.parse, but a key given twice in one object is refused, with where.
 * - fieldMatcher / matchColumns: header names (or JSON keys) to fields, with aliases, ignoring
 *   case, spaces, dashes and underscores.
 * - isoDate(text): yyyy-mm-dd or dd/mm/yyyy to yyyy-mm-dd, or null.
 *
 * Every problem comes back as text an admin can act on; none of these functions throws on
 * bad input.
 */

// ---------------------------------------------------------------------------------------
// Text

export type DecodedText = { ok: true; text: string } | { ok: false; /** Byte offset of the first bad sequence. */ offset: number; line: number; message: string };

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The bytes as UTF-8 text, strictly. Guessing another encoding could turn a name or a code
 * into something else, and a lenient decode would put U+FFFD where the bad byte was, so a
 * file that is not UTF-8 is refused, naming the line of its first bad byte. A leading BOM
 * (Excel's "CSV UTF-8" writes one) is dropped.
 */
export function decodeUtf8(bytes: Uint8Array): DecodedText {
  try {
    return { ok: true, text: STRICT_UTF8.decode(bytes) };
  } catch {
    const offset = Math.max(0, firstInvalidUtf8(bytes));
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    return {
      ok: false,
      offset,
      line,
      message: `the file is not UTF-8 text (first bad character on line ${line}): save the export as UTF-8 (in Excel, "CSV UTF-8") and import it again`,
    };
  }
}

/**
 * The offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode
 * table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or -1 when every
 * sequence is well formed. Only run once the fast decoder has said no, to say where.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + length > n) return i;
    const second = bytes[i + 1] as number;
    if (second < lo || second > hi) return i;
    for (let k = 2; k < length; k++) {
      const c = bytes[i + k] as number;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}

/** By extension; otherwise JSON if it starts like JSON, else CSV. */
export function formatOf(fileName: string, text: string): 'csv' | 'json' {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.json')) return 'json';
  const first = text.trimStart().charAt(0);
  return first === '{' || first === '[' ? 'json' : 'csv';
}

// ---------------------------------------------------------------------------------------
// Column names and JSON keys

/** Header or key, lower-cased with spaces, dashes and underscores dropped: "Collar Number" = "collar_number" = "collarNumber". */
export const squashName = (name: string): string => name.trim().toLowerCase().replace(/[\s_-]+/g, '');

export interface FieldSpec {
  /** The name messages use ("collar_number"). */
  column: string;
  /** Other names exports use for it; the column name itself always matches. */
  aliases: readonly string[];
  required: boolean;
}

/** A lookup from a header name or JSON key to the field it gives, or undefined for a column the import ignores. */
export function fieldMatcher<F extends string>(fields: Readonly<Record<F, FieldSpec>>): (name: string) => F | undefined {
  const byName = new Map<string, F>();
  for (const field of Object.keys(fields) as F[]) {
    const spec = fields[field];
    for (const name of [spec.column, ...spec.aliases]) {
      const key = squashName(name);
      const other = byName.get(key);
      if (other !== undefined && other !== field) throw new Error(`"${name}" would name both ${other} and ${field}`);
      byName.set(key, field);
    }
  }
  return (name) => byName.get(squashName(name));
}

export type ColumnProblem = { kind: 'missing-field' | 'malformed'; message: string };
export type ColumnMatch<F extends string> = { ok: true; at: Record<F, number> } | { ok: false; problems: ColumnProblem[] };

/**
 * Which header column gives which field (-1 for an optional one the file lacks). Two columns
 * for one field, or a required field with no column, are problems naming the columns.
 */
export function matchColumns<F extends string>(header: readonly string[], fields: Readonly<Record<F, FieldSpec>>): ColumnMatch<F> {
  const match = fieldMatcher(fields);
  const names = Object.keys(fields) as F[];
  const at = Object.fromEntries(names.map((f) => [f, -1])) as Record<F, number>;
  const given = new Map<F, string>();
  const problems: ColumnProblem[] = [];
  header.forEach((raw, index) => {
    const name = raw.trim();
    const field = match(name);
    if (field === undefined) return;
    const other = given.get(field);
    if (other !== undefined) {
      problems.push({ kind: 'malformed', message: `columns "${other}" and "${name}" both give the ${fields[field].column}: keep one` });
      return;
    }
    given.set(field, name);
    at[field] = index;
  });
  for (const field of names) {
    const spec = fields[field];
    if (spec.required && at[field] < 0) {
      const also = spec.aliases.length > 0 ? ` (also accepted: ${spec.aliases.join(', ')})` : '';
      problems.push({ kind: 'missing-field', message: `the file has no ${spec.column} column${also}` });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, at };
}

// ---------------------------------------------------------------------------------------
// Dates

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const UK_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/**
 * yyyy-mm-dd or dd/mm/yyyy (d/m/yyyy too) to yyyy-mm-dd, or null when it is not a real
 * calendar date. UK exports, Excel's above all, write dd/mm/yyyy. Never mm/dd/yyyy: a
 * US-format file mostly fails on months above 12, which is the point, since silently
 * swapping day and month would put wrong dates on records.
 */
export function isoDate(value: string): string | null {
  let y: number;
  let m: number;
  let d: number;
  const iso = ISO_DATE.exec(value);
  if (iso) {
    [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  } else {
    const uk = UK_DATE.exec(value);
    if (!uk) return null;
    [d, m, y] = [Number(uk[1]), Number(uk[2]), Number(uk[3])];
  }
  // Before 1900 is a typing slip or a placeholder, not a date anyone imports.
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

// ---------------------------------------------------------------------------------------
// CSV

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;

export interface CsvRecord {
  fields: string[];
  /** The line the record starts on (1-based; a quoted field may span lines). */
  line: number;
  /** Why the record is not valid CSV; its fields are then whatever was read. */
  error: string | null;
}

/**
 * RFC 4180 records, one pass over the text: comma-separated, fields optionally in double
 * quotes (which may hold commas, newlines and doubled quotes ""), CRLF, LF or CR line ends.
 * A broken record (a stray quote, text after a closing quote) is reported and reading goes
 * on at the next line, so one upload lists every problem; an unclosed quote swallows the
 * rest of the file, so reading stops there.
 */
export function* csvRecords(text: string): Generator<CsvRecord> {
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let error: string | null = null;
    for (;;) {
      // One field, starting at i.
      if (i < n && text.charCodeAt(i) === QUOTE) {
        let value = '';
        let from = i + 1;
        let closed = false;
        for (let j = from; j < n; j++) {
          const c = text.charCodeAt(j);
          if (c === QUOTE) {
            if (j + 1 < n && text.charCodeAt(j + 1) === QUOTE) {
              value += text.slice(from, j + 1);
              from = j + 2;
              j++;
            } else {
              value += text.slice(from, j);
              i = j + 1;
              closed = true;
              break;
            }
          } else if (c === LF) line++;
        }
        if (!closed) {
          yield { fields, line: startLine, error: `a quoted field opened on line ${startLine} is never closed` };
          return;
        }
        fields.push(value);
        if (i < n) {
          const c = text.charCodeAt(i);
          if (c !== COMMA && c !== CR && c !== LF) {
            error = `text after a closing quote on line ${line}: a quote inside a quoted field is written twice ("")`;
            i = skipLine(text, i);
            line++;
            break;
          }
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === CR || c === LF) break;
          if (c === QUOTE) {
            error = `a quote inside an unquoted field on line ${line}: quote the whole field and write the quote twice ("")`;
            break;
          }
          j++;
        }
        if (error !== null) {
          i = skipLine(text, j);
          line++;
          break;
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        // Another field follows, empty if the text ends here.
        i++;
        continue;
      }
      // CRLF, LF, or a lone CR: the record ends.
      i += c === CR && i + 1 < n && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      break;
    }
    yield { fields, line: startLine, error };
  }
}

/** The index just past the end of the line holding `from`. */
function skipLine(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === LF) return j + 1;
    if (c === CR) return j + 1 < text.length && text.charCodeAt(j + 1) === LF ? j + 2 : j + 1;
  }
  return text.length;
}

// ---------------------------------------------------------------------------------------
// JSON

/** Where a value sits: object keys and array indexes from the top, e.g. ["records", 3, "awardedOn"]. */
export type JsonPath = (string | number)[];

export interface DuplicateKey {
  key: string;
  /** The object holding the key twice (the key itself not included). */
  path: JsonPath;
  /** The second (and any later) time it is given, 1-based. */
  line: number;
  column: number;
  /** The first time it is given. */
  firstLine: number;
  firstColumn: number;
}

export type JsonProblem = { message: string; path: JsonPath; line: number | null; column: number | null };
export type ParsedJson = { ok: true; value: unknown } | { ok: false; problems: JsonProblem[] };

/**
 * JSON.parse, except that an object giving the same key twice is refused: JSON.parse keeps
 * the last one silently, so `{"expiresOn": "2026-01-01", "expiresOn": null}` would read as
 * no expiry, and a reviewer of the file would see the first. Keys are compared as decoded
 * ("\u0061" is "a"). Every duplicate is listed, with the object's path and both positions.
 */
export function parseJson(text: string): ParsedJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [{ message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}`, path: [], line: null, column: null }] };
  }
  const duplicates = findDuplicateKeys(text);
  if (duplicates.length === 0) return { ok: true, value };
  return {
    ok: false,
    problems: duplicates.map((d) => ({
      message: `the key "${d.key}" is given twice in ${describePath(d.path)} (line ${d.firstLine}, column ${d.firstColumn}, and again at line ${d.line}, column ${d.column}): give it once`,
      path: d.path,
      line: d.line,
      column: d.column,
    })),
  };
}

/** `records[3]`, or "the top-level object". */
export function describePath(path: JsonPath): string {
  if (path.length === 0) return 'the top-level object';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

interface Frame {
  /** How the parent reaches this container. */
  segment: string | number | null;
  object: boolean;
  /** Object: the keys so far, with where each was first given. */
  keys: Map<string, { line: number; column: number }> | null;
  /** Object: the key whose value comes next. Array: the index of the current element. */
  key: string | null;
  index: number;
  expectingKey: boolean;
}

/**
 * Every key given more than once in the same object, in the order met. A scanner over JSON
 * text that JSON.parse has accepted: strings are skipped as tokens (escapes included), so
 * a brace or a quote inside a string is never taken for structure.
 */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const stack: Frame[] = [];
  let line = 1;
  let lineStart = 0;
  const n = text.length;
  const open = (object: boolean): void => {
    const parent = stack.at(-1);
    const segment = parent === undefined ? null : parent.object ? parent.key : parent.index;
    stack.push({ segment, object, keys: object ? new Map() : null, key: null, index: 0, expectingKey: object });
  };
  // The next backslash at or after a point, found once and reused, so that strings with no
  // escapes are skipped with indexOf and the text is never searched twice for one.
  let backslash = text.indexOf('\\');
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      if (c === 0x0a) {
        line++;
        lineStart = i + 1;
      }
      i++;
      continue;
    }
    if (c === 0x22) {
      // A string: its closing quote is the first one not escaped by a backslash.
      if (backslash !== -1 && backslash < i) backslash = text.indexOf('\\', i);
      let j = text.indexOf('"', i + 1);
      const escaped = backslash !== -1 && j !== -1 && backslash < j;
      if (escaped) {
        for (j = i + 1; j < n; j++) {
          const d = text.charCodeAt(j);
          if (d === 0x5c) j++;
          else if (d === 0x22) break;
        }
      }
      if (j === -1) j = n;
      const top = stack.at(-1);
      if (top?.object && top.expectingKey && top.keys) {
        const raw = text.slice(i, j + 1);
        const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        const column = i - lineStart + 1;
        const first = top.keys.get(key);
        if (first) {
          // The containers from the top down; the root's own segment is null, so it is left out.
          found.push({ key, path: stack.slice(1).map((f) => f.segment as string | number), line, column, firstLine: first.line, firstColumn: first.column });
        } else {
          top.keys.set(key, { line, column });
        }
        top.key = key;
        top.expectingKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b) open(true);
    else if (c === 0x5b) open(false);
    else if (c === 0x7d || c === 0x5d) stack.pop();
    else if (c === 0x2c) {
      const top = stack.at(-1);
      if (top?.object) top.expectingKey = true;
      else if (top) top.index++;
    }
    // ':' and the letters and digits of literals and numbers need nothing.
    i++;
  }
  return found;
}
