import { useEffect } from 'react';
import type { RefObject } from 'react';

/**
 * Make a scroll container focusable (tabindex 0) while its content overflows, so a keyboard
 * user can scroll it with the arrow keys even when nothing inside can take focus (a door
 * screen beside the Simulator panel, say). Not a tab stop when everything fits.
 *
 * The content's size changes with every screen and every form opened inside it, so the check
 * follows the container's own size and each of its children's.
 */
export function useFocusableWhenScrollable(ref: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const check = (): void => {
      const scrollable = element.scrollHeight > element.clientHeight + 1;
      if (scrollable && element.tabIndex !== 0) element.tabIndex = 0;
      else if (!scrollable && element.hasAttribute('tabindex')) element.removeAttribute('tabindex');
    };
    const sizes = new ResizeObserver(check);
    const observeChildren = (): void => {
      sizes.disconnect();
      sizes.observe(element);
      for (const child of Array.from(element.children)) sizes.observe(child);
      check();
    };
    const children = new MutationObserver(observeChildren);
    children.observe(element, { childList: true });
    observeChildren();
    return () => {
      sizes.disconnect();
      children.disconnect();
    };
  }, [ref]);
}
