import type { SimulatedCardReader } from '../../native-bridges/card-reader/simulated-card-reader.ts';
import type { SimulatedScanner } from '../../native-bridges/scanner/simulated-scanner.ts';
import type { DemoRoom, DoorSensors } from '../core/ports.ts';

/** One simulated door as a person in the room can handle it, whatever board plays it. */
export interface SimulatedDoorControl {
  read(): { open: boolean; itemPresent: boolean | null };
  close(): void;
  forceOpen(): void;
  /** Throws where the door has no item sensor. */
  setItemPresent(present: boolean): void;
  onChange(listener: () => void): () => void;
}

/**
 * The room in demo mode: the simulated boards, reader and scanner, driven by a person
 * from the simulator panel. Everything it does reaches the core through the same bytes
 * and events real hardware produces.
 */
export class SimulatedRoom implements DemoRoom {
  constructor(
    private readonly doorControls: ReadonlyMap<number, SimulatedDoorControl>,
    private readonly cardReader: SimulatedCardReader | null,
    private readonly scanner: SimulatedScanner | null,
  ) {}

  tapCard(uid: string): void {
    if (!this.cardReader) throw new Error('this room has no simulated card reader');
    this.cardReader.tap(uid);
  }

  scanTag(tag: string): void {
    if (!this.scanner) throw new Error('this room has no simulated scanner');
    this.scanner.scan(tag);
  }

  door(doorNumber: number, action: 'close' | 'open' | 'take-item' | 'put-item'): string | null {
    const door = this.doorControls.get(doorNumber);
    if (!door) return `There is no simulated door ${doorNumber}.`;
    switch (action) {
      case 'close':
        door.close();
        return null;
      case 'open':
        door.forceOpen();
        return null;
      case 'take-item':
      case 'put-item': {
        const state = door.read();
        if (!state.open) return `Door ${doorNumber} is closed: open it first.`;
        if (state.itemPresent === null) return `Door ${doorNumber} has no item sensor.`;
        door.setItemPresent(action === 'put-item');
        return null;
      }
    }
  }

  doors(): DoorSensors[] {
    return [...this.doorControls].map(([doorNumber, door]) => ({ doorNumber, ...door.read() })).sort((a, b) => a.doorNumber - b.doorNumber);
  }

  onChange(listener: () => void): () => void {
    const offs = [...this.doorControls.values()].map((d) => d.onChange(listener));
    return () => offs.forEach((off) => off());
  }
}
