import { connect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { LinkHealth } from '../device-health.ts';
import { TriggerError, TriggerHealth, assertVideoEvent, type VideoEvent, type VideoTrigger } from './trigger.ts';

export const MILESTONE_DEFAULT_PORT = 1234;
/** Longest field we send; XProtect generic events are short strings matched by substring, and a bounded line keeps a bad asset tag from flooding the VMS log. */
export const MILESTONE_MAX_FIELD = 64;
/** Longest reply we buffer before calling it garbage: a statistics line is a few dozen bytes, an echo is our own line. */
const MAX_REPLY_BYTES = 1024;

/**
 * Makes a value safe as one space-separated token of the generic event line:
 * every character outside printable ASCII 0x21..0x7E (space, tab, CR, LF, other controls,
 * anything non-ASCII) becomes "_", so a field can neither split the line into extra tokens
 * nor end the message early; an empty value becomes "-" so the token count stays fixed;
 * values are cut to 64 characters. Rules in the VMS match by substring, so they should
 * match on the fixed prefix ("ARMOURY <terminal> ISSUE ") rather than on free fields.
 */
export function sanitiseMilestoneField(value: string): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '_').slice(0, MILESTONE_MAX_FIELD);
  return cleaned.length === 0 ? '-' : cleaned;
}

/** The asset field's prefix on an evidence-lock request: a VMS rule matching it starts the evidence lock. */
export const EVIDENCE_LOCK_PREFIX = 'EVIDENCE-LOCK:';

/**
 * `ARMOURY <terminal> <ISSUE|RETURN|DOOR> <asset> <officer> CAM=<camera>\r\n` (see PROTOCOLS.md).
 * The generic event has only those three kinds, so an evidence-lock request goes as a DOOR
 * event whose asset is `EVIDENCE-LOCK:<exhibit>`, for a rule in the VMS to match on.
 */
export function formatMilestoneMessage(event: VideoEvent): string {
  const f = sanitiseMilestoneField;
  const [kind, asset] = event.kind === 'evidence-lock' ? ['DOOR', `${EVIDENCE_LOCK_PREFIX}${event.asset}`] : [event.kind, event.asset];
  return `ARMOURY ${f(event.terminal)} ${kind} ${f(asset)} ${f(event.officer)} CAM=${f(event.camera)}\r\n`;
}

export interface MilestoneMessage {
  terminal: string;
  kind: VideoEvent['kind'];
  asset: string;
  officer: string;
  camera: string;
}

const MESSAGE_PATTERN = /^ARMOURY ([\x21-\x7e]+) (ISSUE|RETURN|DOOR) ([\x21-\x7e]+) ([\x21-\x7e]+) CAM=([\x21-\x7e]+)\r?\n?$/;

/** Parses one message line as the simulator receives it; null for anything else. Never throws. */
export function parseMilestoneMessage(line: string): MilestoneMessage | null {
  const m = MESSAGE_PATTERN.exec(line);
  if (m === null) return null;
  const [, terminal, kind, asset, officer, camera] = m;
  if (terminal === undefined || asset === undefined || officer === undefined || camera === undefined) return null;
  return { terminal, kind: kind as VideoEvent['kind'], asset, officer, camera };
}

/**
 * What the VMS said back. XProtect's generic event data source answers in one of its echo
 * modes: "statistics" (`<request no>,<bytes>,<matches>,<matched event names>`), "all bytes"
 * (our line echoed), or nothing. Anything else is `unknown`.
 */
export type MilestoneReply =
  | { type: 'statistics'; request: number; length: number; matches: number; names: string[] }
  | { type: 'echo' }
  | { type: 'unknown'; text: string };

const STATISTICS_PATTERN = /^\s*(\d{1,12}),(\d{1,12}),(\d{1,12}),([^\r\n]*)$/;

/**
 * Classifies the first line of a reply (the caller has cut it at LF or at connection end).
 * `sent` is the line we sent, to recognise an echo. Never throws, whatever the bytes.
 */
export function parseMilestoneReply(reply: Uint8Array | string, sent?: string): MilestoneReply {
  const text = typeof reply === 'string' ? reply : Buffer.from(reply).toString('latin1');
  const line = text.split('\n', 1)[0]?.replace(/\r$/, '') ?? '';
  if (sent !== undefined && line.length > 0 && line === sent.replace(/\r?\n$/, '')) return { type: 'echo' };
  const m = STATISTICS_PATTERN.exec(line);
  if (m !== null) {
    const names = (m[4] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name.length > 0);
    return { type: 'statistics', request: Number(m[1]), length: Number(m[2]), matches: Number(m[3]), names };
  }
  return { type: 'unknown', text: line.slice(0, 120) };
}

export interface MilestoneTriggerOptions {
  /** Target name for the outbox and logs; defaults to `milestone:<host>:<port>`. */
  name?: string;
  host: string;
  port?: number;
  /** Source address to connect from, where the terminal has several and only one is on the VMS allow-list. */
  localAddress?: string;
  connectTimeoutMs?: number;
  replyTimeoutMs?: number;
  /**
   * True (default) when the data source is set to echo (statistics or all bytes): an event counts
   * as accepted only when a reply arrives. False for "no echo" data sources: accepted once the
   * bytes are written and the connection closes cleanly, which proves much less.
   */
  expectReply?: boolean;
}

/**
 * Sends Milestone XProtect generic events over TCP.
 *
 * One connection per event, closed after the reply: events are rare (a handful a minute at the
 * busiest counter), the connect costs a millisecond on a LAN, and a fresh connection never
 * trips over a half-open socket that a firewall or VMS restart silently killed; it also keeps
 * the reply unambiguous (the first line on this socket answers this event).
 */
export class MilestoneTrigger implements VideoTrigger {
  readonly name: string;
  private readonly host: string;
  private readonly port: number;
  private readonly localAddress: string | undefined;
  private readonly connectTimeoutMs: number;
  private readonly replyTimeoutMs: number;
  private readonly expectReply: boolean;
  private readonly healthState = new TriggerHealth();
  private readonly sockets = new Set<Socket>();
  private closed = false;
  /** The last reply, for diagnostics screens ("VMS matched 0 rules"). */
  lastReply: MilestoneReply | null = null;

  constructor(options: MilestoneTriggerOptions) {
    this.host = options.host;
    this.port = options.port ?? MILESTONE_DEFAULT_PORT;
    this.localAddress = options.localAddress;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.replyTimeoutMs = options.replyTimeoutMs ?? 2000;
    this.expectReply = options.expectReply ?? true;
    this.name = options.name ?? `milestone:${this.host}:${this.port}`;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) throw new RangeError(`Milestone port must be 1..65535, got ${this.port}`);
    if (this.localAddress !== undefined && isIP(this.localAddress) === 0) throw new RangeError(`localAddress must be an IP address, got ${this.localAddress}`);
  }

  health(): LinkHealth {
    return this.healthState.get();
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthState.on(listener);
  }

  async send(event: VideoEvent): Promise<void> {
    if (this.closed) throw new TriggerError('unreachable', `${this.name} is closed`);
    assertVideoEvent(event);
    const message = formatMilestoneMessage(event);
    try {
      const reply = await this.exchange(message);
      this.lastReply = reply;
      if (reply !== null && reply.type === 'statistics' && reply.matches === 0) {
        // Delivered, so not an error to retry; but no VMS rule fired, so no bookmark was made.
        this.healthState.warn('VMS received the event but no generic event matched it: check the rule on the VMS');
      } else {
        this.healthState.succeeded();
      }
    } catch (error) {
      const triggerError = error instanceof TriggerError ? error : new TriggerError('unreachable', String(error), { cause: error });
      this.healthState.failed(triggerError);
      throw triggerError;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.healthState.closed();
  }

  private exchange(message: string): Promise<MilestoneReply | null> {
    const target = `${this.host}:${this.port}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, ...(this.localAddress === undefined ? {} : { localAddress: this.localAddress }) });
      this.sockets.add(socket);
      let connected = false;
      let settled = false;
      let received = Buffer.alloc(0);
      const finish = (error: TriggerError | null, reply: MilestoneReply | null = null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.sockets.delete(socket);
        socket.destroy();
        if (error === null) resolve(reply);
        else reject(error);
      };
      let timer = setTimeout(() => finish(new TriggerError('unreachable', `no TCP connection to VMS ${target} within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);

      const judge = (bytes: Buffer): void => {
        const reply = parseMilestoneReply(bytes, message);
        if (reply.type === 'unknown') {
          finish(new TriggerError('protocol', `reply from ${target} is not a Milestone echo: ${JSON.stringify(reply.text)}`));
        } else {
          finish(null, reply);
        }
      };

      socket.on('connect', () => {
        connected = true;
        clearTimeout(timer);
        timer = setTimeout(() => {
          // A partial line that already reads as an echo is enough; otherwise the VMS never answered.
          if (received.length > 0) judge(received);
          else finish(new TriggerError('timeout', `VMS ${target} sent no reply within ${this.replyTimeoutMs} ms`));
        }, this.replyTimeoutMs);
        socket.write(message, 'latin1', (error) => {
          if (error !== undefined && error !== null) finish(new TriggerError('unreachable', `write to VMS ${target} failed: ${error.message}`, { cause: error }));
          else if (!this.expectReply) socket.end();
        });
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const lf = received.indexOf(0x0a);
        if (lf >= 0) judge(received.subarray(0, lf + 1));
        else if (received.length > MAX_REPLY_BYTES) judge(received);
      });
      socket.on('end', () => {
        if (received.length > 0) judge(received);
        else if (connected && !this.expectReply) finish(null, null);
        else finish(new TriggerError('unreachable', `VMS ${target} closed the connection without a reply: is this terminal's IP on the VMS allow-list?`));
      });
      socket.on('close', () => {
        if (!this.expectReply && connected && received.length === 0) finish(null, null);
        else finish(new TriggerError('unreachable', `connection to VMS ${target} closed without a reply: is this terminal's IP on the VMS allow-list?`));
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        const what = connected ? 'connection to' : 'cannot connect to';
        const hint = connected && error.code === 'ECONNRESET' ? ": is this terminal's IP on the VMS allow-list?" : '';
        finish(new TriggerError('unreachable', `${what} VMS ${target}: ${error.code ?? error.message}${hint}`, { cause: error }));
      });
    });
  }
}
