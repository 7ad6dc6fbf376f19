import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Listeners } from '../device-health.ts';
import { SW_INS_NOT_SUPPORTED, encodeStatusWord, encodeUidResponse, isGetDataUid, parseUidHex, toHex } from './apdu.ts';
import { VpcdControl, VpcdDecoder, classifyVpcdPayload, encodeVpcdFrame } from './vpcd-codec.ts';

/** vpcd's first reader ("Virtual PCD 00 00"); the second listens one port higher. */
export const DEFAULT_VPCD_PORT = 0x8c7b; // 35963, Debian's /etc/reader.conf.d/vpcd
export const DEFAULT_VPCD_HOST = '127.0.0.1';

/**
 * The ATR a PC/SC contactless reader synthesises for a MIFARE Classic 1K (PC/SC part 3,
 * storage card, TCK 6A): what a real warrant card looks like to pcscd.
 */
export const DEFAULT_VPCD_ATR: Readonly<Uint8Array> = Buffer.from('3B8F8001804F0CA000000306030001000000006A', 'hex');

export interface VpcdCardOptions {
  /** Hex UID the card reports, 4..10 bytes, e.g. "04A1B2C3D4". */
  uid: string;
  host?: string;
  port?: number;
  atr?: Uint8Array;
  /** Give up inserting after this long (vpcd not listening, firewall). Default 3000 ms. */
  connectTimeoutMs?: number;
}

export interface VpcdExchange {
  command: string;
  response: string;
}

/**
 * A contactless card on the vpcd driver: `insert()` connects to vpcd's socket (the card is
 * put on the reader), `remove()` disconnects (lifted off). It answers the reader's controls and
 * GET DATA with its UID, `6D 00` to anything else. Stands in for Debian's Python vpicc, which
 * does not start on bookworm (PROTOCOLS.md).
 */
export class VpcdCard {
  readonly uid: string;
  private readonly uidBytes: Buffer;
  private readonly host: string;
  private readonly port: number;
  private readonly atr: Buffer;
  private readonly connectTimeoutMs: number;
  private readonly decoder = new VpcdDecoder();
  private readonly exchanges = new Listeners<VpcdExchange>();
  private readonly removals = new Listeners<Error | null>();
  private socket: Socket | null = null;
  private closed: Promise<void> = Promise.resolve();
  private isPowered = false;
  /** Set by remove(), so the close it causes is reported as asked for rather than as an error. */
  private removing = false;

  constructor(options: VpcdCardOptions) {
    this.uidBytes = parseUidHex(options.uid);
    this.uid = toHex(this.uidBytes);
    this.host = options.host ?? DEFAULT_VPCD_HOST;
    this.port = options.port ?? DEFAULT_VPCD_PORT;
    this.atr = Buffer.from(options.atr ?? DEFAULT_VPCD_ATR);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) throw new RangeError(`vpcd port must be 1..65535, got ${this.port}`);
  }

  get inserted(): boolean {
    return this.socket !== null;
  }

  get powered(): boolean {
    return this.isPowered;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Every APDU the reader sent and what the card answered, as hex, for logs and tests. */
  onApdu(listener: (exchange: VpcdExchange) => void): () => void {
    return this.exchanges.add(listener);
  }

  /** The card left the reader: null when asked to, the error when vpcd (pcscd) went away. */
  onRemoved(listener: (error: Error | null) => void): () => void {
    return this.removals.add(listener);
  }

  /** The answer to one command APDU; pure, so the emulation is tested without a socket. */
  respond(apdu: Uint8Array): Buffer {
    return isGetDataUid(apdu) ? encodeUidResponse(this.uidBytes) : encodeStatusWord(SW_INS_NOT_SUPPORTED);
  }

  /** Puts the card on the reader. Rejects (never hangs) if vpcd is not listening. */
  async insert(): Promise<void> {
    if (this.socket !== null) return;
    const socket = connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`vpcd at ${this.address} did not accept the card within ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`vpcd at ${this.address} refused the card (is pcscd running with vsmartcard-vpcd?): ${error.message}`));
      });
    });
    this.decoder.reset();
    this.isPowered = false;
    this.socket = socket;
    let failure: Error | null = null;
    socket.on('error', (error) => {
      failure = error;
    });
    socket.on('data', (chunk: Buffer) => this.handleData(socket, chunk));
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        const wasOurs = this.socket === socket;
        if (wasOurs) {
          this.socket = null;
          this.isPowered = false;
        }
        resolve();
        if (wasOurs) this.removals.emit(failure ?? (this.removing ? null : new Error(`vpcd at ${this.address} closed the connection`)));
        this.removing = false;
      });
    });
  }

  /** Lifts the card off the reader; resolves once the socket is closed. */
  async remove(): Promise<void> {
    const socket = this.socket;
    if (socket === null) return this.closed;
    this.removing = true;
    // end() lets vpcd see an orderly EOF, which it reports as "card removed".
    socket.end();
    const timer = setTimeout(() => socket.destroy(), 1000);
    await this.closed;
    clearTimeout(timer);
  }

  private handleData(socket: Socket, chunk: Buffer): void {
    for (const payload of this.decoder.push(chunk)) {
      const message = classifyVpcdPayload(payload);
      switch (message.type) {
        case 'control':
          if (message.control === VpcdControl.GetAtr) this.send(socket, this.atr);
          else if (message.control === VpcdControl.PowerOff) this.isPowered = false;
          else this.isPowered = true; // power on and reset both leave the card powered
          break;
        case 'apdu': {
          const response = this.respond(message.apdu);
          this.send(socket, response);
          this.exchanges.emit({ command: toHex(message.apdu), response: toHex(response) });
          break;
        }
        case 'unknown-control':
        case 'empty':
          // Not in the protocol as documented; a real card would not answer either.
          break;
      }
    }
  }

  private send(socket: Socket, payload: Uint8Array): void {
    if (socket.writable) socket.write(encodeVpcdFrame(payload));
  }
}
