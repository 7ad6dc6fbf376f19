import { performance } from 'node:perf_hooks';
import type { ByteTransport } from '../transport/byte-transport.ts';
import type { LinkState } from '../device-health.ts';
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
  toHex,
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

export interface ModbusFrameLogEntry {
  direction: 'tx' | 'rx';
  bytes: Buffer;
  /** Set for received bytes the decoder rejected (bad CRC, garbage, a partial frame cut off by silence). */
  error?: string;
}

const DEGRADED_AFTER_FAILURES = 1;
const OFFLINE_AFTER_FAILURES = 3;

type Interpretation<T> = { ok: T } | { skip: string | null };
const SKIP: { skip: null } = { skip: null };

interface PendingRequest {
  /** Every valid frame from our slave while the request waits; settles it if it is the answer. */
  offer: (frame: ModbusFrame) => void;
  /** Set when a corrupt or unexpected frame arrived while waiting, so a timeout can be reported as 'protocol'. */
  corruption: string | null;
  reject: (error: ModbusError) => void;
}

type Listener<T> = (value: T) => void;

/**
 * Drives one Modbus RTU relay/IO board: relays are door strikes, discrete inputs are door
 * sensors. One request is outstanding at a time, since RTU is strictly master-asks,
 * slave-answers on a half-duplex wire. Owns the transport: close() closes it.
 *
 * Relays and inputs are 0-based indexes (0 = relay 1 / input 1), as on the wire and as
 * KerongDriver numbers locks.
 */
export class ModbusRelayDriver {
  readonly slave: number;
  private readonly transport: ByteTransport;
  private readonly replyTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly inputCount: number;
  private readonly relayCount: number;
  private readonly pulseCommand: number;
  private readonly interFrameGapMs: number;
  private readonly decoder = new ModbusRtuDecoder({ mode: 'responses' });
  private readonly unsubscribers: (() => void)[] = [];

  private readonly inputListeners = new Set<Listener<boolean[]>>();
  private readonly healthListeners = new Set<Listener<ModbusHealth>>();
  private readonly frameListeners = new Set<Listener<ModbusFrameLogEntry>>();

  /** Tail of the request queue; it never rejects, so one failed request can't block the rest. */
  private queueTail: Promise<void> = Promise.resolve();
  private pending: PendingRequest | null = null;
  private closedReason: string | null = null;
  /** performance.now() of the last byte seen either way, for the inter-frame gap. */
  private lastBusActivity = Number.NEGATIVE_INFINITY;

  private consecutiveFailures = 0;
  // Not heard from yet: claiming "online" before any reply would mislead the hardware screen.
  private health: ModbusHealth = { state: 'offline', lastError: null };

  private polling = false;
  private pollGeneration = 0;
  private pollTimer: NodeJS.Timeout | null = null;
  private wakePoller: (() => void) | null = null;

  constructor(transport: ByteTransport, options: ModbusRelayDriverOptions = {}) {
    this.transport = transport;
    this.slave = options.slave ?? 1;
    this.replyTimeoutMs = options.replyTimeoutMs ?? 300;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.inputCount = options.inputCount ?? 8;
    this.relayCount = options.relayCount ?? 8;
    this.pulseCommand = options.pulseCommand ?? DEFAULT_PULSE_COMMAND;
    this.interFrameGapMs = options.interFrameGapMs ?? 4;
    // Broadcast (0) gets no reply, so a driver that waits for replies can't use it.
    requireInt(this.slave, 1, 247, 'Modbus slave address');
    requireInt(this.inputCount, 1, 2000, 'inputCount');
    requireInt(this.relayCount, 1, 256, 'relayCount');
    requireInt(this.pulseCommand, 0, 0xff, 'pulseCommand');
    if (!(this.replyTimeoutMs > 0)) throw new RangeError(`replyTimeoutMs must be positive, got ${this.replyTimeoutMs}`);
    if (!(this.interFrameGapMs >= 0)) throw new RangeError(`interFrameGapMs must be >= 0, got ${this.interFrameGapMs}`);

    this.unsubscribers.push(transport.onData((chunk) => this.handleData(chunk)));
    this.unsubscribers.push(
      transport.onClose((error) => this.handleClosed(error ? `${transport.name} closed: ${error.message}` : `${transport.name} closed`)),
    );
    if (!transport.isOpen) this.handleClosed(`${transport.name} is not open`);
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  getHealth(): ModbusHealth {
    return { ...this.health };
  }

  /** Every successful input read, from polling or a direct call; index 0 is input 1. */
  onInputs(listener: Listener<boolean[]>): () => void {
    this.inputListeners.add(listener);
    return () => this.inputListeners.delete(listener);
  }

  onHealth(listener: Listener<ModbusHealth>): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  onFrame(listener: Listener<ModbusFrameLogEntry>): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
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
    return this.request<void>(request, `pulse relay ${relayIndex + 1}`, (response) => expectEcho(response, request));
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
    this.emit(this.inputListeners, [...inputs]);
    return inputs;
  }

  /** Relay states; index 0 is relay 1. */
  readCoils(): Promise<boolean[]> {
    return this.readBits(encodeReadCoils(this.slave, 0, this.relayCount), ModbusFunction.readCoils, this.relayCount, 'read coils');
  }

  startPolling(): void {
    if (this.polling || this.isClosed) return;
    this.polling = true;
    const generation = ++this.pollGeneration;
    void this.pollLoop(generation);
  }

  stopPolling(): void {
    this.polling = false;
    this.pollGeneration++;
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.wakePoller?.();
    this.wakePoller = null;
  }

  /** Rejects the request in flight and every queued one, then closes the transport. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.stopPolling();
    this.handleClosed('driver closed');
    await this.transport.close();
  }

  private readBits(request: Buffer, functionCode: number, count: number, what: string): Promise<boolean[]> {
    const byteCount = Math.ceil(count / 8);
    return this.request<boolean[]>(request, what, (response) => {
      if (response.kind !== 'bits' || response.functionCode !== functionCode) return SKIP;
      // The wrong size is a reply to some other request (a late one), or a board that
      // disagrees about the count: keep waiting, and explain the timeout if nothing else comes.
      if (response.bits.length !== byteCount * 8) {
        return { skip: `${what}: expected ${byteCount} data byte(s), got ${response.bits.length / 8}` };
      }
      return { ok: response.bits.slice(0, count) };
    });
  }

  private checkRelay(relayIndex: number): void {
    requireInt(relayIndex, 0, this.relayCount - 1, `relay index (0 = relay 1, board has ${this.relayCount})`);
  }

  /**
   * Queues one exchange. `interpret` sees every valid response from our slave while this
   * request waits and returns the result, or a reason to keep waiting (null: not a reply to
   * this kind of request at all). Exception replies are handled here for every request.
   */
  private request<T>(bytes: Buffer, what: string, interpret: (response: ModbusResponse) => Interpretation<T>): Promise<T> {
    const functionCode = bytes[1] ?? 0;
    return this.enqueue(async () => {
      try {
        await this.waitForQuietBus();
        const value = await this.transact<T>(bytes, what, (frame, pending) => {
          const response = parseResponse(frame);
          if (response.kind === 'exception') {
            if (response.exception.functionCode !== functionCode) return null;
            const { exception } = response;
            throw new ModbusError(
              'exception',
              `Modbus slave ${this.slave}: ${what} refused: exception ${exception.exceptionCode} ${exception.name}`,
              { exception },
            );
          }
          const outcome = interpret(response);
          if ('ok' in outcome) return outcome;
          if (outcome.skip !== null) pending.corruption = outcome.skip;
          return null;
        });
        this.recordSuccess();
        return value;
      } catch (error) {
        const modbusError = this.toModbusError(error);
        // The board answered: the link works even if the command was refused.
        if (modbusError.kind === 'exception') this.recordSuccess();
        else this.recordFailure(modbusError);
        throw modbusError;
      }
    });
  }

  private transact<T>(bytes: Buffer, what: string, accepts: (frame: ModbusFrame, pending: PendingRequest) => { ok: T } | null): Promise<T> {
    this.assertOpen();
    // The bus has been quiet since the last exchange, so anything held is a dead fragment.
    this.discardPartialFrame();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (): void => {
        settled = true;
        clearTimeout(timer);
        if (this.pending === entry) this.pending = null;
        this.lastBusActivity = performance.now();
      };
      const entry: PendingRequest = {
        offer: (frame) => {
          if (settled) return;
          let answer: { ok: T } | null;
          try {
            answer = accepts(frame, entry);
          } catch (error) {
            entry.reject(this.toModbusError(error));
            return;
          }
          if (answer === null) return;
          finish();
          resolve(answer.ok);
        },
        corruption: null,
        reject: (error) => {
          if (settled) return;
          finish();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        // Silence ends an RTU frame: a partial reply held now will never complete.
        this.discardPartialFrame();
        entry.reject(
          entry.corruption === null
            ? new ModbusError('timeout', `Modbus slave ${this.slave}: ${what}: no reply within ${this.replyTimeoutMs} ms`)
            : new ModbusError('protocol', `Modbus slave ${this.slave}: ${what}: no valid reply, ${entry.corruption}`),
        );
      }, this.replyTimeoutMs);
      // Registered before writing: on a fast link the reply can beat the write's drain.
      this.pending = entry;
      this.emit(this.frameListeners, { direction: 'tx', bytes: Buffer.from(bytes) });
      this.transport.write(bytes).then(
        () => {
          this.lastBusActivity = performance.now();
        },
        (error: unknown) => entry.reject(this.toModbusError(error)),
      );
    });
  }

  private async waitForQuietBus(): Promise<void> {
    const wait = this.lastBusActivity + this.interFrameGapMs - performance.now();
    if (wait > 0) await delay(Math.ceil(wait));
  }

  private discardPartialFrame(): void {
    const dropped = this.decoder.reset();
    if (dropped.length > 0) {
      this.emit(this.frameListeners, { direction: 'rx', bytes: dropped, error: 'partial frame cut off by silence' });
    }
  }

  private handleData(chunk: Buffer): void {
    this.lastBusActivity = performance.now();
    for (const event of this.decoder.push(chunk)) {
      if (event.type === 'error') {
        const { error } = event;
        this.emit(this.frameListeners, { direction: 'rx', bytes: error.bytes, error: `${error.kind}: ${error.message}` });
        // Noise can fake a frame start just before the real reply, so corruption doesn't fail
        // the request at once; it only explains a timeout that follows.
        if (error.kind === 'bad-crc' && this.pending !== null) this.pending.corruption = error.message;
        continue;
      }
      const { frame } = event;
      this.emit(this.frameListeners, { direction: 'rx', bytes: frame.raw });
      // Another slave on the bus, or a late reply once nothing waits: not ours to take.
      if (frame.slave === this.slave) this.pending?.offer(frame);
    }
  }

  private async pollLoop(generation: number): Promise<void> {
    const active = (): boolean => this.polling && this.pollGeneration === generation && !this.isClosed;
    while (active()) {
      // Failures are already recorded in health; the loop just carries on.
      await this.readInputs().catch(() => undefined);
      if (!active()) return;
      await new Promise<void>((resolve) => {
        this.wakePoller = resolve;
        this.pollTimer = setTimeout(resolve, this.pollIntervalMs);
      });
      this.pollTimer = null;
      this.wakePoller = null;
    }
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queueTail.then(job);
    this.queueTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private assertOpen(): void {
    if (this.closedReason !== null) throw new ModbusError('transport', this.closedReason);
  }

  private handleClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.stopPolling();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.pending?.reject(new ModbusError('transport', `Modbus slave ${this.slave}: ${reason}`));
    this.setHealth({ state: 'offline', lastError: reason });
  }

  private recordSuccess(): void {
    if (this.closedReason !== null) return;
    this.consecutiveFailures = 0;
    this.setHealth({ state: 'online', lastError: null });
  }

  private recordFailure(error: ModbusError): void {
    if (this.closedReason !== null) return;
    this.consecutiveFailures++;
    const failures = this.consecutiveFailures;
    const state: ModbusHealthState =
      failures >= OFFLINE_AFTER_FAILURES ? 'offline' : failures >= DEGRADED_AFTER_FAILURES ? 'degraded' : 'online';
    this.setHealth({ state, lastError: error.message });
  }

  private setHealth(health: ModbusHealth): void {
    if (health.state === this.health.state && health.lastError === this.health.lastError) return;
    this.health = health;
    this.emit(this.healthListeners, { ...health });
  }

  private toModbusError(error: unknown): ModbusError {
    if (error instanceof ModbusError) return error;
    if (this.closedReason !== null) return new ModbusError('transport', `Modbus slave ${this.slave}: ${this.closedReason}`, { cause: error });
    const message = error instanceof Error ? error.message : String(error);
    return new ModbusError('transport', `Modbus slave ${this.slave}: ${message}`, { cause: error });
  }

  /** A throwing listener must not wedge the request queue; its error still surfaces. */
  private emit<T>(listeners: Set<Listener<T>>, value: T): void {
    for (const listener of [...listeners]) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/**
 * Write single coil is answered by an exact echo. A different echo is most likely a late
 * reply to an earlier write, so it is noted rather than taken as this request's answer.
 */
function expectEcho(response: ModbusResponse, request: Buffer): Interpretation<void> {
  if (response.kind !== 'write-single-coil') return SKIP;
  const address = ((request[2] ?? 0) << 8) | (request[3] ?? 0);
  const value = ((request[4] ?? 0) << 8) | (request[5] ?? 0);
  if (response.address === address && response.value === value) return { ok: undefined };
  return {
    skip: `write single coil echo mismatch: sent address 0x${address.toString(16)} value 0x${value.toString(16)}, got address 0x${response.address.toString(16)} value 0x${response.value.toString(16)}`,
  };
}

function requireInt(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} must be an integer ${min}..${max}, got ${value}`);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Hex for log lines, e.g. ">> 01 05 02 00 00 07 8d b0". */
export function formatFrameLogEntry(entry: ModbusFrameLogEntry): string {
  const arrow = entry.direction === 'tx' ? '>>' : '<<';
  return `${arrow} ${toHex(entry.bytes)}${entry.error === undefined ? '' : ` (${entry.error})`}`;
}

export type { ModbusException };
