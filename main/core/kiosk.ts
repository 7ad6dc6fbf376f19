import { answersWithSnapshot, REQUEST_NAMES, type ApiError, type KioskSnapshot, type LockerStatusView, type RequestInput, type RequestName, type ResponseValues, type Result } from '../../preload/contract.ts';
import { DoorCommand } from './door-command.ts';
import type { IntentChange } from './door-intents.ts';
import { DoorWatch } from './door-watch.ts';
import { bookingsModule } from './journeys/booking.ts';
import { collectModule } from './journeys/collect.ts';
import { exhibitsModule } from './journeys/exhibit.ts';
import { drawModule } from './journeys/draw.ts';
import { describeError, type Handler, type Handlers, type Journey, type KioskContext, type KioskModule, type SessionScreen } from './journeys/journey.ts';
import { overrideModule } from './journeys/override.ts';
import { returnModule } from './journeys/return.ts';
import { swapModule } from './journeys/swap.ts';
import type { KioskDeps } from './kiosk-deps.ts';
import type { KioskService } from './kiosk-service.ts';
import { adminModule } from './modules/admin-module.ts';
import { ammunitionModule } from './modules/ammunition-module.ts';
import { consoleModule } from './modules/console-module.ts';
import { deviceRefreshModule } from './modules/device-refresh-module.ts';
import { hardwareModule } from './modules/hardware-module.ts';
import { peopleModule } from './modules/people-module.ts';
import { sessionModule } from './modules/session-module.ts';
import { checkPermission, PERMISSIONS } from './permissions.ts';
import type { DoorSensors } from './ports.ts';
import { SensorPlausibility } from './sensor-plausibility.ts';
import { createServices, type CoreServices } from './services.ts';
import { Session, type SignOutEvent } from './session.ts';
import { buildSnapshot } from './snapshot.ts';

/**
 * Every module of the kiosk, in the order device events are offered to them. A new journey is
 * one more entry here (and its screens); nothing else in the router changes.
 */
const MODULES: readonly ((ctx: KioskContext) => KioskModule)[] = [
  sessionModule,
  peopleModule,
  hardwareModule,
  consoleModule,
  adminModule,
  drawModule,
  returnModule,
  overrideModule,
  swapModule,
  collectModule,
  deviceRefreshModule,
  bookingsModule,
  exhibitsModule,
  ammunitionModule,
];

/** Reading the snapshot, the hardware view or the frame log is not a sign that someone is there. */
const READS: ReadonlySet<RequestName> = new Set(['getSnapshot', 'getHardware', 'hardwareFrames']);

/**
 * The router: holds the session, checks every request against the permissions table once,
 * hands it to the module that answers it, and routes device events (card, scan, door
 * readings, timers) to the session and the journey under way. Pushes a fresh snapshot after
 * every change.
 */
export class Kiosk implements KioskService {
  readonly services: CoreServices;
  private readonly session: Session;
  private readonly modules: KioskModule[];
  private readonly handlers: Partial<Handlers> = {};
  private readonly context: KioskContext;
  private readonly doorWatch: DoorWatch;
  private readonly plausibility: SensorPlausibility;
  /** Doors a module has under way outside intents and service openings (a commissioning step). */
  private readonly heldDoors = new Set<number>();
  private readonly listeners = new Set<(snapshot: KioskSnapshot) => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private latestDoors: DoorSensors[] = [];
  private auditCheck: Promise<void> = Promise.resolve();
  private reconciled = false;
  private revision = 0;
  /** A snapshot push is waiting for the scheduler's next turn (see push()). */
  private pushPending = false;
  /** Door steps under way between their intent's commit and the unlock frame (see holdPushes()). */
  private pushHolds = 0;
  /** Set by stop(): door confirmations still waiting give up instead of touching a closed database. */
  private stopped = false;

  constructor(private readonly deps: KioskDeps) {
    this.services = createServices({ ...deps, anchoring: { ...deps.anchoring, log: deps.log, changed: () => this.push() } });
    const { clock, scheduler } = deps;
    this.session = new Session(
      clock,
      scheduler,
      () => ({ timeoutSeconds: deps.policy.idleTimeoutSeconds, warningSeconds: deps.policy.idleWarningSeconds, doneSeconds: deps.policy.doneSignOutSeconds }),
      () => this.signOut('idle timeout', 'idle-timeout'),
      () => this.push(),
      (why) => this.signOut(why, 'countdown-ended'),
    );
    this.doorWatch = new DoorWatch(this.services.exceptions, clock, () => deps.policy.doorLeftOpenSeconds * 1000);
    this.plausibility = new SensorPlausibility(deps.db, deps.bankId, this.services.exceptions);
    const doors = new DoorCommand(
      deps.lockers,
      clock,
      scheduler,
      () => deps.policy.doorOpenConfirmMs,
      (reading) => this.onDoors(reading),
      () => this.stopped,
      deps.log,
      () => this.holdPushes(),
    );
    this.context = this.makeContext(doors);
    this.modules = MODULES.map((make) => make(this.context));
    for (const module of this.modules) {
      for (const spec of module.intentKinds ?? []) this.services.intents.register(spec);
      for (const [name, handler] of Object.entries(module.handlers)) {
        if (name in this.handlers) throw new Error(`two modules answer ${name}`);
        Object.assign(this.handlers, { [name]: handler });
      }
    }
    const missing = REQUEST_NAMES.filter((name) => !(name in this.handlers));
    if (missing.length > 0) throw new Error(`no module answers ${missing.join(', ')}`);
  }

  /** Settle what a crash left behind, then start listening to the room. */
  async start(): Promise<void> {
    const { lockers, cardReader, scanner } = this.deps;
    try {
      this.reconcile(await lockers.readDoors());
    } catch (error) {
      // The intents stay in the database and are settled by the first good poll.
      this.deps.log(`locker bank unreadable at start-up; active door intents wait for it: ${describeError(error)}`);
    }
    this.unsubscribers.push(lockers.onDoors((doors) => this.onDoors(doors)), cardReader.onCard((uid) => this.onCard(uid)), scanner.onScan((code) => this.onScan(code)));
    if (this.deps.demo) this.unsubscribers.push(this.deps.demo.room.onChange(() => this.push()));
    for (const module of this.modules) module.start?.();
    // In a worker thread: draws and returns wait for its verdict (see lockerStatus), nothing else does.
    this.auditCheck = this.services.anchor?.start().then(() => undefined) ?? Promise.resolve();
    this.push();
  }

  /** Resolves once the start-up check of the audit trail has given its verdict (passed or not). */
  auditChecked(): Promise<void> {
    return this.auditCheck;
  }

  stop(): void {
    this.stopped = true;
    this.services.anchor?.stop();
    for (const module of this.modules) module.stop?.();
    this.session.stop();
    for (const off of this.unsubscribers.splice(0)) off();
    this.listeners.clear();
  }

  /** Something changed the data outside a request or device event (a booking through the endpoint): push a fresh picture. */
  refresh(): void {
    this.push();
  }

  onSnapshot(listener: (snapshot: KioskSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async request<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>> {
    const denied = this.denied(method);
    if (denied) return { ok: false, error: denied };
    // The simulator's requests play the hardware: like a real card, tag or door they count as the
    // officer's activity only where the device event itself does (a done screen's countdown runs on).
    if (!READS.has(method) && !PERMISSIONS[method].demoOnly) this.session.touch();
    const handler = this.handlers[method] as Handler<M>;
    const result = await handler(input, this.session.officerId);
    this.settle();
    // Snapshot requests answer null from their handler; the answer is the new snapshot (pushed too, if a push was waiting).
    if (result.ok && answersWithSnapshot(method)) return { ok: true, value: this.pendingPushNow() ?? this.snapshot() } as Result<ResponseValues[M]>;
    return result as Result<ResponseValues[M]>;
  }

  snapshot(): KioskSnapshot {
    return buildSnapshot(this.context, this.session, ++this.revision);
  }

  /** Checked once, before any handler: the permissions table against where the session is. */
  private denied(method: RequestName): ApiError | null {
    const officerId = this.session.officerId;
    const phase = this.session.state === 'pin' ? 'pin' : officerId === null ? 'idle' : 'signed-in';
    const roles = officerId === null ? [] : (this.services.records.officer(officerId)?.roles ?? []);
    return checkPermission(method, { phase, roles, journey: this.session.journey?.kind ?? null, demo: this.deps.demo !== null });
  }

  private makeContext(doors: DoorCommand): KioskContext {
    return {
      services: this.services,
      deps: this.deps,
      policy: this.deps.policy,
      doors,
      officerId: () => this.session.officerId,
      screen: () => this.session.screen,
      show: (screen: SessionScreen) => {
        this.session.show(screen);
        this.push();
      },
      startJourney: (journey: Journey) => {
        if (!this.session.startJourney(journey)) throw new Error(`a ${journey.kind} journey was started with another under way or nobody signed in`);
        this.push();
      },
      journey: () => this.session.journey,
      changed: () => this.changed(),
      intentsChanged: (changes: readonly IntentChange[]) => this.intentsChanged(changes),
      touch: () => this.session.touch(),
      latestDoors: () => this.latestDoors,
      releaseBlocked: () => this.releaseBlocked(),
      lockerStatus: () => this.lockerStatus(),
      plausibility: () => this.plausibility.verdict(),
      unusableDoors: () => {
        const unusable = new Set(this.plausibility.verdict().unusableDoors);
        for (const door of this.latestDoors) if (door.open) unusable.add(door.doorNumber);
        return unusable;
      },
      openedEarly: (doorNumber) => {
        this.plausibility.openBeforeUnlock(doorNumber);
        this.plausibility.observe(this.latestDoors, this.expectedDoors());
      },
      holdDoor: (doorNumber, held) => {
        if (held) this.heldDoors.add(doorNumber);
        else this.heldDoors.delete(doorNumber);
      },
      log: (line) => this.deps.log(line),
      session: this.session,
      signOut: (why) => this.signOut(why),
    };
  }

  private signOut(why: string, event: SignOutEvent = 'sign-out'): void {
    const ended = this.session.signOut(event);
    if (ended) {
      ended.journey?.abandon();
      const { db, audit, clock } = this.services;
      db.transaction(() => {
        audit.append({ actor: `officer:${ended.officerId}`, action: 'auth.signed-out', subject: `officer:${ended.officerId}`, details: { why } }, clock.now());
      }).immediate();
    }
    this.push();
  }

  // --- device events ----------------------------------------------------------

  private onCard(uid: string): void {
    for (const module of this.modules) if (module.takeCard?.(uid)) return this.changed();
    if (this.session.journey?.card?.(uid)) return this.changed();
    this.sessionCard(uid);
  }

  /**
   * A card outside any journey: the PIN pad for it, or (mid-session) a request to sign out first.
   * On a done screen counting down, the officer has finished and the next one is at the reader:
   * the first is signed out now and the card gets its PIN pad.
   */
  private sessionCard(uid: string): void {
    const completed = this.session.completedWhy;
    if (completed !== null) this.signOut(`${completed}, next card`);
    if (this.session.officerId !== null) {
      if (this.session.journey === null) this.session.show({ kind: 'home', message: 'Sign out before another card is used.' });
      return this.push();
    }
    this.session.cardTapped(uid, this.services.auth.lockedUntil(uid) !== null, this.services.commissioning.cardNeedsPin(uid));
    this.push();
  }

  private onScan(code: string): void {
    if (this.session.journey) {
      if (!this.session.journey.scan?.(code)) this.deps.log(`scan ${code} ignored: a ${this.session.journey.kind} is under way`);
      return this.changed();
    }
    for (const module of this.modules) if (module.takeScan?.(code)) return this.changed();
    this.deps.log(`scan ${code} ignored: nobody is signed in`);
  }

  private onDoors(doors: DoorSensors[]): void {
    if (this.stopped) return;
    if (!this.reconciled) this.reconcile(doors);
    this.latestDoors = doors;
    const before = this.plausibility.verdict();
    const changes = this.services.intents.observe(doors, (door) => this.plausibility.openBeforeUnlock(door));
    const opened = this.services.serviceOpenings.observe(doors);
    const expected = this.expectedDoors();
    const verdict = this.plausibility.observe(doors, expected);
    // Every door reading open is one sensor-implausible exception for the bank, not one forced door each.
    this.doorWatch.observe(doors, verdict.everyDoorOpen ? new Set(doors.map((d) => d.doorNumber)) : expected);
    if (changes.length > 0) this.intentsChanged(changes);
    else if (opened.length > 0 || verdict !== before) this.push();
  }

  /** Doors something is under way on: an active intent, a service opening, a module's step. */
  private expectedDoors(): Set<number> {
    const expected = this.services.serviceOpenings.activeDoorNumbers();
    for (const intent of this.services.intents.activeIntents()) expected.add(intent.doorNumber);
    for (const door of this.heldDoors) expected.add(door);
    return expected;
  }

  /** Settle intents a crash left active, once, from the first reading of the doors. */
  private reconcile(doors: DoorSensors[]): void {
    this.reconciled = true;
    this.latestDoors = doors;
    for (const change of this.services.intents.reconcile(doors)) {
      this.deps.log(`reconciled intent ${change.intent.id}: ${change.from} -> ${change.intent.state} (${change.intent.outcome ?? ''})`);
    }
  }

  private intentsChanged(changes: readonly IntentChange[]): void {
    const journey = this.session.journey;
    if (journey && changes.some((c) => c.intent.officerId === this.session.officerId)) this.session.touch();
    journey?.intentsChanged?.(changes);
    // An item put in with nobody left to finish its return or swap (they signed out with the door
    // open): settled now, rather than holding its door until the next restart.
    for (const change of changes) {
      if (change.effect !== 'item-in' || journey?.owns?.(change.intent.id)) continue;
      const settled = this.services.intents.settleLeft(change.intent);
      if (settled) this.deps.log(`settled intent ${settled.intent.id} left by its officer: ${settled.intent.outcome ?? ''}`);
    }
    this.changed();
  }

  // --- shared steps -------------------------------------------------------------

  /**
   * The lockers as officers see them: out of service while the bank is offline, or degraded (a
   * link fault, or readings that cannot be true). The reason is in plain words: the raw driver
   * error and the plausibility findings are for the hardware screen.
   */
  private lockerStatus(): LockerStatusView {
    const bank = this.deps.lockers.health();
    const name = bank.name ?? 'Lockers';
    const implausible = this.plausibility.verdict().problems.length > 0;
    const state = implausible && bank.state !== 'offline' ? 'degraded' : bank.state;
    const call = 'Nothing can be drawn or returned here right now: call an armourer.';
    // The audit trail failed its start-up check (or it is still running): nothing is released until it passes.
    const audit = this.services.anchor?.blocked() ?? null;
    if (audit !== null) return { name, state, inService: false, reason: audit };
    if (state === 'offline') return { name, state, inService: false, reason: `${name} are out of service: they are not answering. ${call}` };
    if (state === 'degraded') {
      const why = implausible ? 'their door sensors are giving readings that cannot be right' : 'they are not answering reliably';
      return { name, state, inService: false, reason: `${name} are out of service: ${why}. ${call}` };
    }
    return { name, state, inService: true, reason: null };
  }

  /** Lockers out of service (refuse at once rather than wait on a dead bus), or a required video trigger down. */
  private releaseBlocked(): ApiError | null {
    const lockers = this.lockerStatus();
    const video = this.deps.video.readiness();
    const message = !lockers.inService ? lockers.reason : video.ready ? null : video.message;
    if (message === null) return null;
    this.session.show({ kind: 'home', message });
    this.push();
    return { kind: 'device', message };
  }

  /** End a journey that reached a final state (showing its outcome), then push. */
  private settle(): void {
    const journey = this.session.journey;
    if (journey?.finished) this.session.endJourney(journey.outcome());
  }

  private changed(): void {
    this.settle();
    this.push();
  }

  /**
   * Push a snapshot on the scheduler's next turn, once for everything that changed in this one.
   * A scan or a door reading changes several things at once (a journey starts, the screen
   * moves, a door reads open), and building the picture costs about a millisecond: built once
   * and after the unlock's I/O is under way, it neither repeats nor holds up a door.
   */
  private push(): void {
    if (this.pushPending || this.listeners.size === 0 || this.stopped) return;
    this.pushPending = true;
    this.pushSoon();
  }

  private pushSoon(): void {
    this.deps.scheduler.soon(() => {
      if (this.pushHolds === 0) this.pendingPushNow();
    });
  }

  /**
   * From a door intent's commit to its unlock frame (the video event queued, the unlock sent),
   * the screen waits: building it is a millisecond of the one thread the unlock also needs. The
   * wait is bounded by the bus's own request timeout. Returns the release; the push that waited
   * goes out once the last hold is released.
   */
  private holdPushes(): () => void {
    this.pushHolds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pushHolds--;
      if (this.pushHolds === 0 && this.pushPending) this.pushSoon();
    };
  }

  /** The waiting push, sent now; null if none was waiting. */
  private pendingPushNow(): KioskSnapshot | null {
    if (!this.pushPending) return null;
    this.pushPending = false;
    if (this.listeners.size === 0 || this.stopped) return null;
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
    return snapshot;
  }
}
