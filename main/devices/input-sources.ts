import { Listeners, type LinkHealth } from '../../native-bridges/device-health.ts';
import { EvdevKeyboardReader } from '../../native-bridges/keyboard-wedge/evdev-reader.ts';
import { loadKoffiGrabControl } from '../../native-bridges/keyboard-wedge/grab-control.ts';
import type { ByteTransport } from '../../native-bridges/transport/byte-transport.ts';
import type { FrameLog } from './frame-log.ts';
import { DEFAULT_BACKOFF, type SupervisedLink } from './supervised-link.ts';

/** A source of card UIDs or scans, with the id and label people see. */
export interface InputSource {
  id: string;
  label: string;
  health(): LinkHealth;
  onHealth(listener: (health: LinkHealth) => void): () => void;
  subscribe(listener: (code: string) => void): () => void;
  start(): void;
  stop(): Promise<void>;
}

/** What every reader built on a byte transport offers (serial scanner, RDM6300 reader). */
export interface TransportReader {
  health(): LinkHealth;
  onHealth(listener: (health: LinkHealth) => void): () => void;
  close(): Promise<void>;
}

/** A device with no link of its own to supervise (simulators, PC/SC through pcscd). */
export function directSource(
  id: string,
  label: string,
  device: { health(): LinkHealth; onHealth(listener: (h: LinkHealth) => void): () => void; close?: () => Promise<void> },
  subscribe: (listener: (code: string) => void) => () => void,
): InputSource {
  return { id, label, health: () => device.health(), onHealth: (l) => device.onHealth(l), subscribe, start: () => {}, stop: async () => device.close?.() };
}

/**
 * A reader on a supervised serial link: a new reader on every (re)connected transport,
 * its events forwarded, its frames logged, its health combined with the link's.
 */
export function serialSource<R extends TransportReader>(options: {
  id: string;
  label: string;
  link: SupervisedLink;
  frames: FrameLog;
  make: (transport: ByteTransport) => R;
  events: (reader: R, emit: (code: string) => void) => void;
  log: (reader: R, frames: FrameLog) => void;
}): InputSource {
  const codes = new Listeners<string>();
  const healthListeners = new Listeners<LinkHealth>();
  let reader: R | null = null;
  const health = (): LinkHealth => {
    const link = options.link.health();
    return link.state === 'online' && reader ? reader.health() : link;
  };
  options.link.onTransport((transport) => {
    const next = options.make(transport);
    reader = next;
    options.events(next, (code) => codes.emit(code));
    options.log(next, options.frames);
    next.onHealth(() => healthListeners.emit(health()));
    healthListeners.emit(health());
  });
  options.link.onHealth(() => healthListeners.emit(health()));
  return {
    id: options.id,
    label: options.label,
    health,
    onHealth: (l) => healthListeners.add(l),
    subscribe: (l) => codes.add(l),
    start: () => options.link.start(),
    stop: () => options.link.stop(),
  };
}

/**
 * A keyboard-mode scanner or keyboard-wedge card reader read from its evdev node, grabbed
 * exclusively where the grab is available, and reopened with back-off after an unplug.
 */
export function evdevSource(id: string, label: string, path: string, log: (line: string) => void): InputSource {
  const grab = loadKoffiGrabControl();
  if (!grab) log(`${label}: no exclusive grab available (koffi not loadable): install the udev rule from the README so the desktop ignores ${path}`);
  const reader = new EvdevKeyboardReader({ path, grab: grab ?? undefined });
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;
  let stopped = false;
  const reopen = () => {
    if (stopped || timer) return;
    const delay = Math.min(DEFAULT_BACKOFF.maxDelayMs, DEFAULT_BACKOFF.minDelayMs * 2 ** failures++);
    timer = setTimeout(() => {
      timer = null;
      void attempt();
    }, delay);
  };
  const attempt = async () => {
    try {
      await reader.open();
      failures = 0;
    } catch {
      reopen();
    }
  };
  reader.onHealth((h) => {
    if (h.state === 'offline') reopen();
  });
  return {
    id,
    label,
    health: () => reader.health(),
    onHealth: (l) => reader.onHealth(l),
    subscribe: (l) => reader.onScan(l),
    start: () => void attempt(),
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await reader.close();
    },
  };
}
