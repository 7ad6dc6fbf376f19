import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ByteTransport } from '../../../native-bridges/transport/byte-transport.ts';
import { IsolatedListeners } from '../../../native-bridges/transport/isolated-listeners.ts';
import { createMemoryPair } from '../../../native-bridges/transport/memory-transport.ts';
import { RequestBus, formatFrameLogEntry } from '../../../native-bridges/transport/request-bus.ts';
import type { BusFailure, BusFailureKind, BusFrameLogEntry, ReplyVerdict, RequestBusOptions } from '../../../native-bridges/transport/request-bus.ts';
import { FakeDevice, LineDecoder, line, type LineFrame } from './line-protocol.ts';

/** Stands in for a driver's own error class. */
class TestError extends Error {
  constructor(
    readonly kind: BusFailureKind | 'refused',
    message: string,
  ) {
    super(message);
  }
}

const toTestError = (failure: BusFailure): TestError => new TestError(failure.kind, failure.message);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface Rig {
  bus: RequestBus<LineFrame>;
  device: FakeDevice;
  host: ByteTransport;
  log: { entry: BusFrameLogEntry; at: number }[];
}

function rig(options: Partial<RequestBusOptions<LineFrame>> = {}): Rig {
  const [host, deviceEnd] = createMemoryPair('host', 'device');
  const bus = new RequestBus<LineFrame>(host, { decoder: new LineDecoder(), replyTimeoutMs: 100, ...options });
  const device = new FakeDevice(deviceEnd);
  const log: Rig['log'] = [];
  bus.onFrame((entry) => log.push({ entry, at: performance.now() }));
  cleanups.push(() => bus.close('test over'));
  return { bus, device, host, log };
}

const answersTo =
  (text: string) =>
  (frame: LineFrame): ReplyVerdict<string, TestError> =>
    frame.text === `re:${text}` ? { reply: frame.text } : null;

function ask(bus: RequestBus<LineFrame>, text: string, interpret = answersTo(text)): Promise<string> {
  return bus.request<string, TestError>({ bytes: line(text), interpret, fail: toTestError });
}

async function failureOf(promise: Promise<unknown>): Promise<TestError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to fail, but it resolved');
    },
    (e: unknown) => e,
  );
  if (!(error instanceof TestError)) throw error;
  return error;
}

const wire = (log: Rig['log']): string[] => log.map(({ entry }) => `${entry.direction}:${entry.bytes.toString('latin1').trimEnd()}`);

describe('RequestBus queueing', () => {
  it('runs requests one at a time, in the order they were made', async () => {
    const { bus, device, log } = rig();
    device.delayMs = 10;

    const results = await Promise.all([ask(bus, 'a'), ask(bus, 'b'), ask(bus, 'c')]);

    expect(results).toEqual(['re:a', 're:b', 're:c']);
    expect(device.maxOutstanding).toBe(1);
    expect(wire(log)).toEqual(['tx:a', 'rx:re:a', 'tx:b', 'rx:re:b', 'tx:c', 'rx:re:c']);
  });

  it('a failed request does not hold up the ones behind it', async () => {
    const { bus, device } = rig({ replyTimeoutMs: 30 });
    device.answer = (request) => (request === 'lost' ? null : `re:${request}\n`);

    const [lost, next] = await Promise.allSettled([ask(bus, 'lost'), ask(bus, 'next')]);

    expect(lost.status).toBe('rejected');
    expect(next).toEqual({ status: 'fulfilled', value: 're:next' });
  });

  it('an urgent request goes ahead of every queued ordinary one, never ahead of the one on the wire, and after earlier urgent ones', async () => {
    const { bus, device, log } = rig();
    device.delayMs = 10;
    const urgent = (text: string) => bus.request<string, TestError>({ bytes: line(text), interpret: answersTo(text), fail: toTestError, urgent: true });

    const results = await Promise.all([ask(bus, 'poll-1'), ask(bus, 'poll-2'), ask(bus, 'poll-3'), urgent('unlock-1'), urgent('unlock-2')]);

    expect(results).toEqual(['re:poll-1', 're:poll-2', 're:poll-3', 're:unlock-1', 're:unlock-2']);
    expect(device.maxOutstanding).toBe(1);
    expect(wire(log).filter((x) => x.startsWith('tx:'))).toEqual(['tx:poll-1', 'tx:unlock-1', 'tx:unlock-2', 'tx:poll-2', 'tx:poll-3']);
  });
});

describe('RequestBus reply matching', () => {
  it('takes only the frame the request accepts, passing over echoes and replies meant for others', async () => {
    const { bus, device } = rig();
    device.answer = (request) => `${request}\nother:${request}\nre:${request}\n`;
    await expect(ask(bus, 'a')).resolves.toBe('re:a');
  });

  it('frames that are not for the request leave a timeout a plain timeout', async () => {
    const { bus, device } = rig({ replyTimeoutMs: 30 });
    device.answer = () => 'other\n';
    const error = await failureOf(ask(bus, 'a'));
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe('no reply within 30 ms');
  });

  it('a suspect reply keeps the request waiting, and explains the timeout if nothing better comes', async () => {
    const { bus, device } = rig({ replyTimeoutMs: 30 });
    const interpret = (frame: LineFrame): ReplyVerdict<string, TestError> =>
      frame.text === 'late' ? { suspect: 'a late reply to something else' } : answersTo('a')(frame);

    device.answer = () => 'late\nre:a\n';
    await expect(ask(bus, 'a', interpret)).resolves.toBe('re:a');

    device.answer = () => 'late\n';
    const error = await failureOf(ask(bus, 'a', interpret));
    expect(error.kind).toBe('protocol');
    expect(error.message).toBe('no valid reply, a late reply to something else');
  });

  it('a refusal fails the request at once with the error it carries', async () => {
    const { bus, device } = rig({ replyTimeoutMs: 5_000 });
    device.answer = () => 'no\n';
    const refusal = new TestError('refused', 'the device said no');
    const started = performance.now();
    const error = await failureOf(ask(bus, 'a', (frame) => (frame.text === 'no' ? { refused: refusal } : null)));
    expect(error).toBe(refusal);
    expect(performance.now() - started).toBeLessThan(1_000);
    device.answer = (request) => `re:${request}\n`;
    await expect(ask(bus, 'b')).resolves.toBe('re:b');
  });

  it('an interpreter that throws fails the request as a protocol error', async () => {
    const { bus } = rig();
    const error = await failureOf(
      ask(bus, 'a', () => {
        throw new RangeError('unparseable');
      }),
    );
    expect(error.kind).toBe('protocol');
    expect(error.message).toBe('unparseable');
  });
});

describe('RequestBus timeouts and corruption', () => {
  it('times out from the start of the write, even when the write never drains', async () => {
    const stuck: ByteTransport = {
      name: 'stuck',
      isOpen: true,
      write: () => new Promise<void>(() => undefined),
      onData: () => () => undefined,
      onClose: () => () => undefined,
      close: () => Promise.resolve(),
    };
    const bus = new RequestBus<LineFrame>(stuck, { decoder: new LineDecoder(), replyTimeoutMs: 40 });
    const started = performance.now();
    const error = await failureOf(ask(bus, 'a'));
    expect(error.kind).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('a damaged frame turns a later timeout into a protocol error', async () => {
    const { bus, device, log } = rig({ replyTimeoutMs: 30 });
    device.answer = () => '!re:a\n';
    const error = await failureOf(ask(bus, 'a'));
    expect(error.kind).toBe('protocol');
    expect(error.message).toBe('no valid reply, damaged !re:a');
    expect(log.map(({ entry }) => entry.error)).toContain('bad-checksum: damaged !re:a');
  });

  it('noise outside any frame says nothing about the reply: the timeout stays a timeout', async () => {
    const { bus, device } = rig({ replyTimeoutMs: 30 });
    device.answer = () => '~\n';
    expect((await failureOf(ask(bus, 'a'))).kind).toBe('timeout');
  });

  it('a good reply after a damaged frame still answers the request', async () => {
    const { bus, device } = rig();
    device.answer = (request) => `!re:${request}\nre:${request}\n`;
    await expect(ask(bus, 'a')).resolves.toBe('re:a');
  });

  it('drops a partial frame once the line goes quiet, so it cannot join the next reply', async () => {
    const decoder = new LineDecoder();
    const { bus, device, log } = rig({ decoder, replyTimeoutMs: 30, dropPartialFrame: () => decoder.reset() });
    device.answer = () => 're:a-cut-sh';
    expect((await failureOf(ask(bus, 'a'))).kind).toBe('timeout');
    expect(log.at(-1)?.entry).toEqual({ direction: 'rx', bytes: Buffer.from('re:a-cut-sh'), error: 'partial frame cut off by silence' });

    device.answer = (request) => `re:${request}\n`;
    await expect(ask(bus, 'b')).resolves.toBe('re:b');
  });
});

describe('RequestBus quiet gaps', () => {
  it('holds the inter-frame gap between the last byte on the line and the next request', async () => {
    const { bus, log } = rig({ interFrameGapMs: 20 });
    await Promise.all([ask(bus, 'a'), ask(bus, 'b'), ask(bus, 'c')]);
    const tx = log.filter(({ entry }) => entry.direction === 'tx');
    const rx = log.filter(({ entry }) => entry.direction === 'rx');
    for (let i = 1; i < tx.length; i++) {
      expect((tx[i]?.at ?? 0) - (rx[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(19);
    }
  });

  it('holdQuietMs keeps the bus quiet after a command before the next request', async () => {
    const { bus, device, log } = rig();
    device.answer = (request) => (request === 'unlock' ? null : `re:${request}\n`);
    const sent = bus.send({ bytes: line('unlock'), fail: toTestError, holdQuietMs: 40 });
    const read = ask(bus, 'status');
    await sent;
    await read;
    const [unlock, status] = log.filter(({ entry }) => entry.direction === 'tx');
    expect((status?.at ?? 0) - (unlock?.at ?? 0)).toBeGreaterThanOrEqual(39);
  });

  it('send resolves once the bytes are written, without waiting for a reply', async () => {
    const { bus, device } = rig({ replyTimeoutMs: 5_000 });
    device.answer = () => null;
    const started = performance.now();
    await bus.send({ bytes: line('fire-and-forget'), fail: toTestError });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(device.received.map((r) => r.text)).toEqual(['fire-and-forget']);
  });
});

describe('RequestBus closing', () => {
  it('a transport that closes fails the request in flight and every queued one, and every later one at once', async () => {
    const { bus, device, log } = rig({ replyTimeoutMs: 10_000 });
    device.answer = () => null;
    const reasons: string[] = [];
    bus.onClose((reason) => reasons.push(reason));

    const inFlight = ask(bus, 'a');
    const queued = ask(bus, 'b');
    await new Promise((resolve) => setTimeout(resolve, 10));
    await device.close(); // the far end goes away, like an unplugged adapter

    for (const error of [await failureOf(inFlight), await failureOf(queued)]) {
      expect(error.kind).toBe('transport');
      expect(error.message).toMatch(/closed/);
    }
    expect(bus.isClosed).toBe(true);
    expect(reasons).toHaveLength(1);
    expect((await failureOf(bus.send({ bytes: line('c'), fail: toTestError }))).kind).toBe('transport');
    expect(wire(log)).toEqual(['tx:a']);
  });

  it('a transport that is not open makes a bus that is closed from the start', async () => {
    const [host] = createMemoryPair('host', 'nobody');
    await host.close();
    const bus = new RequestBus<LineFrame>(host, { decoder: new LineDecoder(), replyTimeoutMs: 100 });
    const reasons: string[] = [];
    bus.onClose((reason) => reasons.push(reason));
    expect(bus.isClosed).toBe(true);
    expect(reasons).toEqual(['memory:host is not open']);
    expect((await failureOf(ask(bus, 'a'))).message).toBe('memory:host is not open');
  });

  it('close() rejects what is pending with the reason given, and closes the transport', async () => {
    const { bus, device, host } = rig({ replyTimeoutMs: 10_000 });
    device.answer = () => null;
    const inFlight = ask(bus, 'a');
    await new Promise((resolve) => setTimeout(resolve, 10));
    await bus.close('driver closed');
    const error = await failureOf(inFlight);
    expect(error).toMatchObject({ kind: 'transport', message: 'driver closed' });
    expect(host.isOpen).toBe(false);
  });
});

describe('RequestBus frame log', () => {
  it('logs what was sent, the raw frames received and what the decoder rejected', async () => {
    const { bus, device, log } = rig();
    device.answer = (request) => `~\n!x\nre:${request}\n`;
    await ask(bus, 'a');
    expect(log.map(({ entry }) => formatFrameLogEntry(entry))).toEqual([
      '>> 61 0a',
      '<< 7e 0a (garbage: noise)',
      '<< 21 78 0a (bad-checksum: damaged !x)',
      '<< 72 65 3a 61 0a',
    ]);
  });

  it('refuses a reply timeout that could never be met', () => {
    const [host] = createMemoryPair('host', 'device');
    expect(() => new RequestBus<LineFrame>(host, { decoder: new LineDecoder(), replyTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new RequestBus<LineFrame>(host, { decoder: new LineDecoder(), replyTimeoutMs: 10, interFrameGapMs: -1 })).toThrow(RangeError);
  });
});

describe('IsolatedListeners', () => {
  it('a throwing listener neither stops the others nor the caller, and its error still surfaces', () => {
    const rethrown: (() => void)[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => rethrown.push(callback));
    try {
      const listeners = new IsolatedListeners<number>();
      const seen: number[] = [];
      listeners.add(() => {
        throw new Error('listener bug');
      });
      const off = listeners.add((value) => seen.push(value));
      listeners.emit(1);
      expect(seen).toEqual([1]);
      expect(rethrown).toHaveLength(1);
      expect(() => rethrown[0]?.()).toThrow('listener bug');
      off();
      listeners.emit(2);
      expect(seen).toEqual([1]);
      expect(listeners.size).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });
});
