import { useCallback, useEffect, useRef, useState } from 'react';

const MIN_DIGITS = 4;
const MAX_DIGITS = 8;
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

/**
 * The PIN display, message, keypad and Cancel, shared by the sign-in PIN screen and the
 * armourer's PIN on the override screen. Renders four siblings (classes `pin-display`,
 * `pin-message`, `pin-pad`, `pin-cancel`) for the parent's grid to place.
 *
 * The digits live only in this component's state and go to main once, on Enter; they
 * are never rendered, announced or logged (dots and a count only).
 */
export function PinPad({
  message,
  locked = false,
  answerKey,
  onSubmit,
  onCancel,
  cancelLabel = 'Cancel',
  who = 'Your',
}: {
  /** Main's message for this PIN (wrong PIN, locked card), shown in the alert region. */
  message: string | null;
  /** The card is locked: the message gets the stop icon rather than the warning one. */
  locked?: boolean;
  /** Changes whenever main answers (the screen view): the message is shown again then. */
  answerKey: unknown;
  onSubmit: (pin: string) => void;
  onCancel: () => void;
  cancelLabel?: string;
  /** Whose PIN, for the length hint: "Your PIN has 4 to 8 digits." */
  who?: string;
}) {
  const [digits, setDigits] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  // Between sending a PIN and main's answer the old message is hidden, so the
  // answer (even the same words again) is inserted afresh and announced.
  const [awaitingAnswer, setAwaitingAnswer] = useState(false);
  useEffect(() => {
    setAwaitingAnswer(false);
  }, [answerKey]);

  // The pad stays usable while the card is locked: main decides and says why
  // (the renderer never decides whether a PIN may be tried).
  const press = useCallback((digit: string) => {
    setHint(null);
    setDigits((current) => (current.length >= MAX_DIGITS ? current : current + digit));
  }, []);
  const remove = useCallback(() => {
    setHint(null);
    setDigits((current) => current.slice(0, -1));
  }, []);
  const submit = useCallback(() => {
    if (digits.length < MIN_DIGITS) {
      setHint(`${who} PIN has ${MIN_DIGITS} to ${MAX_DIGITS} digits.`);
      return;
    }
    // Clear at once: a second Enter cannot resend and nothing lingers on screen.
    setDigits('');
    setHint(null);
    setAwaitingAnswer(true);
    onSubmit(digits);
  }, [onSubmit, digits, who]);
  const cancel = useCallback(() => {
    setDigits('');
    onCancel();
  }, [onCancel]);

  // A physical keyboard (or keypad) works too, wherever focus happens to be (often
  // on the last key tapped, or on the simulator's card button in demo mode).
  const digitsRef = useRef(digits);
  digitsRef.current = digits;
  const handlers = useRef({ press, remove, submit, cancel });
  handlers.current = { press, remove, submit, cancel };
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent): void {
      if (event.ctrlKey || event.altKey || event.metaKey) return;
      const target = event.target instanceof Element ? event.target : null;
      if (target?.closest('[role="alertdialog"]')) return;
      if (/^[0-9]$/.test(event.key)) {
        event.preventDefault();
        if (!event.repeat) handlers.current.press(event.key);
      } else if (event.key === 'Backspace') {
        event.preventDefault();
        handlers.current.remove();
      } else if (event.key === 'Enter') {
        // Enter means "submit the PIN" once a digit is in; preventDefault stops it
        // also clicking whichever button has focus. Cancel keeps its own Enter,
        // and with nothing typed Enter does what it normally does.
        if (digitsRef.current.length === 0 || target?.closest('[data-pin-cancel]')) return;
        event.preventDefault();
        handlers.current.submit();
      } else if (event.key === 'Escape') {
        event.preventDefault();
        handlers.current.cancel();
      }
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  const shown = hint ?? (awaitingAnswer ? null : message);
  const slots = Math.max(MIN_DIGITS, digits.length);
  const count = digits.length;
  const countText =
    count === 0 ? 'No digits entered' : `${count} ${count === 1 ? 'digit' : 'digits'} entered`;

  return (
    <>
      <div className="pin-display">
        <div className="pin-dots" aria-hidden="true">
          {Array.from({ length: slots }, (_, i) => (
            <span key={i} className={i < count ? 'pin-dot pin-dot-filled' : 'pin-dot'} />
          ))}
        </div>
        <p className="pin-count" role="status" aria-live="polite">
          {countText}
        </p>
      </div>
      <div className="pin-message" role="alert">
        {shown ? (
          <p className="message message-error">
            <span aria-hidden="true">{locked && !hint ? '✕ ' : '⚠ '}</span>
            {shown}
          </p>
        ) : null}
      </div>
      {/* data-pin-pad: the on-screen keyboard stays away while the PIN pad is in use. */}
      <div className="pin-pad" role="group" aria-label="PIN keypad" data-pin-pad>
        {KEYS.map((key) => (
          <button key={key} type="button" className="btn key" onClick={() => press(key)}>
            {key}
          </button>
        ))}
        <button type="button" className="btn key key-clear" aria-label="Clear" onClick={remove}>
          <span aria-hidden="true">⌫ </span>
          Clear
        </button>
        <button type="button" className="btn key" onClick={() => press('0')}>
          0
        </button>
        <button type="button" className="btn key key-enter btn-primary" onClick={submit}>
          Enter
        </button>
      </div>
      <button type="button" className="btn btn-secondary pin-cancel" data-pin-cancel onClick={cancel}>
        {cancelLabel}
      </button>
    </>
  );
}
