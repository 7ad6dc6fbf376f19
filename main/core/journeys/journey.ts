import type { ApiError, KioskSnapshot, LockerStatusView, RequestInput, RequestName, ResponseValues, Result, ScreenView } from '../../../preload/contract.ts';
import type { DoorCommand } from '../door-command.ts';
import type { IntentChange, IntentKindSpec } from '../door-intents.ts';
import type { KioskPolicy, KioskDeps } from '../kiosk-deps.ts';
import type { DoorSensors } from '../ports.ts';
import type { PlausibilityVerdict } from '../sensor-plausibility.ts';
import type { CoreServices } from '../services.ts';
import type { Session } from '../session.ts';

export type JourneyKind = 'draw' | 'return' | 'override' | 'service-opening' | 'swap' | 'collect' | 'stage' | 'exhibit-deposit' | 'exhibit-retrieve' | 'exhibit-checks';

/** Screens shown to a signed-in officer when no journey is under way. */
export type SessionScreen = Extract<
  ScreenView,
  { kind: 'home' | 'draw-done' | 'return-done' | 'swap-done' | 'problem' | 'hardware' | 'exceptions' | 'training' | 'people' | 'rules' | 'console' | 'device-refresh' | 'bookings' | 'exhibit-deposit' | 'exhibits' }
>;

/**
 * One officer-facing flow at the terminal (draw, return, override, swap, ...), as an explicit
 * state machine (see state-table.ts). The kiosk routes events to the journey under way and
 * shows its screen; once it reaches a final state the kiosk shows its outcome.
 */
export interface Journey {
  readonly kind: JourneyKind;
  /** The screen while the journey runs. */
  screen(): ScreenView;
  /** In a final state: the kiosk ends it and shows `outcome()`. */
  readonly finished: boolean;
  outcome(): SessionScreen;
  /** Door intents moved (after a poll); a journey acts on its own. */
  intentsChanged?(changes: readonly IntentChange[]): void;
  /** A tag scanned while the journey runs; true if it took the scan. */
  scan?(code: string): boolean;
  /** A card tapped while the journey runs; true if it took the card. */
  card?(uid: string): boolean;
  /** The officer left mid-journey (signed out or timed out). */
  abandon(): void;
  /** Whether this journey will finish the intent (settle it once its item is in); default: the journey's only intent. */
  owns?(intentId: number): boolean;
}

/** What a handler returns: a snapshot request answers null (the kiosk adds the snapshot), others their value. */
export type HandlerResult<M extends RequestName> = ResponseValues[M] extends KioskSnapshot ? Result<null> : Result<ResponseValues[M]>;
export type Handler<M extends RequestName> = (input: RequestInput<M>, officerId: number | null) => HandlerResult<M> | Promise<HandlerResult<M>>;
export type Handlers = { [M in RequestName]: Handler<M> };

/**
 * A piece of the kiosk: the requests it answers, the door intent kinds it owns, and the
 * device events it may take. Journeys are modules; so are the admin and console screens.
 */
export interface KioskModule {
  handlers: Partial<Handlers>;
  intentKinds?: readonly IntentKindSpec[];
  /** A tag scanned outside any journey; true if this module took it (a stock check, a hardware test). */
  takeScan?(code: string): boolean;
  /** A card tapped outside any journey; true if taken. */
  takeCard?(uid: string): boolean;
  start?(): void;
  stop?(): void;
}

/** What modules get from the kiosk: the core services, the devices, and control of the session. */
export interface KioskContext {
  readonly services: CoreServices;
  readonly deps: KioskDeps;
  readonly policy: KioskPolicy;
  readonly doors: DoorCommand;
  /** The signed-in officer, if any. */
  officerId(): number | null;
  /** The plain screen shown (null while a journey runs or nobody is signed in). */
  screen(): SessionScreen | null;
  show(screen: SessionScreen): void;
  startJourney(journey: Journey): void;
  /** The journey under way, if any. */
  journey(): Journey | null;
  /** Something moved: end a finished journey and push a fresh snapshot. */
  changed(): void;
  /** Intents moved outside a poll (a failed unlock, a condition given): tell the journey, then as changed(). */
  intentsChanged(changes: readonly IntentChange[]): void;
  /** The person is still there: restart the idle countdown. */
  touch(): void;
  latestDoors(): readonly DoorSensors[];
  /** Why no door may open now (bank offline, a required video trigger down), shown on the home screen; null when one may. */
  releaseBlocked(): ApiError | null;
  /** The lockers as officers see them: name, state, and why they are out of service. */
  lockerStatus(): LockerStatusView;
  /** What the bank's readings say that cannot be true (for the hardware screen). */
  plausibility(): PlausibilityVerdict;
  /** Doors never picked for a draw or return now: reading open, or implausible. */
  unusableDoors(): ReadonlySet<number>;
  /** A door read open before its unlock went out: the bank's readings are implausible. */
  openedEarly(doorNumber: number): void;
  /** A module has a door under way outside intents and service openings (or no longer): not a forced door. */
  holdDoor(doorNumber: number, held: boolean): void;
  log(line: string): void;
  /** The session itself, for signing in and out (the session module). */
  readonly session: Session;
  /** End the session: its journey is abandoned and the sign-out audited. */
  signOut(why: string): void;
}

export function fail<T>(kind: ApiError['kind'], message: string): Result<T> {
  return { ok: false, error: { kind, message } };
}

export const OK: Result<null> = { ok: true, value: null };

/**
 * Why a door did not open, in words for the person at the screen. The intent's recorded outcome
 * keeps the driver's own error (port, bus, board) for the audit trail and the hardware screen;
 * an officer's screen says only what it means.
 */
export function plainDoorFailure(outcome: string | null): string | null {
  if (outcome === null) return null;
  if (outcome === 'the door did not read open' || outcome === 'the terminal is shutting down' || /^door \d+ read open before it was unlocked, so it was not used$/.test(outcome)) return outcome;
  if (outcome.startsWith('The video event')) return 'the video recording could not be started';
  return 'the lockers did not take the unlock command';
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The caller of a request the permission table only lets signed-in officers make. */
export function signedIn(officerId: number | null): number {
  if (officerId === null) throw new Error('a request that needs a session reached its handler without one');
  return officerId;
}
