import { Listeners, type LinkHealth } from '../device-health.ts';

/**
 * A card reader with no hardware behind it: demo mode and site acceptance tap cards
 * through it. It raises the same `card` event (an upper-case hex UID) the real PC/SC,
 * 125 kHz and keyboard-wedge readers raise, so nothing downstream can tell them apart.
 */
export class SimulatedCardReader {
  private readonly cards = new Listeners<string>();
  private readonly healthListeners = new Listeners<LinkHealth>();

  tap(uid: string): void {
    const normalised = uid.trim().toUpperCase();
    if (!/^[0-9A-F]{8,20}$/.test(normalised)) throw new RangeError(`card UID must be 8 to 20 hex digits, got "${uid}"`);
    this.cards.emit(normalised);
  }

  onCard(listener: (uid: string) => void): () => void {
    return this.cards.add(listener);
  }

  health(): LinkHealth {
    return { state: 'online', lastError: null };
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }
}
