import { ModbusRelayDriver } from '../../native-bridges/locker-modbus/driver.ts';
import type { ByteTransport } from '../../native-bridges/transport/byte-transport.ts';
import type { DoorLayout, LockerBus as LockerBusConfig } from '../config/terminal-config.ts';
import type { DoorSensors } from '../core/ports.ts';
import { DriverLockerBus, bitString } from './driver-locker-bus.ts';
import type { FrameLog } from './frame-log.ts';
import type { SupervisedLink } from './supervised-link.ts';

type ModbusConfig = Extract<LockerBusConfig, { protocol: 'modbus' }>;
type ModbusDoor = Extract<DoorLayout, { relay: number }>;

/**
 * A Modbus RTU relay/IO board driving door strikes: a door is released by pulsing its
 * relay, and read through a discrete input wired to its door sensor. Such doors have no
 * item sensor, so readings carry `itemPresent: null`.
 */
export class ModbusBus extends DriverLockerBus<ModbusRelayDriver, ModbusDoor> {
  private inputs: boolean[] | null = null;
  private readonly inputCount: number;
  private readonly relayCount: number;

  constructor(
    private readonly config: ModbusConfig,
    doors: readonly ModbusDoor[],
    link: SupervisedLink,
    frames: FrameLog,
  ) {
    super(config.id, doors, link, frames);
    this.inputCount = Math.max(8, ...doors.map((d) => d.input));
    this.relayCount = Math.max(8, ...doors.map((d) => d.relay));
  }

  protected createDriver(transport: ByteTransport): ModbusRelayDriver {
    const { slave, pollIntervalMs } = this.config;
    return new ModbusRelayDriver(transport, { slave, pollIntervalMs, inputCount: this.inputCount, relayCount: this.relayCount });
  }

  protected watch(driver: ModbusRelayDriver): void {
    this.inputs = null;
    driver.onInputs((inputs) => {
      this.inputs = inputs;
      this.emitReading(this.sensors());
    });
  }

  protected release(driver: ModbusRelayDriver, door: ModbusDoor): Promise<void> {
    return driver.pulseRelay(door.relay - 1, this.config.pulseMs);
  }

  protected async readDoors(driver: ModbusRelayDriver): Promise<DoorSensors[]> {
    this.inputs = await driver.readInputs();
    return this.sensors();
  }

  protected async describe(driver: ModbusRelayDriver): Promise<string> {
    const inputs = await driver.readInputs();
    const coils = await driver.readCoils();
    return `slave ${this.config.slave}: inputs ${bitString(inputs)} · relays ${bitString(coils)} (1→${inputs.length})`;
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
