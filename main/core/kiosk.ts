import type {
  ApiError,
  RefusalReason,
  DemoCardView,
  DeviceHealthView,
  HardwareView,
  DemoView,
  KioskSnapshot,
  RequestInput,
  RequestName,
  Role,
  ResponseValues,
  Result,
  ReturnCondition,
  ScreenView,
  SessionView,
} from '../../preload/contract.ts';
import { AuditLog } from './audit.ts';
import { Authenticator, type LockoutPolicy } from './auth.ts';
import type { Db } from './db/database.ts';
import { DoorTransactions, type DoorIntent, type IntentChange } from './door-transactions.ts';
import { Eligibility } from './eligibility.ts';
import type { KioskService } from './kiosk-service.ts';
import { DoorWatch } from './door-watch.ts';
import { Exceptions, ExceptionStateError, type ExceptionRecord } from './exceptions.ts';
import type { CardReaderPort, Clock, DemoRoom, DoorSensors, HardwareAdmin, LockerBankPort, ScannerPort, VideoPort } from './ports.ts';
import { Records } from './records.ts';
import { RuleError, RuleStore } from './rules.ts';
import { TrainingImports } from './training-import.ts';
import { ServiceOpenings } from './service-openings.ts';
import { ArmourerConsole } from './console.ts';
import { AssetAdmin } from './asset-admin.ts';
import { StockChecks } from './stock-check.ts';

export interface KioskPolicy {
  idleTimeoutSeconds: number;
  idleWarningSeconds: number;
  expiryWarningDays: number;
  lockout: LockoutPolicy;
  /** How long after the unlock frame the door must read open before the draw is called off. */
  doorOpenConfirmMs: number;
  doorLeftOpenSeconds: number;
  overdueCheckSeconds: number;
  /** Refusal reasons an armourer may override; everything else (suspension, quarantine...) may not be. */
  overridableRefusals: readonly RefusalReason['code'][];
}

/** Every device's health, for the status bar and device-offline exceptions. */
export interface DeviceHealthSourceList {
  list(): DeviceHealthView[];
  onChange(listener: () => void): () => void;
}

export interface KioskDeps {
  db: Db;
  clock: Clock;
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
  log: (line: string) => void;
}

/** An override in progress: the officer asked, an armourer is authenticating, then gives a reason. */
interface OverrideState {
  kind: 'override';
  assetTypeId: number;
  step: 'armourer-card' | 'armourer-pin' | 'reason';
  armourerCard: string | null;
  armourerId: number | null;
  message: string | null;
}

type SessionScreen =
  | { kind: 'home'; message: string | null }
  | { kind: 'door'; intentId: number }
  | OverrideState
  | Extract<ScreenView, { kind: 'draw-done' | 'return-done' | 'problem' | 'hardware' | 'exceptions' | 'training' | 'rules' | 'console' }>;

type Phase =
  | { kind: 'idle' }
  | { kind: 'pin'; cardUid: string; message: string | null; locked: boolean }
  | { kind: 'session'; officerId: number; screen: SessionScreen };

const CONFIRM_POLL_MS = 150;
const ARMOURERS_ONLY = 'Only an armourer can use the armourer console.';
const CAPTURE_TIMEOUT_MS = 15_000;

type Handlers = { [M in RequestName]: (input: RequestInput<M>) => Promise<Result<ResponseValues[M]>> | Result<ResponseValues[M]> };

function fail<T>(kind: ApiError['kind'], message: string): Result<T> {
  return { ok: false, error: { kind, message } };
}

/**
 * The terminal's one state machine: who is at the screen, what they are doing, and what
 * the doors are doing for them. It owns the session and idle timer (the renderer only
 * shows them), turns device events and requests into door transactions, and pushes a
 * fresh snapshot after every change.
 */
export class Kiosk implements KioskService {
  private readonly records: Records;
  private readonly audit: AuditLog;
  private readonly auth: Authenticator;
  private readonly eligibility: Eligibility;
  readonly doors: DoorTransactions;
  readonly exceptions: Exceptions;
  private readonly serviceOpenings: ServiceOpenings;
  private readonly doorWatch: DoorWatch;
  readonly rules: RuleStore;
  readonly training: TrainingImports;
  readonly console: ArmourerConsole;
  private readonly assets: AssetAdmin;
  private readonly stock: StockChecks;
  private overdueTimer: NodeJS.Timeout | null = null;
  private capture: { kind: 'card' | 'scan'; resolve: (code: string | null) => void } | null = null;
  private phase: Phase = { kind: 'idle' };
  private readonly listeners = new Set<(snapshot: KioskSnapshot) => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private revision = 0;
  private latestDoors: DoorSensors[] = [];
  private idleWarningTimer: NodeJS.Timeout | null = null;
  private idleLogoutTimer: NodeJS.Timeout | null = null;
  private idleTicker: NodeJS.Timeout | null = null;
  private idleDeadline: number | null = null;
  private warningShowing = false;
  private reconciled = false;
  /** Set by stop(): door confirmations still waiting give up instead of touching a closed database. */
  private stopped = false;

  constructor(private readonly deps: KioskDeps) {
    this.records = new Records(deps.db);
    this.audit = new AuditLog(deps.db);
    this.auth = new Authenticator(deps.db, this.audit, deps.clock, deps.policy.lockout);
    this.rules = new RuleStore(deps.db, this.audit, deps.clock);
    this.training = new TrainingImports(deps.db, this.audit, deps.clock);
    this.eligibility = new Eligibility(this.records, deps.clock, deps.policy.expiryWarningDays, {
      rules: this.rules,
      overridableRefusals: () => deps.policy.overridableRefusals,
    });
    this.doors = new DoorTransactions(deps.db, this.audit, deps.clock, this.eligibility, deps.bankId);
    this.console = new ArmourerConsole(deps.db, deps.clock, this.rules);
    this.assets = new AssetAdmin(deps.db, this.audit, deps.clock);
    this.stock = new StockChecks(deps.db, this.audit, deps.clock);
    this.exceptions = new Exceptions(deps.db, this.audit, deps.clock);
    this.serviceOpenings = new ServiceOpenings(deps.db, this.audit, deps.clock, deps.bankId);
    this.doorWatch = new DoorWatch(this.exceptions, () => deps.policy.doorLeftOpenSeconds * 1000);
  }

  /** Settle what a crash left behind, then start listening to the room. */
  async start(): Promise<void> {
    const { lockers, cardReader, scanner, video, devices } = this.deps;
    try {
      this.reconcile(await lockers.readDoors());
    } catch (error) {
      // The intents stay in the database and are settled by the first good poll.
      this.deps.log(`locker bank unreadable at start-up; active door intents wait for it: ${describe(error)}`);
    }
    this.unsubscribers.push(
      lockers.onDoors((doors) => this.onDoors(doors)),
      cardReader.onCard((uid) => this.onCard(uid)),
      scanner.onScan((code) => this.onScan(code)),
      devices.onChange(() => this.onDeviceHealth()),
      video.onFailure(({ trigger, message }) => {
        this.exceptions.raise('video-trigger-failed', `video:${trigger}`, message, { trigger });
        this.push();
      }),
    );
    this.onDeviceHealth();
    this.checkOverdue();
    this.overdueTimer = setInterval(() => this.checkOverdue(), this.deps.policy.overdueCheckSeconds * 1000);
    if (this.deps.demo) this.unsubscribers.push(this.deps.demo.room.onChange(() => this.push()));
    this.push();
  }

  stop(): void {
    this.stopped = true;
    if (this.overdueTimer) clearInterval(this.overdueTimer);
    this.capture?.resolve(null);
    this.clearIdle();
    for (const off of this.unsubscribers.splice(0)) off();
    this.listeners.clear();
  }

  onSnapshot(listener: (snapshot: KioskSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async request<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>> {
    // Reading (snapshot, hardware view, frame log) is not a sign that someone is there.
    const reads: RequestName[] = ['getSnapshot', 'getHardware', 'hardwareFrames'];
    if (!reads.includes(method) && this.phase.kind !== 'idle') this.touch();
    const handler = this.handlers[method] as (input: RequestInput<M>) => Promise<Result<ResponseValues[M]>> | Result<ResponseValues[M]>;
    return handler(input);
  }

  /** One handler per contract method; most answer with the new snapshot. */
  private readonly handlers: Handlers = {
    getSnapshot: () => this.answer({ ok: true, value: null }),
    stillHere: () => this.answer({ ok: true, value: null }),
    submitPin: async ({ pin }) => this.answer(await this.submitPin(pin)),
    cancelPin: () => {
      if (this.phase.kind === 'pin') this.setPhase({ kind: 'idle' });
      return this.answer({ ok: true, value: null });
    },
    signOut: () => {
      this.signOut('signed out');
      return this.answer({ ok: true, value: null });
    },
    startDraw: async ({ assetTypeId }) => this.answer(await this.startDraw(assetTypeId)),
    startReturn: async ({ assetId }) => this.answer(await this.startReturn(assetId)),
    recordCondition: ({ condition }) => this.answer(this.recordCondition(condition)),
    dismiss: () => this.answer(this.dismiss()),
    demoTapCard: (input) => this.answer(this.demoAction('demoTapCard', input)),
    demoScanTag: (input) => this.answer(this.demoAction('demoScanTag', input)),
    demoDoor: (input) => this.answer(this.demoAction('demoDoor', input)),
    keyboardScan: ({ code }) => {
      if (!this.deps.scanner.keyboardScan(code)) return fail('forbidden', 'No keyboard-mode scanner is configured to type into this screen.');
      return this.answer({ ok: true, value: null });
    },
    openHardware: () => {
      const admin = this.requireAdmin();
      if (!admin.ok) return admin;
      this.setScreen({ kind: 'hardware' });
      return this.answer({ ok: true, value: null });
    },
    getHardware: () => {
      const admin = this.requireAdmin();
      return admin.ok ? { ok: true, value: this.hardwareView(admin.value.hardware) } : admin;
    },
    saveHardwareConfig: async ({ configJson }) => {
      const admin = this.requireAdmin();
      if (!admin.ok) return admin;
      const saved = await admin.value.hardware.save(configJson);
      if (!saved.ok) return { ok: true, value: { saved: false, problems: saved.problems, changes: [] } };
      this.transaction(() =>
        this.audit.append({ actor: `officer:${admin.value.officerId}`, action: 'config.changed', subject: 'terminal-config', details: { changes: saved.changes } }, this.deps.clock.now()),
      );
      this.push();
      return { ok: true, value: { saved: true, problems: [], changes: saved.changes } };
    },
    hardwareTest: async (test) => {
      const admin = this.requireAdmin();
      if (!admin.ok) return admin;
      const result = await this.hardwareTest(admin.value.officerId, admin.value.hardware, test);
      admin.value.hardware.note('hardware-screen', `${test.action}: ${result.message}`);
      this.transaction(() =>
        this.audit.append({ actor: `officer:${admin.value.officerId}`, action: 'hardware.test', subject: test.action, details: { test, ...result } }, this.deps.clock.now()),
      );
      return { ok: true, value: result };
    },
    hardwareFrames: ({ since }) => {
      const admin = this.requireAdmin();
      return admin.ok ? { ok: true, value: admin.value.hardware.frames(since) } : admin;
    },
    requestOverride: ({ assetTypeId }) => this.answer(this.requestOverride(assetTypeId)),
    submitOverridePin: async ({ pin }) => this.answer(await this.submitOverridePin(pin)),
    confirmOverride: async ({ reasonCode, note }) => this.answer(await this.confirmOverride(reasonCode, note)),
    cancelOverride: () => {
      const session = this.session();
      if (session?.screen.kind === 'override') this.setScreen({ kind: 'home', message: 'Override cancelled: nothing was issued.' });
      return this.answer({ ok: true, value: null });
    },
    openExceptions: () => {
      const who = this.requireRole(['armourer', 'admin'], 'Only an armourer can see the exceptions queue.');
      if (!who.ok) return who;
      this.setScreen({ kind: 'exceptions' });
      return this.answer({ ok: true, value: null });
    },
    listExceptions: (filter) => {
      const who = this.requireRole(['armourer', 'admin'], 'Only an armourer can see the exceptions queue.');
      return who.ok ? { ok: true, value: this.exceptions.list(filter) } : who;
    },
    acknowledgeException: ({ id: exceptionId }) => {
      const who = this.requireRole(['armourer', 'admin'], 'Only an armourer can acknowledge exceptions.');
      if (!who.ok) return who;
      return this.exceptionChange(() => this.exceptions.acknowledge(exceptionId, who.value));
    },
    resolveException: ({ id: exceptionId, note }) => {
      const who = this.requireRole(['armourer', 'admin'], 'Only an armourer can resolve exceptions.');
      if (!who.ok) return who;
      return this.exceptionChange(() => this.exceptions.resolve(exceptionId, who.value, note));
    },
    openTraining: () => {
      const who = this.requireRole(['admin'], 'Only a site admin can import training records.');
      if (!who.ok) return who;
      this.setScreen({ kind: 'training' });
      return this.answer({ ok: true, value: null });
    },
    importTraining: ({ fileName, content }) => {
      const who = this.requireRole(['admin'], 'Only a site admin can import training records.');
      if (!who.ok) return who;
      const view = this.training.importText({ fileName, content, source: 'upload', officerId: who.value });
      this.push();
      return { ok: true, value: view };
    },
    listTrainingImports: () => {
      const who = this.requireRole(['admin'], 'Only a site admin can see training imports.');
      return who.ok ? { ok: true, value: this.training.list() } : who;
    },
    openRules: () => {
      const who = this.requireRole(['admin'], 'Only a site admin can edit release rules.');
      if (!who.ok) return who;
      this.setScreen({ kind: 'rules' });
      return this.answer({ ok: true, value: null });
    },
    getRules: () => {
      const who = this.requireRole(['admin'], 'Only a site admin can see release rules.');
      return who.ok ? { ok: true, value: this.rules.list() } : who;
    },
    openConsole: () => {
      const who = this.requireRole(['armourer', 'admin'], ARMOURERS_ONLY);
      if (!who.ok) return who;
      this.setScreen({ kind: 'console' });
      return this.answer({ ok: true, value: null });
    },
    getBoard: ({ category }) => this.asArmourer(() => this.console.board(category)),
    getMobilisation: () => this.asArmourer(() => this.console.mobilisation()),
    exportMobilisation: () => this.asArmourer(() => this.console.exportMobilisationCsv()),
    getTimeline: (query) => this.asArmourer(() => this.console.timeline(query)),
    exportTimeline: async ({ query, format }) => {
      const who = this.requireRole(['armourer', 'admin'], ARMOURERS_ONLY);
      if (!who.ok) return who;
      return { ok: true, value: await this.console.exportTimeline(query, format) };
    },
    getDashboard: () => this.asArmourer(() => this.console.dashboard()),
    assetAction: ({ asset, action, reason }) => {
      const who = this.requireRole(['armourer', 'admin'], ARMOURERS_ONLY);
      if (!who.ok) return who;
      const found = this.records.assetByTag(asset) ?? this.records.assetBySerial(asset);
      if (!found) return fail('not-found', `No asset has the serial number or tag "${asset}".`);
      const result = this.assets.action(who.value, found.id, action, reason);
      if (result.ok) this.push();
      return result;
    },
    registerAsset: (input) => {
      const who = this.requireRole(['armourer', 'admin'], ARMOURERS_ONLY);
      if (!who.ok) return who;
      const result = this.assets.register(who.value, input);
      if (result.ok) this.push();
      return result;
    },
    startStockCheck: () => {
      const who = this.requireRole(['armourer', 'admin'], ARMOURERS_ONLY);
      return who.ok ? this.stock.start(who.value) : who;
    },
    finishStockCheck: () => {
      const who = this.requireRole(['armourer', 'admin'], ARMOURERS_ONLY);
      return who.ok ? this.stock.finish(who.value) : who;
    },
    getStockCheck: () => this.asArmourer(() => this.stock.current()),
    saveRule: ({ assetTypeId, rule }) => {
      const who = this.requireRole(['admin'], 'Only a site admin can edit release rules.');
      if (!who.ok) return who;
      try {
        const saved = this.rules.save(who.value, assetTypeId, rule);
        this.push();
        return { ok: true, value: saved };
      } catch (error) {
        if (error instanceof RuleError) return fail('invalid-request', error.message);
        throw error;
      }
    },
  };

  /** A read for armourers and admins only, checked here in main. */
  private asArmourer<T>(read: () => T): Result<T> {
    const who = this.requireRole(['armourer', 'admin'], ARMOURERS_ONLY);
    return who.ok ? { ok: true, value: read() } : who;
  }

  private exceptionChange(change: () => ExceptionRecord): Result<ExceptionRecord> {
    try {
      const record = change();
      this.push();
      return { ok: true, value: record };
    } catch (error) {
      if (error instanceof ExceptionStateError) return fail('conflict', error.message);
      throw error;
    }
  }

  /** The signed-in officer's id, if they hold one of the roles. Checked here, in main, on every call. */
  private requireRole(roles: readonly Role[], refusal: string): Result<number> {
    const session = this.session();
    if (!session) return fail('forbidden', 'Sign in first.');
    const held = this.records.officer(session.officerId)?.roles ?? [];
    if (!roles.some((r) => held.includes(r))) return fail('forbidden', refusal);
    return { ok: true, value: session.officerId };
  }

  // --- override of a refused draw -------------------------------------------

  private requestOverride(assetTypeId: number): Result<null> {
    const session = this.session();
    if (!session) return fail('forbidden', 'Sign in first.');
    if (session.screen.kind === 'door') return fail('conflict', 'Finish with the open door first.');
    const option = this.eligibility.drawOptions(session.officerId).find((o) => o.assetTypeId === assetTypeId);
    if (!option) return fail('not-found', 'That kind of equipment is not known here.');
    if (option.allowed) return fail('conflict', `You may draw a ${option.name} without an override.`);
    if (!option.overridable) {
      return fail('refused', `This refusal cannot be overridden: ${option.reasons.map((r) => r.message).join('; ')}.`);
    }
    this.setScreen({ kind: 'override', assetTypeId, step: 'armourer-card', armourerCard: null, armourerId: null, message: null });
    return { ok: true, value: null };
  }

  private async submitOverridePin(pin: string): Promise<Result<null>> {
    const session = this.session();
    const screen = session?.screen;
    if (!session || screen?.kind !== 'override' || screen.step !== 'armourer-pin' || !screen.armourerCard) {
      return fail('forbidden', 'The armourer taps their card first.');
    }
    const result = await this.auth.signIn(screen.armourerCard, pin);
    if (this.session()?.screen !== screen) return fail('conflict', 'The override changed while the PIN was checked.');
    if (!result.ok) {
      if (result.locked) {
        this.setScreen({ kind: 'home', message: `Override not authorised. ${result.message}` });
        return fail('auth-failed', result.message);
      }
      this.setScreen({ ...screen, message: result.message });
      return fail('auth-failed', result.message);
    }
    const toCard = (message: string): Result<null> => {
      this.setScreen({ ...screen, step: 'armourer-card', armourerCard: null, message });
      return fail('forbidden', message);
    };
    if (result.officerId === session.officerId) return toCard('An override needs a second person: an armourer who is not the one drawing.');
    if (!this.records.officer(result.officerId)?.roles.includes('armourer')) return toCard('Only an armourer can authorise an override.');
    this.setScreen({ ...screen, step: 'reason', armourerId: result.officerId, message: null });
    return { ok: true, value: null };
  }

  /** Record the override (with its exception and audit row), then draw under it: one override, one draw. */
  private async confirmOverride(reasonCode: string, note: string): Promise<Result<null>> {
    const session = this.session();
    const screen = session?.screen;
    if (!session || screen?.kind !== 'override' || screen.step !== 'reason' || screen.armourerId === null) {
      return fail('forbidden', 'An armourer must authenticate before the override is recorded.');
    }
    const reason = this.overrideReasons().find((r) => r.code === reasonCode);
    if (!reason) return fail('invalid-request', `"${reasonCode}" is not a reason code in use here.`);
    const blocked = this.releaseBlocked();
    if (blocked) return blocked;
    const verdict = this.eligibility.decide(session.officerId, screen.assetTypeId);
    if (!verdict) return fail('not-found', 'That kind of equipment is not known here.');
    const armourerId = screen.armourerId;
    const officer = this.records.officer(session.officerId);
    const armourer = this.records.officer(armourerId);
    const now = this.deps.clock.now();
    const overrideId = this.deps.db
      .transaction(() => {
        const idNew = Number(
          this.deps.db
            .prepare('INSERT INTO overrides (officer_id, armourer_id, asset_type_id, reason_code, note, refusal, rule_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
            .run(session.officerId, armourerId, screen.assetTypeId, reasonCode, note, JSON.stringify(verdict.decision.reasons), verdict.ruleVersion, now.toISOString()).lastInsertRowid,
        );
        this.audit.append(
          {
            actor: `officer:${armourerId}`,
            action: 'override.granted',
            subject: `officer:${session.officerId}`,
            details: { override: idNew, assetType: verdict.type.name, reasonCode, note, refusals: verdict.decision.reasons.map((r) => r.code) },
          },
          now,
        );
        this.exceptions.raise(
          'override-used',
          `override:${idNew}`,
          `${armourer?.collarNumber ?? 'An armourer'} overrode "${verdict.decision.reasons.map((r) => r.message).join('; ')}" for ${officer?.collarNumber ?? 'an officer'} to draw a ${verdict.type.name} (${reason.label}): ${note}`,
          { override: idNew, armourer: armourerId, officer: session.officerId, reasonCode },
        );
        return idNew;
      })
      .immediate();
    this.setScreen({ kind: 'home', message: null });
    return this.startDraw(screen.assetTypeId, overrideId);
  }

  private overrideReasons(): { code: string; label: string }[] {
    return this.deps.db.prepare<[], { code: string; label: string }>('SELECT code, label FROM override_reasons WHERE active = 1 ORDER BY label').all();
  }

  /** Turn a step's outcome into the contract's answer: the new snapshot, or the error. */
  private answer(outcome: Result<null>): Result<KioskSnapshot> {
    return outcome.ok ? { ok: true, value: this.snapshot() } : outcome;
  }

  private transaction(work: () => void): void {
    this.deps.db.transaction(work).immediate();
  }

  // --- sign-in and session --------------------------------------------------

  private onCard(uid: string): void {
    if (this.takeCapture('card', uid)) return;
    const session = this.session();
    if (session?.screen.kind === 'override' && session.screen.step === 'armourer-card') {
      this.setScreen({ ...session.screen, step: 'armourer-pin', armourerCard: uid, message: null });
      this.touch();
      return;
    }
    if (this.phase.kind === 'session') {
      this.setScreen({ kind: 'home', message: 'Sign out before another card is used.' });
      return;
    }
    const lockedUntil = this.auth.lockedUntil(uid);
    this.setPhase({ kind: 'pin', cardUid: uid, message: null, locked: lockedUntil !== null });
    this.touch();
  }

  private async submitPin(pin: string): Promise<Result<null>> {
    const phase = this.phase;
    if (phase.kind !== 'pin') return fail('forbidden', 'Tap your card first.');
    const result = await this.auth.signIn(phase.cardUid, pin);
    if (this.phase !== phase) return fail('conflict', 'The card changed while the PIN was checked. Enter the PIN again.');
    if (!result.ok) {
      this.setPhase({ kind: 'pin', cardUid: phase.cardUid, message: result.message, locked: result.locked });
      return fail('auth-failed', result.message);
    }
    this.setPhase({ kind: 'session', officerId: result.officerId, screen: { kind: 'home', message: null } });
    this.touch();
    return { ok: true, value: null };
  }

  private signOut(why: string): void {
    if (this.phase.kind === 'session') {
      const officerId = this.phase.officerId;
      const screen = this.phase.screen;
      if (screen.kind === 'door') {
        const intent = this.doors.intent(screen.intentId);
        // An item left in the locker without a condition report goes to quarantine for a check.
        if (intent?.state === 'closed') this.doors.abandonReturn(intent.id);
      }
      this.deps.db
        .transaction(() => {
          this.audit.append({ actor: `officer:${officerId}`, action: 'auth.signed-out', subject: `officer:${officerId}`, details: { why } }, this.deps.clock.now());
        })
        .immediate();
    }
    this.clearIdle();
    this.setPhase({ kind: 'idle' });
  }

  private session(): { officerId: number; screen: SessionScreen } | null {
    return this.phase.kind === 'session' ? this.phase : null;
  }

  // --- draw and return ------------------------------------------------------

  private async startDraw(assetTypeId: number, overrideId?: number): Promise<Result<null>> {
    const session = this.session();
    if (!session) return fail('forbidden', 'Sign in first.');
    if (session.screen.kind === 'door') return fail('conflict', 'Finish with the open door first.');
    const blocked = this.releaseBlocked();
    if (blocked) return blocked;
    const begun = this.doors.beginDraw(session.officerId, assetTypeId, overrideId);
    if (!begun.ok) {
      this.setScreen({ kind: 'home', message: begun.message });
      return fail(begun.kind, begun.message);
    }
    return this.openDoor(begun.intent, 'ISSUE');
  }

  private async startReturn(assetId: number): Promise<Result<null>> {
    const session = this.session();
    if (!session) return fail('forbidden', 'Sign in first.');
    if (session.screen.kind === 'door') return fail('conflict', 'Finish with the open door first.');
    const blocked = this.releaseBlocked();
    if (blocked) return blocked;
    const occupied = new Set(this.latestDoors.filter((d) => d.itemPresent === true || d.open).map((d) => d.doorNumber));
    const begun = this.doors.beginReturn(session.officerId, assetId, occupied);
    if (!begun.ok) {
      this.setScreen({ kind: 'home', message: begun.message });
      return fail(begun.kind, begun.message);
    }
    return this.openDoor(begun.intent, 'RETURN');
  }

  /**
   * Why no door may open now, if one may not: the bank is offline (refuse at once rather
   * than wait on a dead bus), or the room requires video and a trigger is down.
   */
  private releaseBlocked(): Result<null> | null {
    const bank = this.deps.lockers.health();
    if (bank.state === 'offline') {
      const message = `The lockers are not answering${bank.lastError ? ` (${bank.lastError})` : ''}. Nothing can be drawn or returned here right now: call an armourer.`;
      this.setScreen({ kind: 'home', message });
      return fail('device', message);
    }
    const video = this.deps.video.readiness();
    if (!video.ready) {
      this.setScreen({ kind: 'home', message: video.message });
      return fail('device', video.message);
    }
    return null;
  }

  /**
   * Queue the CCTV bookmark / body-worn-video trigger before the door is commanded. If it
   * cannot even be queued, a "required" room keeps the door shut; otherwise the door opens
   * and an armourer is told.
   */
  private async recordVideo(kind: 'ISSUE' | 'RETURN' | 'DOOR', asset: string, officerId: number): Promise<string | null> {
    const officer = this.records.officer(officerId)?.collarNumber ?? `officer ${officerId}`;
    try {
      await this.deps.video.record({ kind, asset, officer });
      return null;
    } catch (error) {
      const message = `The video event for ${kind} of ${asset} could not be queued: ${describe(error)}`;
      this.exceptions.raise('video-trigger-failed', `video:queue`, message, { kind, asset });
      return this.deps.video.required() ? message : null;
    }
  }

  /** Step 2 of the door ordering: the intent is committed, so now the door may be commanded. */
  private async openDoor(intent: DoorIntent, videoKind: 'ISSUE' | 'RETURN'): Promise<Result<null>> {
    this.setScreen({ kind: 'door', intentId: intent.id });
    const videoProblem = await this.recordVideo(videoKind, intent.serial, intent.officerId);
    if (videoProblem) return this.doorFailed(intent, videoProblem);
    try {
      await this.deps.lockers.unlock(intent.doorNumber);
    } catch (error) {
      return this.doorFailed(intent, `the unlock command could not be sent: ${describe(error)}`);
    }
    const deadline = Date.now() + this.deps.policy.doorOpenConfirmMs;
    while (Date.now() < deadline) {
      await delay(CONFIRM_POLL_MS);
      if (this.stopped) return fail('internal', 'The terminal is shutting down.');
      try {
        this.onDoors(await this.deps.lockers.readDoors());
      } catch (error) {
        this.deps.log(`door ${intent.doorNumber} status read failed while confirming: ${describe(error)}`);
      }
      if (this.stopped) return fail('internal', 'The terminal is shutting down.');
      if (this.doors.intent(intent.id)?.state !== 'pending') return { ok: true, value: null };
    }
    return this.doorFailed(intent, 'the door did not read open');
  }

  private doorFailed(intent: DoorIntent, reason: string): Result<null> {
    const change = this.doors.fail(intent.id, reason);
    if (!change) return { ok: true, value: null }; // a poll saw it open in the meantime
    const message = `Door ${intent.doorNumber} did not open (${reason}). Nothing was issued. Try again, or call an armourer.`;
    this.deps.log(message);
    this.setScreen({ kind: 'problem', title: `Door ${intent.doorNumber} did not open`, message });
    return fail('device', message);
  }

  private recordCondition(condition: ReturnCondition): Result<null> {
    const session = this.session();
    if (!session || session.screen.kind !== 'door') return fail('forbidden', 'There is no return waiting for a condition.');
    const intent = this.doors.intent(session.screen.intentId);
    if (!intent || intent.kind !== 'return' || intent.state !== 'closed') {
      return fail('conflict', 'Put the item in the locker and close the door first.');
    }
    const change = this.doors.completeReturn(intent.id, condition, 'officer');
    if (change) this.onIntentChanges([change]);
    return { ok: true, value: null };
  }

  private dismiss(): Result<null> {
    const session = this.session();
    if (session && session.screen.kind !== 'door') this.setScreen({ kind: 'home', message: null });
    return { ok: true, value: null };
  }

  private onScan(code: string): void {
    if (this.takeCapture('scan', code)) return;
    // While an armourer runs a stock check from the console, scans are counted by it, not
    // taken as returns. Anywhere else (an officer at home) a scan is a return as usual.
    if (this.stock.active() && this.session()?.screen.kind === 'console') {
      this.stock.scan(code);
      this.push();
      return;
    }
    if (this.session()?.screen.kind === 'console') {
      // An armourer at the console is not returning anything: a stray scan must not take
      // them off the console. (Registering an item takes its tag in the form.)
      this.deps.log(`scan ${code} ignored on the console: no stock check is running`);
      return;
    }
    const session = this.session();
    if (!session || session.screen.kind === 'door') {
      this.deps.log(`scan ${code} ignored: ${session ? 'a door is open' : 'nobody is signed in'}`);
      return;
    }
    this.touch();
    const asset = this.records.assetByTag(code);
    if (!asset) {
      this.setScreen({ kind: 'home', message: `Tag ${code} is not recognised. Hand the item to an armourer.` });
      return;
    }
    this.startReturn(asset.id).catch((error: unknown) => this.deps.log(`return by scan of ${code} failed: ${describe(error)}`));
  }

  /** Settle intents a crash left active, once, from the first reading of the doors. */
  private reconcile(doors: DoorSensors[]): void {
    this.reconciled = true;
    this.latestDoors = doors;
    for (const change of this.doors.reconcile(doors)) {
      this.deps.log(`reconciled intent ${change.intent.id}: ${change.from} -> ${change.intent.state} (${change.intent.outcome ?? ''})`);
    }
  }

  private onDoors(doors: DoorSensors[]): void {
    if (this.stopped) return;
    if (!this.reconciled) this.reconcile(doors);
    this.latestDoors = doors;
    const changes = this.doors.observe(doors);
    if (changes.length > 0) this.onIntentChanges(changes);
    if (this.serviceOpenings.observe(doors).length > 0) this.push();
    const expected = this.serviceOpenings.activeDoorNumbers();
    for (const intent of this.doors.activeIntents()) expected.add(intent.doorNumber);
    this.doorWatch.observe(doors, expected);
  }

  /** Raise an exception for every loan past its due time (once per loan). */
  checkOverdue(): number {
    if (this.stopped) return 0;
    const overdue = this.deps.db
      .prepare<[string], { loanId: number; serial: string; typeName: string; collar: string; dueAt: string }>(
        `SELECT l.id AS loanId, a.serial, t.name AS typeName, o.collar_number AS collar, l.due_at AS dueAt
           FROM loans l JOIN assets a ON a.id = l.asset_id JOIN asset_types t ON t.id = a.asset_type_id JOIN officers o ON o.id = l.officer_id
          WHERE l.returned_at IS NULL AND l.due_at IS NOT NULL AND l.due_at < ?`,
      )
      .all(this.deps.clock.now().toISOString());
    let raised = 0;
    for (const loan of overdue) {
      const id = this.exceptions.raise('overdue', `loan:${loan.loanId}`, `${loan.typeName} ${loan.serial} drawn by ${loan.collar} was due back at ${new Date(loan.dueAt).toLocaleString('en-GB')}.`, {
        loan: loan.loanId,
        dueAt: loan.dueAt,
      });
      if (id !== null) raised++;
    }
    if (raised > 0) this.push();
    return raised;
  }

  private onDeviceHealth(): void {
    for (const device of this.deps.devices.list()) {
      if (device.state === 'offline') {
        this.exceptions.raise('device-offline', `device:${device.id}`, `${device.label} is offline${device.lastError ? `: ${device.lastError}` : ''}.`, {
          device: device.id,
        });
      }
    }
    this.push();
  }

  // --- hardware screen (site admins) ----------------------------------------

  private requireAdmin(): Result<{ officerId: number; hardware: HardwareAdmin }> {
    const session = this.session();
    if (!session) return fail('forbidden', 'Sign in first.');
    if (!this.records.officer(session.officerId)?.roles.includes('admin')) return fail('forbidden', 'Only a site admin can use the hardware screen.');
    if (!this.deps.hardware) return fail('forbidden', 'This terminal has no hardware screen.');
    return { ok: true, value: { officerId: session.officerId, hardware: this.deps.hardware } };
  }

  private hardwareView(hardware: HardwareAdmin): HardwareView {
    return { ...hardware.view(), exceptions: this.exceptions.recent(20) };
  }

  private async hardwareTest(officerId: number, hardware: HardwareAdmin, test: RequestInput<'hardwareTest'>): Promise<{ ok: boolean; message: string }> {
    try {
      switch (test.action) {
        case 'open-door':
          return await this.serviceOpen(officerId, test.doorNumber);
        case 'board-status':
          return { ok: true, message: await hardware.busStatus(test.busId) };
        case 'trigger-video':
          return { ok: true, message: await hardware.testTrigger(test.triggerId) };
        case 'read-card':
        case 'read-scan': {
          const kind = test.action === 'read-card' ? 'card' : 'scan';
          const code = await this.captureNext(kind);
          return code === null
            ? { ok: false, message: `No ${kind === 'card' ? 'card was tapped' : 'tag was scanned'} within ${CAPTURE_TIMEOUT_MS / 1000} s.` }
            : { ok: true, message: `${kind === 'card' ? 'Card' : 'Scan'} read: ${code}` };
        }
      }
    } catch (error) {
      return { ok: false, message: describe(error) };
    }
  }

  /** Open a door from the hardware screen, with the same commit-first order as a draw. */
  private async serviceOpen(officerId: number, doorNumber: number): Promise<{ ok: boolean; message: string }> {
    const begun = this.serviceOpenings.begin(officerId, doorNumber, 'hardware screen test');
    if (!begun.ok) return { ok: false, message: begun.message };
    const videoProblem = await this.recordVideo('DOOR', `door-${doorNumber}`, officerId);
    if (videoProblem) {
      this.serviceOpenings.fail(begun.id, videoProblem);
      return { ok: false, message: videoProblem };
    }
    try {
      await this.deps.lockers.unlock(doorNumber);
    } catch (error) {
      this.serviceOpenings.fail(begun.id, describe(error));
      return { ok: false, message: `Door ${doorNumber}: the unlock command could not be sent (${describe(error)}).` };
    }
    const deadline = Date.now() + this.deps.policy.doorOpenConfirmMs;
    while (Date.now() < deadline) {
      await delay(CONFIRM_POLL_MS);
      if (this.stopped) return { ok: false, message: 'The terminal is shutting down.' };
      try {
        this.onDoors(await this.deps.lockers.readDoors());
      } catch (error) {
        this.deps.log(`door ${doorNumber} status read failed while confirming a test opening: ${describe(error)}`);
      }
      if (this.stopped) return { ok: false, message: 'The terminal is shutting down.' };
      if (this.serviceOpenings.state(begun.id) !== 'pending') return { ok: true, message: `Door ${doorNumber} opened.` };
    }
    this.serviceOpenings.fail(begun.id, 'the door did not read open');
    return { ok: false, message: `Door ${doorNumber} did not read open after the unlock command: check the lock, its wiring and the board's polarity setting.` };
  }

  /** The next card or scan goes to the hardware screen's test instead of the kiosk flow. */
  private captureNext(kind: 'card' | 'scan'): Promise<string | null> {
    this.capture?.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.capture?.resolve === done) this.capture = null;
        resolve(null);
      }, CAPTURE_TIMEOUT_MS);
      const done = (code: string | null) => {
        clearTimeout(timer);
        resolve(code);
      };
      this.capture = { kind, resolve: done };
    });
  }

  private takeCapture(kind: 'card' | 'scan', code: string): boolean {
    if (this.capture?.kind !== kind) return false;
    const { resolve } = this.capture;
    this.capture = null;
    resolve(code);
    return true;
  }

  private onIntentChanges(changes: IntentChange[]): void {
    const session = this.session();
    for (const { intent } of changes) {
      if (!session || session.screen.kind !== 'door' || session.screen.intentId !== intent.id) continue;
      this.touch();
      this.setScreen(this.screenAfter(intent) ?? session.screen);
    }
    this.push();
  }

  /** What the officer sees once their intent moves on; null while the door screen still fits. */
  private screenAfter(intent: DoorIntent): SessionScreen | null {
    const asset = { assetTypeName: intent.assetTypeName, serial: intent.serial };
    if (intent.state === 'failed') {
      return { kind: 'problem', title: `Door ${intent.doorNumber} did not open`, message: 'Nothing was issued. Try again, or call an armourer.' };
    }
    if (intent.state === 'cancelled') {
      return intent.kind === 'draw'
        ? { kind: 'problem', title: 'Nothing drawn', message: `Door ${intent.doorNumber} closed with the ${intent.assetTypeName} still inside, so nothing was issued to you.` }
        : {
            kind: 'problem',
            title: 'Not returned',
            message: `Door ${intent.doorNumber} closed without the ${intent.assetTypeName} inside. It is still on loan to you: try again, or hand it to an armourer.`,
          };
    }
    if (intent.state === 'completed') {
      if (intent.kind === 'draw') return { kind: 'draw-done', ...asset, doorNumber: intent.doorNumber };
      const condition = this.deps.db
        .prepare<[number], { condition: ReturnCondition }>('SELECT return_condition AS condition FROM loans WHERE id = ?')
        .get(intent.loanId ?? 0)?.condition;
      const reported: ReturnCondition = condition ?? 'ok';
      return { kind: 'return-done', ...asset, condition: reported, quarantined: reported !== 'ok' };
    }
    return null;
  }

  // --- demo mode ------------------------------------------------------------

  private demoAction<M extends 'demoTapCard' | 'demoScanTag' | 'demoDoor'>(method: M, input: RequestInput<M>): Result<null> {
    const demo = this.deps.demo;
    if (!demo) return fail('forbidden', 'The simulator is available in demo mode only.');
    if (method === 'demoTapCard') demo.room.tapCard((input as RequestInput<'demoTapCard'>).uid);
    else if (method === 'demoScanTag') demo.room.scanTag((input as RequestInput<'demoScanTag'>).tag);
    else {
      const { doorNumber, action } = input as RequestInput<'demoDoor'>;
      if (!demo.room.doors().some((d) => d.doorNumber === doorNumber)) return fail('not-found', `There is no door ${doorNumber}.`);
      const problem = demo.room.door(doorNumber, action);
      if (problem) return fail('conflict', problem);
    }
    return { ok: true, value: null };
  }

  private demoView(): DemoView | null {
    const demo = this.deps.demo;
    if (!demo) return null;
    const labels = new Map(
      this.deps.db
        .prepare<[number], { number: number; label: string }>(
          `SELECT d.number, t.name || ' ' || a.serial AS label FROM doors d
             JOIN assets a ON a.door_id = d.id JOIN asset_types t ON t.id = a.asset_type_id WHERE d.bank_id = ?`,
        )
        .all(this.deps.bankId)
        .map((r) => [r.number, r.label]),
    );
    const tags = this.deps.db
      .prepare<[], { tag: string; label: string }>(
        `SELECT a.tag, t.name || ' ' || a.serial || ' (' ||
                CASE WHEN o.collar_number IS NOT NULL THEN 'on loan to ' || o.collar_number ELSE a.status END || ')' AS label
           FROM assets a JOIN asset_types t ON t.id = a.asset_type_id
           LEFT JOIN loans l ON l.asset_id = a.id AND l.returned_at IS NULL
           LEFT JOIN officers o ON o.id = l.officer_id
          ORDER BY (o.collar_number IS NULL), t.name, a.serial`,
      )
      .all();
    return {
      doors: demo.room.doors().map((d) => ({ number: d.doorNumber, open: d.open, itemPresent: d.itemPresent, assetLabel: labels.get(d.doorNumber) ?? null })),
      cards: demo.cards,
      tags,
    };
  }

  // --- idle timer (owned here, shown by the renderer) ------------------------

  /** The person is still there: restart the idle countdown. */
  private touch(): void {
    if (this.phase.kind === 'idle') return;
    const { idleTimeoutSeconds, idleWarningSeconds } = this.deps.policy;
    const wasWarning = this.warningShowing;
    this.clearIdle();
    this.idleDeadline = Date.now() + idleTimeoutSeconds * 1000;
    this.idleWarningTimer = setTimeout(() => {
      this.warningShowing = true;
      this.idleTicker = setInterval(() => this.push(), 1000);
      this.push();
    }, Math.max(0, idleTimeoutSeconds - idleWarningSeconds) * 1000);
    this.idleLogoutTimer = setTimeout(() => this.signOut('idle timeout'), idleTimeoutSeconds * 1000);
    if (wasWarning) this.push();
  }

  private clearIdle(): void {
    for (const timer of [this.idleWarningTimer, this.idleLogoutTimer]) if (timer) clearTimeout(timer);
    if (this.idleTicker) clearInterval(this.idleTicker);
    this.idleWarningTimer = this.idleLogoutTimer = this.idleTicker = null;
    this.idleDeadline = null;
    this.warningShowing = false;
  }

  // --- snapshots ------------------------------------------------------------

  private setPhase(phase: Phase): void {
    this.phase = phase;
    this.push();
  }

  private setScreen(screen: SessionScreen): void {
    const session = this.session();
    if (!session) return;
    this.phase = { kind: 'session', officerId: session.officerId, screen };
    this.push();
  }

  private push(): void {
    if (this.listeners.size === 0) return;
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
  }

  snapshot(): KioskSnapshot {
    const { policy } = this.deps;
    const warningSecondsLeft =
      this.warningShowing && this.idleDeadline !== null
        ? // Clamped: a timer may fire a millisecond early, which must not read as one second more.
          Math.min(policy.idleWarningSeconds, Math.max(0, Math.ceil((this.idleDeadline - Date.now()) / 1000)))
        : null;
    return {
      terminalName: this.deps.terminalName,
      mode: this.deps.demo ? 'demo' : 'live',
      screen: this.screenView(),
      session: this.sessionView(),
      idle: { warningSecondsLeft, timeoutSeconds: policy.idleTimeoutSeconds },
      devices: this.deps.devices.list(),
      demo: this.demoView(),
      keyboardScanFallback: this.deps.scanner.keyboardFallback(),
      revision: ++this.revision,
    };
  }

  private screenView(): ScreenView {
    const phase = this.phase;
    if (phase.kind === 'idle') return { kind: 'idle' };
    if (phase.kind === 'pin') return { kind: 'pin', message: phase.message, attemptsLocked: phase.locked };
    const screen = phase.screen;
    if (screen.kind === 'override') {
      const option = this.eligibility.drawOptions(phase.officerId).find((o) => o.assetTypeId === screen.assetTypeId);
      return {
        kind: 'override',
        step: screen.step,
        assetTypeName: option?.name ?? 'item',
        refusals: option?.reasons ?? [],
        reasonCodes: this.overrideReasons(),
        message: screen.message,
      };
    }
    if (screen.kind !== 'door') return screen;
    const intent = this.doors.intent(screen.intentId);
    if (!intent) return { kind: 'home', message: null };
    const asset = { doorNumber: intent.doorNumber, assetTypeName: intent.assetTypeName, serial: intent.serial };
    if (intent.kind === 'draw') return { kind: 'draw-door-open', ...asset };
    return intent.state === 'closed' ? { kind: 'return-condition', ...asset } : { kind: 'return-door-open', ...asset };
  }

  private sessionView(): SessionView | null {
    const session = this.session();
    if (!session) return null;
    const officer = this.records.officer(session.officerId);
    if (!officer) return null;
    return {
      officerId: officer.id,
      collarNumber: officer.collarNumber,
      displayName: officer.displayName,
      roles: officer.roles,
      holdings: this.records.holdings(officer.id).map(({ assetTypeId: _type, ...holding }) => holding),
      drawOptions: this.eligibility.drawOptions(officer.id),
      qualifications: this.eligibility.qualifications(officer.id),
    };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
