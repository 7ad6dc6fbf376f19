import { randomInt } from 'node:crypto';
import type { OfficerAdminView, Result, SetupView } from '../../preload/contract.ts';
import type { AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import { hashPin, pinWeakness, verifyPin, type PinHash } from './pin.ts';
import type { Clock } from './ports.ts';

/** One officer as the people screen shows them (see OfficerAdminView). */
const OFFICER_SELECT = `SELECT o.id, o.collar_number AS collar, o.display_name AS name, o.status, o.unit, o.left_on AS leftOn,
       (SELECT group_concat(role, ',') FROM officer_roles r WHERE r.officer_id = o.id) AS roles,
       (SELECT group_concat(uid, ',') FROM cards c WHERE c.officer_id = o.id AND c.revoked_at IS NULL) AS cards,
       EXISTS (SELECT 1 FROM pins p WHERE p.officer_id = o.id) AS hasPin
  FROM officers o`;

/** Twelve digits: typed on the on-screen keypad, and 10^12 guesses with five tries per code. */
const SETUP_CODE_DIGITS = 12;
/** Wrong setup codes before that code is void; a restart prints a new one. */
export const SETUP_CODE_TRIES = 5;

/** Where the setup code can be read: never on the screen, which passers-by see. */
export interface SetupCodeSink {
  /** Publish a new code (the terminal's console and a file only the kiosk user and root can read). */
  announce(code: string): void;
  /** Said on screen so the admin knows where to look. */
  readonly whereToFind: string;
}

type Refusal = Extract<Result<never>, { ok: false }>;
const refuse = (kind: Refusal['error']['kind'], message: string): Refusal => ({ ok: false, error: { kind, message } });

/** Collar numbers as HR and the terminal both write them: "pc 1234" and "PC  1234" are "PC 1234". */
export const normalCollar = (collar: string): string => collar.trim().replace(/\s+/g, ' ').toUpperCase();

/** Card UIDs as readers report them: hex, upper case, no separators. */
export const normalCardUid = (uid: string): string => uid.trim().replace(/[\s:-]/g, '').toUpperCase();
export const CARD_UID = /^[0-9A-F]{8,20}$/;

/**
 * A live terminal from nothing to a working site: the first site admin (let in by a one-time
 * setup code), cards enrolled by tapping them, PINs chosen by their officers at first sign-in
 * and reset by armourers. Until a site admin can sign in, the terminal is in setup.
 */
export class Commissioning {
  /** The next card tapped outside a session goes to this officer (setup, or a site admin enrolling). */
  private enrolment: { officerId: number; by: number | null; refused: string | null } | null = null;
  /** Setup-code attempts run one at a time, for the same reason PIN attempts do (see auth.ts). */
  private codeQueue: Promise<unknown> = Promise.resolve();
  private readonly sql;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    /** Demo sites come with their people; only a live terminal is ever in setup. */
    private readonly live: boolean,
    private readonly sink: SetupCodeSink | null,
  ) {
    this.sql = {
      // A site admin who can sign in: an active officer with an enrolled card and a PIN.
      usableAdmin: db.prepare<[], { id: number }>(
        `SELECT o.id FROM officers o JOIN officer_roles r ON r.officer_id = o.id AND r.role = 'admin'
          WHERE o.status = 'active' AND o.left_on IS NULL
            AND EXISTS (SELECT 1 FROM pins p WHERE p.officer_id = o.id)
            AND EXISTS (SELECT 1 FROM cards c WHERE c.officer_id = o.id AND c.revoked_at IS NULL) LIMIT 1`,
      ),
      // The admin setup created, still without a card or PIN.
      pendingAdmin: db.prepare<[], { id: number; collar: string; name: string; hasCard: number }>(
        `SELECT o.id, o.collar_number AS collar, o.display_name AS name,
                EXISTS (SELECT 1 FROM cards c WHERE c.officer_id = o.id AND c.revoked_at IS NULL) AS hasCard
           FROM officers o JOIN officer_roles r ON r.officer_id = o.id AND r.role = 'admin'
          WHERE o.status = 'active' AND o.left_on IS NULL ORDER BY o.id LIMIT 1`,
      ),
      code: db.prepare<[], PinHash & { failures: number; usedAt: string | null }>('SELECT hash, salt, params, failures, used_at AS usedAt FROM setup_codes WHERE id = 1'),
      saveCode: db.prepare<[string, string, string, string]>(
        'INSERT OR REPLACE INTO setup_codes (id, hash, salt, params, issued_at, failures, used_at) VALUES (1, ?, ?, ?, ?, 0, NULL)',
      ),
      codeFailed: db.prepare<[]>('UPDATE setup_codes SET failures = failures + 1 WHERE id = 1'),
      codeUsed: db.prepare<[string]>('UPDATE setup_codes SET used_at = ? WHERE id = 1'),
      officerByCollar: db.prepare<[string], { id: number }>('SELECT id FROM officers WHERE collar_number = ?'),
      officer: db.prepare<[number], { id: number; collar: string; name: string; status: string; leftOn: string | null }>(
        'SELECT id, collar_number AS collar, display_name AS name, status, left_on AS leftOn FROM officers WHERE id = ?',
      ),
      insertOfficer: db.prepare<[string, string, string]>("INSERT INTO officers (collar_number, display_name, status, created_at) VALUES (?, ?, 'active', ?)"),
      addRole: db.prepare<[number, string]>('INSERT OR IGNORE INTO officer_roles (officer_id, role) VALUES (?, ?)'),
      card: db.prepare<[string], { officerId: number; revokedAt: string | null; collar: string }>(
        'SELECT c.officer_id AS officerId, c.revoked_at AS revokedAt, o.collar_number AS collar FROM cards c JOIN officers o ON o.id = c.officer_id WHERE c.uid = ?',
      ),
      enrolCard: db.prepare<[string, number, string]>(
        `INSERT INTO cards (uid, officer_id, issued_at) VALUES (?, ?, ?)
         ON CONFLICT (uid) DO UPDATE SET officer_id = excluded.officer_id, issued_at = excluded.issued_at, revoked_at = NULL`,
      ),
      revokeCard: db.prepare<[string, string]>('UPDATE cards SET revoked_at = ? WHERE uid = ? AND revoked_at IS NULL'),
      cardOfficerWithoutPin: db.prepare<[string], { officerId: number }>(
        `SELECT c.officer_id AS officerId FROM cards c JOIN officers o ON o.id = c.officer_id
          WHERE c.uid = ? AND c.revoked_at IS NULL AND o.left_on IS NULL
            AND NOT EXISTS (SELECT 1 FROM pins p WHERE p.officer_id = c.officer_id)`,
      ),
      insertPin: db.prepare<[number, string, string, string, string]>('INSERT INTO pins (officer_id, hash, salt, params, updated_at) VALUES (?, ?, ?, ?, ?)'),
      deletePin: db.prepare<[number]>('DELETE FROM pins WHERE officer_id = ?'),
      search: db.prepare<[string, string, number], OfficerRow>(
        `${OFFICER_SELECT}
          WHERE o.collar_number LIKE ? ESCAPE '\\' OR o.display_name LIKE ? ESCAPE '\\'
          ORDER BY o.left_on IS NOT NULL, o.collar_number LIMIT ?`,
      ),
      byId: db.prepare<[number], OfficerRow>(`${OFFICER_SELECT} WHERE o.id = ?`),
    };
  }

  /** True until a site admin can sign in on a live terminal. */
  needsSetup(): boolean {
    return this.live && this.sql.usableAdmin.get() === undefined;
  }

  /** What the idle screen shows while in setup; null once commissioned. */
  setupView(): SetupView | null {
    if (!this.needsSetup()) return null;
    const pending = this.sql.pendingAdmin.get();
    const where = this.sink?.whereToFind ?? "the terminal's console";
    if (this.enrolment && this.enrolment.by === null && pending && this.enrolment.officerId === pending.id) return { step: 'card', admin: `${pending.collar} ${pending.name}`, codeLocation: where };
    if (pending?.hasCard) return { step: 'pin', admin: `${pending.collar} ${pending.name}`, codeLocation: where };
    return { step: 'code', admin: null, codeLocation: where };
  }

  /** At start-up on a terminal in setup: a fresh one-time code (any earlier one is void). */
  async issueSetupCode(): Promise<void> {
    if (!this.needsSetup() || !this.sink) return;
    const code = Array.from({ length: SETUP_CODE_DIGITS }, () => String(randomInt(10))).join('');
    const hashed = await hashPin(code);
    const now = this.clock.now();
    this.db.transaction(() => {
      this.sql.saveCode.run(hashed.hash, hashed.salt, hashed.params, now.toISOString());
      this.audit.append({ actor: 'system', action: 'setup.code-issued', subject: 'terminal', details: {} }, now);
    }).immediate();
    this.sink.announce(`${code.slice(0, 4)} ${code.slice(4, 8)} ${code.slice(8)}`);
  }

  /** The setup code and who the first site admin is; their card is the next one tapped. */
  submitSetupCode(input: { code: string; collarNumber: string; name: string }): Promise<Result<null>> {
    const attempt = this.codeQueue.then(() => this.checkSetupCode(input));
    this.codeQueue = attempt.catch(() => undefined);
    return attempt;
  }

  private async checkSetupCode(input: { code: string; collarNumber: string; name: string }): Promise<Result<null>> {
    if (!this.needsSetup()) return refuse('wrong-state', 'This terminal is already commissioned: a site admin signs in with their card.');
    const stored = this.sql.code.get();
    const restart = 'Restart the terminal to get a new code; it is printed on its console.';
    if (!stored || stored.usedAt !== null || stored.failures >= SETUP_CODE_TRIES) return refuse('forbidden', `There is no setup code waiting. ${restart}`);
    const code = input.code.replace(/[\s-]/g, '');
    const matches = /^[0-9]+$/.test(code) && (await verifyPin(code, stored));
    const now = this.clock.now();
    return this.db.transaction((): Result<null> => {
      // Read again after the slow hash: another attempt may have used or voided the code.
      const current = this.sql.code.get();
      if (!current || current.usedAt !== null || current.failures >= SETUP_CODE_TRIES || current.hash !== stored.hash) return refuse('forbidden', `There is no setup code waiting. ${restart}`);
      if (!matches) {
        this.sql.codeFailed.run();
        const left = SETUP_CODE_TRIES - current.failures - 1;
        this.audit.append({ actor: 'system', action: 'setup.code-refused', subject: 'terminal', details: { triesLeft: left } }, now);
        return refuse('auth-failed', left > 0 ? `That is not the setup code. ${left} ${left === 1 ? 'try' : 'tries'} left.` : `That was the last try: the code is void. ${restart}`);
      }
      const collar = normalCollar(input.collarNumber);
      const name = input.name.trim().replace(/\s+/g, ' ');
      const existing = this.sql.officerByCollar.get(collar);
      const officerId = existing?.id ?? Number(this.sql.insertOfficer.run(collar, name, now.toISOString()).lastInsertRowid);
      this.sql.addRole.run(officerId, 'admin');
      this.sql.addRole.run(officerId, 'officer');
      this.sql.codeUsed.run(now.toISOString());
      this.audit.append({ actor: 'system', action: 'setup.first-admin', subject: `officer:${officerId}`, details: { collarNumber: collar, name } }, now);
      this.enrolment = { officerId, by: null, refused: null };
      return { ok: true, value: null };
    }).immediate();
  }

  /** A site admin arms the reader: the next card tapped is this officer's. */
  startEnrolment(officerId: number, by: number): Result<null> {
    const officer = this.sql.officer.get(officerId);
    if (!officer) return refuse('not-found', `There is no officer ${officerId}.`);
    if (officer.leftOn) return refuse('conflict', `${officer.collar} ${officer.name} has left; a card cannot be enrolled to them.`);
    this.enrolment = { officerId, by, refused: null };
    return { ok: true, value: null };
  }

  cancelEnrolment(): void {
    this.enrolment = null;
  }

  /** Who the next tapped card will be enrolled to, if anyone, and why the last card tapped was refused. */
  enrolling(signedIn: number | null): { officerId: number; label: string; message: string | null } | null {
    if (!this.enrolment || this.enrolment.by !== signedIn) return null;
    const officer = this.sql.officer.get(this.enrolment.officerId);
    return officer ? { officerId: officer.id, label: `${officer.collar} ${officer.name}`, message: this.enrolment.refused } : null;
  }

  /**
   * A card tapped while enrolment is armed: enrolled, unless it belongs to someone else. Null
   * when nothing was armed (the tap is an ordinary sign-in); otherwise what happened, in words.
   */
  enrolTappedCard(rawUid: string, signedIn: number | null): { ok: boolean; message: string; officerId: number } | null {
    const enrolment = this.enrolment;
    if (!enrolment) return null;
    // Armed by a site admin who has since signed out (or setup's, with someone now signed in): void.
    if (enrolment.by !== signedIn) {
      this.enrolment = null;
      return null;
    }
    const uid = normalCardUid(rawUid);
    const now = this.clock.now();
    return this.db.transaction(() => {
      const officer = this.sql.officer.get(enrolment.officerId);
      if (!officer) return { ok: false, message: 'That officer is no longer on the terminal.', officerId: enrolment.officerId };
      const card = this.sql.card.get(uid);
      if (card && card.revokedAt === null && card.officerId !== officer.id) {
        this.audit.append(
          { actor: enrolment.by === null ? 'system' : `officer:${enrolment.by}`, action: 'card.enrolment-refused', subject: `card:${uid}`, details: { officer: officer.collar, holder: card.collar } },
          now,
        );
        const message = `Card ${uid} is already enrolled to ${card.collar}. Revoke it there first, or tap another card.`;
        enrolment.refused = message;
        return { ok: false, message, officerId: officer.id };
      }
      this.enrolment = null;
      if (card && card.revokedAt === null) return { ok: true, message: `Card ${uid} was already ${officer.collar}'s.`, officerId: officer.id };
      this.sql.enrolCard.run(uid, officer.id, now.toISOString());
      this.audit.append({ actor: enrolment.by === null ? 'system' : `officer:${enrolment.by}`, action: 'card.enrolled', subject: `card:${uid}`, details: { officer: officer.collar } }, now);
      return { ok: true, message: `Card ${uid} is now ${officer.collar} ${officer.name}'s.`, officerId: officer.id };
    }).immediate();
  }

  revokeCard(rawUid: string, by: number): Result<{ officerId: number }> {
    const uid = normalCardUid(rawUid);
    const now = this.clock.now();
    return this.db.transaction((): Result<{ officerId: number }> => {
      const card = this.sql.card.get(uid);
      if (!card || card.revokedAt !== null) return refuse('not-found', `Card ${uid} is not enrolled.`);
      if (this.wouldLeaveNoAdmin(() => this.sql.revokeCard.run(now.toISOString(), uid))) return refuse('conflict', LAST_ADMIN);
      this.audit.append({ actor: `officer:${by}`, action: 'card.revoked', subject: `card:${uid}`, details: { officer: card.collar } }, now);
      return { ok: true, value: { officerId: card.officerId } };
    }).immediate();
  }

  /** The card is enrolled to someone who has no PIN yet: the PIN pad asks them to choose one. */
  cardNeedsPin(rawUid: string): boolean {
    return this.sql.cardOfficerWithoutPin.get(normalCardUid(rawUid)) !== undefined;
  }

  /**
   * The first PIN for the officer whose card this is. Checked and written in one transaction:
   * two choices sent at once set one PIN, and a PIN that exists is never replaced this way.
   */
  async choosePin(rawUid: string, pin: string): Promise<Result<{ officerId: number }>> {
    const weakness = pinWeakness(pin);
    if (weakness) return refuse('invalid-request', weakness);
    const uid = normalCardUid(rawUid);
    if (!this.sql.cardOfficerWithoutPin.get(uid)) return refuse('wrong-state', 'This card already has a PIN: enter it, or ask an armourer to reset it.');
    const hashed = await hashPin(pin);
    const now = this.clock.now();
    return this.db.transaction((): Result<{ officerId: number }> => {
      const holder = this.sql.cardOfficerWithoutPin.get(uid);
      if (!holder) return refuse('wrong-state', 'This card already has a PIN: enter it, or ask an armourer to reset it.');
      this.sql.insertPin.run(holder.officerId, hashed.hash, hashed.salt, hashed.params, now.toISOString());
      this.audit.append({ actor: `officer:${holder.officerId}`, action: 'auth.pin-chosen', subject: `officer:${holder.officerId}`, details: {} }, now);
      this.audit.append({ actor: `officer:${holder.officerId}`, action: 'auth.signed-in', subject: `card:${uid}`, details: {} }, now);
      return { ok: true, value: { officerId: holder.officerId } };
    }).immediate();
  }

  /** An armourer clears an officer's PIN: they choose a new one at their next sign-in. */
  resetPin(officerId: number, by: number): Result<null> {
    const now = this.clock.now();
    return this.db.transaction((): Result<null> => {
      const officer = this.sql.officer.get(officerId);
      if (!officer) return refuse('not-found', `There is no officer ${officerId}.`);
      if (officerId === by) return refuse('forbidden', 'Another armourer resets your PIN: nobody resets their own.');
      if (this.sql.deletePin.run(officerId).changes === 0) return refuse('conflict', `${officer.collar} ${officer.name} has no PIN yet: they choose one at their first sign-in.`);
      this.audit.append({ actor: `officer:${by}`, action: 'auth.pin-reset', subject: `officer:${officerId}`, details: { officer: officer.collar } }, now);
      return { ok: true, value: null };
    }).immediate();
  }

  /** Officers by collar number or name, for the people screen. */
  officers(query: string, limit = 50): OfficerAdminView[] {
    const like = `%${query.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.sql.search.all(like, like, limit).map(officerView);
  }

  officer(id: number): OfficerAdminView | null {
    const row = this.sql.byId.get(id);
    return row ? officerView(row) : null;
  }

  /**
   * Run `change` inside the caller's transaction and say whether it would leave no site admin
   * able to sign in on a commissioned terminal; if so it is rolled back.
   */
  wouldLeaveNoAdmin(change: () => void): boolean {
    if (!this.live || this.needsSetup()) {
      change();
      return false;
    }
    const savepoint = this.db.transaction(() => {
      change();
      if (this.sql.usableAdmin.get() === undefined) throw new LastAdminError();
    });
    try {
      savepoint();
      return false;
    } catch (error) {
      if (error instanceof LastAdminError) return true;
      throw error;
    }
  }
}

export const LAST_ADMIN = 'That would leave no site admin able to sign in. Enrol another site admin first.';

class LastAdminError extends Error {}

function officerView(row: OfficerRow): OfficerAdminView {
  return {
    id: row.id,
    collarNumber: row.collar,
    name: row.name,
    status: row.leftOn ? 'left' : (row.status as OfficerAdminView['status']),
    unit: row.unit,
    roles: (row.roles ?? '').split(',').filter((r) => r.length > 0).sort(),
    cards: (row.cards ?? '').split(',').filter((c) => c.length > 0).sort(),
    hasPin: row.hasPin === 1,
  };
}

interface OfficerRow {
  id: number;
  collar: string;
  name: string;
  status: string;
  unit: string | null;
  leftOn: string | null;
  roles: string | null;
  cards: string | null;
  hasPin: number;
}
