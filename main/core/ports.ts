import type { BookingNoticeEvent, BookingPriority, DeviceHealthView, EstateScopeView, FrameLogEntryView, HardwareView } from '../../preload/contract.ts';
import type { ChainVerdict } from './audit-chain.ts';
import type { SignedCheckpoint } from './audit-checkpoint.ts';
import type { IntegrityVerdict } from './audit-integrity.ts';
import type { ImportOutcome, ImportRequest } from './imports.ts';

/**
 * What the core needs from the room's hardware. The composition root adapts real
 * drivers (or the simulators) to these, so the core never knows bytes or ports.
 */
export interface DoorSensors {
  doorNumber: number;
  open: boolean;
  /** null where the door has no item sensor (a Modbus door strike, say): the door alone is judged. */
  itemPresent: boolean | null;
}

export interface DeviceHealthSource {
  health(): DeviceHealthView;
  onHealth(listener: (health: DeviceHealthView) => void): () => void;
}

export interface LockerBankPort extends DeviceHealthSource {
  /** Send the unlock command for one door. Resolves when sent; rejects if the bank cannot be reached. */
  unlock(doorNumber: number): Promise<void>;
  /** A fresh reading of every door's sensors. Rejects (never hangs) if the bank does not answer. */
  readDoors(): Promise<DoorSensors[]>;
  /** Every poll's reading, as the bank reports it. */
  onDoors(listener: (doors: DoorSensors[]) => void): () => void;
}

/** A warrant card presented to any reader (PC/SC, 125 kHz, keyboard wedge, or the demo). */
export interface CardReaderPort extends DeviceHealthSource {
  onCard(listener: (uid: string) => void): () => void;
}

/** An asset tag read by any scanner (serial, HID, or the demo). */
export interface ScannerPort extends DeviceHealthSource {
  onScan(listener: (code: string) => void): () => void;
  /** Whether a keyboard-fallback scanner is configured (scans come from the renderer). */
  keyboardFallback(): boolean;
  /** A scan the renderer picked out of key events; false when no keyboard-fallback scanner is configured. */
  keyboardScan(code: string): boolean;
}

/** Demo mode only: a person plays the hardware's part from the simulator panel. */
export interface DemoRoom {
  tapCard(uid: string): void;
  scanTag(tag: string): void;
  /** Act on a door as a person would; returns why not (e.g. "door 3 is closed") or null. */
  door(doorNumber: number, action: 'close' | 'open' | 'take-item' | 'put-item'): string | null;
  doors(): DoorSensors[];
  onChange(listener: () => void): () => void;
}

/**
 * Time is a port: the core never reads the wall clock or sets its own timers, so tests run
 * every timer on a controlled clock, at any hour and in any time zone.
 */
export interface Clock {
  now(): Date;
}

/** Timers, as a port (see Clock). */
export interface Scheduler {
  /** Run `task` once, `ms` from now; the returned function cancels it if it has not run. */
  after(ms: number, task: () => void): () => void;
  /**
   * Run `task` as soon as the work under way has finished and the I/O it started (a commit's
   * fsync, an unlock frame) has been handed to the system: for work that may wait a moment
   * but must not hold up a door, such as redrawing the screen. Not a timer: no time passes.
   */
  soon(task: () => void): void;
}

/** Resolves `ms` from now on the scheduler's time. */
export function pause(scheduler: Scheduler, ms: number): Promise<void> {
  return new Promise((resolve) => scheduler.after(ms, resolve));
}

/** Run `task` every `ms` until the returned function is called. */
export function repeat(scheduler: Scheduler, ms: number, task: () => void): () => void {
  let cancel = scheduler.after(ms, tick);
  let stopped = false;
  function tick(): void {
    if (stopped) return;
    cancel = scheduler.after(ms, tick);
    task();
  }
  return () => {
    stopped = true;
    cancel();
  };
}

/** One door as the configuration wires it, for the commissioning walk. */
export interface DoorWiring {
  doorNumber: number;
  /** "bus bus-a, board 0, lock 5" or "bus io, relay 3, input 3": for the hardware screen only. */
  where: string;
  /** What the polarity setting belongs to: "bus bus-a, board 0" (Kerong) or "bus io" (Modbus). */
  board: string;
  /** The lock-sensor setting in force for this door's board (Kerong) or bus (Modbus): true when a set bit means open. */
  lockOpenWhenSet: boolean;
}

/** A change to the bank's wiring the commissioning walk found: saved, applied and audited like any configuration. */
export type BankRewire =
  | { kind: 'lock-polarity'; doorNumber: number; lockOpenWhenSet: boolean }
  /** Door `a`'s lock and sensors are really door `b`'s, and the other way round. */
  | { kind: 'swap-doors'; a: number; b: number };

/** What the hardware screen needs from the device layer; the core adds roles and audit. */
export interface HardwareAdmin {
  view(): Omit<HardwareView, 'exceptions' | 'bank' | 'bankWalk'>;
  /** The bank's doors as wired, in door order. */
  layout(): DoorWiring[];
  /** Change the wiring in the saved configuration and apply it at once; what changed, in words. */
  rewire(change: BankRewire): Promise<{ ok: true; changes: string[] } | { ok: false; problems: string[] }>;
  /** Validate, persist and apply a new configuration; lists every problem when refused. */
  save(configJson: string): Promise<{ ok: true; changes: string[] } | { ok: false; problems: string[] }>;
  busStatus(busId: string): Promise<string>;
  testTrigger(triggerId: string): Promise<string>;
  frames(since: number): FrameLogEntryView[];
  /** Note something in the diagnostic log (test results, card and scan reads). */
  note(device: string, text: string): void;
}

export interface VideoEventInput {
  kind: 'ISSUE' | 'RETURN' | 'DOOR' | 'evidence-lock';
  asset: string; // serial
  officer: string; // collar number
}

/** CCTV bookmarks and body-worn-video triggers, as the room's policy requires. */
export interface VideoPort {
  /** Whether the room's policy is "required": no release without a working video trigger. */
  required(): boolean;
  /** Under a "required" policy, whether a release may go ahead now; the message says why not. */
  readiness(): { ready: true } | { ready: false; message: string };
  /**
   * Write the event for every trigger inside the caller's open transaction (a door intent's), so
   * it is durable exactly when that commits: no second fsync before the unlock. Delivery and
   * retries happen behind it, once the transaction has committed. Throws if it cannot be written,
   * which rolls the caller's transaction back: no door opens without its video event queued.
   */
  stage(event: VideoEventInput, at: Date): void;
  /** A trigger gave up on an event, or rejected it: the kiosk raises an exception. */
  onFailure(listener: (failure: { trigger: string; message: string }) => void): () => void;
}

/** A walk of the whole audit chain somewhere that does not hold up the main thread (a worker thread). */
export interface ChainWalker {
  walk(): Promise<ChainVerdict>;
}

/** Imports run somewhere that does not hold up the main thread (a worker thread with its own connection), one at a time. */
export interface ImportRunner {
  run(request: ImportRequest): Promise<ImportOutcome>;
}

/**
 * The terminal's signing key, held outside the core (the composition root loads or makes it in
 * the data directory): the core signs audit checkpoints with it and never sees the private key.
 */
export interface Signer {
  readonly publicKeyPem: string;
  /** keyFingerprint() of the public key, for the console and for readers of the checkpoints. */
  readonly fingerprint: string;
  /** Ed25519 signature of the UTF-8 text, base64. */
  sign(message: string): string;
}

/** Where each signed checkpoint goes off the terminal (a durable outbox to a webhook and a file on another volume). */
export interface CheckpointSink {
  /** Resolves once the checkpoint is queued durably; delivery and retries happen behind it. */
  publish(checkpoint: SignedCheckpoint): Promise<void>;
}

/** The whole audit trail checked against its triggers and checkpoints, off the main thread (a worker). */
export interface IntegrityChecker {
  check(): Promise<IntegrityVerdict>;
}

/** The estate's mobilisation, read from the estate database for the console's estate scope (main/estate/estate-scope.ts). */
export interface EstateScopePort {
  /** Never rejects: an estate that does not answer is `unavailable`, with what happened. */
  picture(): Promise<EstateScopeView>;
}

/** What the booking webhook is told about one booking (docs/bookings.md). */
export interface BookingNotice {
  event: BookingNoticeEvent;
  booking: number;
  /** The endpoint's request id, for a booking a system made. */
  requestId: string | null;
  reference: string;
  /** The collecting officer's collar number. */
  officer: string;
  onBehalfOf: string | null;
  item: string;
  serial: string | null;
  door: number | null;
  readyFrom: string;
  deadline: string;
  priority: BookingPriority;
}

/**
 * Where booking notices are written: inside the transaction of the change they announce, so a
 * notice exists exactly when its change committed (the device layer's outbox delivers it).
 */
export interface BookingNotices {
  stage(notice: BookingNotice, at: Date): void;
}

export const NO_BOOKING_NOTICES: BookingNotices = { stage: () => {} };
