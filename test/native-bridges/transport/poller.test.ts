import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Poller } from '../../../native-bridges/transport/poller.ts';

beforeEach(() => {
  // The poller reads its clock from performance, so that is faked along with the timers.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

interface Rig {
  poller: Poller;
  /** performance.now() of every cycle's first read. */
  cycles: number[];
  reads: string[];
  device: { present: boolean };
}

function rig(intervalMs: number, readNames: string[] = ['only'], read: (name: string) => Promise<unknown> = () => Promise.resolve()): Rig {
  const cycles: number[] = [];
  const reads: string[] = [];
  const device = { present: true };
  const poller = new Poller({
    intervalMs,
    canPoll: () => device.present,
    reads: () =>
      readNames.map((name, i) => () => {
        if (i === 0) cycles.push(performance.now());
        reads.push(name);
        return read(name);
      }),
  });
  return { poller, cycles, reads, device };
}

const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - (times[i] ?? 0));

describe('Poller', () => {
  it('reads every part in order each cycle, pausing the interval between cycles', async () => {
    const { poller, cycles, reads } = rig(100, ['board 0', 'board 1']);
    poller.start();
    await vi.advanceTimersByTimeAsync(350);
    poller.stop();
    expect(reads).toEqual(['board 0', 'board 1', 'board 0', 'board 1', 'board 0', 'board 1', 'board 0', 'board 1']);
    expect(gaps(cycles)).toEqual([100, 100, 100]);
  });

  it('carries on after a read fails', async () => {
    const { poller, reads } = rig(10, ['bad', 'good'], (name) => (name === 'bad' ? Promise.reject(new Error('no reply')) : Promise.resolve()));
    poller.start();
    await vi.advanceTimersByTimeAsync(25);
    poller.stop();
    expect(reads).toEqual(['bad', 'good', 'bad', 'good', 'bad', 'good']);
  });

  it('start() while polling does not start a second loop', async () => {
    const { poller, cycles } = rig(100);
    poller.start();
    poller.start();
    await vi.advanceTimersByTimeAsync(250);
    poller.stop();
    expect(cycles).toHaveLength(3);
  });

  it('stop() ends the loop at once, even part-way through a cycle, and a restart gets one new loop', async () => {
    let finishRead: () => void = () => undefined;
    const { poller, reads } = rig(50, ['slow', 'after'], (name) => (name === 'slow' ? new Promise<void>((resolve) => (finishRead = resolve)) : Promise.resolve()));
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    poller.stop();
    finishRead();
    await vi.advanceTimersByTimeAsync(200);
    expect(reads).toEqual(['slow']);
    expect(poller.isPolling).toBe(false);

    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    finishRead();
    await vi.advanceTimersByTimeAsync(0);
    poller.stop();
    expect(reads).toEqual(['slow', 'slow', 'after']);
  });

  it('ends for good once the device is gone', async () => {
    const { poller, cycles, device } = rig(10);
    poller.start();
    await vi.advanceTimersByTimeAsync(15);
    device.present = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(cycles).toHaveLength(2);
    poller.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(cycles).toHaveLength(2);
  });
});

describe('Poller.pollFast', () => {
  it('polls at the fast interval for the window, then at the normal interval again', async () => {
    const { poller, cycles } = rig(1000);
    poller.start(); // cycle at 0, next due at 1000
    await vi.advanceTimersByTimeAsync(100);
    poller.pollFast(100, 20); // window 100..200

    await vi.advanceTimersByTimeAsync(1500);
    poller.stop();
    // The pause already under way is cut short, then every 20 ms until the window closes at
    // 200; the cycle at 200 finds the window closed and pauses the normal interval.
    expect(cycles).toEqual([0, 120, 140, 160, 180, 200, 1200]);
  });

  it('a call while a window is open extends it', async () => {
    const { poller, cycles } = rig(1000);
    poller.start();
    poller.pollFast(50, 10); // window 0..50
    await vi.advanceTimersByTimeAsync(30);
    poller.pollFast(50, 10); // now 0..80
    await vi.advanceTimersByTimeAsync(970);
    poller.stop();
    expect(cycles).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
  });

  it('overlapping windows keep the faster interval until the window ends', async () => {
    const { poller, cycles } = rig(1000);
    poller.start();
    poller.pollFast(40, 10);
    poller.pollFast(20, 30); // slower and shorter: changes neither the pace nor the end
    await vi.advanceTimersByTimeAsync(999);
    poller.stop();
    expect(cycles).toEqual([0, 10, 20, 30, 40]);
  });

  it('never polls slower than the normal interval', async () => {
    const { poller, cycles } = rig(10);
    poller.start();
    poller.pollFast(50, 25);
    await vi.advanceTimersByTimeAsync(35);
    poller.stop();
    expect(gaps(cycles)).toEqual([10, 10, 10]);
  });

  it('on a stopped poller, takes effect if polling starts within the window', async () => {
    const { poller, cycles } = rig(1000);
    poller.pollFast(30, 10);
    poller.start();
    await vi.advanceTimersByTimeAsync(500);
    poller.stop();
    expect(cycles).toEqual([0, 10, 20, 30]);
  });

  it('refuses windows and intervals that make no sense', () => {
    const { poller } = rig(100);
    expect(() => poller.pollFast(-1, 10)).toThrow(RangeError);
    expect(() => poller.pollFast(100, 0)).toThrow(RangeError);
    expect(() => poller.pollFast(Number.POSITIVE_INFINITY, 10)).toThrow(RangeError);
    expect(() => poller.pollFast(100, Number.NaN)).toThrow(RangeError);
  });
});
