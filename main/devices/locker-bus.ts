import type { LinkHealth } from '../../native-bridges/device-health.ts';
import type { DoorSensors } from '../core/ports.ts';

/**
 * One bus of locker hardware (a Kerong RS-485 bus, a Modbus relay board) serving some of
 * a bank's doors. The bank composes its buses, so one bank can mix protocols.
 */
export interface LockerBus {
  readonly id: string;
  /** The door numbers this bus serves. */
  readonly doorNumbers: readonly number[];
  /** Send the command that releases one door. Rejects when the bus is down. */
  unlock(doorNumber: number): Promise<void>;
  /** A fresh reading of this bus's doors; rejects (never hangs) when the hardware does not answer. */
  read(): Promise<DoorSensors[]>;
  /** Every poll's reading of this bus's doors. */
  onReading(listener: (doors: DoorSensors[]) => void): () => void;
  /** Raw status for the hardware screen, as text ("board 0: locks 00000001 items 11111111"). */
  describeStatus(): Promise<string>;
  /**
   * Optional: polls every `intervalMs` for the next `forMs`, then at the normal pace again; a
   * call while a window is open extends it. For right after an unlock, so a door opening is
   * seen within tens of milliseconds rather than a poll interval later.
   */
  pollFast?(forMs: number, intervalMs: number): void;
  health(): LinkHealth;
  onHealth(listener: (health: LinkHealth) => void): () => void;
  start(): void;
  stop(): Promise<void>;
}

export class BusOfflineError extends Error {
  constructor(busId: string, reason: string | null) {
    super(`locker bus ${busId} is not connected${reason ? ` (${reason})` : ''}`);
    this.name = 'BusOfflineError';
  }
}

/** The worse of two health states, for a device built from parts. */
export function worstHealth(parts: readonly LinkHealth[]): LinkHealth {
  const rank = { online: 0, connecting: 1, degraded: 2, offline: 3 } as const;
  let worst: LinkHealth = { state: 'online', lastError: null };
  for (const part of parts) if (rank[part.state] > rank[worst.state]) worst = part;
  return worst;
}
