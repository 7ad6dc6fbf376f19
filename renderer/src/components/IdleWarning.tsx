import { useEffect, useRef } from 'react';

/**
 * "Signing you out in N s": a modal alert dialog. Focus goes to its one button so
 * a single tap or Enter keeps the session. The rest of the page is made inert by App.
 */
export function IdleWarning({ secondsLeft, onStillHere }: { secondsLeft: number; onStillHere: () => void }) {
  const buttonRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    buttonRef.current?.focus();
  }, []);
  const seconds = Math.max(0, Math.ceil(secondsLeft));
  return (
    <div className="modal-backdrop">
      <div
        className="modal"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="idle-warning-title"
        aria-describedby="idle-warning-text"
      >
        <h2 id="idle-warning-title" className="modal-title">
          <span aria-hidden="true">⚠ </span>
          Signing you out in {seconds} s
        </h2>
        <p id="idle-warning-text" className="modal-text">
          Nobody has touched the screen for a while. Tap the button to stay signed in.
        </p>
        <button ref={buttonRef} type="button" className="btn btn-primary btn-huge" onClick={onStillHere}>
          I'm still here
        </button>
      </div>
    </div>
  );
}
