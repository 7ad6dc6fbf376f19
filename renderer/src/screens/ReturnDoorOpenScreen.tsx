import type { ScreenView } from '../../../preload/contract.ts';
import { DoorStep } from '../components/DoorStep.tsx';

type View = Extract<ScreenView, { kind: 'return-door-open' }>;

export function ReturnDoorOpenScreen({ screen }: { screen: View }) {
  const item = (
    <>
      the {screen.assetTypeName} <span className="nowrap">(serial {screen.serial})</span>
    </>
  );
  return (
    <DoorStep doorNumber={screen.doorNumber} opened={screen.opened}>
      {screen.opened ? <>Put {item} inside and close the door.</> : <>When it opens, put {item} inside and close the door.</>}
    </DoorStep>
  );
}
