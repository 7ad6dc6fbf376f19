/**
 * Builds `struct input_event` bytes field by field, independently of the codec's own
 * encoder, so the fixtures check the layout rather than the codec against itself.
 *   64-bit: tv_sec s64 @0, tv_usec s64 @8, type u16 @16, code u16 @18, value s32 @20 (24 bytes)
 *   32-bit time: tv_sec s32 @0, tv_usec s32 @4, type u16 @8, code u16 @10, value s32 @12 (16 bytes)
 */
export function inputEvent(type: number, code: number, value: number, timevalBytes: 8 | 16 = 16, sec = 1_700_000_000, usec = 123_456): Buffer {
  const view = new DataView(new ArrayBuffer(timevalBytes + 8));
  if (timevalBytes === 16) {
    view.setBigInt64(0, BigInt(sec), true);
    view.setBigInt64(8, BigInt(usec), true);
  } else {
    view.setInt32(0, sec, true);
    view.setInt32(4, usec, true);
  }
  view.setUint16(timevalBytes, type, true);
  view.setUint16(timevalBytes + 2, code, true);
  view.setInt32(timevalBytes + 4, value, true);
  return Buffer.from(view.buffer);
}

export const EV_SYN = 0;
export const EV_KEY = 1;
export const EV_MSC = 4;
export const MSC_SCAN = 4;

/** A key as a USB HID keyboard reports it: MSC_SCAN, the key, SYN_REPORT. */
export function press(code: number, timevalBytes: 8 | 16 = 16): Buffer {
  return Buffer.concat([inputEvent(EV_MSC, MSC_SCAN, 0x70000 + code, timevalBytes), inputEvent(EV_KEY, code, 1, timevalBytes), inputEvent(EV_SYN, 0, 0, timevalBytes)]);
}

export function release(code: number, timevalBytes: 8 | 16 = 16): Buffer {
  return Buffer.concat([inputEvent(EV_MSC, MSC_SCAN, 0x70000 + code, timevalBytes), inputEvent(EV_KEY, code, 0, timevalBytes), inputEvent(EV_SYN, 0, 0, timevalBytes)]);
}

export function tap(code: number, timevalBytes: 8 | 16 = 16): Buffer {
  return Buffer.concat([press(code, timevalBytes), release(code, timevalBytes)]);
}

/** Key codes straight from linux/input-event-codes.h, written out again on purpose. */
export const K = {
  N1: 2,
  N2: 3,
  N0: 11,
  MINUS: 12,
  EQUAL: 13,
  BACKSPACE: 14,
  TAB: 15,
  Q: 16,
  ENTER: 28,
  A: 30,
  LEFTSHIFT: 42,
  SLASH: 53,
  RIGHTSHIFT: 54,
  SPACE: 57,
  CAPSLOCK: 58,
  F1: 59,
  KP7: 71,
  KPENTER: 96,
  C: 46,
  B: 48,
  Z: 44,
} as const;
