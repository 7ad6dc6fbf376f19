import type { AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import { humanTime } from './dates.ts';
import { hashPin, verifyPin, type PinHash } from './pin.ts';
import type { Clock } from './ports.ts';

export interface LockoutPolicy {
  maxFailures: number;
  lockoutMinutes: number;
}

export type SignInResult =
  | { ok: true; officerId: number }
  | { ok: false; locked: boolean; message: string };

/** Every credential failure reads the same, so the terminal never says which part was wrong. */
export const SIGN_IN_FAILED = 'Card or PIN not accepted. Check your PIN and try again.';

/**
 * Card + PIN sign-in with lockout. Failures are counted per tapped card UID whether or
 * not the card is known, so an unknown card behaves exactly like a known one.
 */
export class Authenticator {
  private dummyHash: Promise<PinHash> | null = null;
  /** The last attempt queued for each card (see signIn). */
  private readonly attempts = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly policy: LockoutPolicy,
  ) {}

  /**
   * Attempts for one card run one at a time, in arrival order. Without this, parallel attempts
   * all pass the lock check before any slow hash finishes, and a later failure could rewrite
   * the row without the lock: a lockout that a script defeats by sending PINs side by side.
   */
  signIn(cardUid: string, pin: string): Promise<SignInResult> {
    const previous = this.attempts.get(cardUid) ?? Promise.resolve();
    const attempt = previous.then(() => this.evaluate(cardUid, pin));
    const settled = attempt.then(
      () => undefined,
      () => undefined,
    );
    this.attempts.set(cardUid, settled);
    void settled.then(() => {
      if (this.attempts.get(cardUid) === settled) this.attempts.delete(cardUid);
    });
    return attempt;
  }

  private async evaluate(cardUid: string, pin: string): Promise<SignInResult> {
    const lockedBefore = this.lockedUntil(cardUid);
    if (lockedBefore) return this.refuseLocked(cardUid, lockedBefore);
    const credential = this.db
      .prepare<[string], { officerId: number; hash: string; salt: string; params: string }>(
        `SELECT c.officer_id AS officerId, p.hash, p.salt, p.params
           FROM cards c JOIN pins p ON p.officer_id = c.officer_id
          WHERE c.uid = ? AND c.revoked_at IS NULL`,
      )
      .get(cardUid);
    // Hash even for an unknown card so the time taken does not tell cards apart.
    const matches = credential
      ? await verifyPin(pin, credential)
      : (await verifyPin(pin, await this.hashForUnknownCards()), false);
    // The decision and its write are one transaction, and the lock is read again inside it:
    // the hash took tens of milliseconds, and a lock set meanwhile (by another connection, or
    // an armourer's action) must hold.
    return this.db.transaction((): SignInResult => {
      const lockedNow = this.lockedUntil(cardUid);
      if (lockedNow) return this.refuseLocked(cardUid, lockedNow);
      if (credential && matches) {
        this.db.prepare('DELETE FROM sign_in_failures WHERE card_uid = ?').run(cardUid);
        this.audit.append({ actor: `officer:${credential.officerId}`, action: 'auth.signed-in', subject: `card:${cardUid}`, details: {} }, this.clock.now());
        return { ok: true, officerId: credential.officerId };
      }
      return this.fail(cardUid);
    }).immediate();
  }

  /** Counts one failure; called inside the attempt's transaction, with the card known not to be locked. */
  private fail(cardUid: string): SignInResult {
    const now = this.clock.now();
    const row = this.db
      .prepare<[string], { failures: number; last: string }>('SELECT failures, last_failure_at AS last FROM sign_in_failures WHERE card_uid = ?')
      .get(cardUid);
    // A failure long after the last one starts a new count.
    const stale = row && now.getTime() - Date.parse(row.last) > this.policy.lockoutMinutes * 60_000;
    const failures = (row && !stale ? row.failures : 0) + 1;
    if (failures >= this.policy.maxFailures) {
      const locked = new Date(now.getTime() + this.policy.lockoutMinutes * 60_000);
      this.db
        .prepare('INSERT OR REPLACE INTO sign_in_failures (card_uid, failures, last_failure_at, locked_until) VALUES (?, 0, ?, ?)')
        .run(cardUid, now.toISOString(), locked.toISOString());
      this.audit.append({ actor: 'system', action: 'auth.locked', subject: `card:${cardUid}`, details: { failures, lockedUntil: locked.toISOString() } }, now);
      return { ok: false, locked: true, message: lockedMessage(locked) };
    }
    this.db
      .prepare('INSERT OR REPLACE INTO sign_in_failures (card_uid, failures, last_failure_at, locked_until) VALUES (?, ?, ?, NULL)')
      .run(cardUid, failures, now.toISOString());
    this.audit.append({ actor: 'system', action: 'auth.failed', subject: `card:${cardUid}`, details: { failures } }, now);
    return { ok: false, locked: false, message: SIGN_IN_FAILED };
  }

  lockedUntil(cardUid: string): Date | null {
    const row = this.db
      .prepare<[string], { until: string | null }>('SELECT locked_until AS until FROM sign_in_failures WHERE card_uid = ?')
      .get(cardUid);
    if (!row?.until) return null;
    const until = new Date(row.until);
    return until.getTime() > this.clock.now().getTime() ? until : null;
  }

  private refuseLocked(cardUid: string, lockedUntil: Date): SignInResult {
    this.db.transaction(() => {
      this.audit.append({ actor: 'system', action: 'auth.refused-locked', subject: `card:${cardUid}`, details: { lockedUntil: lockedUntil.toISOString() } }, this.clock.now());
    }).immediate();
    return { ok: false, locked: true, message: lockedMessage(lockedUntil) };
  }

  private hashForUnknownCards(): Promise<PinHash> {
    this.dummyHash ??= hashPin('000000');
    return this.dummyHash;
  }
}

function lockedMessage(until: Date): string {
  return `Too many failed attempts: this card is locked until ${humanTime(until)}. An armourer can help.`;
}
