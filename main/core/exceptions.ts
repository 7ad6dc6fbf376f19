import type { AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import type { Clock } from './ports.ts';

export type ExceptionKind = 'forced-door' | 'door-left-open' | 'video-trigger-failed' | 'device-offline';

export interface ExceptionRecord {
  id: number;
  kind: ExceptionKind;
  subject: string;
  message: string;
  state: 'open' | 'acknowledged' | 'resolved';
  raisedAt: string;
}

/**
 * Things an armourer must look at, raised by the terminal itself. One open exception per
 * kind and subject: a door that stays forced open is one exception, not one per poll.
 */
export class Exceptions {
  private readonly openOne;
  private readonly insert;
  private readonly recentRows;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    this.openOne = db.prepare<[string, string], { id: number }>("SELECT id FROM exceptions WHERE kind = ? AND subject = ? AND state != 'resolved' LIMIT 1");
    this.insert = db.prepare('INSERT INTO exceptions (kind, subject, message, details, raised_at) VALUES (?, ?, ?, ?, ?)');
    this.recentRows = db.prepare<[number], ExceptionRecord>(
      'SELECT id, kind, subject, message, state, raised_at AS raisedAt FROM exceptions ORDER BY id DESC LIMIT ?',
    );
  }

  /** Raise unless the same kind is already open for the subject; returns the new id, or null. */
  raise(kind: ExceptionKind, subject: string, message: string, details: Record<string, unknown> = {}): number | null {
    return this.db
      .transaction((): number | null => {
        if (this.openOne.get(kind, subject)) return null;
        const now = this.clock.now();
        const id = Number(this.insert.run(kind, subject, message, JSON.stringify(details), now.toISOString()).lastInsertRowid);
        this.audit.append({ actor: 'system', action: 'exception.raised', subject, details: { exception: id, kind, message, ...details } }, now);
        return id;
      })
      .immediate();
  }

  recent(limit = 20): ExceptionRecord[] {
    return this.recentRows.all(limit);
  }
}
