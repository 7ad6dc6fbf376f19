import { Listeners, type LinkHealth } from '../../native-bridges/device-health.ts';
import type { ByteTransport } from '../../native-bridges/transport/byte-transport.ts';

export interface BackoffOptions {
  minDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Keeps a byte link open: opens it, and after a failure or an unplug opens it again with
 * exponential back-off, so a cable pulled out and put back heals without a restart.
 * Each fresh transport is handed to `onTransport`; the device on top builds a new
 * driver for it (drivers never outlive their transport).
 */
export class SupervisedLink {
  private readonly transports = new Listeners<ByteTransport>();
  private readonly healthListeners = new Listeners<LinkHealth>();
  private state: LinkHealth = { state: 'connecting', lastError: null };
  private current: ByteTransport | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly open: () => Promise<ByteTransport>,
    private readonly log: (line: string) => void,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  start(): void {
    void this.attempt();
  }

  get transport(): ByteTransport | null {
    return this.current;
  }

  onTransport(listener: (transport: ByteTransport) => void): () => void {
    return this.transports.add(listener);
  }

  health(): LinkHealth {
    return this.state;
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const transport = this.current;
    this.current = null;
    if (transport?.isOpen) await transport.close();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    let transport: ByteTransport;
    try {
      transport = await this.open();
    } catch (error) {
      this.failed(error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.stopped) {
      await transport.close();
      return;
    }
    this.current = transport;
    this.failures = 0;
    transport.onClose((error) => {
      if (this.current !== transport) return;
      this.current = null;
      if (!this.stopped) this.failed(error ? `${this.name} closed: ${error.message}` : `${this.name} closed`);
    });
    this.setHealth({ state: 'online', lastError: null });
    this.transports.emit(transport);
  }

  private failed(message: string): void {
    this.failures++;
    const delay = Math.min(this.backoff.maxDelayMs, this.backoff.minDelayMs * 2 ** (this.failures - 1));
    this.log(`${this.name}: ${message}; retrying in ${Math.round(delay / 100) / 10} s`);
    this.setHealth({ state: 'offline', lastError: message });
    this.timer = setTimeout(() => void this.attempt(), delay);
  }

  private setHealth(health: LinkHealth): void {
    this.state = health;
    this.healthListeners.emit(health);
  }
}
