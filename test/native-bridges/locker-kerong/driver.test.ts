import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPair } from '../../../native-bridges/transport/memory-transport.ts';
import { KerongDriver, KerongError } from '../../../native-bridges/locker-kerong/driver.ts';
import type { KerongFrameLogEntry, KerongHealth, KerongDriverOptions } from '../../../native-bridges/locker-kerong/driver.ts';
import { KerongSimulator } from '../../../native-bridges/locker-kerong/simulator.ts';
import { encodeStatusQuery, encodeUnlock } from '../../../native-bridges/locker-kerong/codec.ts';
import type { KerongPolarity } from '../../../native-bridges/locker-kerong/codec.ts';

const SET_MEANS_OPEN: KerongPolarity = { lockOpenWhenBitSet: true, itemPresentWhenBitSet: true };
const SET_MEANS_CLOSED: KerongPolarity = { lockOpenWhenBitSet: false, itemPresentWhenBitSet: false };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function rig(
  options: Partial<KerongDriverOptions> & { polarity?: KerongPolarity; simBoards?: number[] } = {},
): { driver: KerongDriver; sim: KerongSimulator } {
  const polarity = options.polarity ?? SET_MEANS_OPEN;
  const [hostEnd, boardEnd] = createMemoryPair('host', 'boards');
  const sim = new KerongSimulator(boardEnd, {
    boards: options.simBoards ?? [0, 1],
    polarity,
    faults: { fragmentWrites: true },
  });
  const driver = new KerongDriver(hostEnd, {
    boards: options.boards ?? [
      { address: 0, polarity },
      { address: 1, polarity },
    ],
    replyTimeoutMs: options.replyTimeoutMs ?? 100,
    pollIntervalMs: options.pollIntervalMs ?? 10,
    postUnlockGapMs: options.postUnlockGapMs ?? 5,
  });
  cleanups.push(async () => {
    await driver.close();
    sim.dispose();
  });
  return { driver, sim };
}

async function expectKerongError(promise: Promise<unknown>, kind: KerongError['kind']): Promise<KerongError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a KerongError of kind ${kind}, but it resolved`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KerongError);
  if (!(error instanceof KerongError)) throw error;
  expect(error.kind).toBe(kind);
  return error;
}

describe('KerongDriver over a memory pair with a fragmenting simulator', () => {
  for (const polarity of [SET_MEANS_OPEN, SET_MEANS_CLOSED]) {
    it(`reads door and item state (lockOpenWhenBitSet=${polarity.lockOpenWhenBitSet})`, async () => {
      const { driver, sim } = rig({ polarity });
      sim.openDoor(1, 5);
      sim.setItemPresent(1, 2, true);
      sim.setItemPresent(1, 15, true);
      sim.openDoor(0, 0);

      const status = await driver.readStatus(1);
      expect(status.board).toBe(1);
      expect(status.doorOpen.flatMap((open, i) => (open ? [i] : []))).toEqual([5]);
      expect(status.itemPresent.flatMap((present, i) => (present ? [i] : []))).toEqual([2, 15]);
    });
  }

  it('reads every door inverted when the site configures the wrong polarity', async () => {
    const [hostEnd, boardEnd] = createMemoryPair('host', 'boards');
    new KerongSimulator(boardEnd, { boards: [0], polarity: SET_MEANS_OPEN, faults: { fragmentWrites: true } });
    const driver = new KerongDriver(hostEnd, { boards: [{ address: 0, polarity: SET_MEANS_CLOSED }], replyTimeoutMs: 100 });
    cleanups.push(() => driver.close());
    const status = await driver.readStatus(0);
    expect(status.doorOpen.every((open) => open)).toBe(true);
  });

  it('sends the documented unlock frame and unlockAndConfirm sees the door spring open', async () => {
    const { driver, sim } = rig();
    const tx: string[] = [];
    driver.onFrame((entry) => {
      if (entry.direction === 'tx') tx.push(entry.bytes.toString('hex'));
    });
    expect(sim.getDoor(1, 3).open).toBe(false);

    await expect(driver.unlockAndConfirm(1, 3, 20)).resolves.toBe(true);

    expect(sim.getDoor(1, 3).open).toBe(true);
    expect(sim.getDoors().filter((d) => d.open)).toHaveLength(1);
    expect(tx).toEqual([encodeUnlock(1, 3).toString('hex'), encodeStatusQuery(1).toString('hex')]);
  });

  it('unlockAndConfirm reports false when the door does not open', async () => {
    const { driver, sim } = rig();
    // A jammed door: the lock releases but the door stays shut.
    sim.onChange((door) => {
      if (door.open) sim.closeDoor(door.board, door.lockIndex);
    });
    await expect(driver.unlockAndConfirm(0, 7, 20)).resolves.toBe(false);
  });

  it('rejects with kind "timeout" when the board does not answer, and carries on afterwards', async () => {
    const { driver, sim } = rig({ replyTimeoutMs: 50 });
    sim.setFaults({ dropReplies: true });
    const error = await expectKerongError(driver.readStatus(0), 'timeout');
    expect(error.board).toBe(0);

    sim.setFaults({ dropReplies: false });
    await expect(driver.readStatus(0)).resolves.toMatchObject({ board: 0 });
  });

  it('unlockAndConfirm rejects rather than answering false when the board cannot be read', async () => {
    const { driver, sim } = rig({ replyTimeoutMs: 50 });
    sim.setFaults({ dropReplies: true });
    await expectKerongError(driver.unlockAndConfirm(0, 1, 10), 'timeout');
  });

  it('keeps one request outstanding at a time on the bus, the unlock going ahead of the reads still queued', async () => {
    const { driver, sim } = rig();
    sim.setFaults({ replyDelayMs: 15 });
    const log: KerongFrameLogEntry[] = [];
    driver.onFrame((entry) => log.push(entry));

    const results = await Promise.all([driver.readStatus(0), driver.readStatus(1), driver.unlock(0, 2), driver.readStatus(0)]);

    expect(results[0]).toMatchObject({ board: 0 });
    expect(results[1]).toMatchObject({ board: 1 });
    expect(results[3]).toMatchObject({ board: 0 });
    expect(results[3]?.doorOpen[2]).toBe(true);
    expect(log.map((e) => `${e.direction}:${e.bytes.toString('hex')}`)).toEqual([
      `tx:${encodeStatusQuery(0).toString('hex')}`,
      expect.stringMatching(/^rx:020035/),
      `tx:${encodeUnlock(0, 2).toString('hex')}`,
      `tx:${encodeStatusQuery(1).toString('hex')}`,
      expect.stringMatching(/^rx:021035/),
      `tx:${encodeStatusQuery(0).toString('hex')}`,
      expect.stringMatching(/^rx:020035/),
    ]);
  });

  it('reports a corrupted reply as kind "protocol"', async () => {
    const [hostEnd, boardEnd] = createMemoryPair('host', 'fake-board');
    boardEnd.onData(() => {
      // A status reply for board 0 with a damaged checksum.
      void boardEnd.write(Buffer.from('02003500000000033b', 'hex'));
    });
    const driver = new KerongDriver(hostEnd, { boards: [{ address: 0, polarity: SET_MEANS_OPEN }], replyTimeoutMs: 50 });
    cleanups.push(() => driver.close());
    const log: KerongFrameLogEntry[] = [];
    driver.onFrame((e) => log.push(e));
    await expectKerongError(driver.readStatus(0), 'protocol');
    expect(log.some((e) => e.direction === 'rx' && e.error?.startsWith('bad-checksum') === true)).toBe(true);
  });

  it('takes a good reply that follows a false frame start from line noise', async () => {
    const [hostEnd, boardEnd] = createMemoryPair('host', 'noisy-board');
    boardEnd.onData(() => {
      // Noise "02 00 35" then the real 9-byte all-zero reply.
      void boardEnd.write(Buffer.from('020035' + '02003500000000033a', 'hex'));
    });
    const driver = new KerongDriver(hostEnd, { boards: [{ address: 0, polarity: SET_MEANS_OPEN }], replyTimeoutMs: 50 });
    cleanups.push(() => driver.close());
    await expect(driver.readStatus(0)).resolves.toMatchObject({ board: 0 });
  });

  it('refuses boards that are not configured and lock indexes out of range', async () => {
    const { driver } = rig({ boards: [{ address: 0, polarity: SET_MEANS_OPEN }] });
    await expect(driver.readStatus(1)).rejects.toThrow(RangeError);
    await expect(driver.unlock(1, 0)).rejects.toThrow(RangeError);
    await expect(driver.unlock(0, 16)).rejects.toThrow(RangeError);
  });

  it('polls every board and emits each status', async () => {
    const { driver, sim } = rig();
    sim.openDoor(1, 9);
    const seen: number[] = [];
    let board1Door9: boolean | undefined;
    driver.onStatus((status) => {
      seen.push(status.board);
      if (status.board === 1) board1Door9 = status.doorOpen[9];
    });
    driver.startPolling();
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(4));
    driver.stopPolling();
    expect(seen.slice(0, 4)).toEqual([0, 1, 0, 1]);
    expect(board1Door9).toBe(true);
  });

  it('health goes degraded after one failed poll, offline after three, and online again after a good reply', async () => {
    const { driver, sim } = rig({ replyTimeoutMs: 30, boards: [{ address: 0, polarity: SET_MEANS_OPEN }] });
    const states: KerongHealth[] = [];
    driver.onHealth((h) => states.push(h));
    expect(driver.getHealth().state).toBe('offline'); // nothing heard yet

    driver.startPolling();
    await vi.waitFor(() => expect(driver.getHealth().state).toBe('online'));

    sim.setFaults({ dropReplies: true });
    await vi.waitFor(() => expect(driver.getHealth().state).toBe('offline'));
    sim.setFaults({ dropReplies: false });
    await vi.waitFor(() => expect(driver.getHealth().state).toBe('online'));
    driver.stopPolling();

    expect(states.map((h) => h.state)).toEqual(['online', 'degraded', 'offline', 'online']);
    expect(states[1]?.lastError).toMatch(/no reply/);
    expect(states[3]?.lastError).toBeNull();
  });

  it('one silent board makes the bus degraded while the other stays online', async () => {
    const { driver } = rig({ simBoards: [0], replyTimeoutMs: 30 });
    await driver.readStatus(0);
    await expectKerongError(driver.readStatus(1), 'timeout');
    const health = driver.getHealth();
    expect(health.state).toBe('degraded');
    expect(health.boards).toEqual([
      { address: 0, state: 'online', lastError: null },
      { address: 1, state: 'degraded', lastError: expect.stringMatching(/board 1/) },
    ]);
  });

  it('goes offline at once when the transport closes, failing the request in flight instead of timing out', async () => {
    const { driver, sim } = rig({ replyTimeoutMs: 10_000 });
    await driver.readStatus(0);
    sim.setFaults({ dropReplies: true });
    const healths: KerongHealth[] = [];
    driver.onHealth((h) => healths.push(h));

    const inFlight = driver.readStatus(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await sim.close(); // the far end goes away, like an unplugged adapter

    const error = await expectKerongError(inFlight, 'transport');
    expect(error.message).toMatch(/closed/);
    expect(healths.at(-1)?.state).toBe('offline');
    expect(driver.getHealth().lastError).toMatch(/closed/);
    await expectKerongError(driver.readStatus(1), 'transport');
    await expectKerongError(driver.unlock(0, 0), 'transport');
  });

  it('close() rejects queued requests and closes the transport', async () => {
    const [hostEnd] = createMemoryPair('host', 'nobody');
    const driver = new KerongDriver(hostEnd, { boards: [{ address: 0, polarity: SET_MEANS_OPEN }], replyTimeoutMs: 10_000 });
    const first = driver.readStatus(0);
    const second = driver.readStatus(0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await driver.close();
    await expectKerongError(first, 'transport');
    await expectKerongError(second, 'transport');
    expect(hostEnd.isOpen).toBe(false);
  });
});

describe('KerongSimulator', () => {
  it('ignores frames with a bad checksum, as a real board would', async () => {
    const [hostEnd, boardEnd] = createMemoryPair('host', 'boards');
    const sim = new KerongSimulator(boardEnd, { boards: [0] });
    const replies: Buffer[] = [];
    hostEnd.onData((c) => replies.push(c));
    await hostEnd.write(Buffer.from('0000310337', 'hex')); // unlock lock 1, checksum off by one
    await hostEnd.write(Buffer.from('0200300336', 'hex')); // status, checksum off by one
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sim.getDoors().some((d) => d.open)).toBe(false);
    expect(replies).toEqual([]);
    await hostEnd.close();
  });

  it('springs doors on unlock without replying, and only for its own boards', async () => {
    const [hostEnd, boardEnd] = createMemoryPair('host', 'boards');
    const sim = new KerongSimulator(boardEnd, { boards: [2] });
    const changes: string[] = [];
    sim.onChange((d) => changes.push(`${d.board}/${d.lockIndex}/${d.open}`));
    const replies: Buffer[] = [];
    hostEnd.onData((c) => replies.push(c));
    await hostEnd.write(encodeUnlock(2, 4));
    await hostEnd.write(encodeUnlock(3, 4));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(changes).toEqual(['2/4/true']);
    expect(replies).toEqual([]);
    sim.closeDoor(2, 4);
    expect(sim.getDoor(2, 4).open).toBe(false);
    expect(changes).toEqual(['2/4/true', '2/4/false']);
    await hostEnd.close();
  });

  it('fragments replies into several writes that still add up to the one 9-byte reply', async () => {
    const [hostEnd, boardEnd] = createMemoryPair('host', 'boards');
    let n = 0;
    const sequence = [0.1, 0.5, 0.0, 0.9];
    new KerongSimulator(boardEnd, { boards: [0], faults: { fragmentWrites: true }, random: () => sequence[n++ % sequence.length] ?? 0 });
    const chunks: Buffer[] = [];
    hostEnd.onData((c) => chunks.push(c));
    await hostEnd.write(encodeStatusQuery(0));
    await vi.waitFor(() => expect(Buffer.concat(chunks).length).toBe(9));
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from('02003500000000033a', 'hex'));
    await hostEnd.close();
  });
});

describe('createMemoryPair (the transport these tests run on)', () => {
  it('delivers asynchronously, in order, and closing one end closes both', async () => {
    const [a, b] = createMemoryPair('a', 'b');
    expect(a.name).toBe('memory:a');
    const received: string[] = [];
    b.onData((chunk) => received.push(chunk.toString('hex')));
    const closes: string[] = [];
    a.onClose((e) => closes.push(`a:${e === null ? 'asked' : 'error'}`));
    b.onClose((e) => closes.push(`b:${e === null ? 'asked' : 'error'}`));

    const source = Uint8Array.of(1, 2);
    const first = a.write(source);
    source[0] = 9; // the caller reusing its buffer must not change what was sent
    const second = a.write(Uint8Array.of(3));
    expect(received).toEqual([]);
    await Promise.all([first, second]);
    expect(received).toEqual(['0102', '03']);

    await a.close();
    expect(a.isOpen).toBe(false);
    expect(b.isOpen).toBe(false);
    await expect(b.write(Uint8Array.of(4))).rejects.toThrow(/closed/);
    await vi.waitFor(() => expect(closes.sort()).toEqual(['a:asked', 'b:error']));
  });
});
