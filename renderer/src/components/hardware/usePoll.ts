import { useEffect, useRef } from 'react';

/**
 * Run `task` now and then every `intervalMs` after it settles (never two at once),
 * while `enabled` and the component is shown.
 */
export function usePoll(task: () => Promise<void>, intervalMs: number, enabled = true): void {
  const latest = useRef(task);
  useEffect(() => {
    latest.current = task;
  }, [task]);
  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    let timer: number | undefined;
    const tick = async (): Promise<void> => {
      try {
        await latest.current();
      } finally {
        if (!stopped) timer = window.setTimeout(() => void tick(), intervalMs);
      }
    };
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [intervalMs, enabled]);
}
