import { useCallback, useEffect, useRef, useState } from 'react';
import type { SyntheticEvent } from 'react';

type TextField = HTMLInputElement | HTMLTextAreaElement;
type Layer = 'letters' | 'symbols';

/**
 * Input types the keyboard types into: the ones with a caret to insert at. Dates, numbers,
 * files, checkboxes and radios have their own pickers (and no selection API), so it stays away.
 */
const TYPEABLE_INPUTS: ReadonlySet<string> = new Set(['text', 'search', 'url', 'tel']);

const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-'] as const;
const LETTER_ROWS = [
  ['q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '/'],
  ['a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', "'", '@'],
  ['z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '?'],
] as const;
/** Everything a serial, a certificate ID, an organisation's name or the JSON configuration needs. */
const SYMBOL_ROWS = [
  ['!', '#', '£', '$', '%', '&', '*', '(', ')', '+', '='],
  ['"', ':', ';', '_', '[', ']', '{', '}', '<', '>', '\\'],
  ['|', '^', '`', '~', '€', ',', '.', '?', '/', '@'],
] as const;

function isTypeable(element: Element | null): element is TextField {
  if (element instanceof HTMLTextAreaElement) return !element.readOnly && !element.disabled;
  if (element instanceof HTMLInputElement) return TYPEABLE_INPUTS.has(element.type) && !element.readOnly && !element.disabled;
  return false;
}

/** The PIN pad has its own keys (and must never have its digits typed anywhere else). */
function pinPadShowing(): boolean {
  return document.querySelector('[data-pin-pad]') !== null;
}

/**
 * Set the field's value the way typing does, so React's onChange fires: React watches the
 * element's own `value` property, so the prototype's native setter is called past it, then a
 * bubbling `input` event tells React (and anyone else listening) that the text changed.
 */
function setFieldValue(field: TextField, value: string): void {
  const prototype = field instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  const setter = Object.getOwnPropertyDescriptor(prototype, 'value')?.set;
  if (setter) setter.call(field, value);
  else field.value = value;
  field.dispatchEvent(new Event('input', { bubbles: true }));
}

/** Replace the selection (or insert at the caret) with `text`, within the field's maxLength. */
function insertText(field: TextField, text: string): void {
  const start = field.selectionStart ?? field.value.length;
  const end = field.selectionEnd ?? start;
  const room = field.maxLength >= 0 ? field.maxLength - (field.value.length - (end - start)) : Infinity;
  if (room <= 0) return;
  const typed = text.slice(0, room);
  setFieldValue(field, field.value.slice(0, start) + typed + field.value.slice(end));
  const caret = start + typed.length;
  field.setSelectionRange(caret, caret);
}

function backspace(field: TextField): void {
  const start = field.selectionStart ?? field.value.length;
  const end = field.selectionEnd ?? start;
  if (start === end && start === 0) return;
  const from = start === end ? start - 1 : start;
  setFieldValue(field, field.value.slice(0, from) + field.value.slice(end));
  field.setSelectionRange(from, from);
}

function moveCaret(field: TextField, by: -1 | 1): void {
  const at = by < 0 ? (field.selectionStart ?? 0) : (field.selectionEnd ?? field.value.length);
  const next = Math.min(field.value.length, Math.max(0, at + by));
  field.setSelectionRange(next, next);
}

/** Styles that decide where a textarea's text wraps, copied onto the measuring mirror. */
const MIRRORED_STYLES = [
  'boxSizing',
  'width',
  'paddingTop',
  'paddingRight',
  'paddingBottom',
  'paddingLeft',
  'borderTopWidth',
  'borderRightWidth',
  'borderBottomWidth',
  'borderLeftWidth',
  'fontFamily',
  'fontSize',
  'fontWeight',
  'lineHeight',
  'letterSpacing',
  'wordSpacing',
  'tabSize',
] as const;

/**
 * How far below the textarea's top edge its caret is drawn: the text up to the caret is laid
 * out in a hidden copy of the field (same width, font and wrapping) and a marker measured.
 */
function caretTop(field: HTMLTextAreaElement): number {
  const style = window.getComputedStyle(field);
  const mirror = document.createElement('div');
  for (const name of MIRRORED_STYLES) mirror.style[name] = style[name];
  mirror.style.position = 'absolute';
  mirror.style.visibility = 'hidden';
  mirror.style.top = '0';
  mirror.style.left = '-10000px';
  mirror.style.whiteSpace = 'pre-wrap';
  mirror.style.overflowWrap = 'break-word';
  mirror.textContent = field.value.slice(0, field.selectionStart ?? 0);
  const marker = document.createElement('span');
  marker.textContent = '\u200b';
  mirror.appendChild(marker);
  document.body.appendChild(mirror);
  const top = marker.offsetTop;
  mirror.remove();
  return top - field.scrollTop;
}

function scrollParent(element: Element): HTMLElement | null {
  for (let node = element.parentElement; node; node = node.parentElement) {
    const overflow = window.getComputedStyle(node).overflowY;
    if ((overflow === 'auto' || overflow === 'scroll') && node.scrollHeight > node.clientHeight) return node;
  }
  return null;
}

/** Room kept between the line being typed and the edge of the area above the keyboard. */
const REVEAL_MARGIN = 24;

/**
 * Bring the field into view above the keyboard. A textarea can be taller than the room left
 * (the hardware screen's JSON), so the line with its caret is brought into view as well.
 */
function revealField(field: TextField): void {
  field.scrollIntoView({ block: 'nearest' });
  if (!(field instanceof HTMLTextAreaElement)) return;
  const scroller = scrollParent(field);
  if (!scroller) return;
  const lineHeight = Number.parseFloat(window.getComputedStyle(field).lineHeight) || 24;
  const caret = field.getBoundingClientRect().top + caretTop(field);
  const room = scroller.getBoundingClientRect();
  if (caret + lineHeight > room.bottom - REVEAL_MARGIN) scroller.scrollTop += caret + lineHeight - (room.bottom - REVEAL_MARGIN);
  else if (caret < room.top + REVEAL_MARGIN) scroller.scrollTop -= room.top + REVEAL_MARGIN - caret;
}

/** Keys must not take focus from the field they type into (mouse, touch and pen alike). */
function keepFocus(event: SyntheticEvent): void {
  event.preventDefault();
}

/** The label a person sees for the field, so the keyboard can say where it is typing. */
function fieldName(field: TextField): string {
  const label = field.labels?.[0]?.textContent?.trim();
  return label || field.getAttribute('aria-label') || 'the text field';
}

/**
 * The touch bar's on-screen keyboard, mounted once by App. It docks at the bottom of the
 * layout whenever a text field (a text or search input, or a textarea) has focus, and types
 * into that field at its caret. Its keys keep focus in the field (they cancel pointer and mouse
 * down), and a key reached with Tab still types into the field it came from. Docked in the
 * layout rather than over it, the page above shrinks instead of being covered, and the field
 * is scrolled into view. It stays hidden while a PIN pad is showing.
 *
 * Shown and hidden only between taps: a layout that moved between pointer down and up would
 * send the tap to whatever slid under the finger.
 */
export function OnScreenKeyboard() {
  const [target, setTarget] = useState<TextField | null>(null);
  const [layer, setLayer] = useState<Layer>('letters');
  const [shift, setShift] = useState(false);
  // Caps lock as the person set it for this field; until they touch it, what the field asks for
  // (serials, collar numbers: capitals). Worked out while rendering, so the keys a new field shows
  // are right from its first frame rather than one effect later.
  const [capsSet, setCapsSet] = useState<{ field: TextField; on: boolean } | null>(null);
  const caps = capsSet !== null && capsSet.field === target ? capsSet.on : target?.autocapitalize === 'characters';
  const region = useRef<HTMLElement>(null);
  const targetRef = useRef<TextField | null>(null);
  targetRef.current = target;
  const settleRef = useRef<() => void>(() => {});

  useEffect(() => {
    let pointerDown = false;
    let timer: number | undefined;
    const settle = (): void => {
      const active = document.activeElement;
      if (pinPadShowing()) setTarget(null);
      else if (isTypeable(active)) setTarget(active);
      // Tabbing through the keys: keep typing into the field focus came from, while it is there.
      else if (active !== null && region.current?.contains(active) && targetRef.current?.isConnected) return;
      else setTarget(null);
    };
    const schedule = (): void => {
      if (pointerDown) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(settle, 0);
    };
    settleRef.current = schedule;
    const down = (): void => {
      pointerDown = true;
    };
    const up = (): void => {
      pointerDown = false;
      schedule();
    };
    document.addEventListener('focusin', schedule);
    document.addEventListener('focusout', schedule);
    window.addEventListener('pointerdown', down, { capture: true, passive: true });
    window.addEventListener('pointerup', up, { capture: true, passive: true });
    window.addEventListener('pointercancel', up, { capture: true, passive: true });
    return () => {
      window.clearTimeout(timer);
      document.removeEventListener('focusin', schedule);
      document.removeEventListener('focusout', schedule);
      window.removeEventListener('pointerdown', down, { capture: true });
      window.removeEventListener('pointerup', up, { capture: true });
      window.removeEventListener('pointercancel', up, { capture: true });
    };
  }, []);

  // A field removed with the screen or form it was in sends no focus event: watch the page for it
  // (and for a PIN pad appearing) while the keyboard is up.
  useEffect(() => {
    if (!target) return;
    const observer = new MutationObserver(() => {
      if (!target.isConnected || pinPadShowing()) settleRef.current();
    });
    observer.observe(document.body, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [target]);

  // A new field: letters, lower case unless the field asks for capitals (serials, collar numbers),
  // and brought into view above the keyboard once the layout has made room for it.
  useEffect(() => {
    if (!target) return;
    setLayer('letters');
    setShift(false);
    const frame = window.requestAnimationFrame(() => revealField(target));
    return () => window.cancelAnimationFrame(frame);
  }, [target]);

  const upper = caps !== shift;
  const type = useCallback(
    (text: string) => {
      const field = targetRef.current;
      if (!field?.isConnected) return;
      insertText(field, text);
      if (field instanceof HTMLTextAreaElement) revealField(field);
      if (shift) setShift(false);
    },
    [shift],
  );
  const withField = (action: (field: TextField) => void) => () => {
    const field = targetRef.current;
    if (field?.isConnected) action(field);
  };
  const done = (): void => {
    targetRef.current?.blur();
    setTarget(null);
  };

  if (!target) return null;
  const multiline = target instanceof HTMLTextAreaElement;
  const rows = layer === 'letters' ? LETTER_ROWS : SYMBOL_ROWS;
  const charKey = (char: string) => {
    const shown = layer === 'letters' && upper ? char.toUpperCase() : char;
    return (
      <button key={char} type="button" className="btn osk-key" onPointerDown={keepFocus} onMouseDown={keepFocus} onClick={() => type(shown)}>
        {shown}
      </button>
    );
  };

  return (
    <section ref={region} className="osk" aria-label={`On-screen keyboard, typing into ${fieldName(target)}`} data-osk>
      <div className="osk-row">
        {DIGITS.map(charKey)}
        <button type="button" className="btn osk-key osk-backspace" onPointerDown={keepFocus} onMouseDown={keepFocus} onClick={withField(backspace)}>
          <span aria-hidden="true">⌫ </span>
          Backspace
        </button>
      </div>
      {rows.map((row, index) => (
        <div key={`${layer}-${index}`} className="osk-row">
          {index === 2 && layer === 'letters' ? (
            <button
              type="button"
              className={`btn osk-key osk-wide${shift ? ' osk-on' : ''}`}
              aria-pressed={shift}
              onPointerDown={keepFocus}
              onMouseDown={keepFocus}
              onClick={() => setShift((on) => !on)}
            >
              <span aria-hidden="true">⇧ </span>
              Shift
            </button>
          ) : null}
          {row.map(charKey)}
        </div>
      ))}
      <div className="osk-row">
        <button
          type="button"
          className={`btn osk-key osk-wide${caps ? ' osk-on' : ''}`}
          aria-pressed={caps}
          disabled={layer !== 'letters'}
          onPointerDown={keepFocus}
          onMouseDown={keepFocus}
          onClick={() => {
            if (target) setCapsSet({ field: target, on: !caps });
            setShift(false);
          }}
        >
          Caps lock
        </button>
        <button
          type="button"
          className={`btn osk-key osk-wide${layer === 'symbols' ? ' osk-on' : ''}`}
          aria-pressed={layer === 'symbols'}
          onPointerDown={keepFocus}
          onMouseDown={keepFocus}
          onClick={() => setLayer((current) => (current === 'letters' ? 'symbols' : 'letters'))}
        >
          Symbols
        </button>
        <button type="button" className="btn osk-key" aria-label="Move left" onPointerDown={keepFocus} onMouseDown={keepFocus} onClick={withField((field) => moveCaret(field, -1))}>
          <span aria-hidden="true">◀</span>
        </button>
        <button type="button" className="btn osk-key osk-space" onPointerDown={keepFocus} onMouseDown={keepFocus} onClick={() => type(' ')}>
          Space
        </button>
        <button type="button" className="btn osk-key" aria-label="Move right" onPointerDown={keepFocus} onMouseDown={keepFocus} onClick={withField((field) => moveCaret(field, 1))}>
          <span aria-hidden="true">▶</span>
        </button>
        {multiline ? (
          <button type="button" className="btn osk-key osk-wide" onPointerDown={keepFocus} onMouseDown={keepFocus} onClick={() => type('\n')}>
            <span aria-hidden="true">↵ </span>
            New line
          </button>
        ) : null}
        <button type="button" className="btn btn-primary osk-key osk-wide osk-done" onPointerDown={keepFocus} onMouseDown={keepFocus} onClick={done}>
          Done
        </button>
      </div>
    </section>
  );
}
