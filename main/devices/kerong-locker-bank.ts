import type { DeviceHealthView } from '../../preload/contract.ts';
import type { BoardStatus, KerongDriver, KerongHealth } from '../../native-bridges/locker-kerong/driver.ts';
import type { DoorSensors, LockerBankPort } from '../core/ports.ts';

export interface DoorLayout {
  number: number;
  board: number;
  /** 1..16 as printed on the board. */
  lock: number;
}

/**
 * A Kerong KR-CU bank seen as the core sees a locker bank: numbered doors. The layout maps
 * door numbers (what officers read) to board and lock (what the bus addresses).
 */
export class KerongLockerBank implements LockerBankPort {
  private readonly latest = new Map<number, BoardStatus>();
  private readonly boards: number[];
  private everOnline = false;

  constructor(
    private readonly driver: KerongDriver,
    private readonly layout: readonly DoorLayout[],
    private readonly id: string,
    private readonly label: string,
  ) {
    this.boards = [...new Set(layout.map((d) => d.board))];
    driver.onStatus((status) => {
      this.latest.set(status.board, status);
    });
  }

  unlock(doorNumber: number): Promise<void> {
    const door = this.layout.find((d) => d.number === doorNumber);
    if (!door) return Promise.reject(new RangeError(`door ${doorNumber} is not in the layout of ${this.label}`));
    return this.driver.unlock(door.board, door.lock - 1);
  }

  async readDoors(): Promise<DoorSensors[]> {
    for (const board of this.boards) this.latest.set(board, await this.driver.readStatus(board));
    return this.doorsFrom(this.latest);
  }

  onDoors(listener: (doors: DoorSensors[]) => void): () => void {
    // One poll cycle reads every board; report after each board so a slow board never delays the others.
    return this.driver.onStatus(() => {
      if (this.boards.every((b) => this.latest.has(b))) listener(this.doorsFrom(this.latest));
    });
  }

  health(): DeviceHealthView {
    return this.view(this.driver.getHealth());
  }

  onHealth(listener: (health: DeviceHealthView) => void): () => void {
    return this.driver.onHealth((health) => listener(this.view(health)));
  }

  private view(health: KerongHealth): DeviceHealthView {
    if (health.state === 'online') this.everOnline = true;
    // The driver starts offline with no error: that is "still connecting", not a fault.
    const state = !this.everOnline && health.state === 'offline' && health.lastError === null ? 'connecting' : health.state;
    return { id: this.id, label: this.label, state, lastError: health.lastError };
  }

  private doorsFrom(statuses: ReadonlyMap<number, BoardStatus>): DoorSensors[] {
    const doors: DoorSensors[] = [];
    for (const door of this.layout) {
      const status = statuses.get(door.board);
      if (!status) continue;
      doors.push({
        doorNumber: door.number,
        open: status.doorOpen[door.lock - 1] ?? false,
        itemPresent: status.itemPresent[door.lock - 1] ?? false,
      });
    }
    return doors;
  }
}
