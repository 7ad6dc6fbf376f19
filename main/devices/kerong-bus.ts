import { KerongDriver, type BoardStatus } from '../../native-bridges/locker-kerong/driver.ts';
import type { ByteTransport } from '../../native-bridges/transport/byte-transport.ts';
import type { DoorLayout, LockerBus as LockerBusConfig } from '../config/terminal-config.ts';
import type { DoorSensors } from '../core/ports.ts';
import { DriverLockerBus, bitString } from './driver-locker-bus.ts';
import type { FrameLog } from './frame-log.ts';
import type { SupervisedLink } from './supervised-link.ts';

type KerongConfig = Extract<LockerBusConfig, { protocol: 'kerong' }>;
type KerongDoor = Extract<DoorLayout, { board: number }>;

/**
 * A Kerong KR-CU RS-485 bus with one or more boards; door numbers map to board and lock
 * through the layout.
 */
export class KerongBus extends DriverLockerBus<KerongDriver, KerongDoor> {
  private readonly latest = new Map<number, BoardStatus>();

  constructor(
    private readonly config: KerongConfig,
    doors: readonly KerongDoor[],
    link: SupervisedLink,
    frames: FrameLog,
  ) {
    super(config.id, doors, link, frames);
  }

  protected createDriver(transport: ByteTransport): KerongDriver {
    return new KerongDriver(transport, {
      boards: this.config.boards.map((b) => ({
        address: b.address,
        polarity: { lockOpenWhenBitSet: b.lockOpenWhenBitSet, itemPresentWhenBitSet: b.itemPresentWhenBitSet },
      })),
      pollIntervalMs: this.config.pollIntervalMs,
    });
  }

  protected watch(driver: KerongDriver): void {
    this.latest.clear();
    driver.onStatus((status) => {
      this.latest.set(status.board, status);
      // Report once every board has answered, so a reading always covers all the bus's doors.
      if (this.config.boards.every((b) => this.latest.has(b.address))) this.emitReading(this.sensors());
    });
  }

  protected release(driver: KerongDriver, door: KerongDoor): Promise<void> {
    return driver.unlock(door.board, door.lock - 1);
  }

  protected async readDoors(driver: KerongDriver): Promise<DoorSensors[]> {
    for (const board of this.config.boards) this.latest.set(board.address, await driver.readStatus(board.address));
    return this.sensors();
  }

  protected async describe(driver: KerongDriver): Promise<string> {
    const lines: string[] = [];
    for (const board of this.config.boards) {
      const status = await driver.readStatus(board.address);
      lines.push(`board ${board.address}: door open ${bitString(status.doorOpen)} · item present ${bitString(status.itemPresent)} (locks 1→16)`);
    }
    return lines.join('\n');
  }

  private sensors(): DoorSensors[] {
    const doors: DoorSensors[] = [];
    for (const door of this.doors) {
      const status = this.latest.get(door.board);
      if (!status) continue;
      doors.push({ doorNumber: door.number, open: status.doorOpen[door.lock - 1] ?? false, itemPresent: status.itemPresent[door.lock - 1] ?? false });
    }
    return doors;
  }
}
