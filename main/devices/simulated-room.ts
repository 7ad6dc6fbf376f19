import type { SimulatedCardReader } from '../../native-bridges/card-reader/simulated-card-reader.ts';
import type { KerongSimulator } from '../../native-bridges/locker-kerong/simulator.ts';
import type { SimulatedScanner } from '../../native-bridges/scanner/simulated-scanner.ts';
import type { DemoRoom, DoorSensors } from '../core/ports.ts';
import type { DoorLayout } from './kerong-locker-bank.ts';

/**
 * The room in demo mode: the simulated boards, reader and scanner, driven by a person
 * from the simulator panel. Everything it does reaches the core through the same bytes
 * and events real hardware produces.
 */
export class SimulatedRoom implements DemoRoom {
  constructor(
    private readonly boards: KerongSimulator,
    private readonly layout: readonly DoorLayout[],
    private readonly cardReader: SimulatedCardReader,
    private readonly scanner: SimulatedScanner,
  ) {}

  tapCard(uid: string): void {
    this.cardReader.tap(uid);
  }

  scanTag(tag: string): void {
    this.scanner.scan(tag);
  }

  door(doorNumber: number, action: 'close' | 'open' | 'take-item' | 'put-item'): string | null {
    const door = this.layout.find((d) => d.number === doorNumber);
    if (!door) return `There is no door ${doorNumber}.`;
    const state = this.boards.getDoor(door.board, door.lock - 1);
    switch (action) {
      case 'close':
        this.boards.closeDoor(door.board, door.lock - 1);
        return null;
      case 'open':
        this.boards.openDoor(door.board, door.lock - 1);
        return null;
      case 'take-item':
      case 'put-item':
        if (!state.open) return `Door ${doorNumber} is closed: open it first.`;
        this.boards.setItemPresent(door.board, door.lock - 1, action === 'put-item');
        return null;
    }
  }

  doors(): DoorSensors[] {
    return this.layout.map((d) => {
      const state = this.boards.getDoor(d.board, d.lock - 1);
      return { doorNumber: d.number, open: state.open, itemPresent: state.itemPresent };
    });
  }

  onChange(listener: () => void): () => void {
    return this.boards.onChange(() => listener());
  }
}
