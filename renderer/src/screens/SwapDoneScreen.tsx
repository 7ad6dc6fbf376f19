import type { ScreenView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { DoneActions } from '../components/DoneActions.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type View = Extract<ScreenView, { kind: 'swap-done' }>;

/** The swap is complete: the old device is handed in, the new one is recorded against the officer. */
export function SwapDoneScreen({ screen, secondsLeft, commands }: { screen: View; secondsLeft: number | null; commands: Commands }) {
  return (
    <div className="screen screen-done screen-swap-done">
      <p className="done-mark" aria-hidden="true">
        ✓
      </p>
      <ScreenHeading>
        Done — you now hold {screen.newTypeName} {screen.newSerial}
      </ScreenHeading>
      <ul className="swap-done-list">
        <li>
          <span aria-hidden="true">↩ </span>
          Handed in: {screen.oldTypeName} <span className="nowrap">{screen.oldSerial}</span>
        </li>
        <li>
          <span aria-hidden="true">✓ </span>
          Issued to you: {screen.newTypeName} <span className="nowrap">{screen.newSerial}</span>
        </li>
      </ul>
      <p className="done-text">Both are recorded. Door {screen.doorNumber} is closed.</p>
      <DoneActions secondsLeft={secondsLeft} commands={commands} />
    </div>
  );
}
