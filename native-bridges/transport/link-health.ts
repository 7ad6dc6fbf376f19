import type { LinkState } from '../device-health.ts';

/** A LinkState without 'connecting': a driver is made over an already open transport. */
export type TrackedState = Exclude<LinkState, 'connecting'>;

export interface TrackedHealth {
  state: TrackedState;
  lastError: string | null;
}

/** One missed reply is worth a warning; three in a row mean the device is not there. */
export const DEGRADED_AFTER_FAILURES = 1;
export const OFFLINE_AFTER_FAILURES = 3;

const STATE_RANK: Record<TrackedState, number> = { online: 0, degraded: 1, offline: 2 };

interface PartState {
  consecutiveFailures: number;
  health: TrackedHealth;
}

/**
 * Health of the devices on one bus (Kerong boards, a Modbus slave), judged by whether they
 * answer. `onChange` runs only when some part's state or last error actually changes, so the
 * hardware screen is not flooded by a poll loop that keeps reporting the same thing.
 */
export class HealthTracker<Part> {
  private readonly parts = new Map<Part, PartState>();
  private lostReason: string | null = null;

  constructor(
    parts: Iterable<Part>,
    private readonly onChange: () => void,
  ) {
    for (const part of parts) {
      // Not heard from yet: claiming "online" before any reply would mislead the hardware screen.
      this.parts.set(part, { consecutiveFailures: 0, health: { state: 'offline', lastError: null } });
    }
  }

  /** Every part, in the order given, with its health. */
  byPart(): [Part, TrackedHealth][] {
    return [...this.parts].map(([part, { health }]) => [part, { ...health }]);
  }

  /** The worst part (among equals, the first in the order given), or offline with the reason once the bus is lost. */
  overall(): TrackedHealth {
    if (this.lostReason !== null) return { state: 'offline', lastError: this.lostReason };
    let worst: TrackedHealth | undefined;
    for (const { health } of this.parts.values()) {
      if (worst === undefined || STATE_RANK[health.state] > STATE_RANK[worst.state]) worst = health;
    }
    return worst === undefined ? { state: 'online', lastError: null } : { ...worst };
  }

  answered(part: Part): void {
    const entry = this.entry(part);
    if (entry === undefined) return;
    entry.consecutiveFailures = 0;
    this.update(entry, { state: 'online', lastError: null });
  }

  failed(part: Part, message: string): void {
    const entry = this.entry(part);
    if (entry === undefined) return;
    const failures = ++entry.consecutiveFailures;
    const state: TrackedState = failures >= OFFLINE_AFTER_FAILURES ? 'offline' : failures >= DEGRADED_AFTER_FAILURES ? 'degraded' : 'online';
    this.update(entry, { state, lastError: message });
  }

  /** The transport is gone: every part is offline for good, whatever requests still settle. */
  lost(reason: string): void {
    if (this.lostReason !== null) return;
    this.lostReason = reason;
    for (const entry of this.parts.values()) entry.health = { state: 'offline', lastError: reason };
    this.onChange();
  }

  /**
   * Records how an exchange with `part` ended and passes its outcome on. `answeredAnyway`
   * picks out errors that still prove the device heard us (a refused command).
   */
  async track<T>(part: Part, exchange: Promise<T>, answeredAnyway: (error: unknown) => boolean = () => false): Promise<T> {
    try {
      const value = await exchange;
      this.answered(part);
      return value;
    } catch (error) {
      if (answeredAnyway(error)) this.answered(part);
      else this.failed(part, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  /** Undefined once the bus is lost, so late outcomes can't bring a dead bus back. */
  private entry(part: Part): PartState | undefined {
    if (this.lostReason !== null) return undefined;
    const entry = this.parts.get(part);
    if (entry === undefined) throw new RangeError(`no health is tracked for ${String(part)}`);
    return entry;
  }

  private update(entry: PartState, health: TrackedHealth): void {
    if (health.state === entry.health.state && health.lastError === entry.health.lastError) return;
    entry.health = health;
    this.onChange();
  }
}
