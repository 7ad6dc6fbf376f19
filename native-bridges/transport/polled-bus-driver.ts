import type { ByteTransport } from './byte-transport.ts';
import { IsolatedListeners } from './isolated-listeners.ts';
import { HealthTracker } from './link-health.ts';
import { Poller } from './poller.ts';
import { RequestBus, type BusFrameLogEntry, type RawFrame, type RequestBusOptions } from './request-bus.ts';

export interface PolledBusDriverOptions<F, Part> extends RequestBusOptions<F> {
  /** Idle time between poll cycles. */
  pollIntervalMs: number;
  /** The devices whose health is judged apart: one per board or slave on the bus. */
  healthParts: readonly Part[];
}

/**
 * What every driver of polled devices on a half-duplex serial line shares: the request bus,
 * the poll loop and the health of each device. A subclass adds only its protocol: how
 * commands are framed and which frame answers which request. Owns the transport: close()
 * closes it.
 */
export abstract class PolledBusDriver<F extends RawFrame, Part, Health> {
  protected readonly bus: RequestBus<F>;
  protected readonly health: HealthTracker<Part>;
  private readonly poller: Poller;
  private readonly healthListeners = new IsolatedListeners<Health>();

  protected constructor(transport: ByteTransport, options: PolledBusDriverOptions<F, Part>) {
    this.bus = new RequestBus(transport, options);
    this.health = new HealthTracker(options.healthParts, () => {
      // A transport already closed at construction reports before the subclass has its fields,
      // and nobody can be listening yet then.
      if (this.healthListeners.size > 0) this.healthListeners.emit(this.getHealth());
    });
    this.poller = new Poller({ reads: () => this.pollCycle(), intervalMs: options.pollIntervalMs, canPoll: () => !this.bus.isClosed });
    this.bus.onClose((reason) => {
      this.poller.stop();
      this.health.lost(reason);
    });
  }

  get isClosed(): boolean {
    return this.bus.isClosed;
  }

  abstract getHealth(): Health;

  /** The reads one poll cycle makes, in order. */
  protected abstract pollCycle(): readonly (() => Promise<unknown>)[];

  onHealth(listener: (health: Health) => void): () => void {
    return this.healthListeners.add(listener);
  }

  onFrame(listener: (entry: BusFrameLogEntry) => void): () => void {
    return this.bus.onFrame(listener);
  }

  startPolling(): void {
    this.poller.start();
  }

  stopPolling(): void {
    this.poller.stop();
  }

  /**
   * Polls every `intervalMs` for the next `forMs`, then at the normal interval again; a call
   * while a window is open extends it. Meant for right after an unlock, so a door opening is
   * seen within tens of milliseconds rather than a poll interval later.
   */
  pollFast(forMs: number, intervalMs: number): void {
    this.poller.pollFast(forMs, intervalMs);
  }

  /** Rejects the request in flight and every queued one, then closes the transport. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.poller.stop();
    await this.bus.close('driver closed');
  }
}
