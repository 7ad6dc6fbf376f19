import { useId } from 'react';

/** A labelled one-line text field with an optional hint; the on-screen keyboard types into it. */
export function TextField({
  label,
  hint,
  value,
  onChange,
  maxLength,
  upperCase = false,
}: {
  label: string;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
  maxLength: number;
  /** Serials, tags and collar numbers are written in capitals: the on-screen keyboard starts in caps. */
  upperCase?: boolean;
}) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {hint ? (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      ) : null}
      <input
        id={id}
        className="text-input"
        type="text"
        maxLength={maxLength}
        autoComplete="off"
        spellCheck={false}
        autoCapitalize={upperCase ? 'characters' : 'sentences'}
        aria-describedby={hint ? hintId : undefined}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  );
}
