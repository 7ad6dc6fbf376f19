import type { Journey, SessionScreen } from './journeys/journey.ts';
import type { Clock, Scheduler } from './ports.ts';
import { repeat } from './ports.ts';
import { defineTable, Machine } from './state-table.ts';

export const SESSION_TABLE = defineTable({
  name: 'session',
  initial: 'idle',
  states: ['idle', 'pin', 'signed-in', 'journey', 'signed-out'],
  events: ['card-tapped', 'pin-accepted', 'pin-refused', 'pin-cancelled', 'journey-started', 'journey-ended', 'sign-out', 'idle-timeout', 'reset'],
  final: [],
  transitions: {
    idle: { 'card-tapped': 'pin' },
    // Another card on the PIN pad replaces the first; a refused PIN stays on the pad.
    pin: { 'card-tapped': 'pin', 'pin-accepted': 'signed-in', 'pin-refused': 'pin', 'pin-cancelled': 'idle', 'idle-timeout': 'idle' },
    'signed-in': { 'journey-started': 'journey', 'sign-out': 'signed-out', 'idle-timeout': 'signed-out' },
    journey: { 'journey-ended': 'signed-in', 'sign-out': 'signed-out', 'idle-timeout': 'signed-out' },
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
}

/**
 * Who is at the screen: nobody (idle), a card waiting for its PIN, or a signed-in officer on a
 * plain screen or in a journey. Owns the idle countdown (through the Scheduler port): the
 * renderer only shows it.
 */
export class Session {
  private readonly machine = new Machine(SESSION_TABLE);
  private card: PinPad | null = null;
  private officer: number | null = null;
  private plain: SessionScreen = { kind: 'home', message: null };
  private current: Journey | null = null;
  private idleDeadline: number | null = null;
  private warning = false;
  private cancelTimers: (() => void)[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly idle: () => IdleTimes,
    /** Idle time ran out for a signed-in officer, or on the PIN pad. */
    private readonly onTimeout: () => void,
    /** The warning came up, or its countdown ticked. */
    private readonly onTick: () => void,
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

  /** The plain screen (when signed in with no journey). */
  get screen(): SessionScreen | null {
    return this.machine.state === 'signed-in' ? this.plain : null;
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

  endJourney(outcome: SessionScreen): void {
    if (!this.machine.fire('journey-ended')) return;
    this.current = null;
    this.plain = outcome;
  }

  /**
   * End the session (by request or idle time); the caller records it. Returns the officer who
   * was signed in and the journey they left, if any; null when nobody was.
   */
  signOut(event: 'sign-out' | 'idle-timeout'): { officerId: number; journey: Journey | null } | null {
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

  /** Restart the idle countdown: the person is still there. */
  touch(): void {
    if (this.machine.state === 'idle') return;
    const { timeoutSeconds, warningSeconds } = this.idle();
    const wasWarning = this.warning;
    this.stopTimers();
    this.idleDeadline = this.clock.now().getTime() + timeoutSeconds * 1000;
    this.cancelTimers.push(
      this.scheduler.after(Math.max(0, timeoutSeconds - warningSeconds) * 1000, () => {
        this.warning = true;
        this.cancelTimers.push(repeat(this.scheduler, 1000, this.onTick));
        this.onTick();
      }),
      this.scheduler.after(timeoutSeconds * 1000, this.onTimeout),
    );
    if (wasWarning) this.onTick();
  }

  /** Seconds until sign-out while the warning shows; null otherwise. */
  warningSecondsLeft(): number | null {
    if (!this.warning || this.idleDeadline === null) return null;
    // Clamped: a timer may fire a millisecond early, which must not read as one second more.
    return Math.min(this.idle().warningSeconds, Math.max(0, Math.ceil((this.idleDeadline - this.clock.now().getTime()) / 1000)));
  }

  stop(): void {
    this.stopTimers();
  }

  private clear(): void {
    this.stopTimers();
    this.card = null;
    this.officer = null;
    this.current = null;
    this.plain = { kind: 'home', message: null };
  }

  private stopTimers(): void {
    for (const cancel of this.cancelTimers.splice(0)) cancel();
    this.idleDeadline = null;
    this.warning = false;
  }
}
