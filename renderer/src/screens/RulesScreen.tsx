import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { ROLES } from '../../../preload/contract.ts';
import type { AssetTypeRuleView, RegisterImportRowProblem, Role, RuleView } from '../../../preload/contract.ts';
import type { Commands, Queries } from '../commands.ts';
import { ImportSections } from '../components/ImportReport.tsx';
import { PageHead } from '../components/PageHead.tsx';
import { formatDrawnAt } from '../format.ts';

const ROLE_TEXT: Record<Role, string> = { officer: 'Officer', armourer: 'Armourer', admin: 'Site admin', it: 'IT', stores: 'Stores', property: 'Property store' };

type SaveRule = Queries['saveRule'];
type Outcome = { ok: true; message: string } | { ok: false; message: string };

/** The form's text, as typed; turned into a rule only on save. */
interface Draft {
  allOf: string;
  anyOf: string;
  graceDays: string;
  roles: Role[];
  units: string;
  maxLoanHours: string;
  returnBy: string;
}

function toDraft(rule: RuleView): Draft {
  return {
    allOf: rule.allOf.join(', '),
    anyOf: rule.anyOf.join(', '),
    graceDays: String(rule.graceDays),
    roles: [...rule.roles],
    units: rule.units.join(', '),
    maxLoanHours: rule.maxLoanHours === null ? '' : String(rule.maxLoanHours),
    returnBy: rule.returnBy ?? '',
  };
}

const list = (text: string): string[] =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** The draft as a rule, or the first thing to fix. Main checks it all again (and the codes). */
function toRule(draft: Draft): { ok: true; rule: RuleView } | { ok: false; message: string } {
  const grace = draft.graceDays.trim() === '' ? 0 : Number(draft.graceDays);
  if (!Number.isInteger(grace) || grace < 0 || grace > 90) return { ok: false, message: 'Grace days must be a whole number from 0 to 90.' };
  let hours: number | null = null;
  if (draft.maxLoanHours.trim() !== '') {
    hours = Number(draft.maxLoanHours);
    if (!Number.isInteger(hours) || hours < 1 || hours > 336) return { ok: false, message: 'Max loan hours must be a whole number from 1 to 336, or empty for no limit.' };
  }
  return {
    ok: true,
    rule: {
      allOf: list(draft.allOf),
      anyOf: list(draft.anyOf),
      graceDays: grace,
      roles: ROLES.filter((r) => draft.roles.includes(r)),
      units: list(draft.units),
      maxLoanHours: hours,
      returnBy: draft.returnBy.trim() === '' ? null : draft.returnBy.trim(),
    },
  };
}

function sameDraft(a: Draft, b: Draft): boolean {
  const norm = (d: Draft): string => {
    const parsed = toRule(d);
    return parsed.ok ? JSON.stringify(parsed.rule) : JSON.stringify(d);
  };
  return norm(a) === norm(b);
}

/**
 * Site admins: the release rule per asset type. A save never edits a rule in place: it
 * becomes the next version, so past draws stay explained by the rule then in force.
 */
const REGISTER_PROBLEM_TEXT: Record<RegisterImportRowProblem['problem'], string> = {
  malformed: 'Malformed',
  'duplicate-row': 'Given twice',
  'unknown-code': 'Unknown code',
  'unknown-door': 'Unknown door',
  conflict: 'Conflict',
};

export function RulesScreen({ commands, queries }: { commands: Commands; queries: Queries }) {
  const [rules, setRules] = useState<AssetTypeRuleView[] | null>(null);
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const alive = useRef(true);
  const { getRules, saveRule } = queries;

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const load = useCallback(async () => {
    const result = await getRules({});
    if (!alive.current) return;
    if (result.ok) {
      setRules(result.value);
      setLoadProblem(null);
    } else {
      setLoadProblem(result.error.message);
    }
  }, [getRules]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <div className="screen screen-rules">
      <PageHead title="Release rules" onBack={() => commands.dismiss({})} />
      <p className="page-intro">
        Who may draw each kind of equipment. Every save is a new version; past draws keep the version they were decided
        under.
      </p>
      <div role="alert" className="page-alert">
        {loadProblem ? (
          <p className="message message-error">
            <span aria-hidden="true">✕ </span>
            Could not load the rules: {loadProblem}
          </p>
        ) : null}
      </div>
      {rules === null ? (
        loadProblem ? null : <p className="muted">Loading…</p>
      ) : rules.length === 0 ? (
        <p className="muted">No asset types are set up yet: import the site register below.</p>
      ) : (
        <div className="rule-grid">
          {rules.map((view) => (
            <RuleCard key={view.assetTypeId} view={view} saveRule={saveRule} onSaved={load} />
          ))}
        </div>
      )}
      <ImportSections
        name="register"
        title="Import the site register"
        hint={
          <>
            A JSON file with qualifications (code, name, validityMonths), assetTypes (code, name, category, maxPerOfficer,
            selfService, size: the smallest door it fits, S, M, L or XL, and its release rule, which every type must give) and assets (type, serial, tag, and the door it is in,
            or none for the store). resources/site-register-example.json is one to start from. Items already registered are
            never moved by an import; if any entry has a problem, nothing is changed.
          </>
        }
        fileLabel="Site register file (JSON)"
        send={queries.importRegister}
        list={queries.listRegisterImports}
        problemText={REGISTER_PROBLEM_TEXT}
        onImported={() => void load()}
      />
    </div>
  );
}

function RuleCard({ view, saveRule, onSaved }: { view: AssetTypeRuleView; saveRule: SaveRule; onSaved: () => Promise<void> }) {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const titleId = useId();
  const title = useRef<HTMLHeadingElement>(null);
  // The form is replaced by the saved version's: focus goes to the card's heading, not the page.
  const saved = useCallback(async () => {
    await onSaved();
    title.current?.focus();
  }, [onSaved]);
  return (
    <section aria-labelledby={titleId} className="panel rule-card" data-asset-type={view.assetTypeId}>
      <div className="rule-head">
        <h2 id={titleId} ref={title} tabIndex={-1}>
          {view.assetTypeName}
        </h2>
        <p className="rule-version">
          Version <span className="rule-version-number">{view.version}</span>
        </p>
      </div>
      <p className="rule-changed">
        {view.changedAt ? (
          <>
            Last changed <time dateTime={view.changedAt}>{formatDrawnAt(view.changedAt)}</time>
            {view.changedBy ? ` by ${view.changedBy}` : ' (set up with the terminal)'}
          </>
        ) : (
          'Not changed since the terminal was set up.'
        )}
      </p>
      {/* Keyed by version: a saved rule (normalised by main) replaces the form's text. */}
      <RuleForm key={view.version} view={view} saveRule={saveRule} onSaved={saved} setOutcome={setOutcome} />
      <div role="status" className="rule-status">
        {outcome?.ok ? (
          <p className="message message-ok">
            <span aria-hidden="true">✓ </span>
            {outcome.message}
          </p>
        ) : null}
      </div>
      <div role="alert" className="rule-alert">
        {outcome && !outcome.ok ? (
          <p className="message message-error">
            <span aria-hidden="true">✕ </span>
            Not saved: {outcome.message}
          </p>
        ) : null}
      </div>
    </section>
  );
}

function RuleForm({
  view,
  saveRule,
  onSaved,
  setOutcome,
}: {
  view: AssetTypeRuleView;
  saveRule: SaveRule;
  onSaved: () => Promise<void>;
  setOutcome: (outcome: Outcome | null) => void;
}) {
  const saved = toDraft(view.rule);
  const [draft, setDraft] = useState<Draft>(saved);
  const [saving, setSaving] = useState(false);
  const id = useId();
  const edited = !sameDraft(draft, saved);
  const next = view.version + 1;

  function set<K extends keyof Draft>(key: K, value: Draft[K]): void {
    setDraft((current) => ({ ...current, [key]: value }));
  }

  function toggleRole(role: Role, on: boolean): void {
    setDraft((current) => ({ ...current, roles: on ? [...current.roles, role] : current.roles.filter((r) => r !== role) }));
  }

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const parsed = toRule(draft);
    if (!parsed.ok) {
      setOutcome({ ok: false, message: parsed.message });
      return;
    }
    setSaving(true);
    setOutcome(null);
    const result = await saveRule({ assetTypeId: view.assetTypeId, rule: parsed.rule });
    setSaving(false);
    if (!result.ok) {
      setOutcome({ ok: false, message: result.error.message });
      return;
    }
    setOutcome({ ok: true, message: `Saved ${result.value.assetTypeName} as version ${result.value.version}.` });
    await onSaved();
  }

  return (
    <form className="rule-form" onSubmit={(event) => void submit(event)} noValidate>
      <div className="rule-fields">
        <TextField id={`${id}-all`} label="All of (qualification codes)" hint="Comma-separated. Every one is needed." value={draft.allOf} onChange={(v) => set('allOf', v)} />
        <TextField id={`${id}-any`} label="Any of (qualification codes)" hint="Comma-separated. At least one is needed; empty: none." value={draft.anyOf} onChange={(v) => set('anyOf', v)} />
        <TextField
          id={`${id}-grace`}
          label="Grace days"
          hint="Days a qualification still counts after expiry (0 to 90)."
          value={draft.graceDays}
          type="number"
          min={0}
          max={90}
          onChange={(v) => set('graceDays', v)}
        />
        <TextField id={`${id}-units`} label="Units" hint="Comma-separated. Empty: officers of any unit." value={draft.units} onChange={(v) => set('units', v)} />
        <TextField
          id={`${id}-hours`}
          label="Max loan hours"
          hint="Empty: no limit."
          value={draft.maxLoanHours}
          type="number"
          min={1}
          max={336}
          onChange={(v) => set('maxLoanHours', v)}
        />
        <div className="field">
          <label htmlFor={`${id}-by`} className="field-label">
            Return by
          </label>
          <div className="field-row">
            <input
              id={`${id}-by`}
              type="time"
              className="text-input rule-time"
              aria-describedby={`${id}-by-hint`}
              value={draft.returnBy}
              onChange={(event) => set('returnBy', event.target.value)}
            />
            <button type="button" className="btn btn-secondary" disabled={draft.returnBy === ''} onClick={() => set('returnBy', '')}>
              No time<span className="visually-hidden"> (clear return by)</span>
            </button>
          </div>
          <p id={`${id}-by-hint`} className="field-hint">
            Time of day it must be back (end of shift). Empty: none.
          </p>
        </div>
      </div>
      <fieldset className="rule-roles">
        <legend className="field-label">Roles needed (none ticked: every officer)</legend>
        <div className="choice-list">
          {ROLES.map((role) => {
            const checked = draft.roles.includes(role);
            return (
              <label key={role} className={`choice${checked ? ' choice-checked' : ''}`}>
                <input type="checkbox" className="choice-input" checked={checked} onChange={(event) => toggleRole(role, event.target.checked)} />
                <span className="choice-label">{ROLE_TEXT[role]}</span>
              </label>
            );
          })}
        </div>
      </fieldset>
      <div className="rule-actions">
        <button type="submit" className="btn btn-primary" disabled={saving || !edited}>
          Save as version {next}
          <span className="visually-hidden"> of {view.assetTypeName}</span>
        </button>
        <button type="button" className="btn btn-secondary" disabled={saving || !edited} onClick={() => setDraft(saved)}>
          Undo edits<span className="visually-hidden"> to {view.assetTypeName}</span>
        </button>
        <p className="rule-edited">{saving ? 'Saving…' : edited ? 'Edited, not saved yet.' : 'No unsaved edits.'}</p>
      </div>
    </form>
  );
}

function TextField({
  id,
  label,
  hint,
  value,
  onChange,
  type = 'text',
  min,
  max,
}: {
  id: string;
  label: string;
  hint: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'number';
  min?: number;
  max?: number;
}) {
  return (
    <div className="field">
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      <input
        id={id}
        type={type}
        className="text-input"
        aria-describedby={`${id}-hint`}
        inputMode={type === 'number' ? 'numeric' : undefined}
        min={min}
        max={max}
        step={type === 'number' ? 1 : undefined}
        autoComplete="off"
        autoCapitalize={type === 'text' ? 'characters' : undefined}
        spellCheck={false}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
      <p id={`${id}-hint`} className="field-hint">
        {hint}
      </p>
    </div>
  );
}
