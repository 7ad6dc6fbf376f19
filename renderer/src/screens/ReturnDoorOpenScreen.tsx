import type { ScreenView } from '../../../preload/contract.ts';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type View = Extract<ScreenView, { kind: 'return-door-open' }>;

export function ReturnDoorOpenScreen({ screen }: { screen: View }) {
  return (
    <div className="screen screen-door">
      <p className="door-badge" aria-hidden="true">
        {screen.doorNumber}
      </p>
      <ScreenHeading className="screen-title door-title">Door {screen.doorNumber} is open</ScreenHeading>
      <p className="door-instruction">
        Put the {screen.assetTypeName} <span className="nowrap">(serial {screen.serial})</span> inside and close the
        door.
      </p>
      <p className="muted door-wait" role="status">
        Waiting for the door to close…
      </p>
    </div>
  );
}
