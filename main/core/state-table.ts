/**
 * A small typed state table: the states, the events, and which event moves which state to
 * which. Every journey and the session are one of these, so their behaviour can be read in
 * one place and walked cell by cell in a test. Chosen over XState: the tables here are flat
 * (no nesting, no parallel states, no actors), effects belong to the journey code that fires
 * the events, and timers must come from the Scheduler port rather than a library's own
 * clock; a plain table is all of that and nothing more.
 */
export interface StateTable<S extends string, E extends string> {
  readonly name: string;
  readonly initial: S;
  readonly states: readonly S[];
  readonly events: readonly E[];
  /** States the machine ends in; no event leaves them. */
  readonly final: readonly S[];
  readonly transitions: { readonly [K in S]?: { readonly [V in E]?: S } };
}

export function defineTable<S extends string, E extends string>(table: StateTable<S, E>): StateTable<S, E> {
  for (const state of table.final) {
    if (table.transitions[state]) throw new Error(`${table.name}: final state ${state} has transitions`);
  }
  return table;
}

/** The state `event` leads to from `state`, or null when the table does not allow it. */
export function nextState<S extends string, E extends string>(table: StateTable<S, E>, state: S, event: E): S | null {
  return table.transitions[state]?.[event] ?? null;
}

/**
 * A machine's current state, moved only through its table. `fire` answers false (and
 * changes nothing) for an event the table does not allow, so a stale request or a late
 * timer cannot put a journey somewhere it cannot be.
 */
export class Machine<S extends string, E extends string> {
  private current: S;

  /** `start`: where this run begins, when it is not the table's initial state (a step that does not apply is skipped). */
  constructor(
    readonly table: StateTable<S, E>,
    start: S = table.initial,
  ) {
    this.current = start;
  }

  get state(): S {
    return this.current;
  }

  get finished(): boolean {
    return this.table.final.includes(this.current);
  }

  can(event: E): boolean {
    return nextState(this.table, this.current, event) !== null;
  }

  fire(event: E): boolean {
    const next = nextState(this.table, this.current, event);
    if (next === null) return false;
    this.current = next;
    return true;
  }
}
