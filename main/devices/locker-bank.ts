import type { DeviceHealthView } from '../../preload/contract.ts';
import { Listeners } from '../../native-bridges/device-health.ts';
import type { DoorSensors, LockerBankPort } from '../core/ports.ts';
import { worstHealth, type LockerBus } from './locker-bus.ts';

/**
 * The bank the core sees: numbered doors, whichever buses and protocols serve them.
 * Readings from the buses are merged, so the core always gets every door it can see.
 */
export class LockerBank implements LockerBankPort {
  private readonly latest = new Map<string, DoorSensors[]>();
  private readonly readings = new Listeners<DoorSensors[]>();
  private readonly healthListeners = new Listeners<DeviceHealthView>();

  constructor(
    private readonly buses: readonly LockerBus[],
    private readonly label: string,
  ) {
    for (const bus of buses) {
      bus.onReading((doors) => {
        this.latest.set(bus.id, doors);
        this.readings.emit(this.merged());
      });
      bus.onHealth(() => this.healthListeners.emit(this.health()));
    }
  }

  unlock(doorNumber: number): Promise<void> {
    const bus = this.busFor(doorNumber);
    return bus ? bus.unlock(doorNumber) : Promise.reject(new RangeError(`door ${doorNumber} is not in ${this.label}`));
  }

  /** Reads every bus; a bus that fails makes the whole read fail (a partial picture would mislead). */
  async readDoors(): Promise<DoorSensors[]> {
    for (const bus of this.buses) this.latest.set(bus.id, await bus.read());
    return this.merged();
  }

  onDoors(listener: (doors: DoorSensors[]) => void): () => void {
    return this.readings.add(listener);
  }

  health(): DeviceHealthView {
    const worst = worstHealth(this.buses.map((b) => b.health()));
    return { id: 'locker-bank', label: this.label, state: worst.state, lastError: worst.lastError };
  }

  onHealth(listener: (health: DeviceHealthView) => void): () => void {
    return this.healthListeners.add(listener);
  }

  busFor(doorNumber: number): LockerBus | undefined {
    return this.buses.find((b) => b.doorNumbers.includes(doorNumber));
  }

  private merged(): DoorSensors[] {
    return [...this.latest.values()].flat().sort((a, b) => a.doorNumber - b.doorNumber);
  }
}
