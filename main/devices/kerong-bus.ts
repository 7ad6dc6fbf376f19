import { Listeners, type LinkHealth } from '../../native-bridges/device-health.ts';
import { KerongDriver, type BoardStatus, type KerongHealth } from '../../native-bridges/locker-kerong/driver.ts';
import type { DoorLayout, LockerBus as LockerBusConfig } from '../config/terminal-config.ts';
import type { DoorSensors } from '../core/ports.ts';
import type { FrameLog } from './frame-log.ts';
import { BusOfflineError, type LockerBus } from './locker-bus.ts';
import type { SupervisedLink } from './supervised-link.ts';

type KerongConfig = Extract<LockerBusConfig, { protocol: 'kerong' }>;
type KerongDoor = Extract<DoorLayout, { board: number }>;

/**
 * A Kerong KR-CU RS-485 bus with one or more boards. A new driver is built on every
 * (re)connected transport; door numbers map to board and lock through the layout.
 */
export class KerongBus implements LockerBus {
  readonly id: string;
  readonly doorNumbers: number[];
  private driver: KerongDriver | null = null;
  private driverHealth: LinkHealth = { state: 'connecting', lastError: null };
  private readonly latest = new Map<number, BoardStatus>();
  private readonly readings = new Listeners<DoorSensors[]>();
  private readonly healthListeners = new Listeners<LinkHealth>();

  constructor(
    private readonly config: KerongConfig,
    private readonly doors: readonly KerongDoor[],
    private readonly link: SupervisedLink,
    private readonly frames: FrameLog,
  ) {
    this.id = config.id;
    this.doorNumbers = doors.map((d) => d.number);
    link.onTransport((transport) => this.attach(new KerongDriver(transport, this.driverOptions())));
    link.onHealth(() => this.healthListeners.emit(this.health()));
  }

  start(): void {
    this.link.start();
  }

  async stop(): Promise<void> {
    this.driver?.stopPolling();
    await this.link.stop();
  }

  unlock(doorNumber: number): Promise<void> {
    const door = this.doors.find((d) => d.number === doorNumber);
    if (!door) return Promise.reject(new RangeError(`door ${doorNumber} is not on bus ${this.id}`));
    if (!this.driver) return Promise.reject(new BusOfflineError(this.id, this.link.health().lastError));
    return this.driver.unlock(door.board, door.lock - 1);
  }

  async read(): Promise<DoorSensors[]> {
    const driver = this.driver;
    if (!driver) throw new BusOfflineError(this.id, this.link.health().lastError);
    for (const board of this.config.boards) this.latest.set(board.address, await driver.readStatus(board.address));
    return this.sensors();
  }

  onReading(listener: (doors: DoorSensors[]) => void): () => void {
    return this.readings.add(listener);
  }

  async describeStatus(): Promise<string> {
    const driver = this.driver;
    if (!driver) throw new BusOfflineError(this.id, this.link.health().lastError);
    const lines: string[] = [];
    for (const board of this.config.boards) {
      const status = await driver.readStatus(board.address);
      const bits = (values: boolean[]) => values.map((v) => (v ? '1' : '0')).join('');
      lines.push(`board ${board.address}: door open ${bits(status.doorOpen)} · item present ${bits(status.itemPresent)} (locks 1→16)`);
    }
    return lines.join('\n');
  }

  health(): LinkHealth {
    const link = this.link.health();
    return link.state === 'online' ? this.driverHealth : link;
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }

  private driverOptions() {
    return {
      boards: this.config.boards.map((b) => ({
        address: b.address,
        polarity: { lockOpenWhenBitSet: b.lockOpenWhenBitSet, itemPresentWhenBitSet: b.itemPresentWhenBitSet },
      })),
      pollIntervalMs: this.config.pollIntervalMs,
    };
  }

  private attach(driver: KerongDriver): void {
    this.driver?.stopPolling();
    this.driver = driver;
    this.latest.clear();
    this.driverHealth = { state: 'connecting', lastError: null };
    driver.onFrame((entry) => this.frames.add(this.id, entry.direction, entry.bytes, entry.error ?? null));
    driver.onHealth((health: KerongHealth) => {
      this.driverHealth = { state: health.state, lastError: health.lastError };
      this.healthListeners.emit(this.health());
    });
    driver.onStatus((status) => {
      this.latest.set(status.board, status);
      // Report once every board has answered, so a reading always covers all the bus's doors.
      if (this.config.boards.every((b) => this.latest.has(b.address))) this.readings.emit(this.sensors());
    });
    driver.startPolling();
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

