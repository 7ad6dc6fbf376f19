import type { DeviceHealthView } from '../../preload/contract.ts';
import type { DeviceHealthSourceList } from '../core/kiosk-deps.ts';
import type { EstateLinkStatus } from './estate-publisher.ts';

/** "4 min", "26 h": how long ago, for the status bar. */
function ago(fromIso: string | null, now: Date): string {
  if (fromIso === null) return 'never';
  const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(fromIso)) / 60_000));
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.floor(hours / 24)} days ago`;
}

export interface EstateHealthInputs {
  link: () => EstateLinkStatus;
  referenceProblem: () => string | null;
  referenceSyncedAt: () => string | null;
  now: () => Date;
}

/**
 * The estate as one more line on the status bar, for officers and armourers alike: whether the
 * terminal reaches it, how old its reference data is, and how many events wait to go.
 */
export function estateHealth(input: EstateHealthInputs): DeviceHealthView {
  const link = input.link();
  const problem = input.referenceProblem();
  const state = link.state === 'refused' || link.state === 'offline' ? 'offline' : link.state === 'connecting' ? 'connecting' : problem !== null ? 'degraded' : 'online';
  const age = ago(input.referenceSyncedAt(), input.now());
  const parts = [`reference data from ${age}`];
  if (link.behind > 0) parts.push(`${link.behind} event${link.behind === 1 ? '' : 's'} waiting to go`);
  if (link.state === 'refused') parts.push(`refused by the estate: ${link.message ?? ''}`);
  else if (link.message !== null) parts.push(link.message);
  if (problem !== null) parts.push(problem);
  // The name is what officers read on the status bar (they are never shown lastError): the data's age is in it.
  return { id: 'estate', label: 'Estate link', name: `Estate link (reference data from ${age})`, state, lastError: parts.join('; ') };
}

/** The room's devices and the estate line, changing when either does. */
export function withEstate(devices: DeviceHealthSourceList, health: () => DeviceHealthView, listeners: Set<() => void>): DeviceHealthSourceList {
  return {
    list: () => [...devices.list(), health()],
    onChange(listener) {
      const off = devices.onChange(listener);
      listeners.add(listener);
      return () => {
        off();
        listeners.delete(listener);
      };
    },
  };
}
