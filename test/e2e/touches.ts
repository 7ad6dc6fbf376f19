import type { Page } from '@playwright/test';

/** What an officer did at the terminal, by kind, as the page itself saw it. */
export interface Touches {
  /** Cards tapped on the reader (the Simulator's "Tap card"). */
  card: number;
  /** Presses on the touchscreen: each PIN key, Enter, every button, and anywhere else. */
  screen: number;
  /** Keys pressed on a keyboard. */
  key: number;
  /** Tags scanned (the Simulator's "Scan"). */
  scan: number;
  /** At the lockers: an item taken or put in, a door closed (the Simulator's door buttons). */
  door: number;
}

/** The little of the page the counter uses (this tree is typed without the DOM library). */
interface PageElement {
  closest(selector: string): PageElement | null;
  textContent: string | null;
}
interface PageGlobal {
  armouryTouches?: Touches;
  addEventListener(type: 'pointerdown' | 'keydown', listener: (event: { target: unknown }) => void, options: { capture: boolean }): void;
}

/**
 * Runs in the page before its own scripts: counts every pointer press and key press, whichever
 * step of a spec makes it, so a count cannot miss a press a helper made. The Simulator panel
 * plays the hardware, so its buttons count as the card, scan or door action they stand for;
 * opening and shutting the panel is the test's doing, not the officer's, and is not counted.
 * Self-contained: Playwright sends its source to the page.
 */
function install(): void {
  const page = globalThis as unknown as PageGlobal;
  const counts: Touches = { card: 0, screen: 0, key: 0, scan: 0, door: 0 };
  page.armouryTouches = counts;
  const elementOf = (target: unknown): PageElement | null =>
    target !== null && typeof target === 'object' && typeof (target as Partial<PageElement>).closest === 'function' ? (target as PageElement) : null;
  page.addEventListener(
    'pointerdown',
    (event) => {
      const target = elementOf(event.target);
      if (target?.closest('[aria-controls="demo-panel"]')) return;
      if (!target?.closest('#demo-panel')) {
        counts.screen++;
        return;
      }
      const label = target.closest('button')?.textContent?.trim() ?? '';
      if (label.startsWith('Tap card')) counts.card++;
      else if (label.startsWith('Scan')) counts.scan++;
      else if (/^(Take item|Put item|Close door)/.test(label)) counts.door++;
    },
    { capture: true },
  );
  page.addEventListener('keydown', () => counts.key++, { capture: true });
}

/** Count the officer's actions on this page from its next load (call before `page.goto`). */
export async function countTouches(page: Page): Promise<void> {
  await page.addInitScript(install);
}

/** Start a journey's count from nothing. */
export async function resetTouches(page: Page): Promise<void> {
  await page.evaluate(() => {
    const counts = (globalThis as unknown as PageGlobal).armouryTouches;
    if (!counts) throw new Error('countTouches was not called before the page loaded');
    for (const kind of Object.keys(counts) as (keyof Touches)[]) counts[kind] = 0;
  });
}

/** The count since the last reset. */
export async function touches(page: Page): Promise<Touches> {
  return page.evaluate(() => {
    const counts = (globalThis as unknown as PageGlobal).armouryTouches;
    if (!counts) throw new Error('countTouches was not called before the page loaded');
    return { ...counts };
  });
}
