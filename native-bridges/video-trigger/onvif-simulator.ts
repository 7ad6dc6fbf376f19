import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { Listeners } from '../device-health.ts';
import { NO_FAULTS, type SimFaults } from '../sim-command.ts';
import { SOAP12_NS, TDS_NS, escapeXml, parseXsdDuration, passwordDigest, soapElementText, type RelayIdleState, type RelayLogicalState } from './onvif.ts';

export interface OnvifSimFaults extends SimFaults {
  down: boolean;
}

export interface OnvifSimulatorOptions {
  username: string;
  password: string;
  /** Relay output tokens the device has. Default one, "RelayOutputToken1". */
  relays?: readonly string[];
  port?: number;
  host?: string;
  faults?: Partial<OnvifSimFaults>;
  random?: () => number;
}

export interface RelaySettings {
  mode: 'Monostable' | 'Bistable';
  delayMs: number;
  idleState: RelayIdleState;
}

export interface RelayChange {
  token: string;
  state: RelayLogicalState;
  /** command: SetRelayOutputState; delay: a monostable output falling back after DelayTime. */
  cause: 'command' | 'delay';
  at: Date;
}

/** The tds namespace prefix is the client's choice, so operations are recognised by local name. */
const OPERATION = /<(?:[\w.-]+:)?Body[^>]*>\s*<(?:[\w.-]+:)?(\w+)[\s>/]/;

/**
 * Plays the relay outputs of an ONVIF device service on loopback: checks the WS-Security
 * PasswordDigest (and refuses a nonce it has already seen, as devices that guard against
 * replay do), stores relay settings and records every state change, including the fall
 * back to inactive that a monostable output makes on its own.
 */
export class OnvifSimulator {
  readonly changes: RelayChange[] = [];
  readonly settings = new Map<string, RelaySettings>();
  readonly state = new Map<string, RelayLogicalState>();
  authFailures = 0;
  private readonly changeListeners = new Listeners<RelayChange>();
  private readonly username: string;
  private readonly password: string;
  private readonly host: string;
  private readonly random: () => number;
  private readonly seenNonces = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sockets = new Set<Socket>();
  private faults: OnvifSimFaults;
  private server: Server | null = null;
  private boundPort: number;

  private constructor(options: OnvifSimulatorOptions) {
    this.username = options.username;
    this.password = options.password;
    this.host = options.host ?? '127.0.0.1';
    this.boundPort = options.port ?? 0;
    this.random = options.random ?? Math.random;
    this.faults = { ...NO_FAULTS, down: false, ...options.faults };
    for (const token of options.relays ?? ['RelayOutputToken1']) {
      this.settings.set(token, { mode: 'Bistable', delayMs: 0, idleState: 'open' });
      this.state.set(token, 'inactive');
    }
  }

  static async start(options: OnvifSimulatorOptions): Promise<OnvifSimulator> {
    const sim = new OnvifSimulator(options);
    // Bound even when starting down, so the port is known (and checked free) before the outage ends.
    await sim.listen();
    if (sim.faults.down) await sim.unlisten();
    return sim;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://${this.host}:${this.boundPort}/onvif/device_service`;
  }

  onChange(listener: (change: RelayChange) => void): () => void {
    return this.changeListeners.add(listener);
  }

  async setFaults(faults: Partial<OnvifSimFaults>): Promise<void> {
    const wasDown = this.faults.down;
    this.faults = { ...this.faults, ...faults };
    if (this.faults.down && !wasDown) await this.unlisten();
    if (!this.faults.down && wasDown) await this.listen();
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.unlisten();
  }

  private listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 64 * 1024) return this.send(res, 413, 'too large', 'text/plain');
      chunks.push(chunk);
    }
    if (this.faults.noReply) return; // the socket stays open until the client gives up
    if (this.faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.faults.delayMs));
    if (this.faults.garbage > 0 && this.random() < this.faults.garbage) return this.send(res, 200, '\u0000\u00ff not soap', 'application/octet-stream');
    const xml = Buffer.concat(chunks).toString('utf8');
    if (req.method !== 'POST') return this.send(res, 405, 'POST only', 'text/plain');

    const authError = this.checkAuth(xml);
    if (authError !== null) {
      this.authFailures++;
      return this.fault(res, 400, 'env:Sender', 'ter:NotAuthorized', authError);
    }
    const operation = OPERATION.exec(xml)?.[1];
    const token = soapElementText(xml, 'RelayOutputToken');
    if (operation !== 'SetRelayOutputSettings' && operation !== 'SetRelayOutputState') {
      return this.fault(res, 400, 'env:Receiver', 'ter:ActionNotSupported', `operation ${operation ?? '(none)'} not supported by this simulator`);
    }
    if (token === null || !this.settings.has(token)) return this.fault(res, 400, 'env:Sender', 'ter:InvalidArgVal', `unknown relay token ${token ?? '(none)'}`);

    if (operation === 'SetRelayOutputSettings') {
      const mode = soapElementText(xml, 'Mode');
      const delayMs = parseXsdDuration(soapElementText(xml, 'DelayTime') ?? '');
      const idle = soapElementText(xml, 'IdleState');
      if ((mode !== 'Monostable' && mode !== 'Bistable') || delayMs === null || (idle !== 'open' && idle !== 'closed')) {
        return this.fault(res, 400, 'env:Sender', 'ter:InvalidArgVal', 'bad relay output settings');
      }
      this.settings.set(token, { mode, delayMs, idleState: idle });
      return this.ok(res, 'SetRelayOutputSettingsResponse');
    }
    const logical = soapElementText(xml, 'LogicalState');
    if (logical !== 'active' && logical !== 'inactive') return this.fault(res, 400, 'env:Sender', 'ter:InvalidArgVal', 'LogicalState must be active or inactive');
    this.setState(token, logical, 'command');
    const settings = this.settings.get(token);
    if (logical === 'active' && settings?.mode === 'Monostable') {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.setState(token, 'inactive', 'delay');
      }, settings.delayMs);
      this.timers.add(timer);
    }
    return this.ok(res, 'SetRelayOutputStateResponse');
  }

  private checkAuth(xml: string): string | null {
    const username = soapElementText(xml, 'Username');
    const digest = soapElementText(xml, 'Password');
    const nonce = soapElementText(xml, 'Nonce');
    const created = soapElementText(xml, 'Created');
    if (username === null || digest === null || nonce === null || created === null) return 'WS-Security UsernameToken missing';
    if (username !== this.username) return 'unknown user';
    const expected = Buffer.from(passwordDigest(Buffer.from(nonce, 'base64'), created, this.password));
    const given = Buffer.from(digest);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'password digest does not match';
    if (this.seenNonces.has(nonce)) return 'nonce already used';
    this.seenNonces.add(nonce);
    return null;
  }

  private setState(token: string, state: RelayLogicalState, cause: RelayChange['cause']): void {
    this.state.set(token, state);
    const change: RelayChange = { token, state, cause, at: new Date() };
    this.changes.push(change);
    this.changeListeners.emit(change);
  }

  private ok(res: ServerResponse, response: string): void {
    this.send(res, 200, `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="${SOAP12_NS}" xmlns:tds="${TDS_NS}"><env:Body><tds:${response}/></env:Body></env:Envelope>`);
  }

  private fault(res: ServerResponse, status: number, code: string, subcode: string, reason: string): void {
    this.send(
      res,
      status,
      `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="${SOAP12_NS}" xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault>` +
        `<env:Code><env:Value>${code}</env:Value><env:Subcode><env:Value>${subcode}</env:Value></env:Subcode></env:Code>` +
        `<env:Reason><env:Text xml:lang="en">${escapeXml(reason)}</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`,
    );
  }

  private send(res: ServerResponse, status: number, body: string, type = 'application/soap+xml; charset=utf-8'): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': type, connection: 'close' });
    res.end(body);
  }
}
