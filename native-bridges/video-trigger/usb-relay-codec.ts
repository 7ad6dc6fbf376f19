/**
 * Bytes of the cheap USB HID relay boards (V-USB firmware, 16c0:05df, product "USBRelayN",
 * manufacturer "www.dcttech.com"), and of the CH551 "QYF-UR02" boards that look the same but
 * speak differently. Pure: no I/O, every function total over its input.
 */

export const USB_RELAY_VENDOR_ID = 0x16c0;
export const USB_RELAY_PRODUCT_ID = 0x05df;
export const USB_RELAY_PRODUCT_PATTERN = /^USBRelay(\d)$/;

export const UsbRelayCommand = {
  ON: 0xff,
  OFF: 0xfd,
  ALL_ON: 0xfe,
  ALL_OFF: 0xfc,
} as const;

/** A control transfer's setup packet, spelled as on the wire. */
export interface UsbSetup {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
}

/** HID class SET_REPORT, host-to-device, to interface 0; wValue = (report type 3 = feature) << 8 | report ID 0. */
export const SET_FEATURE_REPORT: UsbSetup = { bmRequestType: 0x21, bRequest: 0x09, wValue: 0x0300, wIndex: 0 };
/** HID class GET_REPORT, device-to-host; feature report ID 1 is what the firmware answers with its state. */
export const GET_FEATURE_REPORT: UsbSetup = { bmRequestType: 0xa1, bRequest: 0x01, wValue: 0x0301, wIndex: 0 };
/** SET_REPORT of an output report (type 2), ID 0: how a hidraw write reaches a HID device without an interrupt OUT endpoint. */
export const SET_OUTPUT_REPORT: UsbSetup = { bmRequestType: 0x21, bRequest: 0x09, wValue: 0x0200, wIndex: 0 };

/** The feature report is 8 data bytes; with the leading report ID (as hidapi buffers carry it) 9. */
export const USB_RELAY_REPORT_LENGTH = 9;
export const USB_RELAY_MAX_RELAYS = 8;

function checkRelay(relay: number, max = USB_RELAY_MAX_RELAYS): void {
  if (!Number.isInteger(relay) || relay < 1 || relay > max) throw new RangeError(`relay must be an integer 1..${max}, got ${relay}`);
}

/** `[00, FF|FD, relay, 00×6]`: switch one relay (1-based). Report ID 0 first, as hidapi's hid_send_feature_report takes it. */
export function encodeSwitchReport(relay: number, on: boolean): Buffer {
  checkRelay(relay);
  const report = Buffer.alloc(USB_RELAY_REPORT_LENGTH);
  report[1] = on ? UsbRelayCommand.ON : UsbRelayCommand.OFF;
  report[2] = relay;
  return report;
}

/** `[00, FE|FC, 00×7]`: every relay on or off. */
export function encodeAllReport(on: boolean): Buffer {
  const report = Buffer.alloc(USB_RELAY_REPORT_LENGTH);
  report[1] = on ? UsbRelayCommand.ALL_ON : UsbRelayCommand.ALL_OFF;
  return report;
}

/**
 * The data stage of the SET_REPORT control transfer: the report without its ID byte. A control
 * transfer carries the report ID in wValue's low byte, and a device with unnumbered reports
 * (these boards) expects only the 8 data bytes; hidapi strips the 0 the same way, and captured
 * pyusb traffic to these boards is `ctrl_transfer(0x21, 9, 0x0300, 0, [FD, 01, 0, 0, 0, 0, 0, 0])`.
 */
export function controlTransferData(report: Uint8Array): Buffer {
  return Buffer.from(report[0] === 0 ? report.subarray(1) : report);
}

export interface UsbRelayState {
  /** Five ASCII characters set at the factory (often not unique between boards). */
  serial: string;
  /** Raw bitmask, bit 0 = relay 1. */
  mask: number;
  /** on[0] is relay 1; always 8 entries, whatever the board's relay count. */
  on: boolean[];
}

/**
 * Reads the GET_REPORT feature report: 5 ASCII serial bytes, then (after 2 unused bytes) the
 * bitmask at index 7. `reportIdKept` is for buffers that still start with the report ID
 * (hidapi's hid_get_feature_report) where everything shifts by one: serial at 1..5, mask at 8.
 * Null when too short or the serial is not printable (a different device, or noise). Never throws.
 */
export function parseStateReport(report: Uint8Array, reportIdKept = false): UsbRelayState | null {
  const offset = reportIdKept ? 1 : 0;
  if (report.length < offset + 8) return null;
  const serialBytes = report.subarray(offset, offset + 5);
  if (!serialBytes.every((b) => b >= 0x20 && b <= 0x7e)) return null;
  const mask = report[offset + 7] ?? 0;
  const on: boolean[] = [];
  for (let bit = 0; bit < 8; bit++) on.push((mask & (1 << bit)) !== 0);
  return { serial: Buffer.from(serialBytes).toString('latin1'), mask, on };
}

/** Relay count from the product string "USBRelayN"; null for anything else. */
export function relayCountFromProduct(product: string | null | undefined): number | null {
  const m = USB_RELAY_PRODUCT_PATTERN.exec(product ?? '');
  const n = m === null ? 0 : Number(m[1]);
  return n >= 1 && n <= USB_RELAY_MAX_RELAYS ? n : null;
}

/**
 * CH551-based "QYF-UR02" boards (same look, often the same 16c0:05df ids). What is known comes
 * from a seller's note reproduced in public hidraw scripts, not from a datasheet: an output
 * report with ID 0 and one data byte, 0xF0 | channel to close (switch on) the relay, channel
 * alone to open it: channel 1 on `00 F1`, off `00 01`; channel 2 `00 F2` / `00 02`. Reading
 * state is not documented, so there is no parser for it. Only channels 1..2 are confirmed.
 */
export function encodeQyfUr02Report(channel: number, on: boolean): Buffer {
  checkRelay(channel, 8);
  return Buffer.from([0x00, on ? 0xf0 | channel : channel]);
}
