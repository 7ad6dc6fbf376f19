import type { AuditAnchorView, AuditTrailStatus, ExportedFile } from '../../preload/contract.ts';
import type { AuditLog } from './audit.ts';
import { CHECKPOINT_FORMAT, checkpointMessage, type CheckpointReason, type SignedCheckpoint } from './audit-checkpoint.ts';
import type { IntegrityVerdict } from './audit-integrity.ts';
import type { Db } from './db/database.ts';
import type { Exceptions } from './exceptions.ts';
import type { CheckpointSink, Clock, IntegrityChecker, Scheduler, Signer } from './ports.ts';

/** When a checkpoint is signed, besides every sign-out and after the start-up check. */
export interface CheckpointPolicy {
  /** After this many rows since the last checkpoint. */
  everyRows: number;
  /** After this many minutes, if any row was written since the last checkpoint. */
  everyMinutes: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyRows: 500, everyMinutes: 15 };

export interface AuditAnchorOptions {
  signer: Signer;
  /** Read on every checkpoint, so a saved configuration takes effect at once. */
  terminalId: () => string;
  policy: () => CheckpointPolicy;
  /** Off the terminal; null where nothing is configured (the checkpoints are still kept in the database). */
  sink: CheckpointSink | null;
  checker: IntegrityChecker;
  log: (line: string) => void;
  /** Something the screen shows changed (the check finished). */
  changed: () => void;
}

/** What to tell the person at the screen, and the armourer who is called, when the check fails. */
export const AUDIT_FAILED_ADVICE =
  'The audit trail failed its integrity check, so nothing can be drawn or returned here. Call an armourer or site admin: they must not clear this until the audit log has been investigated (see "Audit anchoring" in the README).';

/**
 * Anchors the audit chain: signs checkpoints of its head (every N rows, every M minutes, at every
 * sign-out and once the start-up check has passed), keeps them in audit_checkpoints and sends each
 * off the terminal. At start-up it has the whole trail checked against its triggers and
 * checkpoints (in a worker thread) and, until that passes, draws and returns are refused.
 * Nothing is signed over a chain that has not passed the check, so a tampered log is never blessed.
 */
export class AuditAnchor {
  private readonly head;
  private readonly insert;
  private readonly latestStored;
  private status: AuditTrailStatus = { state: 'checking', message: 'The audit trail is being checked after start-up.', checkedAt: null };
  private lastSeq = 0;
  private pending: CheckpointReason | null = null;
  private cancelTimer: (() => void) | null = null;
  private stopped = false;
  /** The last checkpoint's hand-over to the sink (each waits for the one before, so they are queued in order). */
  private queued: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    audit: AuditLog,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly exceptions: Exceptions,
    private readonly options: AuditAnchorOptions,
  ) {
    this.head = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.insert = db.prepare('INSERT INTO audit_checkpoints (seq, head_hash, at, terminal_id, reason, key_fingerprint, signature) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.latestStored = db.prepare<[], { seq: number; at: string; reason: CheckpointReason }>('SELECT seq, at, reason FROM audit_checkpoints ORDER BY seq DESC, id DESC LIMIT 1');
    this.lastSeq = this.latestStored.get()?.seq ?? 0;
    // On the append path: one comparison per row, and at most one checkpoint queued for after the commit.
    audit.onAppend((seq, action) => {
      if (action === 'auth.signed-out') this.request('sign-out');
      else if (seq - this.lastSeq >= this.options.policy().everyRows) this.request('rows');
    });
  }

  /** Runs the start-up check; resolves with its verdict once the state is set (and the exception raised, if it failed). */
  async start(): Promise<IntegrityVerdict | null> {
    let verdict: IntegrityVerdict;
    try {
      verdict = await this.options.checker.check();
    } catch (error) {
      // A check that cannot run has not passed.
      const reason = `the check could not run: ${error instanceof Error ? error.message : String(error)}`;
      if (!this.stopped) this.fail(reason, null);
      return null;
    }
    if (this.stopped) return verdict;
    if (verdict.ok) {
      this.status = { state: 'verified', message: null, checkedAt: this.clock.now().toISOString() };
      this.options.log(`audit trail verified at start-up: ${verdict.chain.rows} rows, ${verdict.checkpoints} checkpoints`);
      this.checkpoint(this.pending ?? 'start-up');
      this.pending = null;
      this.armTimer();
    } else {
      this.fail(verdict.problems.join('; '), verdict);
    }
    this.options.changed();
    return verdict;
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** For the snapshot: the screen and status bar say so when the trail failed its check. */
  trailStatus(): AuditTrailStatus {
    return this.status;
  }

  /** Why draws and returns are refused now, or null. */
  blocked(): string | null {
    if (this.status.state === 'verified') return null;
    if (this.status.state === 'checking') return 'The audit trail is still being checked after start-up. Try again in a few seconds.';
    return AUDIT_FAILED_ADVICE;
  }

  /**
   * Sign a checkpoint of the chain's head now, if rows were written since the last one and the
   * trail has passed its check. One transaction: the head read and the checkpoint written together.
   */
  checkpoint(reason: CheckpointReason): SignedCheckpoint | null {
    if (this.stopped || this.status.state !== 'verified') return null;
    const { signer } = this.options;
    const checkpoint = this.db
      .transaction((): SignedCheckpoint | null => {
        const head = this.head.get();
        const last = this.latestStored.get()?.seq ?? 0;
        if (head === undefined || head.seq <= last) return null;
        const body = { terminalId: this.options.terminalId(), seq: head.seq, headHash: head.hash, at: this.clock.now().toISOString() };
        const signed: SignedCheckpoint = { format: CHECKPOINT_FORMAT, ...body, reason, keyFingerprint: signer.fingerprint, signature: signer.sign(checkpointMessage(body)) };
        this.insert.run(signed.seq, signed.headHash, signed.at, signed.terminalId, signed.reason, signed.keyFingerprint, signed.signature);
        return signed;
      })
      .immediate();
    if (checkpoint === null) return null;
    this.lastSeq = checkpoint.seq;
    const sink = this.options.sink;
    if (sink !== null) {
      this.queued = this.queued
        .then(() => sink.publish(checkpoint))
        .catch((error: unknown) => {
          // It stays in the database; the next checkpoint covers these rows too.
          this.options.log(`audit checkpoint at row ${checkpoint.seq} could not be queued to leave the terminal: ${error instanceof Error ? error.message : String(error)}`);
        });
    }
    return checkpoint;
  }

  /** Resolves once every checkpoint signed so far is queued in the sink (before the sink is closed). */
  whenQueued(): Promise<void> {
    return this.queued;
  }

  /** The console's audit anchoring panel. */
  view(): AuditAnchorView {
    const latest = this.latestStored.get() ?? null;
    const policy = this.options.policy();
    return {
      terminalId: this.options.terminalId(),
      publicKeyFingerprint: this.options.signer.fingerprint,
      publicKeyPem: this.options.signer.publicKeyPem,
      trail: this.status,
      latestCheckpoint: latest,
      headSeq: this.head.get()?.seq ?? 0,
      everyRows: policy.everyRows,
      everyMinutes: policy.everyMinutes,
    };
  }

  /** The latest checkpoint signed here, in full (what a continuity record carries); null before the first. */
  latestCheckpoint(): SignedCheckpoint | null {
    const row = this.db
      .prepare<[], Omit<SignedCheckpoint, 'format'>>(
        'SELECT seq, head_hash AS headHash, at, terminal_id AS terminalId, reason, key_fingerprint AS keyFingerprint, signature FROM audit_checkpoints ORDER BY seq DESC, id DESC LIMIT 1',
      )
      .get();
    return row ? { format: CHECKPOINT_FORMAT, ...row } : null;
  }

  /** The public key as a PEM file, for investigators to check exported checkpoints with. */
  exportPublicKey(): ExportedFile {
    const name = `${this.options.terminalId().replace(/[^A-Za-z0-9._-]/g, '_')}-audit-public-key.pem`;
    return { fileName: name, mimeType: 'application/x-pem-file', base64: Buffer.from(this.options.signer.publicKeyPem, 'utf8').toString('base64') };
  }

  private fail(reason: string, verdict: IntegrityVerdict | null): void {
    this.status = { state: 'failed', message: `${AUDIT_FAILED_ADVICE} What was found: ${reason}`, checkedAt: this.clock.now().toISOString() };
    this.options.log(`AUDIT TRAIL FAILED ITS START-UP CHECK; draws and returns are refused: ${reason}`);
    this.exceptions.raise('audit-check-failed', 'audit:trail', `The audit trail failed its start-up check: ${reason}`, {
      firstBrokenSeq: verdict?.firstBrokenSeq ?? null,
      problems: verdict?.problems ?? [reason],
    });
  }

  /** Queue one checkpoint for after the current transaction commits (a sign-out wins over a row count). */
  private request(reason: CheckpointReason): void {
    if (this.pending !== null) {
      if (reason === 'sign-out') this.pending = reason;
      return;
    }
    this.pending = reason;
    // Until the start-up check passes the request waits (start() signs once it has).
    if (this.status.state !== 'verified') return;
    this.scheduler.soon(() => {
      const why = this.pending;
      this.pending = null;
      if (why !== null) this.checkpoint(why);
    });
  }

  /** Every M minutes (read each time, so a saved policy takes effect at the next tick). */
  private armTimer(): void {
    if (this.stopped) return;
    this.cancelTimer = this.scheduler.after(this.options.policy().everyMinutes * 60_000, () => {
      this.checkpoint('interval');
      this.armTimer();
    });
  }
}
