import type { ScreenView } from '../../../preload/contract.ts';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type View = Extract<ScreenView, { kind: 'collect-door' }>;

/**
 * IT collects a retired device from its door. "Opening…" until a sensor has seen the door
 * open (the unlock alone proves nothing), then "open" until it closes again.
 */
export function CollectDoorScreen({ screen }: { screen: View }) {
  const item = (
    <>
      {screen.assetTypeName} <span className="nowrap">(serial {screen.serial})</span>
    </>
  );
  return (
    <div className="screen screen-door screen-collect">
      <p className="door-badge" aria-hidden="true">
        {screen.doorNumber}
      </p>
      <ScreenHeading className="screen-title door-title">
        {screen.opened ? `Door ${screen.doorNumber} is open` : `Door ${screen.doorNumber} is opening…`}
      </ScreenHeading>
      <p className="door-instruction">
        {screen.opened ? <>Take out the {item} for sanitisation and close the door.</> : <>When it opens, take out the {item} and close the door.</>}
      </p>
      <p className="muted door-wait" role="status">
        {screen.opened ? 'Waiting for the door to close…' : 'Waiting for the door to open…'}
      </p>
    </div>
  );
}
