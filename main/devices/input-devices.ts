import type { DeviceHealthView } from '../../preload/contract.ts';
import type { LinkHealth } from '../../native-bridges/device-health.ts';
import type { CardReaderPort, ScannerPort } from '../core/ports.ts';

interface HealthyBridge {
  health(): LinkHealth;
  onHealth(listener: (health: LinkHealth) => void): () => void;
}

/** Give a bridge the id and label people see on the status bar. */
function labelled(bridge: HealthyBridge, id: string, label: string) {
  const view = (h: LinkHealth): DeviceHealthView => ({ id, label, state: h.state, lastError: h.lastError });
  return {
    health: () => view(bridge.health()),
    onHealth: (listener: (health: DeviceHealthView) => void) => bridge.onHealth((h) => listener(view(h))),
  };
}

export function cardReaderPort(bridge: HealthyBridge & { onCard(listener: (uid: string) => void): () => void }, label: string): CardReaderPort {
  return { ...labelled(bridge, 'card-reader', label), onCard: (listener) => bridge.onCard(listener) };
}

export function scannerPort(bridge: HealthyBridge & { onScan(listener: (code: string) => void): () => void }, label: string): ScannerPort {
  return { ...labelled(bridge, 'scanner', label), onScan: (listener) => bridge.onScan(listener) };
}
