/** What the estate simulation's processes say to each other (estate-sim.ts and its children). */

export interface SimTerminalSpec {
  id: string;
  /** The publisher's connection string (through the cut-off proxy for the terminals cut off). */
  publishUrl: string;
  /** The reference puller's. */
  referenceUrl: string;
  /** The officers who draw here, in order. */
  officers: number[];
}

/** Parent to a terminals process. */
export type ToTerminals =
  | { type: 'init'; terminals: SimTerminalSpec[]; seededAt: string; officers: number }
  /** Start every terminal's reference puller; report once all hold the estate's officers. */
  | { type: 'pull' }
  /** Report each terminal once it holds `count` records awarded on `awardedOn` (a training import's fan-out). */
  | { type: 'await-records'; awardedOn: string; count: number }
  | { type: 'publish' }
  /** Run these rounds of the shift change: in round r, each terminal's r-th officer draws a Taser and returns it. */
  | { type: 'shift'; from: number; to: number }
  | { type: 'report' }
  | { type: 'stop' };

/** A terminals process to the parent. */
export type FromTerminals =
  | { type: 'ready' }
  /** Every terminal here holds all the estate's officers with their roles and records (wall-clock ms). */
  | { type: 'officers-everywhere'; at: number }
  | { type: 'records-everywhere'; at: number }
  | { type: 'caught-up' }
  | { type: 'shift-done'; cycles: number; lastSeq: Record<string, number> }
  | { type: 'audit'; logs: { id: string; rows: number; maxSeq: number }[] }
  | { type: 'failed'; message: string };

/** The probe (the control room's reads, from a process of its own) to the parent. */
export type FromProbe = { type: 'ready' } | { type: 'samples'; mobilisation: number[]; pictures: number[]; pages: number[]; pageFailures: number; lastTotals: { armed: number; available: number } | null };
