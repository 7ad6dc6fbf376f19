import { useId, useState, type FormEvent } from 'react';
import type { LockerStatusView, SetupView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { OutOfService } from '../components/OutOfService.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useNow } from '../components/useNow.ts';
import { formatClock, formatLongDate } from '../format.ts';

export function IdleScreen({ terminalName, lockers, setup, commands }: { terminalName: string; lockers: LockerStatusView; setup: SetupView | null; commands: Commands }) {
  const now = useNow(1000);
  if (setup) return <SetupScreen terminalName={terminalName} setup={setup} commands={commands} />;
  return (
    <div className="screen screen-idle">
      <p className="idle-terminal">{terminalName}</p>
      <ScreenHeading className="idle-title">Tap your card</ScreenHeading>
      <p className="idle-sub">Hold your warrant card against the reader to sign in.</p>
      <OutOfService lockers={lockers} className="idle-out-of-service" />
      <p className="idle-clock">
        <time dateTime={now.toISOString()}>
          <span className="idle-time">{formatClock(now)}</span>
          <span className="idle-date">{formatLongDate(now)}</span>
        </time>
      </p>
    </div>
  );
}

const SETUP_STEPS: readonly (readonly [SetupView['step'], string])[] = [
  ['code', 'The setup code and who you are'],
  ['card', 'Tap your card'],
  ['pin', 'Choose your PIN'],
];

/**
 * A live terminal nobody can sign in to yet: the first site admin enters the one-time setup
 * code (printed on the terminal's console, never on this screen) and who they are, then taps
 * their card and chooses a PIN.
 */
function SetupScreen({ terminalName, setup, commands }: { terminalName: string; setup: SetupView; commands: Commands }) {
  const [code, setCode] = useState('');
  const [collar, setCollar] = useState('');
  const [name, setName] = useState('');
  const ids = { code: useId(), collar: useId(), name: useId(), hint: useId() };
  function submit(event: FormEvent): void {
    event.preventDefault();
    commands.submitSetupCode({ code, collarNumber: collar, name });
    setCode('');
  }
  return (
    <div className="screen screen-idle screen-setup">
      <p className="idle-terminal">{terminalName}</p>
      <ScreenHeading className="idle-title">Set up this terminal</ScreenHeading>
      <ol className="setup-steps" aria-label="Setting up">
        {SETUP_STEPS.map(([step, words]) => (
          <li key={step} aria-current={setup.step === step ? 'step' : undefined}>
            {words}
            {setup.step === step ? <span className="setup-now"> (now)</span> : null}
          </li>
        ))}
      </ol>
      {setup.step === 'code' ? (
        <form className="panel setup-form" onSubmit={submit} aria-describedby={ids.hint}>
          <p id={ids.hint} className="field-hint">
            This terminal has no site admin yet. The first one enters the one-time setup code from {setup.codeLocation}. Every
            restart prints a new code; after five wrong tries the code stops working.
          </p>
          <label htmlFor={ids.code} className="field-label">
            Setup code (12 digits)
          </label>
          <input id={ids.code} className="text-input" inputMode="numeric" autoComplete="off" value={code} onChange={(e) => setCode(e.currentTarget.value)} required />
          <label htmlFor={ids.collar} className="field-label">
            Your collar number
          </label>
          <input id={ids.collar} className="text-input" autoComplete="off" value={collar} onChange={(e) => setCollar(e.currentTarget.value)} required maxLength={20} />
          <label htmlFor={ids.name} className="field-label">
            Your name
          </label>
          <input id={ids.name} className="text-input" autoComplete="off" value={name} onChange={(e) => setName(e.currentTarget.value)} required maxLength={80} />
          <button type="submit" className="btn btn-primary setup-submit">
            Continue
          </button>
        </form>
      ) : (
        <div className="panel setup-next" role="status">
          <p className="setup-admin">
            <span aria-hidden="true">✓ </span>
            Site admin: {setup.admin}
          </p>
          <p className="idle-sub">
            {setup.step === 'card'
              ? 'Now tap your warrant card on the reader: it becomes your card on this terminal.'
              : 'Tap your card on the reader and choose your PIN.'}
          </p>
        </div>
      )}
    </div>
  );
}
