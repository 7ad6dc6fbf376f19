import type { ScreenView } from '../../../preload/contract.ts';
import { DoorStep } from '../components/DoorStep.tsx';

type View = Extract<ScreenView, { kind: 'collect-door' }>;

/** IT collects a retired device from its door. */
export function CollectDoorScreen({ screen }: { screen: View }) {
  const item = (
    <>
      {screen.assetTypeName} <span className="nowrap">(serial {screen.serial})</span>
    </>
  );
  return (
    <DoorStep doorNumber={screen.doorNumber} opened={screen.opened} className="screen-collect">
      {screen.opened ? <>Take out the {item} for sanitisation and close the door.</> : <>When it opens, take out the {item} and close the door.</>}
    </DoorStep>
  );
}
