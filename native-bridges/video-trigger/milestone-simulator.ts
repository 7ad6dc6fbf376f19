import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Listeners } from '../device-health.ts';
import { NO_FAULTS, type SimFaults } from '../sim-command.ts';
import { MILESTONE_DEFAULT_PORT, parseMilestoneMessage, type MilestoneMessage } from './milestone.ts';

export interface MilestoneSimFaults extends SimFaults {
  /** Not listening at all: connections are refused, as when the VMS service is stopped. */
  down: boolean;
}

export interface MilestoneRule {
  /** The generic event name the VMS reports back in its statistics echo. */
  name: string;
  /** XProtect matches generic events by substring of the received line. */
  match: string;
}

export interface MilestoneSimulatorOptions {
  /** 0 picks a free port (tests); the CLI passes the real one. Default 1234. */
  port?: number;
  host?: string;
  /** Client IPs the "VMS" accepts; every other connection is closed at once. Default 127.0.0.1. */
  allow?: readonly string[];
  /** statistics (default) echoes `n,len,matches,names`; all echoes the received bytes. */
  echo?: 'statistics' | 'all';
  rules?: readonly MilestoneRule[];
  faults?: Partial<MilestoneSimFaults>;
  random?: () => number;
}

export interface MilestoneReceived {
  /** Null when the line was not an ARMOURY message (still answered, with 0 matches). */
  message: MilestoneMessage | null;
  raw: string;
  remoteAddress: string;
  matched: string[];
  at: Date;
}

/** IPv4 clients of a dual-stack listener show up as ::ffff:a.b.c.d; the allow-list is written plainly. */
function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * Plays an XProtect generic event data source for tests and demos: allow-listed clients only,
 * one reply line per received line, with the VMS's statistics echo. It listens on loopback
 * by default; a demo on a real network passes a host explicitly.
 */
export class MilestoneSimulator {
  readonly events: MilestoneReceived[] = [];
  /** Remote addresses turned away by the allow-list, in order. */
  readonly refused: string[] = [];
  /** Connections accepted (past the allow-list). */
  connections = 0;
  private readonly eventListeners = new Listeners<MilestoneReceived>();
  private readonly refusedListeners = new Listeners<string>();
  private readonly host: string;
  private readonly allow: Set<string>;
  private readonly echo: 'statistics' | 'all';
  private readonly rules: readonly MilestoneRule[];
  private readonly random: () => number;
  private readonly sockets = new Set<Socket>();
  private faults: MilestoneSimFaults;
  private server: Server | null = null;
  private boundPort: number;
  private requestCount = 0;

  private constructor(options: MilestoneSimulatorOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.boundPort = options.port ?? MILESTONE_DEFAULT_PORT;
    this.allow = new Set((options.allow ?? ['127.0.0.1']).map(plainAddress));
    this.echo = options.echo ?? 'statistics';
    this.rules = options.rules ?? [{ name: 'Armoury', match: 'ARMOURY ' }];
    this.random = options.random ?? Math.random;
    this.faults = { ...NO_FAULTS, down: false, ...options.faults };
  }

  static async start(options: MilestoneSimulatorOptions = {}): Promise<MilestoneSimulator> {
    const sim = new MilestoneSimulator(options);
    // Bound even when starting down, so the port is known (and checked free) before the outage ends.
    await sim.listen();
    if (sim.faults.down) await sim.unlisten();
    return sim;
  }

  get port(): number {
    return this.boundPort;
  }

  onEvent(listener: (received: MilestoneReceived) => void): () => void {
    return this.eventListeners.add(listener);
  }

  /** Called with the remote address of every connection the allow-list turned away. */
  onRefused(listener: (remoteAddress: string) => void): () => void {
    return this.refusedListeners.add(listener);
  }

  /** Changing `down` stops or restarts the listener on the same port. */
  async setFaults(faults: Partial<MilestoneSimFaults>): Promise<void> {
    const wasDown = this.faults.down;
    this.faults = { ...this.faults, ...faults };
    if (this.faults.down && !wasDown) await this.unlisten();
    if (!this.faults.down && wasDown) await this.listen();
  }

  async close(): Promise<void> {
    await this.unlisten();
  }

  private listen(): Promise<void> {
    const server = createServer((socket) => this.handleConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        const address = server.address();
        if (address !== null && typeof address === 'object') this.boundPort = address.port;
        resolve();
      });
    });
  }

  private unlisten(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private handleConnection(socket: Socket): void {
    const remote = plainAddress(socket.remoteAddress);
    if (!this.allow.has(remote)) {
      // What XProtect does with a client that is not on the list: hang up without a word.
      this.refused.push(remote);
      socket.destroy();
      this.refusedListeners.emit(remote);
      return;
    }
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      // Bounded, so a client that never sends LF cannot grow the buffer forever.
      if (buffered.length > 4096) buffered = buffered.slice(-4096);
      let lf: number;
      while ((lf = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, lf + 1);
        buffered = buffered.slice(lf + 1);
        this.handleLine(socket, line, remote);
      }
    });
  }

  private handleLine(socket: Socket, line: string, remote: string): void {
    this.requestCount++;
    const matched = this.rules.filter((rule) => line.includes(rule.match)).map((rule) => rule.name);
    const received: MilestoneReceived = { message: parseMilestoneMessage(line), raw: line, remoteAddress: remote, matched, at: new Date() };
    this.events.push(received);
    this.eventListeners.emit(received);
    if (this.faults.noReply) return;
    const body = this.echo === 'all' ? line : `${this.requestCount},${Buffer.byteLength(line, 'latin1')},${matched.length},${matched.join(',')}\r\n`;
    const parts: Buffer[] = [];
    if (this.faults.garbage > 0 && this.random() < this.faults.garbage) parts.push(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80]));
    parts.push(Buffer.from(body, 'latin1'));
    const reply = Buffer.concat(parts);
    setTimeout(() => this.write(socket, reply), this.faults.delayMs);
  }

  private write(socket: Socket, reply: Buffer): void {
    if (socket.destroyed) return;
    if (!this.faults.fragment) {
      socket.write(reply);
      return;
    }
    for (let i = 0; i < reply.length; ) {
      const n = 1 + Math.floor(this.random() * Math.min(4, reply.length - i));
      socket.write(reply.subarray(i, i + n));
      i += n;
    }
  }
}
