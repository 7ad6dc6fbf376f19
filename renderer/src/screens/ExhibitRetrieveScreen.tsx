import { useCallback, useState } from 'react';
import type { FormEvent } from 'react';
import type { ScreenView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { FormHint } from '../components/FormHint.tsx';
import { PageHead, ScreenMessage } from '../components/PageHead.tsx';
import { PinPad } from '../components/PinPad.tsx';
import { TextField } from '../components/TextField.tsx';

type RetrieveView = Extract<ScreenView, { kind: 'exhibit-retrieve' }>;

/**
 * The property store retrieving one exhibit: a second property officer (drugs, cash, firearms)
 * taps their card and enters their PIN, then the seal on the bag is typed or scanned. A seal
 * that is not the one on record stops everything: the door stays shut and an exception is raised.
 */
export function ExhibitRetrieveScreen({ screen, commands }: { screen: RetrieveView; commands: Commands }) {
  const cancel = useCallback(() => commands.cancelExhibitRetrieval({}), [commands]);
  const submitPin = useCallback((pin: string) => commands.submitWitnessPin({ pin }), [commands]);
  const [seal, setSeal] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const name = `exhibit ${screen.reference} (${screen.occurrence}), door ${screen.doorNumber}`;

  function check(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    if (seal.trim().length < 3) return setHint('Type the seal number on the bag, or scan it.');
    setHint(null);
    commands.checkSeal({ seal: seal.trim() });
  }

  return (
    <div className="screen screen-exhibit-retrieve">
      <PageHead title={`Retrieve ${screen.reference}`} onBack={cancel} />
      <p className="page-intro">
        {screen.category} {name}.{screen.witness ? ` Witnessed by ${screen.witness}.` : ''}
      </p>
      {screen.step === 'witness-card' ? (
        <section aria-labelledby="retrieve-step" className="panel override-step">
          <h2 id="retrieve-step">A second property officer taps their card</h2>
          <p>A {screen.category} exhibit is retrieved by two property officers. The second must be someone other than you.</p>
          <ScreenMessage message={screen.message} className="retrieve-message" />
          <button type="button" className="btn btn-secondary" onClick={cancel}>
            Cancel
          </button>
        </section>
      ) : screen.step === 'witness-pin' ? (
        <section aria-labelledby="retrieve-step" className="panel override-step override-pin">
          <h2 id="retrieve-step">Second property officer: enter your PIN</h2>
          <PinPad message={screen.message} answerKey={screen} onSubmit={submitPin} onCancel={cancel} who="Your" />
        </section>
      ) : (
        <section aria-labelledby="retrieve-step" className="panel override-step">
          <h2 id="retrieve-step">Check the seal</h2>
          <form className="refresh-form" onSubmit={check} noValidate aria-label={`Check the seal of ${name}`}>
            <TextField label="Seal number on the bag" hint="Type it, or scan it. A seal that is not the one on record stops the retrieval." value={seal} onChange={setSeal} maxLength={30} upperCase />
            <FormHint hint={hint} className="refresh-hint" />
            <ScreenMessage message={screen.message} className="retrieve-message" />
            <div className="refresh-actions">
              <button type="submit" className="btn btn-primary">
                Check the seal and open the door
              </button>
              <button type="button" className="btn btn-secondary" onClick={cancel}>
                Cancel
              </button>
            </div>
          </form>
        </section>
      )}
    </div>
  );
}
