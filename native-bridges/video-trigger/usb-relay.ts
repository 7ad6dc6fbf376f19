import type { LinkHealth } from '../device-health.ts';
import { TriggerError, TriggerHealth, assertVideoEvent, type VideoEvent, type VideoTrigger } from './trigger.ts';
import {
  GET_FEATURE_REPORT,
  SET_FEATURE_REPORT,
  SET_OUTPUT_REPORT,
  USB_RELAY_PRODUCT_ID,
  USB_RELAY_VENDOR_ID,
  controlTransferData,
  encodeQyfUr02Report,
  encodeSwitchReport,
  parseStateReport,
  relayCountFromProduct,
  type UsbRelayState,
  type UsbSetup,
} from './usb-relay-codec.ts';

/**
 * The device edge: two control transfers and close. It is the only seam faked in tests (no USB
 * transport exists in CI); everything above it is tested with the exact bytes that cross it.
 */
export interface UsbRelayDevice {
  /** For logs and health, e.g. "usb 1-1.2 USBRelay2 ABCDE". */
  readonly label: string;
  controlTransferOut(setup: UsbSetup, data: Buffer): Promise<void>;
  controlTransferIn(setup: UsbSetup, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export type UsbRelayVariant = 'dcttech' | 'qyf-ur02';

// The subset of the `usb` package's WebUSB-style device we touch, declared here so this file
// doesn't depend on the w3c-web-usb global types the package's declarations lean on.
type WebUsbRequestType = 'standard' | 'class' | 'vendor';
type WebUsbRecipient = 'device' | 'interface' | 'endpoint' | 'other';
interface WebUsbSetup {
  requestType: WebUsbRequestType;
  recipient: WebUsbRecipient;
  request: number;
  value: number;
  index: number;
}
interface WebUsbDeviceLike {
  vendorId: number;
  productId: number;
  readonly productName?: string | null | undefined;
  bus?: string;
  open(): Promise<void>;
  close(): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  detachKernelDriver?(interfaceNumber: number): Promise<void>;
  controlTransferOut(setup: WebUsbSetup, data?: Uint8Array): Promise<{ status?: string; bytesWritten?: number }>;
  controlTransferIn(setup: WebUsbSetup, length: number): Promise<{ status?: string; data?: DataView }>;
}
interface UsbModuleLike {
  usb: { getDevices(): Promise<readonly WebUsbDeviceLike[]> };
}

/** bmRequestType bits 6..5 are the type and 4..0 the recipient; the direction bit is implied by in/out. */
export function toWebUsbSetup(setup: UsbSetup): WebUsbSetup {
  const types: WebUsbRequestType[] = ['standard', 'class', 'vendor'];
  const recipients: WebUsbRecipient[] = ['device', 'interface', 'endpoint', 'other'];
  const requestType = types[(setup.bmRequestType >> 5) & 0x03];
  const recipient = recipients[setup.bmRequestType & 0x1f];
  if (requestType === undefined || recipient === undefined) throw new RangeError(`unsupported bmRequestType 0x${setup.bmRequestType.toString(16)}`);
  return { requestType, recipient, request: setup.bRequest, value: setup.wValue, index: setup.wIndex };
}

export interface OpenUsbRelayOptions {
  /** The 5-character serial from the state report, to pick one board when several are plugged in. */
  serial?: string;
  variant?: UsbRelayVariant;
}

/**
 * Opens the first matching relay board through the `usb` package (loaded on demand, so a
 * kiosk without one never loads the native module). On Linux the usbhid driver is detached from
 * interface 0 so the interface can be claimed; the udev rule in PROTOCOLS.md grants access.
 */
export async function openUsbRelayDevice(options: OpenUsbRelayOptions = {}): Promise<UsbRelayDevice> {
  const variant = options.variant ?? 'dcttech';
  let devices: readonly WebUsbDeviceLike[];
  try {
    const mod = (await import('usb')) as unknown as UsbModuleLike;
    devices = await mod.usb.getDevices();
  } catch (error) {
    // No native build for this platform, or no USB subsystem at all (a container, a locked-down VM).
    throw new TriggerError('unreachable', `cannot enumerate USB devices: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const candidates = devices.filter(
    (d) =>
      d.vendorId === USB_RELAY_VENDOR_ID &&
      d.productId === USB_RELAY_PRODUCT_ID &&
      // The CH551 boards' product string is not known to match USBRelayN, so only the V-USB ones are filtered on it.
      (variant === 'qyf-ur02' || relayCountFromProduct(d.productName) !== null),
  );
  const problems: string[] = [];
  for (const device of candidates) {
    const label = `usb ${device.bus ?? '?'} ${device.productName ?? '16c0:05df'}`;
    try {
      await device.open();
      try {
        await device.detachKernelDriver?.(0);
      } catch {
        // Not attached, or not Linux: nothing to detach.
      }
      await device.claimInterface(0);
      const wrapped = wrapWebUsbDevice(device, label);
      if (options.serial !== undefined && variant === 'dcttech') {
        const state = parseStateReport(await wrapped.controlTransferIn(GET_FEATURE_REPORT, 8));
        if (state?.serial !== options.serial) {
          await wrapped.close();
          continue;
        }
      }
      return wrapped;
    } catch (error) {
      problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
      await device.close().catch(() => undefined);
    }
  }
  const wanted = options.serial === undefined ? '' : ` with serial ${options.serial}`;
  throw new TriggerError('unreachable', `no USB relay 16c0:05df${wanted} could be opened${problems.length > 0 ? `: ${problems.join('; ')}` : ''}`);
}

function wrapWebUsbDevice(device: WebUsbDeviceLike, label: string): UsbRelayDevice {
  return {
    label,
    async controlTransferOut(setup, data) {
      const result = await device.controlTransferOut(toWebUsbSetup(setup), data);
      if (result.status !== undefined && result.status !== 'ok') throw new Error(`control transfer out: ${result.status}`);
    },
    async controlTransferIn(setup, length) {
      const result = await device.controlTransferIn(toWebUsbSetup(setup), length);
      if (result.status !== undefined && result.status !== 'ok') throw new Error(`control transfer in: ${result.status}`);
      const view = result.data;
      return view === undefined ? Buffer.alloc(0) : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    },
    async close() {
      await device.releaseInterface(0).catch(() => undefined);
      await device.close();
    },
  };
}

export interface UsbRelayTriggerOptions {
  name?: string;
  /**
   * A function that opens the device (the trigger owns what it opens, and opens again after an
   * I/O failure so a replugged board recovers), or an already open device the caller owns.
   */
  device: UsbRelayDevice | (() => Promise<UsbRelayDevice>);
  /** The relay (1-based) wired to the body-worn-video dock's Signal input. */
  relay: number;
  /** How long the contact stays closed: long enough for the input to register. Default 500 ms. */
  pulseMs?: number;
  variant?: UsbRelayVariant;
  /** Read the state report after switching on to confirm the relay really closed (V-USB boards only). Default true. */
  verify?: boolean;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Pulses the body-worn-video relay: on for pulseMs, then off. Pulses are serialised (a second
 * event waits for the first pulse to end), so two quick events give two distinct pulses the
 * vehicle-style Signal input can count, rather than one merged long one.
 */
export class UsbRelayTrigger implements VideoTrigger {
  readonly name: string;
  private readonly source: UsbRelayDevice | (() => Promise<UsbRelayDevice>);
  private readonly relay: number;
  private readonly pulseMs: number;
  private readonly variant: UsbRelayVariant;
  private readonly verify: boolean;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly healthState = new TriggerHealth();
  private device: UsbRelayDevice | null = null;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: UsbRelayTriggerOptions) {
    if (!Number.isInteger(options.relay) || options.relay < 1 || options.relay > 8) throw new RangeError(`relay must be 1..8, got ${options.relay}`);
    this.source = options.device;
    this.relay = options.relay;
    this.pulseMs = options.pulseMs ?? 500;
    this.variant = options.variant ?? 'dcttech';
    this.verify = (options.verify ?? true) && this.variant === 'dcttech';
    this.sleep = options.sleep ?? defaultSleep;
    this.name = options.name ?? `usb-relay:${this.relay}`;
    if (typeof options.device !== 'function') this.device = options.device;
  }

  health(): LinkHealth {
    return this.healthState.get();
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthState.on(listener);
  }

  send(event: VideoEvent): Promise<void> {
    const run = this.tail.then(() => {
      assertVideoEvent(event);
      return this.pulse();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Reads the board's state report (V-USB boards only). */
  async readState(): Promise<UsbRelayState> {
    const device = await this.open();
    const report = await device.controlTransferIn(GET_FEATURE_REPORT, 8);
    const state = parseStateReport(report);
    if (state === null) throw new TriggerError('protocol', `state report from ${device.label} unreadable: ${report.toString('hex')}`);
    return state;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    const device = this.device;
    this.device = null;
    if (device !== null && typeof this.source === 'function') await device.close().catch(() => undefined);
    this.healthState.closed();
  }

  private async pulse(): Promise<void> {
    if (this.closed) throw new TriggerError('unreachable', `${this.name} is closed`);
    let device: UsbRelayDevice | null = null;
    try {
      device = await this.open();
      await this.write(device, true);
      if (this.verify) {
        const state = parseStateReport(await device.controlTransferIn(GET_FEATURE_REPORT, 8));
        if (state === null) throw new TriggerError('protocol', `state report from ${device.label} unreadable`);
        if (state.on[this.relay - 1] !== true) throw new TriggerError('protocol', `relay ${this.relay} on ${device.label} did not switch on`);
      }
      await this.sleep(this.pulseMs);
      await this.write(device, false);
      this.healthState.succeeded();
    } catch (error) {
      // Leave the contact open whatever went wrong: a relay stuck on would keep the camera triggered.
      if (device !== null) await this.write(device, false).catch(() => undefined);
      const triggerError = error instanceof TriggerError ? error : new TriggerError('unreachable', `USB relay: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      if (typeof this.source === 'function' && triggerError.kind === 'unreachable' && this.device !== null) {
        // Drop an opened device after an I/O failure so the next event reopens it (the board may have been replugged).
        await this.device.close().catch(() => undefined);
        this.device = null;
      }
      this.healthState.failed(triggerError);
      throw triggerError;
    }
  }

  private async open(): Promise<UsbRelayDevice> {
    if (this.device !== null) return this.device;
    if (typeof this.source !== 'function') throw new TriggerError('unreachable', 'USB relay device is closed');
    this.device = await this.source();
    return this.device;
  }

  private write(device: UsbRelayDevice, on: boolean): Promise<void> {
    if (this.variant === 'qyf-ur02') return device.controlTransferOut(SET_OUTPUT_REPORT, controlTransferData(encodeQyfUr02Report(this.relay, on)));
    return device.controlTransferOut(SET_FEATURE_REPORT, controlTransferData(encodeSwitchReport(this.relay, on)));
  }
}
