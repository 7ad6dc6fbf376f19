import { addDays, addMonths } from './dates.ts';

/**
 * How long a qualification record is valid: the one rule, applied wherever a record is
 * written (training import, demo seed, the migration that introduced it). Every reader (the
 * draw decision, the home screen, the console's mobilisation SQL) reads the stored result,
 * so one record can never be valid for one of them and lapsed for another.
 *
 * The last valid day is the record's expiry if it has one; otherwise the day before the
 * award date plus the qualification's validity period (a 12-month course passed on
 * 15 Jan 2026 is valid through 14 Jan 2027); otherwise null: it does not expire.
 *
 * Null is never the result of an import: a record that gives no expiry, for a qualification
 * with no validity period, is refused (see importedValidity), because a file that simply
 * lacks an expiry column would otherwise make every record in it permanent.
 */
export function validUntil(awardedOn: string, expiresOn: string | null, validityMonths: number | null): string | null {
  if (expiresOn !== null) return expiresOn;
  if (validityMonths !== null) return addDays(addMonths(awardedOn, validityMonths), -1);
  return null;
}

/** An expiry further than this after the award is taken for a slip, unless policy says otherwise. */
export const DEFAULT_EXPIRY_HORIZON_YEARS = 10;

export type ImportedValidity =
  | { ok: true; validUntil: string }
  /** No expiry given, and the qualification has no validity period to compute one from. */
  | { ok: false; problem: 'no-expiry' }
  /** The expiry given is past the horizon: `latest` is the furthest it may be. */
  | { ok: false; problem: 'beyond-horizon'; latest: string };

/**
 * The last valid day of a record an import writes, or why it may not be written. Unlike
 * validUntil, never "does not expire": an import can only ever grant authority to a date.
 * An expiry the file gives may be at most `horizonYears` after the award (the date itself
 * is the last one allowed: awarded 2026-03-15, 10 years, up to 2036-03-15), so a typed
 * 2062 for 2026 is refused, not obeyed. A period from the qualification is configured,
 * not imported, so it is not held to the horizon.
 */
export function importedValidity(awardedOn: string, expiresOn: string | null, validityMonths: number | null, horizonYears: number): ImportedValidity {
  if (expiresOn !== null) {
    const latest = addMonths(awardedOn, horizonYears * 12);
    return expiresOn > latest ? { ok: false, problem: 'beyond-horizon', latest } : { ok: true, validUntil: expiresOn };
  }
  const derived = validUntil(awardedOn, null, validityMonths);
  return derived === null ? { ok: false, problem: 'no-expiry' } : { ok: true, validUntil: derived };
}
