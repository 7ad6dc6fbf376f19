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
 */
export function validUntil(awardedOn: string, expiresOn: string | null, validityMonths: number | null): string | null {
  if (expiresOn !== null) return expiresOn;
  if (validityMonths !== null) return addDays(addMonths(awardedOn, validityMonths), -1);
  return null;
}
