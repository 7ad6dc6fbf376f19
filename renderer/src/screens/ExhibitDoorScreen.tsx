import type { ScreenView } from '../../../preload/contract.ts';
import { DoorStep } from '../components/DoorStep.tsx';

type View = Extract<ScreenView, { kind: 'exhibit-door' }>;

/** An exhibit's door, open for its deposit (one way) or its retrieval by the property store. */
export function ExhibitDoorScreen({ screen }: { screen: View }) {
  const name = (
    <>
      exhibit {screen.reference} <span className="nowrap">({screen.occurrence})</span>
    </>
  );
  const act = screen.direction === 'in' ? <>put {name} inside and close the door. You will not be able to open it again.</> : <>take out {name} and close the door.</>;
  return (
    <DoorStep doorNumber={screen.doorNumber} opened={screen.opened} className="screen-exhibit-door">
      {screen.opened ? <>Now {act}</> : <>When it opens, {act}</>}
    </DoorStep>
  );
}
