import type { ByteTransport } from '../transport/byte-transport.ts';
import type { SimFaults } from '../sim-command.ts';
import { FaultyWriter } from '../sim-args.ts';
import {
  BROADCAST_SLAVE,
  COIL_OFF,
  COIL_ON,
  DEFAULT_PULSE_COMMAND,
  MAX_READ_BITS,
  ModbusExceptionCode,
  ModbusFunction,
  ModbusRtuDecoder,
  PULSE_UNIT_MS,
  encodeExceptionResponse,
  encodeReadBitsResponse,
  encodeWriteSingleCoilRaw,
  parseRequest,
} from './codec.ts';
import type { ModbusFrame, ModbusRequest } from './codec.ts';

export interface ModbusRelaySimulatorOptions {
  /** Slave address 1..247 this board answers to. Default 1. */
  slave?: number;
  /** Relays (coils). Default 8. */
  relays?: number;
  /** Discrete inputs (door sensors). Default: as many as relays, one door per relay. */
  inputs?: number;
  /** Address high byte of the flash-on command. Default 0x02, as the driver's. */
  pulseCommand?: number;
  faults?: Partial<SimFaults>;
  /** Source of randomness for fragmenting and garbage; inject for reproducible runs. */
  random?: () => number;
}

export interface ModbusSimState {
  /** Index 0 is relay 1. */
  relays: boolean[];
  /** Index 0 is input 1; true = reads 1 = door open. */
  inputs: boolean[];
}

export interface ModbusSimChange {
  kind: 'relay' | 'input';
  index: number;
  value: boolean;
}

/**
 * Plays a Modbus RTU relay/IO board on the far end of a transport, speaking the same bytes
 * as the hardware, for demo mode and tests. Relay i is wired to a door strike and input i to
 * that door's sensor: energising a relay (a pulse, or switching it on) lets the door spring
 * open, and it stays open (input reads 1) until someone pushes it shut with closeDoor(i).
 *
 * Faults: noReply keeps the board acting on commands but silent, like a board whose TX line
 * is broken, so a timed-out pulse may still have opened the door (as on real hardware).
 */
export class ModbusRelaySimulator {
  readonly slave: number;
  private readonly transport: ByteTransport;
  private readonly relays: boolean[];
  private readonly inputs: boolean[];
  private readonly pulseCommand: number;
  private readonly decoder = new ModbusRtuDecoder({ mode: 'requests' });
  private readonly writer: FaultyWriter;
  private readonly changeListeners = new Set<(change: ModbusSimChange) => void>();
  private readonly unsubscribers: (() => void)[] = [];
  /** Pulse timers per relay: a new pulse on the same relay restarts its time, as boards do. */
  private readonly pulseTimers = new Map<number, NodeJS.Timeout>();
  private disposed = false;

  constructor(transport: ByteTransport, options: ModbusRelaySimulatorOptions = {}) {
    this.transport = transport;
    this.slave = options.slave ?? 1;
    const relayCount = options.relays ?? 8;
    const inputCount = options.inputs ?? relayCount;
    this.pulseCommand = options.pulseCommand ?? DEFAULT_PULSE_COMMAND;
    requireInt(this.slave, 1, 247, 'Modbus slave address');
    // Pulse addresses carry the relay in one byte, so more than 256 relays can't be pulsed.
    requireInt(relayCount, 1, 256, 'relay count');
    requireInt(inputCount, 1, MAX_READ_BITS, 'input count');
    // 0x00 is the plain coil page: a pulse command there would shadow relay on/off.
    requireInt(this.pulseCommand, 1, 0xff, 'pulse command byte');
    this.relays = Array.from({ length: relayCount }, () => false);
    this.inputs = Array.from({ length: inputCount }, () => false);
    this.writer = new FaultyWriter(transport, options.faults ?? {}, options.random ?? Math.random);
    this.unsubscribers.push(transport.onData((chunk) => this.handleData(chunk)));
    this.unsubscribers.push(transport.onClose(() => this.dispose()));
  }

  setFaults(faults: Partial<SimFaults>): void {
    this.writer.setFaults(faults);
  }

  getFaults(): SimFaults {
    return this.writer.currentFaults;
  }

  getState(): ModbusSimState {
    return { relays: [...this.relays], inputs: [...this.inputs] };
  }

  onChange(listener: (change: ModbusSimChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Sets a discrete input directly: a door forced open (true) or a sensor fault. */
  setInput(index: number, value: boolean): void {
    requireInt(index, 0, this.inputs.length - 1, 'input index');
    this.set('input', index, value);
  }

  /** The person playing the room pushes a door shut. */
  closeDoor(index: number): void {
    this.setInput(index, false);
  }

  /** Stops answering and cancels pending pulses; leaves the transport to whoever else uses it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    for (const timer of this.pulseTimers.values()) clearTimeout(timer);
    this.pulseTimers.clear();
    this.writer.stop();
  }

  async close(): Promise<void> {
    this.dispose();
    await this.transport.close();
  }

  private set(kind: ModbusSimChange['kind'], index: number, value: boolean): void {
    const bits = kind === 'relay' ? this.relays : this.inputs;
    if (bits[index] === value) return;
    bits[index] = value;
    for (const listener of [...this.changeListeners]) listener({ kind, index, value });
  }

  private setRelay(index: number, on: boolean): void {
    const timer = this.pulseTimers.get(index);
    if (timer !== undefined) clearTimeout(timer);
    this.pulseTimers.delete(index);
    this.set('relay', index, on);
    // The strike releases and the door's spring pushes it open; only a person closes it.
    if (on && index < this.inputs.length) this.set('input', index, true);
  }

  private pulse(index: number, units: number): void {
    this.setRelay(index, true);
    const timer = setTimeout(() => {
      this.pulseTimers.delete(index);
      this.set('relay', index, false);
    }, units * PULSE_UNIT_MS);
    this.pulseTimers.set(index, timer);
  }

  private handleData(chunk: Buffer): void {
    // Bad CRCs and noise are dropped silently, as a real slave does.
    for (const event of this.decoder.push(chunk)) {
      if (event.type === 'frame') this.handleFrame(event.frame);
    }
  }

  private handleFrame(frame: ModbusFrame): void {
    if (this.disposed) return;
    const broadcast = frame.slave === BROADCAST_SLAVE;
    if (!broadcast && frame.slave !== this.slave) return;
    const request = parseRequest(frame);
    const reply = this.execute(request, broadcast);
    // Slaves act on broadcasts but never answer them, or every slave would talk at once.
    if (reply === null || broadcast || this.writer.currentFaults.noReply) return;
    void this.writer.send(reply);
  }

  /** Applies the request and returns what builds the reply, sampled when the reply goes out. */
  private execute(request: ModbusRequest, broadcast: boolean): (() => Uint8Array | null) | null {
    const functionCode = request.kind === 'write-single-coil' ? ModbusFunction.writeSingleCoil : request.functionCode;
    const exception =
      (code: number) => (): Uint8Array =>
        encodeExceptionResponse(this.slave, functionCode, code);
    switch (request.kind) {
      case 'read-bits': {
        if (broadcast) return null;
        const source = request.functionCode === ModbusFunction.readCoils ? this.relays : this.inputs;
        const { start, quantity, functionCode } = request;
        if (quantity < 1 || quantity > MAX_READ_BITS) return exception(ModbusExceptionCode.illegalDataValue);
        if (start + quantity > source.length) return exception(ModbusExceptionCode.illegalDataAddress);
        return () => encodeReadBitsResponse(this.slave, functionCode, source.slice(start, start + quantity));
      }
      case 'write-single-coil': {
        const { address, value } = request;
        const page = address >> 8;
        const index = address & 0xff;
        const echo = (): Uint8Array => encodeWriteSingleCoilRaw(this.slave, address, value);
        if (page === 0) {
          if (address >= this.relays.length) return exception(ModbusExceptionCode.illegalDataAddress);
          if (value !== COIL_ON && value !== COIL_OFF) return exception(ModbusExceptionCode.illegalDataValue);
          this.setRelay(index, value === COIL_ON);
          return echo;
        }
        if (page === this.pulseCommand) {
          if (index >= this.relays.length) return exception(ModbusExceptionCode.illegalDataAddress);
          if (value === 0) return exception(ModbusExceptionCode.illegalDataValue);
          this.pulse(index, value);
          return echo;
        }
        // Other vendor command pages (flash-off, all-on…) aren't simulated.
        return exception(ModbusExceptionCode.illegalDataAddress);
      }
      case 'other':
        return exception(ModbusExceptionCode.illegalFunction);
    }
  }
}

function requireInt(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} must be an integer ${min}..${max}, got ${value}`);
}
