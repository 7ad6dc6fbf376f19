import { Listeners, type LinkHealth } from '../device-health.ts';

/**
 * A barcode/RFID scanner with no hardware behind it. It raises the same `scan` event
 * (the decoded tag text, terminator and symbology prefix removed) as the serial and HID
 * scanners, so demo scans take exactly the path real scans take.
 */
export class SimulatedScanner {
  private readonly scans = new Listeners<string>();
  private readonly healthListeners = new Listeners<LinkHealth>();

  scan(code: string): void {
    const text = code.trim();
    if (text.length === 0 || text.length > 64 || !/^[\x20-\x7e]+$/.test(text)) {
      throw new RangeError('a scan is 1 to 64 printable ASCII characters');
    }
    this.scans.emit(text);
  }

  onScan(listener: (code: string) => void): () => void {
    return this.scans.add(listener);
  }

  health(): LinkHealth {
    return { state: 'online', lastError: null };
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthListeners.add(listener);
  }
}
