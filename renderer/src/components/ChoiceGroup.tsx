import { useId } from 'react';

export interface Choice<V extends string> {
  value: V;
  label: string;
  /** Decorative; the label carries the meaning. */
  icon?: string;
}

/**
 * A radio group as large touch targets: a fieldset with its legend, each choice a
 * label wrapping its native radio (so arrow keys, Space and screen readers work as
 * usual). The chosen one shows the radio's dot and a thicker, solid border, not only a colour.
 */
export function ChoiceGroup<V extends string>({
  legend,
  choices,
  value,
  onChange,
  className,
  required = false,
  legendClassName,
}: {
  legend: string;
  choices: readonly Choice<V>[];
  value: V | null;
  onChange: (value: V) => void;
  className?: string;
  required?: boolean;
  legendClassName?: string;
}) {
  const name = useId();
  return (
    <fieldset className={`choice-group${className ? ` ${className}` : ''}`}>
      <legend className={legendClassName ?? 'choice-legend'}>{legend}</legend>
      <div className="choice-list">
        {choices.map((choice) => {
          const checked = choice.value === value;
          return (
            <label key={choice.value} className={`choice${checked ? ' choice-checked' : ''}`}>
              <input
                type="radio"
                className="choice-input"
                name={name}
                value={choice.value}
                checked={checked}
                required={required}
                onChange={() => onChange(choice.value)}
              />
              {choice.icon ? (
                <span className="choice-icon" aria-hidden="true">
                  {choice.icon}
                </span>
              ) : null}
              <span className="choice-label">{choice.label}</span>
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}
