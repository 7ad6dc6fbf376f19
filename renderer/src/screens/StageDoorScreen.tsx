import type { ScreenView } from '../../../preload/contract.ts';
import { DoorStep } from '../components/DoorStep.tsx';

type View = Extract<ScreenView, { kind: 'stage-door' }>;

/** Stores load a booked item into the door the terminal chose for it. */
export function StageDoorScreen({ screen }: { screen: View }) {
  const item = (
    <>
      the {screen.assetTypeName} <span className="nowrap">(serial {screen.serial})</span>
    </>
  );
  return (
    <DoorStep doorNumber={screen.doorNumber} opened={screen.opened} className="screen-stage">
      {screen.opened ? <>Put {item} inside and close the door.</> : <>When it opens, put {item} inside and close the door.</>} It is then held for {screen.officer} (booking{' '}
      {screen.reference}).
    </DoorStep>
  );
}
