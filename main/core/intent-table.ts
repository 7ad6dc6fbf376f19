import type { DoorSensors } from './ports.ts';

/**
 * The door's contract: every state a door intent can be in, every event that can happen to
 * it, and what each (state, event) does. Live sensor readings and crash recovery at start-up
 * both go through this one table (they differ only in which events a reading means), and a
 * test walks every cell of it.
 *
 * An intent is the durable record of one door about to open for one item, written before the
 * unlock frame. Its direction says whether the item comes out of the locker (a draw, the new
 * device of a swap, IT collecting a retired device) or goes in (a return, the old device of a
 * swap). What happens to loans and assets is the effect's job, supplied per intent kind by the
 * journey that owns the kind (see IntentKindSpec in door-intents.ts).
 */

export const INTENT_KINDS = ['draw', 'return', 'swap-deposit', 'swap-issue', 'collect', 'stage', 'booking-collect', 'exhibit-deposit', 'exhibit-retrieve'] as const;
export type IntentKind = (typeof INTENT_KINDS)[number];

export type IntentDirection = 'in' | 'out';
export const INTENT_DIRECTION: Readonly<Record<IntentKind, IntentDirection>> = {
  draw: 'out',
  return: 'in',
  'swap-deposit': 'in',
  'swap-issue': 'out',
  collect: 'out',
  stage: 'in',
  'booking-collect': 'out',
  'exhibit-deposit': 'in',
  'exhibit-retrieve': 'out',
};

export const INTENT_STATES = ['pending', 'open', 'closed', 'completed', 'cancelled', 'failed'] as const;
export type IntentState = (typeof INTENT_STATES)[number];
/** States in which the intent still holds its door (a partial unique index keeps it to one per door). */
export const ACTIVE_INTENT_STATES: readonly IntentState[] = ['pending', 'open', 'closed'];

export const INTENT_EVENTS = [
  /** A status poll saw the door open. */
  'door-opened',
  /** The door reads closed and its item sensor sees the item. */
  'closed-with-item',
  /** The door reads closed and its item sensor sees no item. */
  'closed-empty',
  /** The door reads closed and it has no item sensor (a Modbus door strike). */
  'closed-unsensed',
  /** The unlock could not be sent, or the door never read open in time. */
  'unlock-unconfirmed',
  /** The officer said what condition the returned item is in. */
  'condition-given',
  /** The item's own tag was scanned and matched the intent's asset. */
  'tag-verified',
  /** The officer left (signed out, timed out, or the terminal restarted) with the item in the locker and the last step undone. */
  'abandoned',
  /** Found at start-up still pending, door closed, no item sensor: nothing tells what happened. */
  'crash-recovery',
] as const;
export type IntentEvent = (typeof INTENT_EVENTS)[number];

/**
 * What a transition does besides moving the state; the intent kind's spec implements it.
 * - opened: the door is open; nothing else changes yet.
 * - taken: (out) the item left the locker.
 * - left-inside: (out) the door shut with the item still there, or never opened.
 * - item-in: (in) the item is inside; the last step (condition, tag) is still to come.
 * - nothing-in: (in) the door shut without the item.
 * - settled: (in) the last step is done (condition given, or tag verified).
 * - unsettled: (in) the last step was never done.
 * - door-failed: the door never opened.
 */
export type IntentEffect = 'opened' | 'taken' | 'left-inside' | 'item-in' | 'nothing-in' | 'settled' | 'unsettled' | 'door-failed';

export interface IntentTransition {
  to: IntentState;
  effect: IntentEffect;
  /** The outcome recorded on the intent, from how the event was observed ("door closed", "found closed at start-up"). */
  outcome: (how: string) => string;
}

type Row = Partial<Record<IntentEvent, IntentTransition>>;
export type DirectionTable = Readonly<Partial<Record<IntentState, Row>>>;

const move = (to: IntentState, effect: IntentEffect, outcome: (how: string) => string): IntentTransition => ({ to, effect, outcome });
const as = (how: string) => how;

const OUT: DirectionTable = {
  pending: {
    'door-opened': move('open', 'opened', as),
    // The door opened and shut between two polls (or before a crash) and the item is gone.
    'closed-empty': move('completed', 'taken', (how) => `${how}: item taken`),
    'closed-with-item': move('cancelled', 'left-inside', (how) => `${how} with the item still inside`),
    'unlock-unconfirmed': move('failed', 'door-failed', as),
    'crash-recovery': move('failed', 'door-failed', () => 'found closed at start-up, never seen open, and the door has no item sensor: check it'),
  },
  open: {
    'closed-empty': move('completed', 'taken', (how) => `${how}: item taken`),
    'closed-with-item': move('cancelled', 'left-inside', (how) => `${how} with the item still inside`),
    // No item sensor: the door opened and shut, so the opening is taken as done.
    'closed-unsensed': move('completed', 'taken', (how) => `${how}: item taken (no item sensor)`),
  },
};

const IN: DirectionTable = {
  pending: {
    'door-opened': move('open', 'opened', as),
    'closed-with-item': move('closed', 'item-in', (how) => `${how} with the item inside`),
    'closed-empty': move('cancelled', 'nothing-in', (how) => `${how} without the item`),
    'unlock-unconfirmed': move('failed', 'door-failed', as),
    'crash-recovery': move('failed', 'door-failed', () => 'found closed at start-up, never seen open, and the door has no item sensor: check it'),
  },
  open: {
    'closed-with-item': move('closed', 'item-in', (how) => `${how} with the item inside`),
    'closed-empty': move('cancelled', 'nothing-in', (how) => `${how} without the item`),
    'closed-unsensed': move('closed', 'item-in', (how) => `${how} (no item sensor): item taken to be inside`),
  },
  closed: {
    'condition-given': move('completed', 'settled', as),
    'tag-verified': move('completed', 'settled', as),
    'abandoned': move('completed', 'unsettled', as),
  },
};

export const INTENT_TABLE: Readonly<Record<IntentDirection, DirectionTable>> = { out: OUT, in: IN };

/** The cell for (kind, state, event); undefined when that event cannot happen in that state. */
export function transitionFor(kind: IntentKind, state: IntentState, event: IntentEvent): IntentTransition | undefined {
  return INTENT_TABLE[INTENT_DIRECTION[kind]][state]?.[event];
}

/**
 * What a live poll means for an active intent, if anything. A pending intent whose door still
 * reads as before (closed, item where it was) is simply waiting for the door to open.
 */
export function liveEvent(kind: IntentKind, state: IntentState, door: DoorSensors): { event: IntentEvent; how: string } | null {
  if (door.open) return state === 'pending' ? { event: 'door-opened', how: 'door opened' } : null;
  if (state === 'pending') {
    // Still closed, but the item moved: the door opened and shut between two polls.
    const moved = INTENT_DIRECTION[kind] === 'out' ? door.itemPresent === false : door.itemPresent === true;
    if (!moved) return null;
    return { event: door.itemPresent ? 'closed-with-item' : 'closed-empty', how: 'door opened and closed between polls' };
  }
  if (state === 'open') return { event: closedEvent(door), how: 'door closed' };
  return null;
}

/**
 * What the first reading after a restart means for an intent a crash left active: the same
 * events as live, except that a closed door now settles a pending intent too (nobody is
 * waiting for it any more).
 */
export function startupEvent(state: IntentState, door: DoorSensors): { event: IntentEvent; how: string } | null {
  if (door.open) return state === 'pending' ? { event: 'door-opened', how: 'seen open at start-up' } : null;
  if (state === 'pending' && door.itemPresent === null) return { event: 'crash-recovery', how: 'found closed at start-up' };
  if (state === 'pending' || state === 'open') return { event: closedEvent(door), how: 'found closed at start-up' };
  return null;
}

function closedEvent(door: DoorSensors): IntentEvent {
  return door.itemPresent === null ? 'closed-unsensed' : door.itemPresent ? 'closed-with-item' : 'closed-empty';
}
