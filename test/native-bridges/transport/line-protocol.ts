import type { ByteTransport } from '../../../native-bridges/transport/byte-transport.ts';
import type { DecodeEvent, FrameDecoder } from '../../../native-bridges/transport/request-bus.ts';

/**
 * A made-up protocol small enough to read in a test: a frame is one line of text. A line
 * starting with "!" is a damaged frame and one starting with "~" is line noise, so the
 * request bus can be tested without any real protocol's framing.
 */
export interface LineFrame {
  raw: Buffer;
  text: string;
}

export class LineDecoder implements FrameDecoder<LineFrame> {
  private held = '';

  push(chunk: Uint8Array): DecodeEvent<LineFrame>[] {
    this.held += Buffer.from(chunk).toString('latin1');
    const events: DecodeEvent<LineFrame>[] = [];
    for (let end = this.held.indexOf('\n'); end >= 0; end = this.held.indexOf('\n')) {
      const text = this.held.slice(0, end);
      this.held = this.held.slice(end + 1);
      const raw = Buffer.from(`${text}\n`, 'latin1');
      if (text.startsWith('!')) events.push({ type: 'error', error: { kind: 'bad-checksum', bytes: raw, message: `damaged ${text}` } });
      else if (text.startsWith('~')) events.push({ type: 'error', error: { kind: 'garbage', bytes: raw, message: 'noise' } });
      else events.push({ type: 'frame', frame: { raw, text } });
    }
    return events;
  }

  /** Drops an unfinished line, as a protocol where silence ends a frame would. */
  reset(): Buffer {
    const dropped = Buffer.from(this.held, 'latin1');
    this.held = '';
    return dropped;
  }
}

export const line = (text: string): Buffer => Buffer.from(`${text}\n`, 'latin1');

/**
 * The far end of the wire: answers each request line with the raw text `answer` returns (nothing
 * for null), after `delayMs`. Records when each request arrived and how many it was
 * answering at once, so tests can check the bus never overlapped two requests.
 */
export class FakeDevice {
  readonly received: { text: string; at: number }[] = [];
  answer: (request: string) => string | null = (request) => `re:${request}\n`;
  delayMs = 0;
  maxOutstanding = 0;
  private outstanding = 0;
  private readonly decoder = new LineDecoder();

  constructor(private readonly end: ByteTransport) {
    end.onData((chunk) => {
      for (const event of this.decoder.push(chunk)) {
        if (event.type !== 'frame') continue;
        this.received.push({ text: event.frame.text, at: performance.now() });
        const reply = this.answer(event.frame.text);
        if (reply === null) continue;
        this.outstanding++;
        this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
        setTimeout(() => {
          this.outstanding--;
          if (end.isOpen) void end.write(Buffer.from(reply, 'latin1')).catch(() => undefined);
        }, this.delayMs);
      }
    });
  }

  close(): Promise<void> {
    return this.end.close();
  }
}
