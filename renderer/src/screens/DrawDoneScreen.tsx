import type { ScreenView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { DoneActions } from '../components/DoneActions.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type View = Extract<ScreenView, { kind: 'draw-done' }>;

export function DrawDoneScreen({ screen, secondsLeft, commands }: { screen: View; secondsLeft: number | null; commands: Commands }) {
  return (
    <div className="screen screen-done">
      <p className="done-mark" aria-hidden="true">
        ✓
      </p>
      <ScreenHeading>
        Done — you have drawn {screen.assetTypeName} {screen.serial}
      </ScreenHeading>
      <p className="done-text">
        It is now recorded against you. Door {screen.doorNumber} is closed.
      </p>
      <DoneActions secondsLeft={secondsLeft} commands={commands} />
    </div>
  );
}
