import { createContext, useContext, type ReactNode } from 'react';
import { ScreenHeading } from './ScreenHeading.tsx';

/** The terminal's named banks (from the snapshot), so a door screen can say which bank the door is in. */
export const DoorBanksContext = createContext<readonly { name: string; doors: number[] }[]>([]);

/**
 * The frame of every screen where a person stands at a door: "opening…" until a status poll
 * has seen the door open (an unlock sent proves nothing: the latch may be jammed or the board
 * deaf), then "open" until a poll sees it shut. The words carry the state, so nothing depends
 * on colour or on the badge.
 */
export function DoorStep({ doorNumber, opened, className, children }: { doorNumber: number; opened: boolean; className?: string; children: ReactNode }) {
  const bank = useContext(DoorBanksContext).find((b) => b.doors.includes(doorNumber))?.name ?? null;
  return (
    <div className={`screen screen-door${className ? ` ${className}` : ''}`} data-door-state={opened ? 'open' : 'opening'}>
      <p className="door-badge" aria-hidden="true">
        {doorNumber}
      </p>
      <ScreenHeading className="screen-title door-title">{opened ? `Door ${doorNumber} is open` : `Door ${doorNumber} is opening…`}</ScreenHeading>
      {bank ? <p className="door-bank">In the {bank}</p> : null}
      <p className="door-instruction">{children}</p>
      <p className="muted door-wait" role="status">
        {opened ? 'Waiting for the door to close…' : 'Waiting for the door to open…'}
      </p>
    </div>
  );
}
