/**
 * Listeners called from inside a driver's request handling. A throwing listener must not
 * wedge the request queue or skip the listeners after it, so each call is isolated and
 * its error is rethrown on its own microtask, where it still surfaces.
 */
export class IsolatedListeners<T> {
  private readonly listeners = new Set<(value: T) => void>();

  get size(): number {
    return this.listeners.size;
  }

  add(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
