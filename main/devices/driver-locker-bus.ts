import { Listeners, type LinkHealth } from '../../native-bridges/device-health.ts';
import type { ByteTransport } from '../../native-bridges/transport/byte-transport.ts';
import type { BusFrameLogEntry } from '../../native-bridges/transport/request-bus.ts';
import type { DoorSensors } from '../core/ports.ts';
import type { FrameLog } from './frame-log.ts';
import { BusOfflineError, type LockerBus } from './locker-bus.ts';
import type { SupervisedLink } from './supervised-link.ts';

/** What a locker bus needs of its protocol's driver; KerongDriver and ModbusRelayDriver both fit. */
export interface LockerDriver {
  onFrame(listener: (entry: BusFrameLogEntry) => void): () => void;
  onHealth(listener: (health: LinkHealth) => void): () => void;
  startPolling(): void;
  stopPolling(): void;
  pollFast(forMs: number, intervalMs: number): void;
}

/**
 * A LockerBus served by one driver over a supervised link. A new driver is built on every
 * (re)connected transport, since drivers never outlive their transport; the subclass keeps
 * only its protocol's mapping of doors to hardware and of hardware state to DoorSensors.
 */
export abstract class DriverLockerBus<Driver extends LockerDriver, Door extends { number: number }> implements LockerBus {
  readonly doorNumbers: number[];
  private driver: Driver | null = null;
  private driverHealth: LinkHealth = { state: 'connecting', lastError: null };
  private readonly readings = new Listeners<DoorSensors[]>();
  private readonly healthListeners = new Listeners<LinkHealth>();

  protected constructor(
    readonly id: string,
    protected readonly doors: readonly Door[],
    private readonly link: SupervisedLink,
    private readonly frames: FrameLog,
  ) {
    this.doorNumbers = doors.map((d) => d.number);
    link.onTransport((transport) => this.attach(this.createDriver(transport)));
    link.onHealth(() => this.healthListeners.emit(this.health()));
  }

  protected abstract createDriver(transport: ByteTransport): Driver;
  /** Forgets what the previous driver reported and passes the new one's readings to emitReading. */
  protected abstract watch(driver: Driver): void;
  protected abstract release(driver: Driver, door: Door): Promise<void>;
  protected abstract readDoors(driver: Driver): Promise<DoorSensors[]>;
  protected abstract describe(driver: Driver): Promise<string>;

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
    return this.withDriver((driver) => this.release(driver, door));
  }

  read(): Promise<DoorSensors[]> {
    return this.withDriver((driver) => this.readDoors(driver));
  }

  onReading(listener: (doors: DoorSensors[]) => void): () => void {
    return this.readings.add(listener);
  }

  describeStatus(): Promise<string> {
    return this.withDriver((driver) => this.describe(driver));
  }

  /** Nothing to speed up while disconnected: the next driver starts at the normal pace. */
  pollFast(forMs: number, intervalMs: number): void {
    this.driver?.pollFast(forMs, intervalMs);
  }

  health(): LinkHealth {
    const link = this.link.health();
    return link.state === 'online' ? this.driverHealth : link;
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }

  protected emitReading(doors: DoorSensors[]): void {
    this.readings.emit(doors);
  }

  private withDriver<T>(use: (driver: Driver) => Promise<T>): Promise<T> {
    const driver = this.driver;
    if (!driver) return Promise.reject(new BusOfflineError(this.id, this.link.health().lastError));
    return use(driver);
  }

  private attach(driver: Driver): void {
    this.driver?.stopPolling();
    this.driver = driver;
    this.driverHealth = { state: 'connecting', lastError: null };
    driver.onFrame((entry) => this.frames.add(this.id, entry.direction, entry.bytes, entry.error ?? null));
    driver.onHealth((health) => {
      this.driverHealth = { state: health.state, lastError: health.lastError };
      this.healthListeners.emit(this.health());
    });
    this.watch(driver);
    driver.startPolling();
  }
}

/** Bits as the hardware screen shows them: "00010000", first bit first. */
export function bitString(values: readonly boolean[]): string {
  return values.map((v) => (v ? '1' : '0')).join('');
}
