import { useCallback, useState } from 'react';
import type { ScreenView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { PinPad } from '../components/PinPad.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type PinView = Extract<ScreenView, { kind: 'pin' }>;

/** PIN entry after a card tap: the shared pad, sending the PIN once on Enter; or choosing a first PIN. */
export function PinScreen({ screen, commands }: { screen: PinView; commands: Commands }) {
  const submit = useCallback((pin: string) => commands.submitPin({ pin }), [commands]);
  const cancel = useCallback(() => commands.cancelPin({}), [commands]);
  if (screen.choosing) return <ChoosePin screen={screen} commands={commands} />;
  return (
    <div className="screen screen-pin">
      <ScreenHeading>Enter your PIN</ScreenHeading>
      <PinPad message={screen.message} locked={screen.attemptsLocked} answerKey={screen} onSubmit={submit} onCancel={cancel} />
    </div>
  );
}

/**
 * This card has no PIN yet (first sign-in, or an armourer reset it): the officer types a new
 * PIN twice. Main checks it is not an easy one (1111, 1234, 1212) and that both match.
 */
function ChoosePin({ screen, commands }: { screen: PinView; commands: Commands }) {
  const [first, setFirst] = useState<string | null>(null);
  const [mismatch, setMismatch] = useState(false);
  const cancel = useCallback(() => {
    setFirst(null);
    commands.cancelPin({});
  }, [commands]);
  const submit = useCallback(
    (pin: string) => {
      if (first === null) {
        setMismatch(false);
        setFirst(pin);
        return;
      }
      setFirst(null);
      if (pin !== first) {
        setMismatch(true);
        return;
      }
      commands.choosePin({ pin: first, confirm: pin });
    },
    [first, commands],
  );
  const message = mismatch ? 'The two PINs were not the same. Choose your PIN again.' : first === null ? screen.message : null;
  return (
    <div className="screen screen-pin screen-choose-pin">
      <ScreenHeading>{first === null ? 'Choose your PIN' : 'Type your new PIN again'}</ScreenHeading>
      <p className="pin-choose-hint">
        {first === null
          ? 'This card has no PIN yet. Choose 4 to 8 digits that are not easy to guess (not 1111, 1234 or 1212). Nobody else will ask for it.'
          : 'To be sure it is the one you meant.'}
      </p>
      <PinPad message={message} answerKey={`${first === null ? 'first' : 'again'}:${JSON.stringify(screen)}:${mismatch}`} onSubmit={submit} onCancel={cancel} />
    </div>
  );
}
