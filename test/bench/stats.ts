/** Timing helpers for the benchmark: monotonic clock in, milliseconds out. */

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Milliseconds taken by `fn`, on the monotonic clock (wall-clock time can jump). */
export function timeMs<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

export async function timeMsAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/**
 * Nearest-rank percentile of an ascending array: the smallest sample with at least p% of
 * samples at or below it. No interpolation, so every figure reported is one that happened.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no samples');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sum / sorted.length,
    max: sorted[sorted.length - 1] as number,
  };
}

export { seededRandom } from '../helpers/seeded-random.ts';

/**
 * Milliseconds on an epoch every process on this machine shares: Node's and Chromium's
 * performance.timeOrigin is the wall clock at the process's start, and performance.now() the
 * monotonic time since, so the sum compares across processes (to within how far the wall clock
 * was slewed between their starts) while never jumping within one.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
