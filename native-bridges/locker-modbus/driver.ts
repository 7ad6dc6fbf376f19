import type { ByteTransport } from '../transport/byte-transport.ts';
import type { LinkState } from '../device-health.ts';
import { IsolatedListeners } from '../transport/isolated-listeners.ts';
import { PolledBusDriver } from '../transport/polled-bus-driver.ts';
import type { BusFrameLogEntry, ReplyVerdict } from '../transport/request-bus.ts';
import {
  DEFAULT_PULSE_COMMAND,
  ModbusFunction,
  ModbusRtuDecoder,
  encodePulseRelay,
  encodeReadCoils,
  encodeReadDiscreteInputs,
  encodeWriteSingleCoil,
  parseResponse,
  pulseUnitsForMs,
} from './codec.ts';
import type { ModbusException, ModbusFrame, ModbusResponse } from './codec.ts';

export type ModbusErrorKind = 'timeout' | 'transport' | 'exception' | 'protocol';

export class ModbusError extends Error {
  readonly kind: ModbusErrorKind;
  /** Set for kind 'exception': what the board said was wrong. */
  readonly exception: ModbusException | null;

  constructor(kind: ModbusErrorKind, message: string, options: { exception?: ModbusException; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModbusError';
    this.kind = kind;
    this.exception = options.exception ?? null;
  }
}

export interface ModbusRelayDriverOptions {
  /** Slave address 1..247. Default 1. */
  slave?: number;
  /** Measured from the start of the write, so a write that never drains also times out. Default 300. */
  replyTimeoutMs?: number;
  /** Idle time between input polls. Default 250. */
  pollIntervalMs?: number;
  /** Discrete inputs (door sensors) read by readInputs() and polling. Default 8. */
  inputCount?: number;
  /** Relays (coils) this board has: bounds relay indexes and is what readCoils() reads. Default 8. */
  relayCount?: number;
  /** Address high byte of the vendor's flash-on (timed pulse) command. Default 0x02; see codec.ts. */
  pulseCommand?: number;
  /**
   * Quiet time held on the bus between the end of one exchange and the next request.
   * RTU ends a frame with 3.5 character times of silence (3.6 ms at 9600 8N1), and a slave
   * that hears a request too soon after its own reply may merge the two. Default 4.
   */
  interFrameGapMs?: number;
}

/** A LinkHealth without 'connecting': the driver is made over an already open transport. */
export type ModbusHealthState = Exclude<LinkState, 'connecting'>;

export interface ModbusHealth {
  state: ModbusHealthState;
  lastError: string | null;
}

export type ModbusFrameLogEntry = BusFrameLogEntry;

type Verdict<T> = ReplyVerdict<T, ModbusError>;

/**
 * Drives one Modbus RTU relay/IO board: relays are door strikes, discrete inputs are door
 * sensors. RTU is strictly master-asks, slave-answers on a half-duplex wire; the request bus
 * underneath keeps one request outstanding at a time. Owns the transport: close() closes it.
 *
 * Relays and inputs are 0-based indexes (0 = relay 1 / input 1), as on the wire and as
 * KerongDriver numbers locks.
 */
export class ModbusRelayDriver extends PolledBusDriver<ModbusFrame, number, ModbusHealth> {
  readonly slave: number;
  private readonly inputCount: number;
  private readonly relayCount: number;
  private readonly pulseCommand: number;
  private readonly inputListeners = new IsolatedListeners<boolean[]>();

  constructor(transport: ByteTransport, options: ModbusRelayDriverOptions = {}) {
    const slave = options.slave ?? 1;
    const inputCount = options.inputCount ?? 8;
    const relayCount = options.relayCount ?? 8;
    const pulseCommand = options.pulseCommand ?? DEFAULT_PULSE_COMMAND;
    // Broadcast (0) gets no reply, so a driver that waits for replies can't use it.
    requireInt(slave, 1, 247, 'Modbus slave address');
    requireInt(inputCount, 1, 2000, 'inputCount');
    requireInt(relayCount, 1, 256, 'relayCount');
    requireInt(pulseCommand, 0, 0xff, 'pulseCommand');
    const decoder = new ModbusRtuDecoder({ mode: 'responses' });
    super(transport, {
      decoder,
      replyTimeoutMs: options.replyTimeoutMs ?? 300,
      interFrameGapMs: options.interFrameGapMs ?? 4,
      // RTU has no length field and ends a frame with silence: a fragment held over a quiet line is dead.
      dropPartialFrame: () => decoder.reset(),
      pollIntervalMs: options.pollIntervalMs ?? 250,
      healthParts: [slave],
    });
    this.slave = slave;
    this.inputCount = inputCount;
    this.relayCount = relayCount;
    this.pulseCommand = pulseCommand;
  }

  getHealth(): ModbusHealth {
    return this.health.overall();
  }

  /** Every successful input read, from polling or a direct call; index 0 is input 1. */
  onInputs(listener: (inputs: boolean[]) => void): () => void {
    return this.inputListeners.add(listener);
  }

  /**
   * Energises a relay for `ms` (rounded up to 100 ms units) using the board's flash-on
   * command, so the board itself releases the strike. Resolves once the board echoes the
   * command; an echo only means "accepted": confirm the door with readInputs().
   */
  pulseRelay(relayIndex: number, ms: number): Promise<void> {
    let request: Buffer;
    try {
      this.checkRelay(relayIndex);
      request = encodePulseRelay(this.slave, relayIndex, pulseUnitsForMs(ms), this.pulseCommand);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    // Urgent: a person is at the door; the pulse goes ahead of queued reads.
    return this.request<void>(request, `pulse relay ${relayIndex + 1}`, (response) => expectEcho(response, request), true);
  }

  /** Switches a relay on or off until told otherwise (not for door strikes: see pulseRelay). */
  setRelay(relayIndex: number, on: boolean): Promise<void> {
    let request: Buffer;
    try {
      this.checkRelay(relayIndex);
      request = encodeWriteSingleCoil(this.slave, relayIndex, on);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    return this.request<void>(request, `relay ${relayIndex + 1} ${on ? 'on' : 'off'}`, (response) => expectEcho(response, request));
  }

  /** Door sensors; index 0 is input 1. Also passed to onInputs listeners. */
  async readInputs(): Promise<boolean[]> {
    const inputs = await this.readBits(
      encodeReadDiscreteInputs(this.slave, 0, this.inputCount),
      ModbusFunction.readDiscreteInputs,
      this.inputCount,
      'read inputs',
    );
    this.inputListeners.emit([...inputs]);
    return inputs;
  }

  /** Relay states; index 0 is relay 1. */
  readCoils(): Promise<boolean[]> {
    return this.readBits(encodeReadCoils(this.slave, 0, this.relayCount), ModbusFunction.readCoils, this.relayCount, 'read coils');
  }

  protected pollCycle(): (() => Promise<boolean[]>)[] {
    return [() => this.readInputs()];
  }

  private readBits(request: Buffer, functionCode: number, count: number, what: string): Promise<boolean[]> {
    const byteCount = Math.ceil(count / 8);
    return this.request<boolean[]>(request, what, (response) => {
      if (response.kind !== 'bits' || response.functionCode !== functionCode) return null;
      // The wrong size is a reply to some other request (a late one), or a board that
      // disagrees about the count: keep waiting, and explain the timeout if nothing else comes.
      if (response.bits.length !== byteCount * 8) {
        return { suspect: `${what}: expected ${byteCount} data byte(s), got ${response.bits.length / 8}` };
      }
      return { reply: response.bits.slice(0, count) };
    });
  }

  private checkRelay(relayIndex: number): void {
    requireInt(relayIndex, 0, this.relayCount - 1, `relay index (0 = relay 1, board has ${this.relayCount})`);
  }

  /**
   * Queues one exchange. `interpret` sees every valid response from our slave while this
   * request waits. Exception replies are handled here for every request, and count as the
   * board answering: the link works even if the command was refused.
   */
  private request<T>(bytes: Buffer, what: string, interpret: (response: ModbusResponse) => Verdict<T>, urgent = false): Promise<T> {
    const functionCode = bytes[1] ?? 0;
    const exchange = this.bus.request<T, ModbusError>({
      bytes,
      urgent,
      interpret: (frame) => {
        // Another slave on the bus: not ours to take.
        if (frame.slave !== this.slave) return null;
        const response = parseResponse(frame);
        if (response.kind !== 'exception') return interpret(response);
        const { exception } = response;
        if (exception.functionCode !== functionCode) return null;
        const message = `Modbus slave ${this.slave}: ${what} refused: exception ${exception.exceptionCode} ${exception.name}`;
        return { refused: new ModbusError('exception', message, { exception }) };
      },
      fail: (failure) => new ModbusError(failure.kind, `Modbus slave ${this.slave}: ${what}: ${failure.message}`, { cause: failure.cause }),
    });
    return this.health.track(this.slave, exchange, (error) => error instanceof ModbusError && error.kind === 'exception');
  }
}

/**
 * Write single coil is answered by an exact echo. A different echo is most likely a late
 * reply to an earlier write, so it is noted rather than taken as this request's answer.
 */
function expectEcho(response: ModbusResponse, request: Buffer): Verdict<void> {
  if (response.kind !== 'write-single-coil') return null;
  const address = ((request[2] ?? 0) << 8) | (request[3] ?? 0);
  const value = ((request[4] ?? 0) << 8) | (request[5] ?? 0);
  if (response.address === address && response.value === value) return { reply: undefined };
  return {
    suspect: `write single coil echo mismatch: sent address 0x${address.toString(16)} value 0x${value.toString(16)}, got address 0x${response.address.toString(16)} value 0x${response.value.toString(16)}`,
  };
}

function requireInt(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} must be an integer ${min}..${max}, got ${value}`);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export { formatFrameLogEntry } from '../transport/request-bus.ts';
export type { ModbusException };
