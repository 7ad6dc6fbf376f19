import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { SimCommand, SimFaults } from '../sim-command.ts';
import { COMMON_SIM_USAGE, openPtyPair, parseInteger, parseSimArgs } from '../sim-args.ts';
import type { PtyPair } from '../sim-args.ts';
import { openSerialTransport } from '../transport/serial-transport.ts';
import type { ByteTransport } from '../transport/byte-transport.ts';
import { SerialScannerSimulator } from './serial-scanner-simulator.ts';
import type { SerialScannerSimulatorOptions } from './serial-scanner-simulator.ts';

const OWN_USAGE = [
  '--crlf | --lf       end reads with CRLF or LF instead of CR',
  '--aim ID            send an AIM symbology id before every code, e.g. ]C1',
  '--prefix TEXT / --suffix TEXT   wrap every code',
  '--every MS --codes A,B   send the codes in turn every MS milliseconds',
  '--no-stdin          do not read codes from standard input (default: one scan per line)',
].join('\n');

/** The common fault flags act on reads: --garbage is line noise before a read, --no-reply a missed read. */
const USAGE = `${COMMON_SIM_USAGE}\n${OWN_USAGE}`;

/** Bare switches of this command; parseSimArgs knows only the common ones, so they are taken out first. */
const OWN_SWITCHES = ['--crlf', '--lf', '--no-stdin'] as const;

export interface ScannerSimArgs {
  port: string | null;
  pty: boolean;
  baud: number;
  sim: SerialScannerSimulatorOptions;
  faults: SimFaults;
  everyMs: number | null;
  codes: string[];
  stdin: boolean;
}

/** Parses everything after `scanner`; throws an Error naming the bad flag. */
export function parseScannerSimArgs(args: readonly string[]): ScannerSimArgs {
  const switches = new Set(args.filter((a) => (OWN_SWITCHES as readonly string[]).includes(a)));
  if (switches.has('--crlf') && switches.has('--lf')) throw new Error('give --crlf or --lf, not both');
  const common = parseSimArgs(
    args.filter((a) => !(OWN_SWITCHES as readonly string[]).includes(a)),
    { valueFlags: ['aim', 'prefix', 'suffix', 'every', 'codes'], defaultBaudRate: 9600 },
  );
  const sim: SerialScannerSimulatorOptions = {};
  if (switches.has('--crlf')) sim.terminator = 'CRLF';
  if (switches.has('--lf')) sim.terminator = 'LF';
  const aim = common.values.get('aim');
  if (aim !== undefined) {
    if (!/^\][\x20-\x7e]{2}$/.test(aim)) throw new Error(`--aim needs an AIM id like ]C1, got ${aim}`);
    sim.aim = aim;
  }
  for (const name of ['prefix', 'suffix'] as const) {
    const text = common.values.get(name);
    if (text === undefined) continue;
    if (!/^[\x20-\x7e]+$/.test(text)) throw new Error(`--${name} must be printable ASCII`);
    sim[name] = text;
  }
  const every = common.values.get('every');
  const codes = (common.values.get('codes') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if ((every === undefined) !== (codes.length === 0)) throw new Error('--every and --codes go together');
  for (const code of codes) {
    if (!/^[\x20-\x7e]+$/.test(code)) throw new Error(`--codes: ${JSON.stringify(code)} is not printable ASCII`);
  }
  return {
    port: common.port,
    pty: common.pty,
    baud: common.baudRate,
    sim,
    faults: common.faults,
    everyMs: every === undefined ? null : parseInteger(every, 'every', 10, 86_400_000),
    codes,
    stdin: !switches.has('--no-stdin'),
  };
}

export interface ScannerSimDeps {
  /** Where typed codes come from; process.stdin by default. */
  stdin?: Readable;
}

/** Built with injectable stdin so tests can type at it; `scannerSimCommand` uses the real one. */
export function createScannerSimCommand(deps: ScannerSimDeps = {}): SimCommand {
  return {
    name: 'scanner',
    usage: USAGE,
    async start(args, log) {
      const parsed = parseScannerSimArgs(args);
      let pty: PtyPair | null = null;
      let ptyDir: string | null = null;
      const dropPty = async (): Promise<void> => {
        await pty?.close();
        if (ptyDir !== null) rmSync(ptyDir, { recursive: true, force: true });
      };
      let transport: ByteTransport;
      if (parsed.pty) {
        ptyDir = mkdtempSync(join(tmpdir(), 'scanner-sim-'));
        try {
          pty = await openPtyPair(ptyDir);
          transport = await openSerialTransport(pty.simPath, parsed.baud);
        } catch (error) {
          await dropPty();
          throw error;
        }
        log(`scanner: open ${pty.appPath} as the scanner's serial port`);
      } else {
        transport = await openSerialTransport(parsed.port ?? '', parsed.baud);
        log(`scanner: playing a serial scanner on ${transport.name}`);
      }
      const sim = new SerialScannerSimulator(transport, { ...parsed.sim, faults: parsed.faults });
      sim.onTrigger((on) => log(`scanner: host trigger ${on ? 'on' : 'off'}`));
      transport.onClose((error) => {
        if (error !== null) log(`scanner: port closed: ${error.message}`);
      });

      const send = (code: string): void => {
        sim.scan(code).then(
          () => log(`scanner: sent ${code}`),
          (error: unknown) => log(`scanner: could not send ${code}: ${error instanceof Error ? error.message : String(error)}`),
        );
      };

      let timer: NodeJS.Timeout | null = null;
      if (parsed.everyMs !== null) {
        let next = 0;
        timer = setInterval(() => {
          const code = parsed.codes[next % parsed.codes.length];
          next++;
          if (code !== undefined) send(code);
        }, parsed.everyMs);
      }

      let closeLines: (() => void) | null = null;
      if (parsed.stdin) {
        const lines = createInterface({ input: deps.stdin ?? process.stdin, crlfDelay: Infinity });
        lines.on('line', (line) => {
          const code = line.trim();
          if (code === '') return;
          if (!/^[\x20-\x7e]+$/.test(code)) {
            log(`scanner: ignored ${JSON.stringify(code)}: not printable ASCII`);
            return;
          }
          send(code);
        });
        closeLines = () => lines.close();
        log('scanner: type a code and press Enter to scan it');
      }

      return async () => {
        if (timer !== null) clearInterval(timer);
        closeLines?.();
        await sim.close().catch(() => undefined);
        await dropPty();
      };
    },
  };
}

export const scannerSimCommand: SimCommand = createScannerSimCommand();
