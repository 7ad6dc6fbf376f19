import { join } from 'node:path';
import { AppendFile } from '../../native-bridges/outbox/durable-file.ts';
import { DeliveryError, Outbox, type BackoffOptions, type OutboxMessage, type OutboxTarget } from '../../native-bridges/outbox/outbox.ts';
import { SignedWebhook } from '../../native-bridges/video-trigger/webhook.ts';
import type { SignedCheckpoint } from '../core/audit-checkpoint.ts';
import type { CheckpointSink } from '../core/ports.ts';
import { SECRET_MASK, type TerminalConfig } from '../config/terminal-config.ts';
import type { SqliteOutboxStore } from './sqlite-outbox-store.ts';

/**
 * Audit checkpoints leave the terminal through the generic durable outbox, as video events and
 * the C2 feed do: queued (fdatasync'd) before publish() resolves, then delivered with retries to
 * a webhook and to a JSON-lines file in a folder meant to be on another volume. Each message
 * carries the exact JSON line, so a retry (even after a restart) sends the same bytes.
 */

export type AuditAnchorConfig = TerminalConfig['auditAnchor'];

const CHECKPOINT_TOPIC = 'audit-checkpoint';

/** The exported file in the configured folder: one per terminal, so several can share a volume. */
export function checkpointsFile(directory: string, terminalId: string): string {
  return join(directory, `audit-checkpoints-${terminalId}.jsonl`);
}

/** One checkpoint as its exported line (the fields in a fixed order). */
export function checkpointLine(c: SignedCheckpoint): string {
  const { format, terminalId, seq, headHash, at, reason, keyFingerprint, signature } = c;
  return JSON.stringify({ format, terminalId, seq, headHash, at, reason, keyFingerprint, signature });
}

/**
 * Appends each checkpoint's line to the file and fdatasyncs it. A folder that is not there (the
 * other volume unmounted) is "unreachable", so the outbox retries until it is back. After a crash
 * between the append and the outbox recording it the line is appended again: readers take a
 * repeated line as one checkpoint.
 */
export class CheckpointFileTarget implements OutboxTarget<string> {
  readonly name = 'audit-checkpoint-file';
  private file: AppendFile | null = null;

  constructor(
    private readonly directory: string,
    private readonly terminalId: string,
  ) {}

  get path(): string {
    return checkpointsFile(this.directory, this.terminalId);
  }

  async send(message: OutboxMessage<string>): Promise<void> {
    if (message.topic !== CHECKPOINT_TOPIC) throw new DeliveryError('rejected', `outbox message ${message.id} is not an audit checkpoint`);
    try {
      this.file ??= await AppendFile.open(this.path, { mode: 0o640 });
      await this.file.appendLine(message.payload);
    } catch (error) {
      // Reopened on the next attempt: the volume may have gone and come back.
      const file = this.file;
      this.file = null;
      await file?.close().catch(() => undefined);
      throw new DeliveryError('unreachable', `audit checkpoint file ${this.path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = null;
  }
}

/** POSTs each checkpoint's line, signed like the video and C2 webhooks (HMAC-SHA256 over the body), with its idempotency key. */
export class CheckpointWebhookTarget implements OutboxTarget<string> {
  readonly name = 'audit-checkpoint-webhook';
  private readonly link: SignedWebhook;

  constructor(options: { url: string; secret: string; timeoutMs?: number }) {
    if (options.secret === SECRET_MASK) throw new RangeError('audit checkpoint webhook secret is still masked; enter the shared secret again');
    this.link = new SignedWebhook({ url: options.url, secret: options.secret, timeoutMs: options.timeoutMs ?? 10_000, label: 'audit checkpoint webhook' });
  }

  async send(message: OutboxMessage<string>): Promise<void> {
    if (message.topic !== CHECKPOINT_TOPIC) throw new DeliveryError('rejected', `outbox message ${message.id} is not an audit checkpoint`);
    await this.link.post(message.id, message.payload);
  }

  health() {
    return this.link.health();
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

export interface CheckpointOutbox extends CheckpointSink {
  /** Resolves once every queued checkpoint has been delivered (tests, orderly shutdown). */
  whenDelivered(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The sink for the configured targets, or null when none is configured (checkpoints then stay in
 * the database only, and the README says what that leaves open). The outbox is in the terminal's
 * database; `legacyDir` is where an earlier release kept it as a file.
 */
export async function openCheckpointOutbox(
  config: AuditAnchorConfig,
  options: { terminalId: string; store: SqliteOutboxStore; legacyDir: string; log: (line: string) => void; backoff?: BackoffOptions },
): Promise<CheckpointOutbox | null> {
  const targets: (CheckpointFileTarget | CheckpointWebhookTarget)[] = [];
  if (config.directory !== null) targets.push(new CheckpointFileTarget(config.directory, options.terminalId));
  if (config.webhook !== null) {
    try {
      targets.push(new CheckpointWebhookTarget(config.webhook));
    } catch (error) {
      // A bad webhook must not stop the file copy (or the kiosk).
      options.log(`audit checkpoints: webhook not started: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (targets.length === 0) return null;
  const moved = await options.store.adoptFile(options.legacyDir);
  if (moved > 0) options.log(`audit checkpoints: ${moved} still owed moved from the outbox file into the database`);
  const outbox = await Outbox.open<string>({ store: options.store, targets, backoff: options.backoff ?? { minMs: 1000, maxMs: 60_000 } });
  outbox.onDeliveryFailure((failure) => {
    if (failure.permanent || failure.attempts === 1 || failure.attempts % 10 === 0) {
      options.log(`audit checkpoint ${failure.message.id} to ${failure.target}: attempt ${failure.attempts} failed (${failure.permanent ? 'refused, not retried' : 'retrying'}): ${failure.error.message}`);
    }
  });
  outbox.onStoreError((error) => options.log(`audit checkpoint outbox: ${error.message}`));
  return {
    publish: (c) => outbox.enqueue({ id: `${c.terminalId}:audit-checkpoint:${c.seq}`, topic: CHECKPOINT_TOPIC, at: c.at, payload: checkpointLine(c) }),
    whenDelivered: () => outbox.whenIdle(),
    async close() {
      // The webhook first: it aborts an attempt stuck on a dead receiver, which the outbox would otherwise wait out.
      for (const target of targets) if (target instanceof CheckpointWebhookTarget) await target.close();
      await outbox.close();
      for (const target of targets) if (target instanceof CheckpointFileTarget) await target.close();
    },
  };
}
