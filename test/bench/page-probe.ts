/**
 * What the peer-style bench watches inside the kiosk page (installed with addInitScript, so it
 * runs before the renderer): every click, stamped with the event's own time (when Chromium
 * took the input, not when a listener got round to it), every request the renderer sends on
 * its WebSocket, and every change of the screen's
 * heading (main h1), stamped at the next animation frame after the DOM changed, i.e. when it
 * is about to be painted. Stamps are on the shared epoch (stats.ts epochMs). A string, not a
 * function: it runs in the page, and the bench's TypeScript has no DOM types to check it with.
 */
import { z } from 'zod';

export const PAGE_PROBE_SCRIPT = `(() => {
  const now = () => performance.timeOrigin + performance.now();
  const records = [];
  window.__armouryBench = { take: () => records.splice(0), now };
  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button') : null;
    records.push({ kind: 'click', at: performance.timeOrigin + event.timeStamp, label: button ? (button.textContent || '') : '' });
  }, true);
  // The renderer's request leaving for the terminal: splits a touch's time into the page's part and the terminal's.
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const method = typeof data === 'string' ? /"method":"(\\w+)"/.exec(data) : null;
    if (method) records.push({ kind: 'send', method: method[1], at: now() });
    return send.call(this, data);
  };
  let shown = null;
  const look = () => {
    const heading = document.querySelector('main h1');
    const text = heading ? (heading.textContent || '') : null;
    if (text === shown) return;
    shown = text;
    const changedAt = now();
    const main = document.querySelector('main');
    const screen = main ? main.getAttribute('data-screen') : null;
    requestAnimationFrame(() => records.push({ kind: 'heading', text, screen, changedAt, at: now() }));
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true });
})();`;

/** Hands over (and forgets) what the probe has recorded since the last call. */
export const TAKE_PAGE_RECORDS = 'window.__armouryBench.take()';
/** The page's epoch clock, for the clock check. */
export const PAGE_NOW = 'window.__armouryBench.now()';

export const pageRecordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('click'), at: z.number(), label: z.string() }),
  z.object({ kind: z.literal('send'), method: z.string(), at: z.number() }),
  /** `changedAt`: the mutation was seen; `at`: the animation frame after it. */
  z.object({ kind: z.literal('heading'), text: z.string().nullable(), screen: z.string().nullable(), changedAt: z.number(), at: z.number() }),
]);
export type PageRecord = z.infer<typeof pageRecordSchema>;
export const pageRecordsSchema = z.array(pageRecordSchema);
