/** How a bridge reports itself; the composition root adds the id and label people see. */
export type LinkState = 'connecting' | 'online' | 'degraded' | 'offline';

export interface LinkHealth {
  state: LinkState;
  lastError: string | null;
}

/** A tiny listener set shared by the bridges so each event type is one line to declare. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();
  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  emit(value: T): void {
    for (const listener of this.set) listener(value);
  }
}
