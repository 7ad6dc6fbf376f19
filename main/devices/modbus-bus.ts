import { Listeners, type LinkHealth } from '../../native-bridges/device-health.ts';
import { ModbusRelayDriver } from '../../native-bridges/locker-modbus/driver.ts';
import type { DoorLayout, LockerBus as LockerBusConfig } from '../config/terminal-config.ts';
import type { DoorSensors } from '../core/ports.ts';
import type { FrameLog } from './frame-log.ts';
import { BusOfflineError, type LockerBus } from './locker-bus.ts';
import type { SupervisedLink } from './supervised-link.ts';

type ModbusConfig = Extract<LockerBusConfig, { protocol: 'modbus' }>;
type ModbusDoor = Extract<DoorLayout, { relay: number }>;

/**
 * A Modbus RTU relay/IO board driving door strikes: a door is released by pulsing its
 * relay, and read through a discrete input wired to its door sensor. Such doors have no
 * item sensor, so readings carry `itemPresent: null`.
 */
export class ModbusBus implements LockerBus {
  readonly id: string;
  readonly doorNumbers: number[];
  private driver: ModbusRelayDriver | null = null;
  private driverHealth: LinkHealth = { state: 'connecting', lastError: null };
  private inputs: boolean[] | null = null;
  private readonly readings = new Listeners<DoorSensors[]>();
  private readonly healthListeners = new Listeners<LinkHealth>();
  private readonly inputCount: number;
  private readonly relayCount: number;

  constructor(
    private readonly config: ModbusConfig,
    private readonly doors: readonly ModbusDoor[],
    private readonly link: SupervisedLink,
    private readonly frames: FrameLog,
  ) {
    this.id = config.id;
    this.doorNumbers = doors.map((d) => d.number);
    this.inputCount = Math.max(8, ...doors.map((d) => d.input));
    this.relayCount = Math.max(8, ...doors.map((d) => d.relay));
    link.onTransport((transport) =>
      this.attach(new ModbusRelayDriver(transport, { slave: config.slave, pollIntervalMs: config.pollIntervalMs, inputCount: this.inputCount, relayCount: this.relayCount })),
    );
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
    return this.driver.pulseRelay(door.relay - 1, this.config.pulseMs);
  }

  async read(): Promise<DoorSensors[]> {
    if (!this.driver) throw new BusOfflineError(this.id, this.link.health().lastError);
    this.inputs = await this.driver.readInputs();
    return this.sensors();
  }

  onReading(listener: (doors: DoorSensors[]) => void): () => void {
    return this.readings.add(listener);
  }

  async describeStatus(): Promise<string> {
    if (!this.driver) throw new BusOfflineError(this.id, this.link.health().lastError);
    const bits = (values: boolean[]) => values.map((v) => (v ? '1' : '0')).join('');
    const inputs = await this.driver.readInputs();
    const coils = await this.driver.readCoils();
    return `slave ${this.config.slave}: inputs ${bits(inputs)} · relays ${bits(coils)} (1→${inputs.length})`;
  }

  health(): LinkHealth {
    const link = this.link.health();
    return link.state === 'online' ? this.driverHealth : link;
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }

  private attach(driver: ModbusRelayDriver): void {
    this.driver?.stopPolling();
    this.driver = driver;
    this.inputs = null;
    this.driverHealth = { state: 'connecting', lastError: null };
    driver.onFrame((entry) => this.frames.add(this.id, entry.direction, entry.bytes, entry.error ?? null));
    driver.onHealth((health) => {
      this.driverHealth = { state: health.state, lastError: health.lastError };
      this.healthListeners.emit(this.health());
    });
    driver.onInputs((inputs) => {
      this.inputs = inputs;
      this.readings.emit(this.sensors());
    });
    driver.startPolling();
  }

  private sensors(): DoorSensors[] {
    const inputs = this.inputs;
    if (!inputs) return [];
    return this.doors.map((door) => ({
      doorNumber: door.number,
      open: (inputs[door.input - 1] ?? false) === this.config.inputOpenWhenSet,
      itemPresent: null,
    }));
  }
}
