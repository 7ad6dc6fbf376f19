import { describe, expect, it } from 'vitest';
import { COLLECT_TABLE } from '../../../main/core/journeys/collect.ts';
import { DRAW_TABLE } from '../../../main/core/journeys/draw.ts';
import { OVERRIDE_TABLE } from '../../../main/core/journeys/override.ts';
import { RETURN_TABLE } from '../../../main/core/journeys/return.ts';
import { SERVICE_OPENING_TABLE } from '../../../main/core/journeys/service-opening.ts';
import { SWAP_TABLE } from '../../../main/core/journeys/swap.ts';
import { SESSION_TABLE } from '../../../main/core/session.ts';
import { Machine, nextState, type StateTable } from '../../../main/core/state-table.ts';

const TABLES: StateTable<string, string>[] = [SESSION_TABLE, DRAW_TABLE, RETURN_TABLE, OVERRIDE_TABLE, SERVICE_OPENING_TABLE, SWAP_TABLE, COLLECT_TABLE];

/** Shortest event path from the initial state to every reachable state. */
function paths(table: StateTable<string, string>): Map<string, string[]> {
  const found = new Map<string, string[]>([[table.initial, []]]);
  const queue = [table.initial];
  while (queue.length > 0) {
    const state = queue.shift() as string;
    for (const event of table.events) {
      const next = nextState(table, state, event);
      if (next !== null && !found.has(next)) {
        found.set(next, [...(found.get(state) ?? []), event]);
        queue.push(next);
      }
    }
  }
  return found;
}

function canReach(table: StateTable<string, string>, from: string, goal: (state: string) => boolean): boolean {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length > 0) {
    const state = queue.shift() as string;
    if (goal(state)) return true;
    for (const event of table.events) {
      const next = nextState(table, state, event);
      if (next !== null && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}

describe.each(TABLES.map((table) => [table.name, table] as const))('the %s table', (_name, table) => {
  it('names only its own states and events, and uses every event somewhere', () => {
    const used = new Set<string>();
    for (const [state, row] of Object.entries(table.transitions)) {
      expect(table.states).toContain(state);
      for (const [event, next] of Object.entries(row ?? {})) {
        expect(table.events).toContain(event);
        expect(table.states).toContain(next);
        used.add(event);
      }
    }
    expect([...used].sort()).toEqual([...table.events].sort());
  });

  it('reaches every state from its start, and never traps a journey short of an end', () => {
    const reachable = paths(table);
    expect([...reachable.keys()].sort()).toEqual([...table.states].sort());
    // A journey can always finish; the session can always get back to idle.
    const end = table.final.length > 0 ? (s: string) => table.final.includes(s) : (s: string) => s === table.initial;
    for (const state of table.states) expect(canReach(table, state, end), `${state} can end`).toBe(true);
    for (const state of table.final) expect(table.transitions[state]).toBeUndefined();
  });

  it('moves on exactly the events its table allows, in every state, and on no other', () => {
    for (const [state, path] of paths(table)) {
      for (const event of table.events) {
        const machine = new Machine(table);
        for (const step of path) expect(machine.fire(step)).toBe(true);
        expect(machine.state).toBe(state);
        const next = nextState(table, state, event);
        expect(machine.fire(event), `${state} + ${event}`).toBe(next !== null);
        expect(machine.state).toBe(next ?? state);
        expect(machine.finished).toBe(table.final.includes(machine.state));
      }
    }
  });
});

describe('what the journeys promise', () => {
  const run = (table: StateTable<string, string>, events: string[]) => {
    const machine = new Machine(table);
    for (const event of events) machine.fire(event);
    return machine.state;
  };

  it('a swap releases the new device only after the deposit is settled', () => {
    // Nothing reaches the issue leg without "deposited" (the deposit door closed with the item in and its tag matched).
    for (const [state, path] of paths(SWAP_TABLE)) {
      if (state.startsWith('issue') || state === 'swapped') expect(path, state).toContain('deposited');
    }
    expect(run(SWAP_TABLE, ['deposit-opened', 'tag-mismatched', 'deposited'])).toBe('mismatch-open');
    expect(run(SWAP_TABLE, ['deposit-opened', 'tag-mismatched', 'deposit-refused'])).toBe('mismatch');
    expect(run(SWAP_TABLE, ['deposit-opened', 'tag-matched', 'deposited', 'issue-opened', 'issue-taken'])).toBe('swapped');
  });

  it('an override reaches a draw only through an armourer PIN and a reason', () => {
    expect(paths(OVERRIDE_TABLE).get('granted')).toEqual(['card-tapped', 'pin-accepted', 'confirmed']);
    expect(run(OVERRIDE_TABLE, ['card-tapped', 'not-allowed', 'confirmed'])).toBe('armourer-card');
  });

  it('a session signs in only from the PIN pad, and a journey starts only once signed in', () => {
    expect(run(SESSION_TABLE, ['pin-accepted'])).toBe('idle');
    expect(run(SESSION_TABLE, ['journey-started'])).toBe('idle');
    expect(run(SESSION_TABLE, ['card-tapped', 'journey-started'])).toBe('pin');
    expect(run(SESSION_TABLE, ['card-tapped', 'pin-accepted', 'journey-started', 'idle-timeout', 'reset'])).toBe('idle');
  });

  it('a session counts down to sign-out only on the done screen of a completed journey, and leaves it by a stay or a sign-out', () => {
    const completed = ['card-tapped', 'pin-accepted', 'journey-started', 'journey-completed'];
    expect(paths(SESSION_TABLE).get('done')).toEqual(completed);
    expect(run(SESSION_TABLE, [...completed, 'stay'])).toBe('signed-in');
    expect(run(SESSION_TABLE, [...completed, 'countdown-ended', 'reset'])).toBe('idle');
    // A journey started from the done screen has to stay first: the countdown never runs under a journey.
    expect(run(SESSION_TABLE, [...completed, 'journey-started'])).toBe('done');
    expect(run(SESSION_TABLE, ['card-tapped', 'pin-accepted', 'countdown-ended'])).toBe('signed-in');
    expect(run(SESSION_TABLE, ['card-tapped', 'pin-accepted', 'journey-started', 'countdown-ended'])).toBe('journey');
  });
});
