import { availableParallelism } from 'node:os';
import type { ChainVerdict } from '../core/audit-chain.ts';
import type { SignedCheckpoint } from '../core/audit-checkpoint.ts';
import type { IntegrityOptions, IntegrityVerdict } from '../core/audit-integrity.ts';
import type { ChainWalker, IntegrityChecker } from '../core/ports.ts';
import { runWorker } from './run-worker.ts';

/** The whole-chain walks and integrity checks, each in fresh worker threads over the database file. */

/** A whole walk, split into `slices` walked at once when the chain has at least `sliceFromRows` rows; with `integrity`, the whole check. */
export interface ChainWalkRequest {
  path: string;
  slices: number;
  sliceFromRows: number;
  integrity?: {
    publicKeyPem: string;
    signatures: IntegrityOptions['signatures'];
    /** Checkpoints from outside the database, given whole (the verifier) or as the exported file the worker reads (the terminal). */
    external?: readonly SignedCheckpoint[];
    checkpointsFile?: string | null;
  };
}

/** One slice: the rows after `after` up to `upTo` (null: to the end), walked from the row before them. */
export interface SliceRequest {
  path: string;
  after: number;
  upTo: number | null;
}

/**
 * Two slices at most: the walk is bound by SHA-256 and by reading rows, one core each, and the
 * terminal has other work for any core beyond two. Below SLICE_FROM_ROWS a helper thread's start
 * (tens of milliseconds) costs more than it saves.
 */
export const WALK_SLICES = Math.min(2, availableParallelism());
export const SLICE_FROM_ROWS = 50_000;

/**
 * A walk or one slice of it in a fresh worker thread. The walk keeps nothing, so a small heap
 * only makes V8 collect sooner. Measured on a million rows: unbounded, a walk left ~100 MB
 * resident; 32/8 MB left the terminal at ~193 MB after a console session; 24/4 MB saved 7 MB
 * and walked a third slower.
 */
export function walkInWorker<T>(request: ChainWalkRequest | SliceRequest): Promise<T> {
  return runWorker<T>('audit-chain-worker', request, { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 });
}

const whole = (path: string, integrity?: ChainWalkRequest['integrity']): ChainWalkRequest => ({ path, slices: WALK_SLICES, sliceFromRows: SLICE_FROM_ROWS, ...(integrity ? { integrity } : {}) });

export function workerChainWalker(databasePath: string): ChainWalker {
  return { walk: () => walkInWorker<ChainVerdict>(whole(databasePath)) };
}

/**
 * The start-up check: triggers, chain, checkpoints (stored, and the exported file when it can be
 * read). A check asked for while one is running gets that one's verdict: the console's first
 * timeline, opened while the start-up check still walks, waits for it instead of walking the
 * chain a second time beside it (twice the threads, the cores and the memory).
 */
export function workerIntegrityChecker(databasePath: string, publicKeyPem: string, checkpointsFile: () => string | null): IntegrityChecker {
  let running: Promise<IntegrityVerdict> | null = null;
  return {
    check: () => {
      running ??= walkInWorker<IntegrityVerdict>(whole(databasePath, { publicKeyPem, signatures: 'latest', checkpointsFile: checkpointsFile() })).finally(() => (running = null));
      return running;
    },
  };
}

/** The investigators' check of a database copy: every checkpoint's signature, against the checkpoints they were given. */
export function verifyDatabaseCopy(databasePath: string, publicKeyPem: string, external: readonly SignedCheckpoint[]): Promise<IntegrityVerdict> {
  return walkInWorker<IntegrityVerdict>(whole(databasePath, { publicKeyPem, signatures: 'all', external }));
}

/**
 * The console's full walks, anchored: a chain whose hashes were all recomputed, or cut short, no
 * longer walks "verified" once it is checked against the signed checkpoints. A trigger problem
 * alone leaves the rows' verdict as the walk found it (the start-up check reports it).
 */
export function anchoredChainWalker(checker: IntegrityChecker): ChainWalker {
  return {
    walk: async () => {
      const verdict = await checker.check();
      if (verdict.firstBrokenSeq === null) return verdict.chain;
      const rows = verdict.chain.ok ? Math.min(verdict.chain.rows, verdict.firstBrokenSeq - 1) : verdict.chain.rows;
      return { ok: false, rows, firstBrokenSeq: verdict.firstBrokenSeq, reason: verdict.problems.filter((p) => !verdict.triggerProblems.includes(p)).join('; ') };
    },
  };
}
