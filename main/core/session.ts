import type { Journey, SessionScreen } from './journeys/journey.ts';
import type { Clock, Scheduler } from './ports.ts';
import { repeat } from './ports.ts';
import { defineTable, Machine } from './state-table.ts';

export const SESSION_TABLE = defineTable({
  name: 'session',
  initial: 'idle',
  states: ['idle', 'pin', 'signed-in', 'journey', 'done', 'signed-out'],
  events: [
    'card-tapped',
    'pin-accepted',
    'pin-refused',
    'pin-cancelled',
    'journey-started',
    'journey-ended',
    'journey-completed',
    'stay',
    'sign-out',
    'idle-timeout',
    'countdown-ended',
    'reset',
  ],
  final: [],
  transitions: {
    idle: { 'card-tapped': 'pin' },
    // Another card on the PIN pad replaces the first; a refused PIN stays on the pad.
    pin: { 'card-tapped': 'pin', 'pin-accepted': 'signed-in', 'pin-refused': 'pin', 'pin-cancelled': 'idle', 'idle-timeout': 'idle' },
    'signed-in': { 'journey-started': 'journey', 'sign-out': 'signed-out', 'idle-timeout': 'signed-out' },
    // journey-completed: a draw, return or swap went through (see COMPLETED_WHY); journey-ended: anything else.
    journey: { 'journey-ended': 'signed-in', 'journey-completed': 'done', 'sign-out': 'signed-out', 'idle-timeout': 'signed-out' },
    // The done screen counts down to sign-out; any sign of the officer (a touch, a request, a scan) is a stay.
    // The idle timer is stopped meanwhile: one countdown at a time.
    done: { stay: 'signed-in', 'sign-out': 'signed-out', 'countdown-ended': 'signed-out' },
    // Momentary: the sign-out is recorded, then the terminal is ready for the next card.
    'signed-out': { reset: 'idle' },
  },
});

export type SessionState = (typeof SESSION_TABLE.states)[number];
export type SessionEvent = (typeof SESSION_TABLE.events)[number];

/** The PIN pad after a card tap: whose card, what it last said, and whether a PIN is being chosen. */
export interface PinPad {
  uid: string;
  message: string | null;
  locked: boolean;
  choosing: boolean;
}

export interface IdleTimes {
  timeoutSeconds: number;
  warningSeconds: number;
  /** After a completed draw, return or swap: seconds before the officer is signed out; 0 leaves them signed in. */
  doneSeconds: number;
}

/**
 * The outcomes after which the officer's business is done, and the why their sign-out is audited
 * with. Failures and refusals are not here: the officer needs to read them and try again.
 */
const COMPLETED_WHY: Partial<Record<SessionScreen['kind'], string>> = {
  'draw-done': 'draw complete',
  'return-done': 'return complete',
  'swap-done': 'swap complete',
};

export type SignOutEvent = 'sign-out' | 'idle-timeout' | 'countdown-ended';

/**
 * Who is at the screen: nobody (idle), a card waiting for its PIN, or a signed-in officer on a
 * plain screen, in a journey, or on the done screen of a completed one. Owns the idle countdown
 * and the done screen's (through the Scheduler port): the renderer only shows them.
 */
export class Session {
  private readonly machine = new Machine(SESSION_TABLE);
  private card: PinPad | null = null;
  private officer: number | null = null;
  private plain: SessionScreen = { kind: 'home', message: null };
  private current: Journey | null = null;
  /** When the running countdown (idle, or the done screen's) ends. */
  private deadline: number | null = null;
  private warning = false;
  /** Why the officer is signed out when the done screen's countdown ends ("draw complete"). */
  private completed: string | null = null;
  private cancelTimers: (() => void)[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly idle: () => IdleTimes,
    /** Idle time ran out for a signed-in officer, or on the PIN pad. */
    private readonly onTimeout: () => void,
    /** A countdown's seconds changed: the idle warning came up or ticked, or the done screen's ticked. */
    private readonly onTick: () => void,
    /** The done screen's countdown ran out; `why` is what the sign-out is audited with. */
    private readonly onCountdownEnd: (why: string) => void,
  ) {}

  get state(): SessionState {
    return this.machine.state;
  }

  get officerId(): number | null {
    return this.officer;
  }

  get journey(): Journey | null {
    return this.current;
  }

  get pin(): PinPad | null {
    return this.machine.state === 'pin' ? this.card : null;
  }

  /** The plain screen (when signed in with no journey, or on a done screen counting down). */
  get screen(): SessionScreen | null {
    return this.machine.state === 'signed-in' || this.machine.state === 'done' ? this.plain : null;
  }

  /** While the done screen counts down: why the officer will be signed out ("draw complete"). */
  get completedWhy(): string | null {
    return this.machine.state === 'done' ? this.completed : null;
  }

  /** `choosing`: the card's officer has no PIN yet and chooses one on the pad. */
  cardTapped(uid: string, locked: boolean, choosing = false): boolean {
    if (!this.machine.fire('card-tapped')) return false;
    this.card = { uid, message: null, locked, choosing };
    this.touch();
    return true;
  }

  pinRefused(message: string, locked: boolean): void {
    if (this.card && this.machine.fire('pin-refused')) this.card = { ...this.card, message, locked };
  }

  pinCancelled(): void {
    if (this.machine.fire('pin-cancelled')) this.clear();
  }

  signedIn(officerId: number): boolean {
    if (!this.machine.fire('pin-accepted')) return false;
    this.card = null;
    this.officer = officerId;
    this.plain = { kind: 'home', message: null };
    this.touch();
    return true;
  }

  show(screen: SessionScreen): void {
    this.plain = screen;
  }

  startJourney(journey: Journey): boolean {
    if (!this.machine.fire('journey-started')) return false;
    this.current = journey;
    return true;
  }

  /** The journey finished: show its outcome, counting down to sign-out when its business is done. */
  endJourney(outcome: SessionScreen): void {
    const why = COMPLETED_WHY[outcome.kind];
    const seconds = this.idle().doneSeconds;
    const countdown = why !== undefined && seconds > 0;
    if (!this.machine.fire(countdown ? 'journey-completed' : 'journey-ended')) return;
    this.current = null;
    this.plain = outcome;
    if (!countdown) return;
    this.completed = why;
    this.stopTimers();
    this.deadline = this.clock.now().getTime() + seconds * 1000;
    // The sign-out first: at the deadline it runs before the last tick, which then has nothing to show.
    this.cancelTimers.push(
      this.scheduler.after(seconds * 1000, () => this.onCountdownEnd(why)),
      repeat(this.scheduler, 1000, this.onTick),
    );
  }

  /**
   * End the session (by request, idle time, or the done screen's countdown); the caller records
   * it. Returns the officer who was signed in and the journey they left, if any; null when nobody was.
   */
  signOut(event: SignOutEvent): { officerId: number; journey: Journey | null } | null {
    if (this.machine.state === 'pin' && event === 'idle-timeout') {
      this.machine.fire('idle-timeout');
      this.clear();
      return null;
    }
    const officerId = this.officer;
    const journey = this.current;
    if (officerId === null || !this.machine.fire(event)) return null;
    this.machine.fire('reset');
    this.clear();
    return { officerId, journey };
  }

  /**
   * The person is still there: restart the idle countdown. On a done screen this is the officer
   * staying: the sign-out countdown stops and their home screen shows.
   */
  touch(): void {
    if (this.machine.state === 'idle') return;
    const stayed = this.machine.fire('stay');
    if (stayed) {
      this.completed = null;
      this.plain = { kind: 'home', message: null };
    }
    const { timeoutSeconds, warningSeconds } = this.idle();
    // The screen changes when a warning or a done screen's countdown goes away: it is pushed.
    const shown = this.warning || stayed;
    this.stopTimers();
    this.deadline = this.clock.now().getTime() + timeoutSeconds * 1000;
    this.cancelTimers.push(
      this.scheduler.after(Math.max(0, timeoutSeconds - warningSeconds) * 1000, () => {
        this.warning = true;
        this.cancelTimers.push(repeat(this.scheduler, 1000, this.onTick));
        this.onTick();
      }),
      this.scheduler.after(timeoutSeconds * 1000, this.onTimeout),
    );
    if (shown) this.onTick();
  }

  /** Seconds until sign-out while the warning shows; null otherwise. */
  warningSecondsLeft(): number | null {
    return this.warning ? this.secondsLeft(this.idle().warningSeconds) : null;
  }

  /** Seconds until sign-out while the done screen counts down; null otherwise. */
  doneSecondsLeft(): number | null {
    return this.machine.state === 'done' ? this.secondsLeft(this.idle().doneSeconds) : null;
  }

  /** Whole seconds to the deadline, from the core's clock (the renderer never counts on its own). */
  private secondsLeft(most: number): number | null {
    if (this.deadline === null) return null;
    // Clamped: a timer may fire a millisecond early, which must not read as one second more.
    return Math.min(most, Math.max(0, Math.ceil((this.deadline - this.clock.now().getTime()) / 1000)));
  }

  stop(): void {
    this.stopTimers();
  }

  private clear(): void {
    this.stopTimers();
    this.card = null;
    this.officer = null;
    this.current = null;
    this.completed = null;
    this.plain = { kind: 'home', message: null };
  }

  private stopTimers(): void {
    for (const cancel of this.cancelTimers.splice(0)) cancel();
    this.deadline = null;
    this.warning = false;
  }
}
