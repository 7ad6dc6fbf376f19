import { useEffect } from 'react';
import { ScanTimingDetector } from '../../preload/contract.ts';

/** Text fields keep their keys: a person typing there is never mistaken for a scanner. */
function isEditable(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/**
 * The documented fallback for a keyboard-mode scanner where main has no evdev access: the
 * scanner types into this window, and a burst of keys under ~30 ms apart ending in Enter is
 * a scan (main decides what it means, as for any scanner). The Enter that ends a scan is
 * swallowed so it cannot press whichever button has focus.
 */
export function useKeyboardScans(enabled: boolean, onScan: (code: string) => void): void {
  useEffect(() => {
    if (!enabled) return;
    const detector = new ScanTimingDetector();
    const onKey = (event: KeyboardEvent): void => {
      if (isEditable(event.target)) return;
      const { scans } = detector.push({ key: event.key, at: event.timeStamp });
      if (scans.length === 0) return;
      if (event.key === 'Enter') event.preventDefault();
      for (const code of scans) onScan(code);
    };
    // Lets a person's lone keystroke go rather than wait for their next one.
    const timer = setInterval(() => detector.tick(performance.now()), 30);
    window.addEventListener('keydown', onKey, { capture: true });
    return () => {
      window.removeEventListener('keydown', onKey, { capture: true });
      clearInterval(timer);
    };
  }, [enabled, onScan]);
}
