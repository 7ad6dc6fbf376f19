import type { DemoCardView, DeviceHealthView, RefusalReason } from '../../preload/contract.ts';
import type { CheckpointPolicy } from './audit-anchor.ts';
import type { LockoutPolicy } from './auth.ts';
import type { SetupCodeSink } from './commissioning.ts';
import type { Db } from './db/database.ts';
import type { BookingNotices, CardReaderPort, ChainWalker, CheckpointSink, EstateScopePort, IntegrityChecker, ImportRunner, Signer, Clock, DemoRoom, HardwareAdmin, LockerBankPort, ScannerPort, Scheduler, VideoPort } from './ports.ts';

export interface KioskPolicy {
  idleTimeoutSeconds: number;
  idleWarningSeconds: number;
  /** After a completed draw, return or swap, the officer is signed out this many seconds later unless they stay; 0: never. */
  doneSignOutSeconds: number;
  expiryWarningDays: number;
  lockout: LockoutPolicy;
  /** How long after the unlock frame the door must read open before the opening is called off. */
  doorOpenConfirmMs: number;
  doorLeftOpenSeconds: number;
  overdueCheckSeconds: number;
  /** How many years after the award a training import may set an expiry. */
  trainingExpiryHorizonYears: number;
  /** When audit checkpoints are signed (besides every sign-out); the defaults when absent. */
  auditCheckpoint?: CheckpointPolicy;
  /** Refusal reasons an armourer may override; everything else (suspension, quarantine...) may not be. */
  overridableRefusals: readonly RefusalReason['code'][];
  /** With an estate: how old its reference data may be before weapons are refused (hours); null or absent when the terminal stands alone. */
  referenceMaxAgeHours?: number | null;
  /** A staged booking this many minutes from its deadline is announced as expiring; 60 when absent. */
  bookingExpiringNoticeMinutes?: number;
  /** An exhibit behind its door longer than this raises an exception; 24 when absent. */
  exhibitDwellHours?: number;
}

/** Every device's health, for the status bar and device-offline exceptions. */
export interface DeviceHealthSourceList {
  list(): DeviceHealthView[];
  onChange(listener: () => void): () => void;
}

/** What the composition root gives the kiosk: storage, time, policy and the room's devices. */
export interface KioskDeps {
  db: Db;
  clock: Clock;
  scheduler: Scheduler;
  /** Read on every use, so a saved configuration takes effect at once. */
  policy: KioskPolicy;
  terminalName: string;
  bankId: number;
  lockers: LockerBankPort;
  cardReader: CardReaderPort;
  scanner: ScannerPort;
  video: VideoPort;
  devices: DeviceHealthSourceList;
  /** The hardware screen's device side; null where the terminal offers none. */
  hardware: HardwareAdmin | null;
  demo: { room: DemoRoom; cards: DemoCardView[] } | null;
  /** Where a live terminal in setup publishes its one-time setup code (see commissioning.ts); absent in demo mode and tests that need none. */
  setupCode?: SetupCodeSink | null;
  /** The terminal's signing key, where checkpoints go off the terminal, and the start-up check. */
  anchoring: { signer: Signer; terminalId: () => string; sink: CheckpointSink | null; checker: IntegrityChecker };
  /** Whole-chain audit walks for the console (a worker thread); in-process when absent. */
  chainWalker?: ChainWalker;
  /** Where imports run (a worker thread with its own connection); in process when absent. */
  importRunner?: ImportRunner;
  /** The estate's mobilisation for the console's estate scope; absent or null when the terminal stands alone. */
  estateScope?: EstateScopePort | null;
  /** Where booking notices go (the booking webhook's outbox); nowhere when absent. */
  bookingNotices?: BookingNotices;
  log: (line: string) => void;
}
