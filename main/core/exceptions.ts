import type { AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import type { Clock } from './ports.ts';

/** What an armourer may be asked to look at; the database keeps the same list in exception_kinds. */
export const EXCEPTION_KINDS = [
  'forced-door',
  'door-left-open',
  'video-trigger-failed',
  'device-offline',
  'override-used',
  'overdue',
  'quarantine',
  'wrong-item',
  'swap-mismatch',
  'sensor-implausible',
  'sensor-mismatch',
  'audit-check-failed',
  'booking-expired',
  'seal-mismatch',
  'exhibit-dwell',
  'low-stock',
] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

export interface ExceptionRecord {
  id: number;
  kind: ExceptionKind;
  subject: string;
  message: string;
  state: 'open' | 'acknowledged' | 'resolved';
  raisedAt: string;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  resolutionNote: string | null;
}

export type ExceptionFilter = { state: 'open' | 'acknowledged' | 'resolved' | 'unresolved' | 'all'; kind: string | null };

const SELECT = `
  SELECT e.id, e.kind, e.subject, e.message, e.state, e.raised_at AS raisedAt,
         ack.collar_number || ' ' || ack.display_name AS acknowledgedBy, e.acknowledged_at AS acknowledgedAt,
         res.collar_number || ' ' || res.display_name AS resolvedBy, e.resolved_at AS resolvedAt, e.resolution_note AS resolutionNote
    FROM exceptions e
    LEFT JOIN officers ack ON ack.id = e.acknowledged_by
    LEFT JOIN officers res ON res.id = e.resolved_by`;

export class ExceptionStateError extends Error {}

/**
 * Things an armourer must look at, raised by the terminal itself. One open exception per
 * kind and subject: a door that stays forced open is one exception, not one per poll.
 */
export class Exceptions {
  private readonly openOne;
  private readonly insert;
  private readonly recentRows;
  private readonly overdueLoans;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    this.openOne = db.prepare<[string, string], { id: number }>("SELECT id FROM exceptions WHERE kind = ? AND subject = ? AND state != 'resolved' LIMIT 1");
    this.insert = db.prepare('INSERT INTO exceptions (kind, subject, message, details, raised_at) VALUES (?, ?, ?, ?, ?)');
    this.recentRows = db.prepare<[number], ExceptionRecord>(`${SELECT} ORDER BY e.id DESC LIMIT ?`);
    this.overdueLoans = db.prepare<[string], { loanId: number; serial: string; typeName: string; collar: string; dueAt: string }>(
      `SELECT l.id AS loanId, a.serial, t.name AS typeName, o.collar_number AS collar, l.due_at AS dueAt
         FROM loans l JOIN assets a ON a.id = l.asset_id JOIN asset_types t ON t.id = a.asset_type_id JOIN officers o ON o.id = l.officer_id
        WHERE l.returned_at IS NULL AND l.due_at IS NOT NULL AND l.due_at < ?`,
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

  /** Raise an overdue exception for every loan past its due time (once per loan); returns how many were raised. */
  raiseOverdue(): number {
    const overdue = this.overdueLoans.all(this.clock.now().toISOString());
    let raised = 0;
    for (const loan of overdue) {
      const id = this.raise('overdue', `loan:${loan.loanId}`, `${loan.typeName} ${loan.serial} drawn by ${loan.collar} was due back at ${new Date(loan.dueAt).toLocaleString('en-GB')}.`, {
        loan: loan.loanId,
        dueAt: loan.dueAt,
      });
      if (id !== null) raised++;
    }
    return raised;
  }

  recent(limit = 20): ExceptionRecord[] {
    return this.recentRows.all(limit);
  }

  /** The queue as an armourer filters it: newest first. */
  list(filter: ExceptionFilter, limit = 200): ExceptionRecord[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.state === 'unresolved') where.push("e.state != 'resolved'");
    else if (filter.state !== 'all') {
      where.push('e.state = ?');
      params.push(filter.state);
    }
    if (filter.kind) {
      where.push('e.kind = ?');
      params.push(filter.kind);
    }
    params.push(limit);
    return this.db.prepare<(string | number)[], ExceptionRecord>(`${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT ?`).all(...params);
  }

  get(id: number): ExceptionRecord | undefined {
    return this.db.prepare<[number], ExceptionRecord>(`${SELECT} WHERE e.id = ?`).get(id);
  }

  /** "I have seen it": an open exception is acknowledged by the armourer who looked. */
  acknowledge(id: number, officerId: number): ExceptionRecord {
    return this.move(id, officerId, ['open'], () => {
      this.db.prepare("UPDATE exceptions SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ? WHERE id = ?").run(officerId, this.clock.now().toISOString(), id);
      return null;
    });
  }

  /** Closed with a note saying what was done; open or acknowledged exceptions can be resolved. */
  resolve(id: number, officerId: number, note: string): ExceptionRecord {
    return this.move(id, officerId, ['open', 'acknowledged'], () => {
      this.db
        .prepare("UPDATE exceptions SET state = 'resolved', resolved_by = ?, resolved_at = ?, resolution_note = ? WHERE id = ?")
        .run(officerId, this.clock.now().toISOString(), note, id);
      return note;
    });
  }

  /** `apply` makes the change and answers the resolution note (null for an acknowledgement). */
  private move(id: number, officerId: number, from: ExceptionRecord['state'][], apply: () => string | null): ExceptionRecord {
    return this.db
      .transaction(() => {
        const current = this.get(id);
        if (!current) throw new ExceptionStateError(`There is no exception ${id}.`);
        if (!from.includes(current.state)) throw new ExceptionStateError(`Exception ${id} is already ${current.state}.`);
        const note = apply();
        const actor = `officer:${officerId}` as const;
        const details = { exception: id, kind: current.kind };
        this.audit.append(
          note === null
            ? { actor, action: 'exception.acknowledged', subject: current.subject, details }
            : { actor, action: 'exception.resolved', subject: current.subject, details: { ...details, note } },
          this.clock.now(),
        );
        const after = this.get(id);
        if (!after) throw new Error('exception vanished');
        return after;
      })
      .immediate();
  }
}
