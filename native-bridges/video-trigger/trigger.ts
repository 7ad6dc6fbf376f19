import { Listeners, type LinkHealth } from '../device-health.ts';
import { DeliveryError, type DeliveryErrorKind } from '../outbox/outbox.ts';

/**
 * One thing that happened at the counter that the video systems must mark. The app fans it out
 * to every trigger the room has (VMS bookmark, webhook, camera relay, body-worn-video relay).
 * A type rather than an interface so it counts as JSON, which the outbox carries.
 */
export type VideoEvent = {
  /** Idempotency key: stable across retries and restarts so far ends can de-duplicate. */
  id: string;
  /** evidence-lock: preserve the footage around an exhibit's deposit, retrieval or transfer (the asset is the exhibit). */
  kind: 'ISSUE' | 'RETURN' | 'DOOR' | 'evidence-lock';
  terminal: string;
  asset: string;
  officer: string;
  camera: string;
  /** ISO 8601 time the event happened at the counter (not the time it was delivered). */
  at: string;
};

export const VIDEO_EVENT_KINDS: readonly VideoEvent['kind'][] = ['ISSUE', 'RETURN', 'DOOR', 'evidence-lock'];

/** The outbox's kinds (see DeliveryErrorKind), since the outbox is what acts on them. */
export type TriggerErrorKind = DeliveryErrorKind;

/** A DeliveryError, so that the outbox retries or gives up on a trigger's failure by its kind. */
export class TriggerError extends DeliveryError {
  constructor(kind: TriggerErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(kind, message, options);
    this.name = 'TriggerError';
  }
}

export interface VideoTrigger {
  /** Unique per configured target; the outbox keys delivery state by it, so keep it stable across restarts. */
  readonly name: string;
  /** Resolves when the far end accepted the event; rejects with a TriggerError. One attempt, no retries: the outbox retries. */
  send(event: VideoEvent): Promise<void>;
  health(): LinkHealth;
  onHealth(listener: (health: LinkHealth) => void): () => void;
  close(): Promise<void>;
}

/**
 * Fails fast on malformed events, so a bad one is refused at enqueue rather than discovered
 * by a retry loop. Throws TriggerError 'rejected': no far end would accept it either.
 */
export function assertVideoEvent(value: VideoEvent): void {
  for (const key of ['id', 'terminal', 'asset', 'officer', 'camera', 'at'] as const) {
    if (typeof value[key] !== 'string') throw new TriggerError('rejected', `video event ${key} must be a string`);
  }
  if (value.id.length === 0 || value.id.length > 200) throw new TriggerError('rejected', 'video event id must be 1..200 characters');
  if (!VIDEO_EVENT_KINDS.includes(value.kind)) throw new TriggerError('rejected', `video event kind must be ISSUE, RETURN, DOOR or evidence-lock, got ${String(value.kind)}`);
  if (Number.isNaN(Date.parse(value.at))) throw new TriggerError('rejected', `video event at must be an ISO time, got ${value.at}`);
}

/**
 * Health shared by the triggers. Nothing is polled (most far ends are only contacted when
 * something happens), so health follows the outcome of the last send: unreachable means the
 * link is down, any other failure means it is up but not working as configured.
 */
export class TriggerHealth {
  private current: LinkHealth = { state: 'connecting', lastError: null };
  private readonly listeners = new Listeners<LinkHealth>();

  get(): LinkHealth {
    return { ...this.current };
  }

  on(listener: (health: LinkHealth) => void): () => void {
    return this.listeners.add(listener);
  }

  succeeded(): void {
    this.set({ state: 'online', lastError: null });
  }

  /** Accepted, but with a warning worth showing (say, the VMS matched no rule). */
  warn(message: string): void {
    this.set({ state: 'degraded', lastError: message });
  }

  failed(error: TriggerError): void {
    this.set({ state: error.kind === 'unreachable' ? 'offline' : 'degraded', lastError: error.message });
  }

  closed(): void {
    this.set({ state: 'offline', lastError: 'closed' });
  }

  private set(next: LinkHealth): void {
    if (next.state === this.current.state && next.lastError === this.current.lastError) return;
    this.current = next;
    this.listeners.emit({ ...next });
  }
}
