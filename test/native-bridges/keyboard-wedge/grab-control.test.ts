import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVIOCGRAB, GrabError, loadKoffiGrabControl } from '../../../native-bridges/keyboard-wedge/grab-control.ts';

function fakeKoffi(result: number, errno = 16) {
  const calls: unknown[][] = [];
  const koffi = {
    load: (path: string) => {
      calls.push(['load', path]);
      return {
        func: (signature: string) => {
          calls.push(['func', signature]);
          return (...args: unknown[]) => {
            calls.push(['ioctl', ...args]);
            return result;
          };
        },
      };
    },
    errno: () => errno,
  };
  return { koffi, calls };
}

describe('loadKoffiGrabControl', () => {
  it('EVIOCGRAB is _IOW(E, 0x90, int)', () => {
    const IOC_WRITE = 1;
    expect(EVIOCGRAB).toBe((IOC_WRITE << 30) | (4 << 16) | ('E'.charCodeAt(0) << 8) | 0x90);
  });

  it('returns null when koffi is not installed', () => {
    expect(
      loadKoffiGrabControl(() => {
        throw Object.assign(new Error("Cannot find module 'koffi'"), { code: 'MODULE_NOT_FOUND' });
      }),
    ).toBeNull();
  });

  it('returns null for a module that is not koffi', () => {
    expect(loadKoffiGrabControl(() => ({}))).toBeNull();
  });

  it('calls libc ioctl(fd, EVIOCGRAB, int 1/0)', () => {
    const { koffi, calls } = fakeKoffi(0);
    const grab = loadKoffiGrabControl(() => koffi);
    expect(grab).not.toBeNull();
    grab?.grab(5);
    grab?.release(5);
    expect(calls).toEqual([
      ['load', 'libc.so.6'],
      ['func', 'int ioctl(int fd, unsigned long request, ...)'],
      ['ioctl', 5, EVIOCGRAB, 'int', 1],
      ['ioctl', 5, EVIOCGRAB, 'int', 0],
    ]);
  });

  it('throws GrabError with errno when the kernel refuses (EBUSY: someone else holds it)', () => {
    const { koffi } = fakeKoffi(-1, 16);
    const grab = loadKoffiGrabControl(() => koffi);
    expect(() => grab?.grab(5)).toThrow(GrabError);
    expect(() => grab?.grab(5)).toThrow(/errno 16/);
  });

  // Runs only where koffi is installed (it is not a project dependency): e.g.
  // NODE_PATH=/path/to/node_modules npx vitest run test/native-bridges/keyboard-wedge/grab-control.test.ts
  const hasKoffi = ((): boolean => {
    try {
      createRequire(import.meta.url).resolve('koffi');
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasKoffi)('with the real koffi, the ioctl reaches the kernel: ENOTTY on a FIFO, which is no evdev node', () => {
    const grab = loadKoffiGrabControl();
    expect(grab).not.toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'grab-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, constants.O_RDWR);
    try {
      let error: unknown = null;
      try {
        grab?.grab(fd);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GrabError);
      expect(error instanceof GrabError ? error.errno : null).toBe(25);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
