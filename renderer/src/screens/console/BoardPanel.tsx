import { useCallback, useRef, useState } from 'react';
import type { BoardEntry } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { ChoiceGroup } from '../../components/ChoiceGroup.tsx';
import type { Choice } from '../../components/ChoiceGroup.tsx';
import { usePoll } from '../../components/hardware/usePoll.ts';
import { formatDrawnAt, plural } from '../../format.ts';
import { OutcomeMessages, formatFull, useAlive } from './shared.tsx';

const REFRESH_MS = 3000;

type Category = 'all' | 'taser' | 'firearm' | 'radio' | 'bwv';

const CATEGORY_CHOICES: readonly Choice<Category>[] = [
  { value: 'all', label: 'All' },
  { value: 'taser', label: 'Taser' },
  { value: 'firearm', label: 'Firearm' },
  { value: 'radio', label: 'Radio' },
  { value: 'bwv', label: 'Body-worn video' },
];

/** Who holds what now, refreshed every 3 s. Officers and items open the investigation. */
export function BoardPanel({ queries, onInvestigate }: { queries: Queries; onInvestigate: (by: 'officer' | 'asset', value: string) => void }) {
  const [category, setCategory] = useState<Category>('all');
  const [entries, setEntries] = useState<BoardEntry[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const alive = useAlive();
  const loads = useRef(0);
  const { getBoard } = queries;

  const refresh = useCallback(async () => {
    const ticket = ++loads.current;
    const result = await getBoard({ category: category === 'all' ? null : category });
    if (!alive.current || ticket !== loads.current) return;
    if (!result.ok) {
      setProblem(`Could not load the board: ${result.error.message}`);
      return;
    }
    setProblem(null);
    setEntries(result.value);
    setUpdatedAt(new Date());
  }, [getBoard, category, alive]);
  // Re-created with the category, so a new filter shows at once and then every 3 s.
  usePoll(refresh, REFRESH_MS);

  const categoryLabel = CATEGORY_CHOICES.find((c) => c.value === category)?.label ?? '';
  const overdue = entries?.filter((e) => e.overdue).length ?? 0;
  return (
    <div className="console-body">
      <h2 className="console-panel-title">Who holds what now</h2>
      <ChoiceGroup legend="Category" choices={CATEGORY_CHOICES} value={category} onChange={setCategory} className="choice-row" />
      <OutcomeMessages outcome={null} problem={problem} />
      <p className="muted board-summary">
        {entries === null
          ? 'Loading…'
          : `${plural(entries.length, 'item', 'items')} out · ${categoryLabel}${overdue > 0 ? ` · ${overdue} overdue` : ''}`}
        {updatedAt ? <span className="board-updated"> · live, updated {updatedAt.toLocaleTimeString('en-GB')}</span> : null}
      </p>
      {entries !== null && entries.length === 0 ? <p className="muted">Nothing is out for this category.</p> : null}
      {entries !== null && entries.length > 0 ? (
        <div className="console-table-wrap">
          <table className="console-table board-table">
            <caption className="visually-hidden">Items on loan now ({categoryLabel})</caption>
            <thead>
              <tr>
                <th scope="col">Officer</th>
                <th scope="col">Item</th>
                <th scope="col">Since</th>
                <th scope="col">Due back</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.loanId} data-loan-id={entry.loanId} data-overdue={entry.overdue} className={entry.overdue ? 'board-row-overdue' : undefined}>
                  <td>
                    <button type="button" className="btn btn-secondary btn-link board-officer" onClick={() => onInvestigate('officer', entry.collarNumber)}>
                      {entry.collarNumber} {entry.officerName}
                      <span className="visually-hidden">: show timeline</span>
                    </button>
                  </td>
                  <td>
                    <button type="button" className="btn btn-secondary btn-link board-item" onClick={() => onInvestigate('asset', entry.serial)}>
                      {entry.assetTypeName} <span className="nowrap">{entry.serial}</span>
                      <span className="visually-hidden">: show timeline</span>
                    </button>
                  </td>
                  <td>
                    <time dateTime={entry.drawnAt} title={formatFull(entry.drawnAt)}>
                      {formatDrawnAt(entry.drawnAt)}
                    </time>
                  </td>
                  <td>
                    {entry.dueAt ? (
                      <time dateTime={entry.dueAt} title={formatFull(entry.dueAt)}>
                        {formatDrawnAt(entry.dueAt)}
                      </time>
                    ) : (
                      <span className="muted">No limit</span>
                    )}
                  </td>
                  <td>
                    {entry.overdue ? (
                      <span className="board-status board-status-overdue">
                        <span aria-hidden="true">⚠ </span>Overdue
                      </span>
                    ) : (
                      <span className="board-status board-status-ok">
                        <span aria-hidden="true">✓ </span>On loan
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
