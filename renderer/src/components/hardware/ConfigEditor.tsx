import { useState } from 'react';
import type { ConfigSaveResult, Result } from '../../../../preload/contract.ts';

type Outcome =
  | { kind: 'saving' }
  | { kind: 'saved'; changes: string[] }
  | { kind: 'problems'; problems: string[] }
  | { kind: 'error'; message: string };

const EDITOR_ID = 'hw-config-json';
const MASK = '••••••••';

/**
 * The terminal configuration as JSON: edit, then "Check and save". Main checks the
 * whole file and answers with every problem at once, or saves it and says what changed.
 */
export function ConfigEditor({
  configJson,
  configLocation,
  save,
  onSaved,
}: {
  configJson: string;
  configLocation: string;
  save: (configJson: string) => Promise<Result<ConfigSaveResult>>;
  onSaved: () => void;
}) {
  const [draft, setDraft] = useState(configJson);
  // The text counted as "not edited": the last saved or loaded configuration.
  const [baseline, setBaseline] = useState(configJson);
  // The last configuration main sent; a new one replaces the text unless it was edited.
  const [seen, setSeen] = useState(configJson);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  if (configJson !== seen) {
    setSeen(configJson);
    if (draft === baseline) {
      setDraft(configJson);
      setBaseline(configJson);
    }
  }

  const edited = draft !== baseline;
  const saving = outcome?.kind === 'saving';

  async function checkAndSave(): Promise<void> {
    const text = draft;
    setOutcome({ kind: 'saving' });
    const result = await save(text);
    if (!result.ok) {
      setOutcome({ kind: 'error', message: result.error.message });
      return;
    }
    if (!result.value.saved) {
      setOutcome({ kind: 'problems', problems: result.value.problems });
      return;
    }
    setOutcome({ kind: 'saved', changes: result.value.changes });
    // What was saved is now the clean text: the reloaded (normalised) file replaces it.
    setBaseline(text);
    setSeen('');
    onSaved();
  }

  function discard(): void {
    setDraft(configJson);
    setBaseline(configJson);
    setOutcome(null);
  }

  const problems = outcome?.kind === 'problems' ? outcome.problems : [];
  return (
    <section aria-labelledby="hw-config-title" className="panel hw-config">
      <h2 id="hw-config-title">Configuration</h2>
      <p className="hw-config-location">
        <span className="hw-label">File: </span>
        <code className="hw-code">{configLocation}</code>
      </p>
      <label htmlFor={EDITOR_ID} className="hw-config-label">
        Terminal configuration (JSON)
      </label>
      <p id="hw-config-hint" className="hint hw-hint">
        Secrets shown as {MASK} are kept unless you replace them.
      </p>
      <textarea
        id={EDITOR_ID}
        className="hw-textarea"
        aria-describedby="hw-config-hint"
        value={draft}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        autoComplete="off"
        wrap="off"
        onChange={(event) => setDraft(event.target.value)}
      />
      <div className="hw-config-actions">
        <button type="button" className="btn btn-primary" disabled={saving} onClick={() => void checkAndSave()}>
          Check and save
        </button>
        <button type="button" className="btn btn-secondary" disabled={!edited || saving} onClick={discard}>
          Discard my edits
        </button>
        <p className="hw-edited">{edited ? 'Edited, not saved yet.' : 'No unsaved edits.'}</p>
      </div>
      <div role="alert" className="hw-config-alert">
        {problems.length > 0 ? (
          <div className="message message-error hw-problems">
            <p>
              <span aria-hidden="true">✕ </span>
              Not saved: {problems.length === 1 ? '1 problem' : `${problems.length} problems`} to fix
            </p>
            <ul className="hw-problem-list" aria-label="Configuration problems">
              {problems.map((problem, index) => (
                <li key={`${index}:${problem}`}>{problem}</li>
              ))}
            </ul>
          </div>
        ) : null}
        {outcome?.kind === 'error' ? (
          <p className="message message-error">
            <span aria-hidden="true">✕ </span>
            Not saved: {outcome.message}
          </p>
        ) : null}
      </div>
      <div role="status" className="hw-config-status">
        {outcome?.kind === 'saving' ? <p className="muted">Checking…</p> : null}
        {outcome?.kind === 'saved' ? (
          <div className="message message-ok">
            <p>
              <span aria-hidden="true">✓ </span>
              Saved
            </p>
            {outcome.changes.length === 0 ? (
              <p className="hw-changes-none">Nothing changed.</p>
            ) : (
              <ul className="hw-change-list" aria-label="Changes">
                {outcome.changes.map((change, index) => (
                  <li key={`${index}:${change}`}>{change}</li>
                ))}
              </ul>
            )}
          </div>
        ) : null}
      </div>
    </section>
  );
}
