import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';

/**
 * The screen's h1. It takes focus when the screen appears so a screen-reader user
 * hears where they are and the next Tab starts from the top of the new screen.
 */
export function ScreenHeading({ children, className }: { children: ReactNode; className?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Only pick up focus that the old screen dropped (its button vanished) or left on the
    // page's scroll area (focusable while it overflows); never steal it from the simulator
    // panel, the top bar or a dialog.
    const active = document.activeElement;
    if (active === null || active === document.body || !active.isConnected || active.tagName === 'MAIN') {
      ref.current?.focus({ preventScroll: true });
    }
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} className={className ?? 'screen-title'}>
      {children}
    </h1>
  );
}
