import { describe, expect, it } from 'vitest';
import {
  GET_FEATURE_REPORT,
  SET_FEATURE_REPORT,
  SET_OUTPUT_REPORT,
  controlTransferData,
  encodeAllReport,
  encodeQyfUr02Report,
  encodeSwitchReport,
  parseStateReport,
  relayCountFromProduct,
} from '../../../native-bridges/video-trigger/usb-relay-codec.ts';
import type { UsbSetup } from '../../../native-bridges/video-trigger/usb-relay-codec.ts';
import { UsbRelayTrigger, openUsbRelayDevice, toWebUsbSetup } from '../../../native-bridges/video-trigger/usb-relay.ts';
import type { UsbRelayDevice } from '../../../native-bridges/video-trigger/usb-relay.ts';
import { expectTriggerError, videoEvent } from './events.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('USB relay codec', () => {
  it('builds the 9-byte feature reports [00, CMD, relay, 00×6]', () => {
    expect(hex(encodeSwitchReport(1, true))).toBe('00ff01000000000000');
    expect(hex(encodeSwitchReport(2, false))).toBe('00fd02000000000000');
    expect(hex(encodeSwitchReport(8, true))).toBe('00ff08000000000000');
    expect(hex(encodeAllReport(true))).toBe('00fe00000000000000');
    expect(hex(encodeAllReport(false))).toBe('00fc00000000000000');
    expect(() => encodeSwitchReport(0, true)).toThrow(RangeError);
    expect(() => encodeSwitchReport(9, true)).toThrow(RangeError);
  });

  it('sends the 8 data bytes in the control transfer (report ID 0 travels in wValue)', () => {
    expect(hex(controlTransferData(encodeSwitchReport(1, false)))).toBe('fd01000000000000');
    expect(SET_FEATURE_REPORT).toEqual({ bmRequestType: 0x21, bRequest: 0x09, wValue: 0x0300, wIndex: 0 });
    expect(GET_FEATURE_REPORT).toEqual({ bmRequestType: 0xa1, bRequest: 0x01, wValue: 0x0301, wIndex: 0 });
  });

  it('parses the state report: serial then bitmask at 7, or at 8 with the report ID kept', () => {
    const report = Buffer.from([0x51, 0x57, 0x45, 0x52, 0x54, 0x00, 0x00, 0b0000_0101]); // "QWERT", relays 1 and 3 on
    expect(parseStateReport(report)).toEqual({ serial: 'QWERT', mask: 5, on: [true, false, true, false, false, false, false, false] });
    const withId = Buffer.concat([Buffer.from([0x01]), report]);
    expect(parseStateReport(withId, true)).toEqual(parseStateReport(report));
    // Read the wrong way round, the serial check catches it rather than inventing states.
    expect(parseStateReport(withId, false)).toBeNull();
    expect(parseStateReport(report.subarray(0, 7))).toBeNull();
    expect(parseStateReport(Buffer.from([0, 1, 2, 3, 4, 0, 0, 1]))).toBeNull();
  });

  it('builds the CH551 QYF-UR02 reports 00 F1 / 00 01', () => {
    expect(hex(encodeQyfUr02Report(1, true))).toBe('00f1');
    expect(hex(encodeQyfUr02Report(1, false))).toBe('0001');
    expect(hex(encodeQyfUr02Report(2, true))).toBe('00f2');
    expect(hex(controlTransferData(encodeQyfUr02Report(2, false)))).toBe('02');
  });

  it('reads the relay count from the product string', () => {
    expect(relayCountFromProduct('USBRelay2')).toBe(2);
    expect(relayCountFromProduct('USBRelay8')).toBe(8);
    expect(relayCountFromProduct('USBRelay9')).toBeNull();
    expect(relayCountFromProduct(null)).toBeNull();
  });

  it('maps setup packets onto the usb package WebUSB form', () => {
    expect(toWebUsbSetup(SET_FEATURE_REPORT)).toEqual({ requestType: 'class', recipient: 'interface', request: 9, value: 0x0300, index: 0 });
    expect(toWebUsbSetup(GET_FEATURE_REPORT)).toEqual({ requestType: 'class', recipient: 'interface', request: 1, value: 0x0301, index: 0 });
  });
});

interface Transfer {
  dir: 'out' | 'in';
  setup: UsbSetup;
  data: string;
  at: number;
}

/** The fake device edge: records every transfer's exact bytes, and plays a board's relay state. */
class RecordingDevice implements UsbRelayDevice {
  readonly label = 'fake USBRelay2';
  readonly transfers: Transfer[] = [];
  mask = 0;
  failOut = false;
  stuck = false;
  closed = false;

  async controlTransferOut(setup: UsbSetup, data: Buffer): Promise<void> {
    this.transfers.push({ dir: 'out', setup, data: hex(data), at: Date.now() });
    if (this.failOut) throw new Error('LIBUSB_ERROR_NO_DEVICE');
    const [cmd, relay] = data;
    if (this.stuck || relay === undefined) return;
    if (cmd === 0xff) this.mask |= 1 << (relay - 1);
    if (cmd === 0xfd) this.mask &= ~(1 << (relay - 1));
  }

  async controlTransferIn(setup: UsbSetup, length: number): Promise<Buffer> {
    this.transfers.push({ dir: 'in', setup, data: String(length), at: Date.now() });
    return Buffer.from([0x41, 0x42, 0x43, 0x44, 0x45, 0, 0, this.mask]);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('UsbRelayTrigger with a recording device', () => {
  it('pulses the relay: on, read back, wait pulseMs, off — with the exact bytes', async () => {
    const device = new RecordingDevice();
    const sleeps: number[] = [];
    const trigger = new UsbRelayTrigger({ device, relay: 2, sleep: async (ms) => void sleeps.push(ms) });
    await trigger.send(videoEvent());
    expect(device.transfers.map((t) => [t.dir, t.setup, t.data])).toEqual([
      ['out', SET_FEATURE_REPORT, 'ff02000000000000'],
      ['in', GET_FEATURE_REPORT, '8'],
      ['out', SET_FEATURE_REPORT, 'fd02000000000000'],
    ]);
    expect(sleeps).toEqual([500]);
    expect(device.mask).toBe(0);
    expect(trigger.health()).toEqual({ state: 'online', lastError: null });
  });

  it('serialises pulses: a second event waits for the first to end', async () => {
    const device = new RecordingDevice();
    const trigger = new UsbRelayTrigger({ device, relay: 1, pulseMs: 40, verify: false });
    await Promise.all([trigger.send(videoEvent()), trigger.send(videoEvent())]);
    expect(device.transfers.map((t) => t.data)).toEqual(['ff01000000000000', 'fd01000000000000', 'ff01000000000000', 'fd01000000000000']);
    const [on1, off1] = device.transfers;
    expect((off1?.at ?? 0) - (on1?.at ?? 0)).toBeGreaterThanOrEqual(35);
  });

  it('a relay that does not switch is a protocol error, and the off is still sent', async () => {
    const device = new RecordingDevice();
    device.stuck = true;
    const trigger = new UsbRelayTrigger({ device, relay: 1, sleep: async () => undefined });
    const error = await expectTriggerError(trigger.send(videoEvent()), 'protocol');
    expect(error.message).toMatch(/did not switch on/);
    expect(device.transfers.at(-1)?.data).toBe('fd01000000000000');
  });

  it('an unplugged board is unreachable; the opener is called again next time', async () => {
    const devices: RecordingDevice[] = [];
    const trigger = new UsbRelayTrigger({
      device: async () => {
        const d = new RecordingDevice();
        d.failOut = devices.length === 0;
        devices.push(d);
        return d;
      },
      relay: 1,
      sleep: async () => undefined,
    });
    const error = await expectTriggerError(trigger.send(videoEvent()), 'unreachable');
    expect(error.message).toMatch(/LIBUSB_ERROR_NO_DEVICE/);
    expect(devices[0]?.closed).toBe(true);
    expect(trigger.health().state).toBe('offline');
    await trigger.send(videoEvent());
    expect(devices).toHaveLength(2);
    expect(trigger.health().state).toBe('online');
    await trigger.close();
    expect(devices[1]?.closed).toBe(true);
  });

  it('drives the QYF-UR02 variant with output reports and no read-back', async () => {
    const device = new RecordingDevice();
    const trigger = new UsbRelayTrigger({ device, relay: 2, variant: 'qyf-ur02', sleep: async () => undefined });
    await trigger.send(videoEvent());
    expect(device.transfers.map((t) => [t.setup, t.data])).toEqual([
      [SET_OUTPUT_REPORT, 'f2'],
      [SET_OUTPUT_REPORT, '02'],
    ]);
  });

  it('reads the board state', async () => {
    const device = new RecordingDevice();
    device.mask = 0b10;
    const trigger = new UsbRelayTrigger({ device, relay: 1 });
    expect(await trigger.readState()).toEqual({ serial: 'ABCDE', mask: 2, on: [false, true, false, false, false, false, false, false] });
  });
});

describe('the real device edge over the usb package', () => {
  it('with no board plugged in (or no USB at all, as in a CI container), reports unreachable', async () => {
    const error = await expectTriggerError(openUsbRelayDevice({ serial: 'NONE!' }), 'unreachable');
    expect(error.message).toMatch(/no USB relay 16c0:05df with serial NONE! could be opened|cannot enumerate USB devices/);
  });
});
