import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { OutcomeRegions, type Outcome } from '../components/OutcomeRegions.tsx';
import type { FormEvent } from 'react';
import type { ExceptionView, RequestInput } from '../../../preload/contract.ts';
import type { Commands, Queries } from '../commands.ts';
import { ChoiceGroup } from '../components/ChoiceGroup.tsx';
import type { Choice } from '../components/ChoiceGroup.tsx';
import { PageHead } from '../components/PageHead.tsx';
import { usePoll } from '../components/hardware/usePoll.ts';
import { formatDrawnAt, plural } from '../format.ts';
import { FormHint } from '../components/FormHint.tsx';

const REFRESH_MS = 5000;
const ALL_KINDS = 'all';

type StateFilter = RequestInput<'listExceptions'>['state'];

const STATE_CHOICES: readonly Choice<StateFilter>[] = [
  { value: 'unresolved', label: 'Unresolved' },
  { value: 'open', label: 'Open' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'all', label: 'All' },
];

const STATE_TEXT: Record<ExceptionView['state'], { icon: string; text: string }> = {
  open: { icon: '●', text: 'Open' },
  acknowledged: { icon: '◐', text: 'Acknowledged' },
  resolved: { icon: '✓', text: 'Resolved' },
};

/** Words and an icon per kind, so the kind never rests on colour. Unknown kinds get their code in words. */
const KIND_TEXT: Record<string, { icon: string; text: string }> = {
  'forced-door': { icon: '⚠', text: 'Forced door' },
  'door-left-open': { icon: '▯', text: 'Door left open' },
  'video-trigger-failed': { icon: '◉', text: 'Video trigger failed' },
  'device-offline': { icon: '⚡', text: 'Device offline' },
  'override-used': { icon: '⚑', text: 'Override used' },
  overdue: { icon: '◷', text: 'Overdue' },
  quarantine: { icon: '⊘', text: 'Quarantine' },
  'wrong-item': { icon: '✗', text: 'Wrong item' },
  'swap-mismatch': { icon: '⇄', text: 'Swap mismatch' },
};

function kindText(kind: string): { icon: string; text: string } {
  const known = KIND_TEXT[kind];
  if (known) return known;
  const words = kind.replace(/[-_]+/g, ' ').trim();
  return { icon: '•', text: words.charAt(0).toUpperCase() + words.slice(1) };
}


/**
 * Armourers (and admins): the exceptions queue, newest first. Acknowledge ("I have
 * seen it") and resolve with a note. Main checks the role and the state on every call.
 */
export function ExceptionsScreen({ commands, queries }: { commands: Commands; queries: Queries }) {
  const [stateFilter, setStateFilter] = useState<StateFilter>('unresolved');
  const [kindFilter, setKindFilter] = useState<string>(ALL_KINDS);
  const [items, setItems] = useState<ExceptionView[] | null>(null);
  const [kindsSeen, setKindsSeen] = useState<readonly string[]>([]);
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [resolving, setResolving] = useState<ReadonlySet<number>>(new Set());
  const [busy, setBusy] = useState<ReadonlySet<number>>(new Set());
  const alive = useRef(true);
  const loads = useRef(0);
  const listTitle = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const { listExceptions, acknowledgeException, resolveException } = queries;

  const refresh = useCallback(async () => {
    const ticket = ++loads.current;
    const result = await listExceptions({ state: stateFilter, kind: kindFilter === ALL_KINDS ? null : kindFilter });
    // Answers can cross (a filter change during a poll): only the newest is shown.
    if (!alive.current || ticket !== loads.current) return;
    if (!result.ok) {
      setLoadProblem(result.error.message);
      return;
    }
    setLoadProblem(null);
    setItems(result.value);
    setKindsSeen((seen) => {
      const fresh = result.value.map((e) => e.kind).filter((k, i, all) => !seen.includes(k) && all.indexOf(k) === i);
      return fresh.length === 0 ? seen : [...seen, ...fresh].sort();
    });
  }, [listExceptions, stateFilter, kindFilter]);
  usePoll(refresh, REFRESH_MS);

  // A new filter shows at once, not at the next poll.
  const firstFilter = useRef(true);
  useEffect(() => {
    if (firstFilter.current) {
      firstFilter.current = false;
      return;
    }
    void refresh();
  }, [refresh]);

  const mark = (set: ReadonlySet<number>, id: number, on: boolean): ReadonlySet<number> => {
    const next = new Set(set);
    if (on) next.add(id);
    else next.delete(id);
    return next;
  };

  async function acknowledge(item: ExceptionView): Promise<void> {
    setBusy((b) => mark(b, item.id, true));
    setOutcome(null);
    const result = await acknowledgeException({ id: item.id });
    if (!alive.current) return;
    setBusy((b) => mark(b, item.id, false));
    setOutcome(result.ok ? { ok: true, message: `Exception ${item.id} (${kindText(item.kind).text}) acknowledged.` } : { ok: false, message: result.error.message });
    await refresh();
    // The Acknowledge button is gone: carry focus to the same item's next action.
    const next = document.querySelector<HTMLElement>(`[data-exception-id="${item.id}"] .exc-resolve-open`);
    (next ?? listTitle.current)?.focus();
  }

  async function resolve(item: ExceptionView, note: string): Promise<boolean> {
    setBusy((b) => mark(b, item.id, true));
    setOutcome(null);
    const result = await resolveException({ id: item.id, note });
    if (!alive.current) return false;
    setBusy((b) => mark(b, item.id, false));
    if (result.ok) {
      setResolving((r) => mark(r, item.id, false));
      setOutcome({ ok: true, message: `Exception ${item.id} (${kindText(item.kind).text}) resolved.` });
    } else {
      setOutcome({ ok: false, message: result.error.message });
    }
    await refresh();
    if (result.ok) listTitle.current?.focus();
    return result.ok;
  }

  const kindChoices: Choice<string>[] = [
    { value: ALL_KINDS, label: 'All kinds' },
    ...[...new Set([...kindsSeen, ...(kindFilter === ALL_KINDS ? [] : [kindFilter])])].map((k) => ({
      value: k,
      label: kindText(k).text,
      icon: kindText(k).icon,
    })),
  ];

  const stateLabel = STATE_CHOICES.find((c) => c.value === stateFilter)?.label ?? '';
  return (
    <div className="screen screen-exceptions">
      <PageHead title="Exceptions" onBack={() => commands.dismiss({})} />

      <div className="page-filters">
        <ChoiceGroup legend="Show" choices={STATE_CHOICES} value={stateFilter} onChange={setStateFilter} className="choice-row" />
        <ChoiceGroup legend="Kind" choices={kindChoices} value={kindFilter} onChange={setKindFilter} className="choice-row" />
      </div>

      <OutcomeRegions outcome={outcome} problem={loadProblem ? `Could not refresh the exceptions: ${loadProblem}` : null} classPrefix="page" />

      <section aria-labelledby="exc-list-title" className="exc-section">
        <h2 id="exc-list-title" ref={listTitle} tabIndex={-1} className="exc-list-title">
          {items === null
            ? 'Loading…'
            : `${plural(items.length, 'exception', 'exceptions')} · ${stateLabel}${kindFilter === ALL_KINDS ? '' : ` · ${kindText(kindFilter).text}`}`}
        </h2>
        {items !== null && items.length === 0 ? <p className="muted exc-empty">Nothing to show for this filter.</p> : null}
        {items !== null && items.length > 0 ? (
          <ul className="exc-list" aria-labelledby="exc-list-title">
            {items.map((item) => (
              <ExceptionItem
                key={item.id}
                item={item}
                busy={busy.has(item.id)}
                resolving={resolving.has(item.id)}
                onAcknowledge={() => void acknowledge(item)}
                onStartResolve={() => setResolving((r) => mark(r, item.id, true))}
                onCancelResolve={() => setResolving((r) => mark(r, item.id, false))}
                onResolve={(note) => resolve(item, note)}
              />
            ))}
          </ul>
        ) : null}
      </section>
    </div>
  );
}

function ExceptionItem({
  item,
  busy,
  resolving,
  onAcknowledge,
  onStartResolve,
  onCancelResolve,
  onResolve,
}: {
  item: ExceptionView;
  busy: boolean;
  resolving: boolean;
  onAcknowledge: () => void;
  onStartResolve: () => void;
  onCancelResolve: () => void;
  onResolve: (note: string) => Promise<boolean>;
}) {
  const kind = kindText(item.kind);
  const state = STATE_TEXT[item.state];
  const titleId = useId();
  const context = `exception ${item.id} (${kind.text})`;
  return (
    <li className={`exc exc-${item.state}`} data-exception-id={item.id} data-kind={item.kind} data-state={item.state} aria-labelledby={titleId}>
      <div className="exc-head">
        <h3 id={titleId} className="exc-kind">
          <span className="exc-kind-icon" aria-hidden="true">
            {kind.icon}
          </span>
          {kind.text}
        </h3>
        <p className={`exc-state exc-state-${item.state}`}>
          <span aria-hidden="true">{state.icon} </span>
          {state.text}
        </p>
      </div>
      <p className="exc-message">{item.message}</p>
      <p className="exc-meta">
        Raised <time dateTime={item.raisedAt}>{formatDrawnAt(item.raisedAt)}</time>
        <span aria-hidden="true"> · </span>
        <span className="visually-hidden">, </span>#{item.id}
      </p>
      {item.acknowledgedBy || item.acknowledgedAt ? (
        <p className="exc-meta exc-ack">
          <span aria-hidden="true">◐ </span>
          Acknowledged by {item.acknowledgedBy ?? 'someone'}
          {item.acknowledgedAt ? (
            <>
              {' '}
              at <time dateTime={item.acknowledgedAt}>{formatDrawnAt(item.acknowledgedAt)}</time>
            </>
          ) : null}
        </p>
      ) : null}
      {item.state === 'resolved' ? (
        <div className="exc-resolution">
          <p className="exc-meta">
            <span aria-hidden="true">✓ </span>
            Resolved by {item.resolvedBy ?? 'someone'}
            {item.resolvedAt ? (
              <>
                {' '}
                at <time dateTime={item.resolvedAt}>{formatDrawnAt(item.resolvedAt)}</time>
              </>
            ) : null}
          </p>
          {item.resolutionNote ? (
            <p className="exc-note">
              <span className="exc-note-label">Note: </span>
              {item.resolutionNote}
            </p>
          ) : null}
        </div>
      ) : null}

      {item.state !== 'resolved' ? (
        resolving ? (
          <ResolveForm context={context} busy={busy} onResolve={onResolve} onCancel={onCancelResolve} />
        ) : (
          <div className="exc-actions">
            {item.state === 'open' ? (
              <button type="button" className="btn btn-primary" disabled={busy} onClick={onAcknowledge}>
                Acknowledge<span className="visually-hidden"> {context}</span>
              </button>
            ) : null}
            <button type="button" className="btn btn-secondary exc-resolve-open" disabled={busy} onClick={onStartResolve}>
              Resolve…<span className="visually-hidden"> {context}</span>
            </button>
          </div>
        )
      ) : null}
    </li>
  );
}

function ResolveForm({
  context,
  busy,
  onResolve,
  onCancel,
}: {
  context: string;
  busy: boolean;
  onResolve: (note: string) => Promise<boolean>;
  onCancel: () => void;
}) {
  const [note, setNote] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const noteId = useId();
  const hintId = useId();
  const field = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    field.current?.focus();
  }, []);

  function submit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    const trimmed = note.trim();
    if (trimmed.length < 3) {
      setHint('Say what was done, in a few words.');
      field.current?.focus();
      return;
    }
    setHint(null);
    void onResolve(trimmed);
  }

  return (
    <form className="exc-resolve" onSubmit={submit} noValidate>
      <label htmlFor={noteId} className="field-label">
        Resolution note (what was done)
      </label>
      <textarea
        id={noteId}
        ref={field}
        className="text-input exc-resolve-note"
        rows={2}
        maxLength={1000}
        required
        aria-invalid={hint ? true : undefined}
        aria-describedby={hint ? hintId : undefined}
        value={note}
        onChange={(event) => {
          setHint(null);
          setNote(event.target.value);
        }}
      />
      <FormHint hint={hint} className="exc-resolve-hint" id={hintId} />
      <div className="exc-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Resolve<span className="visually-hidden"> {context}</span>
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel<span className="visually-hidden"> resolving {context}</span>
        </button>
      </div>
    </form>
  );
}
