import type { LockerStatusView } from '../../../preload/contract.ts';
import { OutOfService } from '../components/OutOfService.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useNow } from '../components/useNow.ts';
import { formatClock, formatLongDate } from '../format.ts';

export function IdleScreen({ terminalName, lockers }: { terminalName: string; lockers: LockerStatusView }) {
  const now = useNow(1000);
  return (
    <div className="screen screen-idle">
      <p className="idle-terminal">{terminalName}</p>
      <ScreenHeading className="idle-title">Tap your card</ScreenHeading>
      <p className="idle-sub">Hold your warrant card against the reader to sign in.</p>
      <OutOfService lockers={lockers} className="idle-out-of-service" />
      <p className="idle-clock">
        <time dateTime={now.toISOString()}>
          <span className="idle-time">{formatClock(now)}</span>
          <span className="idle-date">{formatLongDate(now)}</span>
        </time>
      </p>
    </div>
  );
}
