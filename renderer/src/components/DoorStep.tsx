import type { ReactNode } from 'react';
import { ScreenHeading } from './ScreenHeading.tsx';

/**
 * The frame of every screen where a person stands at a door: "opening…" until a status poll
 * has seen the door open (an unlock sent proves nothing: the latch may be jammed or the board
 * deaf), then "open" until a poll sees it shut. The words carry the state, so nothing depends
 * on colour or on the badge.
 */
export function DoorStep({ doorNumber, opened, className, children }: { doorNumber: number; opened: boolean; className?: string; children: ReactNode }) {
  return (
    <div className={`screen screen-door${className ? ` ${className}` : ''}`} data-door-state={opened ? 'open' : 'opening'}>
      <p className="door-badge" aria-hidden="true">
        {doorNumber}
      </p>
      <ScreenHeading className="screen-title door-title">{opened ? `Door ${doorNumber} is open` : `Door ${doorNumber} is opening…`}</ScreenHeading>
      <p className="door-instruction">{children}</p>
      <p className="muted door-wait" role="status">
        {opened ? 'Waiting for the door to close…' : 'Waiting for the door to open…'}
      </p>
    </div>
  );
}
