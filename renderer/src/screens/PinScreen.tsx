import { useCallback } from 'react';
import type { ScreenView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { PinPad } from '../components/PinPad.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type PinView = Extract<ScreenView, { kind: 'pin' }>;

/** PIN entry after a card tap: the shared pad, sending the PIN once on Enter. */
export function PinScreen({ screen, commands }: { screen: PinView; commands: Commands }) {
  const submit = useCallback((pin: string) => commands.submitPin({ pin }), [commands]);
  const cancel = useCallback(() => commands.cancelPin({}), [commands]);
  return (
    <div className="screen screen-pin">
      <ScreenHeading>Enter your PIN</ScreenHeading>
      <PinPad message={screen.message} locked={screen.attemptsLocked} answerKey={screen} onSubmit={submit} onCancel={cancel} />
    </div>
  );
}
