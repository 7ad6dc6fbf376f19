import type { ScreenView } from '../../../preload/contract.ts';
import { DoorStep } from '../components/DoorStep.tsx';

type View = Extract<ScreenView, { kind: 'draw-door-open' }>;

export function DrawDoorOpenScreen({ screen }: { screen: View }) {
  const item = (
    <>
      the {screen.assetTypeName} <span className="nowrap">(serial {screen.serial})</span>
    </>
  );
  return (
    <DoorStep doorNumber={screen.doorNumber} opened={screen.opened}>
      {screen.opened ? <>Take {item} and close the door.</> : <>When it opens, take {item} and close the door.</>}
    </DoorStep>
  );
}
