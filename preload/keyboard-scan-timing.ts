/**
 * The fallback for telling a keyboard-mode scanner from a person when there is no evdev
 * access (a renderer seeing only key events): a scanner types a burst with gaps under
 * ~30 ms and ends with Enter; people are slower. See design/PROTOCOLS.md ("Barcode
 * scanners"). Pure and deterministic: the caller passes each key's time, so the same
 * fixtures test it anywhere, and no DOM types are involved.
 *
 * Keys that might begin a burst are held back until it is clear what they are, then either
 * swallowed into a scan or handed back in `passThrough`, in order, for the caller to deliver
 * as ordinary typing. The caller should call `tick(now)` from a timer (every maxGapMs or so)
 * so a person's lone keystroke is not held until their next one.
 */

export interface KeyInput {
  /** A DOM-style key name: one character for text, 'Enter', 'Shift', 'Backspace'… */
  key: string;
  /** Milliseconds on any monotonic clock (event.timeStamp, performance.now()). */
  at: number;
}

export interface TimingHeuristicOptions {
  /** Longest gap between a scanner's keystrokes; default 30 ms. */
  maxGapMs?: number;
  /** Fewest characters that count as a scan; default 4. */
  minLength?: number;
  /**
   * Idle time after which a burst without Enter is given up as typing; default 100 ms.
   * Also how long Enter may trail the last character, as some scanners pause before the suffix.
   */
  idleResetMs?: number;
  /** Longest scan; a longer burst is handed back as typing. Default 256. */
  maxLength?: number;
}

export interface TimingResult {
  /** Completed scans, Enter removed. */
  scans: string[];
  /** Keys that turned out to be typing, in the order they were pressed. */
  passThrough: KeyInput[];
}

/** Modifier key names carry no text: the shifted character arrives as its own key. */
const MODIFIERS: ReadonlySet<string> = new Set(['Shift', 'Control', 'Alt', 'AltGraph', 'Meta', 'CapsLock', 'NumLock']);

function isText(key: string): boolean {
  // One printable ASCII character; tags are ASCII, so anything else is a person's keyboard.
  return key.length === 1 && key >= ' ' && key <= '~';
}

export class ScanTimingDetector {
  private readonly maxGapMs: number;
  private readonly minLength: number;
  private readonly idleResetMs: number;
  private readonly maxLength: number;
  private held: KeyInput[] = [];

  constructor(options: TimingHeuristicOptions = {}) {
    this.maxGapMs = options.maxGapMs ?? 30;
    this.minLength = options.minLength ?? 4;
    this.idleResetMs = options.idleResetMs ?? 100;
    this.maxLength = options.maxLength ?? 256;
  }

  /** Keys held back while a burst is still possible. */
  get pending(): readonly KeyInput[] {
    return this.held;
  }

  push(input: KeyInput): TimingResult {
    const result: TimingResult = { scans: [], passThrough: [] };
    if (MODIFIERS.has(input.key)) return result;
    const last = this.held.at(-1);
    const gap = last === undefined ? Infinity : input.at - last.at;

    if (input.key === 'Enter') {
      if (this.held.length >= this.minLength && gap <= this.idleResetMs) {
        result.scans.push(this.held.map((k) => k.key).join(''));
        this.held = [];
      } else {
        this.releaseInto(result);
        result.passThrough.push(input);
      }
      return result;
    }

    if (!isText(input.key)) {
      // Backspace, Tab, arrows: a person editing. Whatever was held is theirs too.
      this.releaseInto(result);
      result.passThrough.push(input);
      return result;
    }

    if (last !== undefined && (gap > this.maxGapMs || gap < 0 || this.held.length >= this.maxLength)) {
      // Too slow (or the clock went backwards): what was held was typing, and this key may
      // start a burst of its own.
      this.releaseInto(result);
    }
    this.held.push(input);
    return result;
  }

  /** Call from a timer: hands back held keys once they can no longer be a burst. */
  tick(now: number): TimingResult {
    const result: TimingResult = { scans: [], passThrough: [] };
    const last = this.held.at(-1);
    if (last === undefined) return result;
    const idle = now - last.at;
    // Too few keys to be a scan and already too slow for the next one: no need to wait for Enter.
    const cannotGrow = idle > this.maxGapMs && this.held.length < this.minLength;
    if (idle > this.idleResetMs || cannotGrow) this.releaseInto(result);
    return result;
  }

  reset(): TimingResult {
    const result: TimingResult = { scans: [], passThrough: [] };
    this.releaseInto(result);
    return result;
  }

  private releaseInto(result: TimingResult): void {
    result.passThrough.push(...this.held);
    this.held = [];
  }
}

/** Runs a whole recorded sequence, ticking at each key's time first; for fixtures and replay. */
export function classifyKeys(inputs: readonly KeyInput[], options: TimingHeuristicOptions = {}, endAt?: number): TimingResult {
  const detector = new ScanTimingDetector(options);
  const out: TimingResult = { scans: [], passThrough: [] };
  const take = (r: TimingResult): void => {
    out.scans.push(...r.scans);
    out.passThrough.push(...r.passThrough);
  };
  for (const input of inputs) {
    take(detector.tick(input.at));
    take(detector.push(input));
  }
  take(endAt === undefined ? detector.reset() : detector.tick(endAt));
  return out;
}
