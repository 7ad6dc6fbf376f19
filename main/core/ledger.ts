import type { AssetStatus, ReturnCondition } from '../../preload/contract.ts';
import type { Db } from './db/database.ts';
import type { Clock } from './ports.ts';
import type { RuleStore } from './rules.ts';
import { dueAt } from './rules.ts';

/**
 * The writes every journey shares: where an asset is and in what state, and loans opened and
 * closed. Callers hold the transaction (an intent transition, a decision); statements are
 * prepared once because draws and returns are on the hot path.
 */
export class Ledger {
  private readonly sql;

  constructor(
    db: Db,
    private readonly clock: Clock,
    private readonly rules: RuleStore,
  ) {
    this.sql = {
      setAsset: db.prepare<[AssetStatus, number | null, string, number]>('UPDATE assets SET status = ?, door_id = ?, updated_at = ? WHERE id = ?'),
      insertLoan: db.prepare<[number, number, string, number, string | null]>(
        'INSERT INTO loans (asset_id, officer_id, drawn_at, draw_intent_id, due_at) VALUES (?, ?, ?, ?, ?)',
      ),
      setIntentLoan: db.prepare<[number, number]>('UPDATE door_intents SET loan_id = ? WHERE id = ?'),
      closeLoan: db.prepare<[string, ReturnCondition | 'not-recorded', number, number]>(
        'UPDATE loans SET returned_at = ?, return_condition = ?, return_intent_id = ? WHERE id = ? AND returned_at IS NULL',
      ),
      openLoanOf: db.prepare<[number], { id: number; officerId: number }>('SELECT id, officer_id AS officerId FROM loans WHERE asset_id = ? AND returned_at IS NULL'),
      intentRule: db.prepare<[number], { assetTypeId: number; ruleVersion: number | null }>(
        'SELECT a.asset_type_id AS assetTypeId, i.rule_version AS ruleVersion FROM door_intents i JOIN assets a ON a.id = i.asset_id WHERE i.id = ?',
      ),
    };
  }

  setAsset(assetId: number, status: AssetStatus, doorId: number | null): void {
    this.sql.setAsset.run(status, doorId, this.clock.now().toISOString(), assetId);
  }

  openLoanOf(assetId: number): { id: number; officerId: number } | undefined {
    return this.sql.openLoanOf.get(assetId);
  }

  /** The item left its door for the officer: a loan due by the rule version the intent was decided under. */
  issue(intent: { id: number; assetId: number; officerId: number }, now: Date): { loan: number; due: string | null } {
    const due = this.dueAtFor(intent.id, now);
    const loanId = Number(this.sql.insertLoan.run(intent.assetId, intent.officerId, now.toISOString(), intent.id, due).lastInsertRowid);
    this.sql.setIntentLoan.run(loanId, intent.id);
    this.setAsset(intent.assetId, 'on-loan', null);
    return { loan: loanId, due };
  }

  closeLoan(loanId: number, condition: ReturnCondition | 'not-recorded', intentId: number, now: Date): void {
    this.sql.closeLoan.run(now.toISOString(), condition, intentId, loanId);
  }

  /** When a loan drawn now falls due, from the rule version its intent was decided under. */
  private dueAtFor(intentId: number, drawnAt: Date): string | null {
    const row = this.sql.intentRule.get(intentId);
    if (!row || row.ruleVersion === null) return null;
    const rule = this.rules.byVersion(row.assetTypeId, row.ruleVersion);
    return rule ? (dueAt(drawnAt, rule)?.toISOString() ?? null) : null;
  }
}
