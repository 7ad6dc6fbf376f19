import { describe, expect, it } from 'vitest';
import { HealthTracker, type TrackedHealth } from '../../../native-bridges/transport/link-health.ts';

function rig<Part>(parts: Part[]): { tracker: HealthTracker<Part>; changes: TrackedHealth[] } {
  const changes: TrackedHealth[] = [];
  const tracker: HealthTracker<Part> = new HealthTracker(parts, () => changes.push(tracker.overall()));
  return { tracker, changes };
}

describe('HealthTracker', () => {
  it('starts offline, since nothing has been heard yet', () => {
    const { tracker, changes } = rig(['board']);
    expect(tracker.overall()).toEqual({ state: 'offline', lastError: null });
    expect(changes).toEqual([]);
  });

  it('goes online on a reply, degraded after one failure, offline after three, and online again', () => {
    const { tracker, changes } = rig(['board']);
    tracker.answered('board');
    tracker.failed('board', 'no reply');
    tracker.failed('board', 'no reply');
    tracker.failed('board', 'no reply');
    tracker.failed('board', 'no reply');
    tracker.answered('board');
    expect(changes).toEqual([
      { state: 'online', lastError: null },
      { state: 'degraded', lastError: 'no reply' },
      { state: 'offline', lastError: 'no reply' },
      { state: 'online', lastError: null },
    ]);
  });

  it('reports a change of error even when the state stays the same, and nothing when neither changes', () => {
    const { tracker, changes } = rig(['board']);
    tracker.answered('board');
    tracker.answered('board');
    tracker.failed('board', 'no reply');
    tracker.failed('board', 'bad checksum');
    expect(changes.map((h) => `${h.state}:${h.lastError}`)).toEqual(['online:null', 'degraded:no reply', 'degraded:bad checksum']);
  });

  it('judges each part on its own; overall is the worst part, the first in the order given among equals', () => {
    const { tracker } = rig([0, 1, 2]);
    for (const part of [0, 1, 2]) tracker.answered(part);
    tracker.failed(2, 'board 2 silent');
    tracker.failed(1, 'board 1 silent');
    expect(tracker.overall()).toEqual({ state: 'degraded', lastError: 'board 1 silent' });
    tracker.failed(1, 'board 1 silent');
    tracker.failed(1, 'board 1 silent');
    expect(tracker.overall()).toEqual({ state: 'offline', lastError: 'board 1 silent' });
    expect(tracker.byPart()).toEqual([
      [0, { state: 'online', lastError: null }],
      [1, { state: 'offline', lastError: 'board 1 silent' }],
      [2, { state: 'degraded', lastError: 'board 2 silent' }],
    ]);
  });

  it('with no parts is online', () => {
    expect(rig([]).tracker.overall()).toEqual({ state: 'online', lastError: null });
  });

  it('once lost, every part is offline with the reason, reported once, and later outcomes change nothing', () => {
    const { tracker, changes } = rig([0, 1]);
    tracker.answered(0);
    changes.length = 0;
    tracker.lost('port closed');
    tracker.lost('again');
    tracker.answered(0);
    tracker.failed(1, 'late timeout');
    expect(changes).toEqual([{ state: 'offline', lastError: 'port closed' }]);
    expect(tracker.byPart().map(([, h]) => h)).toEqual([
      { state: 'offline', lastError: 'port closed' },
      { state: 'offline', lastError: 'port closed' },
    ]);
  });

  it('track() records how an exchange ended and passes its outcome on', async () => {
    const { tracker } = rig(['slave']);
    await expect(tracker.track('slave', Promise.resolve(42))).resolves.toBe(42);
    expect(tracker.overall().state).toBe('online');

    const timeout = new Error('no reply within 300 ms');
    await expect(tracker.track('slave', Promise.reject(timeout))).rejects.toBe(timeout);
    expect(tracker.overall()).toEqual({ state: 'degraded', lastError: 'no reply within 300 ms' });

    // A refusal still proves the device heard us.
    const refused = new Error('illegal data address');
    await expect(tracker.track('slave', Promise.reject(refused), (e) => e === refused)).rejects.toBe(refused);
    expect(tracker.overall()).toEqual({ state: 'online', lastError: null });
  });

  it('refuses parts it was not told about', () => {
    const { tracker } = rig([0]);
    expect(() => tracker.answered(7)).toThrow(RangeError);
  });
});
