import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { COMMON_SIM_USAGE, openPtyPair, parseInteger, parseSimArgs } from '../sim-args.ts';
import type { CommonSimArgs, PtyPair } from '../sim-args.ts';
import type { SimCommand } from '../sim-command.ts';
import { openSerialTransport } from '../transport/serial-transport.ts';
import { parseUidHex, toHex } from './apdu.ts';
import { parseRdm6300Id } from './rdm6300-codec.ts';
import { RDM6300_BAUD } from './rdm6300-reader.ts';
import { Rdm6300Simulator } from './rdm6300-simulator.ts';
import { DEFAULT_VPCD_HOST, DEFAULT_VPCD_PORT, VpcdCard } from './vpcd-card.ts';

const USAGE = [
  '--vpcd [HOST:PORT]   tap cards on pcscd through vsmartcard-vpcd (default 127.0.0.1:35963)',
  '--rdm6300            play an RDM6300 125 kHz reader on a serial line (with --port PATH or --pty)',
  '--uid HEX            tap this card once at start (vpcd: 4..10 bytes; rdm6300: 10 hex digits)',
  '--hold MS            how long a tapped card stays on the reader (default 1000)',
  '--no-stdin           do not read UIDs from standard input (default: one tap per line)',
  'with --rdm6300 also:',
  COMMON_SIM_USAGE,
].join('\n');

export type CardSimArgs =
  | { mode: 'vpcd'; host: string; port: number; uid: string | null; holdMs: number; stdin: boolean }
  | { mode: 'rdm6300'; serial: CommonSimArgs; uid: string | null; holdMs: number; stdin: boolean };

/** "host:port", "host" or ":port" -> parts, defaults filled in. */
function parseVpcdAddress(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  const host = colon < 0 ? text : text.slice(0, colon);
  const port = colon < 0 ? DEFAULT_VPCD_PORT : parseInteger(text.slice(colon + 1), 'vpcd port', 1, 65535);
  return { host: host === '' ? DEFAULT_VPCD_HOST : host, port };
}

/** Parses everything after `card`; throws an Error naming the bad flag. */
export function parseCardSimArgs(args: readonly string[]): CardSimArgs {
  const rest: string[] = [];
  let vpcd: string | null = null;
  let rdm6300 = false;
  let stdin = true;
  let uid: string | null = null;
  let holdMs = 1000;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const value = (): string => {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value`);
      i++;
      return next;
    };
    if (arg === '--vpcd') {
      const next = args[i + 1];
      // The address is optional, so only a following word that is not a flag is taken.
      if (next !== undefined && !next.startsWith('--')) {
        vpcd = next;
        i++;
      } else vpcd = '';
    } else if (arg.startsWith('--vpcd=')) vpcd = arg.slice('--vpcd='.length);
    else if (arg === '--rdm6300') rdm6300 = true;
    else if (arg === '--no-stdin') stdin = false;
    else if (arg === '--uid') uid = value();
    else if (arg === '--hold') holdMs = parseInteger(value(), 'hold', 10, 600_000);
    else rest.push(arg);
  }
  if ((vpcd !== null) === rdm6300) throw new Error(`give exactly one of --vpcd or --rdm6300\n${USAGE}`);
  if (!stdin && uid === null) throw new Error('nothing to tap: give --uid HEX or leave standard input on');
  if (vpcd !== null) {
    if (rest.length > 0) throw new Error(`unknown option ${rest[0] ?? ''} for --vpcd\n${USAGE}`);
    if (uid !== null) uid = toHex(parseUidHex(uid));
    return { mode: 'vpcd', ...parseVpcdAddress(vpcd), uid, holdMs, stdin };
  }
  if (uid !== null) uid = parseRdm6300Id(uid).toString('hex').toUpperCase();
  return { mode: 'rdm6300', serial: parseSimArgs(rest, { defaultBaudRate: RDM6300_BAUD }), uid, holdMs, stdin };
}

export interface CardSimDeps {
  /** Where typed UIDs come from; process.stdin by default. */
  stdin?: Readable;
}

/** One tap at a time, in order: a card on the reader is one connection (or one held frame). */
type Tapper = (uid: string) => Promise<void>;

/** Built with injectable stdin so tests can type at it; `cardSimCommand` uses the real one. */
export function createCardSimCommand(deps: CardSimDeps = {}): SimCommand {
  return {
    name: 'card',
    usage: USAGE,
    async start(args, log) {
      const parsed = parseCardSimArgs(args);
      const cleanups: (() => Promise<void>)[] = [];
      let tapper: Tapper;
      let normalise: (text: string) => string;

      if (parsed.mode === 'vpcd') {
        const { host, port, holdMs } = parsed;
        normalise = (text) => toHex(parseUidHex(text));
        tapper = async (uid) => {
          const card = new VpcdCard({ uid, host, port });
          card.onApdu(({ command, response }) => log(`card: ${command} -> ${response}`));
          await card.insert();
          log(`card: ${uid} on the reader at ${card.address}`);
          await new Promise((resolve) => setTimeout(resolve, holdMs));
          await card.remove();
          log(`card: ${uid} lifted`);
        };
        log(`card: tapping cards on vpcd at ${host}:${port}`);
      } else {
        const { serial, holdMs } = parsed;
        let pty: PtyPair | null = null;
        let dir: string | null = null;
        let path = serial.port ?? '';
        if (serial.pty) {
          dir = mkdtempSync(join(tmpdir(), 'card-sim-'));
          pty = await openPtyPair(dir);
          path = pty.simPath;
        }
        const transport = await openSerialTransport(path, serial.baudRate).catch(async (error: unknown) => {
          await pty?.close();
          if (dir !== null) rmSync(dir, { recursive: true, force: true });
          throw error;
        });
        const sim = new Rdm6300Simulator(transport, { faults: serial.faults });
        transport.onClose((error) => {
          if (error !== null) log(`card: port closed: ${error.message}`);
        });
        cleanups.push(async () => {
          await sim.close();
          await pty?.close();
          if (dir !== null) rmSync(dir, { recursive: true, force: true });
        });
        normalise = (text) => parseRdm6300Id(text).toString('hex').toUpperCase();
        tapper = async (uid) => {
          await sim.tap(uid, holdMs);
          log(`card: ${uid} held for ${holdMs} ms`);
        };
        log(pty === null ? `card: playing an RDM6300 on ${transport.name}` : `card: open ${pty.appPath} as the RDM6300's serial port`);
      }

      let queue: Promise<void> = Promise.resolve();
      let stopped = false;
      const tap = (text: string): void => {
        let uid: string;
        try {
          uid = normalise(text);
        } catch (error) {
          log(`card: ignored ${JSON.stringify(text)}: ${error instanceof Error ? error.message : String(error)}`);
          return;
        }
        queue = queue.then(async () => {
          if (stopped) return;
          await tapper(uid).catch((error: unknown) => log(`card: could not tap ${uid}: ${error instanceof Error ? error.message : String(error)}`));
        });
      };

      if (parsed.uid !== null) tap(parsed.uid);
      if (parsed.stdin) {
        const lines = createInterface({ input: deps.stdin ?? process.stdin, crlfDelay: Infinity });
        lines.on('line', (line) => {
          if (line.trim() !== '') tap(line.trim());
        });
        cleanups.unshift(async () => lines.close());
        log('card: type a UID and press Enter to tap it');
      }

      return async () => {
        stopped = true;
        for (const cleanup of cleanups) await cleanup().catch(() => undefined);
        await queue;
      };
    },
  };
}

export const cardSimCommand: SimCommand = createCardSimCommand();
