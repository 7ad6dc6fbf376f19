import { createRequire } from 'node:module';

/**
 * Exclusive grab of an evdev node (ioctl EVIOCGRAB), so keystrokes from a keyboard-mode
 * scanner reach only the kiosk and never the desktop or a focused text field. Node has no
 * ioctl, so this is a seam: the reader works without it, and a site either installs an FFI
 * package that can make the call (see loadKoffiGrabControl) or hides the device from the
 * desktop with a udev rule (LIBINPUT_IGNORE_DEVICE; see the keyboard-wedge notes).
 */
export interface GrabControl {
  /** Takes the device for this fd alone. Throws if the kernel refuses. */
  grab(fd: number): void;
  /** Gives it back. Throws if the kernel refuses (closing the fd releases it anyway). */
  release(fd: number): void;
}

/** _IOW('E', 0x90, int) from linux/input.h. */
export const EVIOCGRAB = 0x40044590;

/** The part of koffi's API this file uses, so it type-checks without koffi installed. */
interface KoffiLike {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
  errno(): number;
}

function isKoffiLike(value: unknown): value is KoffiLike {
  if (typeof value !== 'object' || value === null) return false;
  return typeof Reflect.get(value, 'load') === 'function' && typeof Reflect.get(value, 'errno') === 'function';
}

export class GrabError extends Error {
  readonly errno: number;
  constructor(message: string, errno: number) {
    super(message);
    this.name = 'GrabError';
    this.errno = errno;
  }
}

/**
 * A GrabControl over koffi (an FFI package shipping Node-API prebuilt binaries, so no build
 * step), calling libc's ioctl directly. Returns null when koffi is not installed, so the
 * caller falls back to the udev rule. koffi is optional and kept out of package.json until
 * the team decides to ship it: it is resolved at run time and is not bundled.
 *
 * @param requireFn how to load modules; tests pass a fake.
 */
export function loadKoffiGrabControl(requireFn: (id: string) => unknown = createRequire(import.meta.url)): GrabControl | null {
  let koffi: unknown;
  try {
    // A variable, so bundlers leave the native module to be found at run time.
    const name = 'koffi';
    koffi = requireFn(name);
  } catch {
    return null;
  }
  if (!isKoffiLike(koffi)) return null;
  const ffi = koffi;
  const libc = ffi.load('libc.so.6');
  const ioctl = libc.func('int ioctl(int fd, unsigned long request, ...)');
  const call = (fd: number, on: boolean): void => {
    const result = ioctl(fd, EVIOCGRAB, 'int', on ? 1 : 0);
    if (result !== 0) {
      const errno = ffi.errno();
      // EBUSY: another process (often a desktop) holds the grab; ENOTTY/EINVAL: not an evdev node.
      throw new GrabError(`EVIOCGRAB(${on ? 1 : 0}) on fd ${fd} failed, errno ${errno}`, errno);
    }
  };
  return {
    grab: (fd) => call(fd, true),
    release: (fd) => call(fd, false),
  };
}
