import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { ScreenView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { ChoiceGroup } from '../components/ChoiceGroup.tsx';
import { PinPad } from '../components/PinPad.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type OverrideView = Extract<ScreenView, { kind: 'override' }>;
type Step = OverrideView['step'];

const STEPS: { step: Step; label: string }[] = [
  { step: 'armourer-card', label: "Armourer's card" },
  { step: 'armourer-pin', label: "Armourer's PIN" },
  { step: 'reason', label: 'Reason and note' },
];

const NOTE_MIN = 3;
const NOTE_MAX = 500;

/**
 * A second person, an armourer, authorises one refused draw: card, PIN, then a reason
 * and a note. Main checks every step (who the armourer is, that they are not the
 * officer, the reason code) and records the override before the door opens.
 */
export function OverrideScreen({ screen, commands }: { screen: OverrideView; commands: Commands }) {
  const cancel = useCallback(() => commands.cancelOverride({}), [commands]);
  const current = STEPS.findIndex((s) => s.step === screen.step);

  return (
    <div className={`screen screen-override override-step-${screen.step}`}>
      <div className="override-head">
        <ScreenHeading className="screen-title override-title">Override: {screen.assetTypeName}</ScreenHeading>
        <ol className="override-steps" aria-label="Override steps">
          {STEPS.map((s, index) => {
            const state = index < current ? 'done' : index === current ? 'current' : 'todo';
            return (
              <li key={s.step} className={`override-stepper override-stepper-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
                <span className="override-stepper-mark" aria-hidden="true">
                  {state === 'done' ? '✓' : index + 1}
                </span>
                <span className="override-stepper-label">
                  {s.label}
                  <span className="visually-hidden">{state === 'done' ? ' (done)' : state === 'current' ? ' (now)' : ''}</span>
                </span>
              </li>
            );
          })}
        </ol>
      </div>

      <div className="override-grid">
        <section aria-labelledby="override-refused-title" className="panel override-refused">
          <h2 id="override-refused-title">Refused because</h2>
          {screen.refusals.length === 0 ? (
            <p className="muted">The refusal no longer applies; main will check again before the door opens.</p>
          ) : (
            <ul className="reason-list">
              {screen.refusals.map((reason) => (
                <li key={`${reason.code}:${reason.message}`} className="reason" data-reason={reason.code}>
                  <p className="refused-reason">
                    <span aria-hidden="true">✕ </span>
                    {reason.message}
                  </p>
                  {reason.advice ? <p className="refused-advice">{reason.advice}</p> : null}
                </li>
              ))}
            </ul>
          )}
          <p className="override-explain">
            An armourer can authorise this one draw. It is recorded with their name, the reason and the note, and
            raised as an exception for review.
          </p>
        </section>

        {screen.step === 'armourer-card' ? (
          <CardStep screen={screen} onCancel={cancel} />
        ) : screen.step === 'armourer-pin' ? (
          <PinStep screen={screen} commands={commands} onCancel={cancel} />
        ) : (
          <ReasonStep screen={screen} commands={commands} onCancel={cancel} />
        )}
      </div>
    </div>
  );
}

/**
 * The step's heading. When a step replaces the last one, the control that had focus (the
 * PIN pad's Enter, say) is gone: focus comes here, so the next Tab starts in the new step.
 */
function StepHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const active = document.activeElement;
    // The page's scroll area (focusable while it overflows) counts as dropped focus too.
    if (active === null || active === document.body || !active.isConnected || active.tagName === 'MAIN') ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h2 id="override-step-title" ref={ref} tabIndex={-1} className="override-step-title">
      {children}
    </h2>
  );
}

function StepMessage({ message }: { message: string | null }) {
  return (
    <div className="override-message" role="alert">
      {message ? (
        <p className="message message-error">
          <span aria-hidden="true">⚠ </span>
          {message}
        </p>
      ) : null}
    </div>
  );
}

function CardStep({ screen, onCancel }: { screen: OverrideView; onCancel: () => void }) {
  return (
    <section aria-labelledby="override-step-title" className="panel override-step">
      <StepHeading>An armourer taps their card</StepHeading>
      <p className="override-card-mark" aria-hidden="true">
        ▭
      </p>
      <p className="override-step-text">
        Hold the armourer&apos;s card to the reader. The armourer must be someone other than the officer drawing.
      </p>
      <StepMessage message={screen.message} />
      <button type="button" className="btn btn-secondary override-cancel" onClick={onCancel}>
        Cancel
      </button>
    </section>
  );
}

function PinStep({ screen, commands, onCancel }: { screen: OverrideView; commands: Commands; onCancel: () => void }) {
  const submit = useCallback((pin: string) => commands.submitOverridePin({ pin }), [commands]);
  return (
    <section aria-labelledby="override-step-title" className="panel override-step override-pin">
      <StepHeading>Armourer: enter your PIN</StepHeading>
      <PinPad message={screen.message} answerKey={screen} onSubmit={submit} onCancel={onCancel} />
    </section>
  );
}

function ReasonStep({ screen, commands, onCancel }: { screen: OverrideView; commands: Commands; onCancel: () => void }) {
  const [reasonCode, setReasonCode] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const noteId = useId();
  const noteHintId = useId();

  function authorise(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    if (reasonCode === null) {
      setHint('Choose a reason for the override.');
      return;
    }
    const trimmed = note.trim();
    if (trimmed.length < NOTE_MIN) {
      setHint('Write a note: what happened and why, in a few words.');
      return;
    }
    setHint(null);
    commands.confirmOverride({ reasonCode, note: trimmed });
  }

  const choices = screen.reasonCodes.map((r) => ({ value: r.code, label: r.label }));
  return (
    <section aria-labelledby="override-step-title" className="panel override-step override-reason">
      <StepHeading>Armourer: why is this override needed?</StepHeading>
      <form className="override-form" onSubmit={authorise} noValidate>
        <ChoiceGroup
          legend="Reason"
          choices={choices}
          value={reasonCode}
          onChange={(code) => {
            setHint(null);
            setReasonCode(code);
          }}
          required
          className="override-reasons"
        />
        <div className="field">
          <label htmlFor={noteId} className="field-label">
            Note (what happened and why)
          </label>
          <p id={noteHintId} className="field-hint">
            Recorded with the override and shown in the exceptions queue.
          </p>
          <textarea
            id={noteId}
            className="text-input override-note"
            aria-describedby={noteHintId}
            required
            maxLength={NOTE_MAX}
            rows={2}
            value={note}
            onChange={(event) => {
              setHint(null);
              setNote(event.target.value);
            }}
          />
        </div>
        <StepMessage message={hint ?? screen.message} />
        <div className="override-actions">
          <button type="submit" className="btn btn-primary override-confirm">
            Authorise override and open door
          </button>
          <button type="button" className="btn btn-secondary override-cancel" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
