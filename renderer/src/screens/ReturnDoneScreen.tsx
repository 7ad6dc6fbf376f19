import type { ReturnCondition, ScreenView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { DoneActions } from '../components/DoneActions.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type View = Extract<ScreenView, { kind: 'return-done' }>;

const CONDITION_TEXT: Record<ReturnCondition, string> = {
  ok: 'OK',
  damaged: 'damaged',
  discharged: 'discharged',
};

export function ReturnDoneScreen({ screen, secondsLeft, commands }: { screen: View; secondsLeft: number | null; commands: Commands }) {
  return (
    <div className="screen screen-done">
      <p className="done-mark" aria-hidden="true">
        ✓
      </p>
      <ScreenHeading>
        Done — you have returned {screen.assetTypeName} {screen.serial}
      </ScreenHeading>
      <p className="done-text">Recorded as {CONDITION_TEXT[screen.condition]}.</p>
      {screen.quarantined ? (
        <p className="message message-warning">
          <span aria-hidden="true">⚠ </span>
          It has been quarantined. An armourer will check it before it is used again.
        </p>
      ) : null}
      <DoneActions secondsLeft={secondsLeft} commands={commands} />
    </div>
  );
}
