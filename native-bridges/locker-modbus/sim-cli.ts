import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimCommand } from '../sim-command.ts';
import { COMMON_SIM_USAGE, openPtyPair, parseInteger, parseSimArgs } from '../sim-args.ts';
import type { PtyPair } from '../sim-args.ts';
import { openSerialTransport } from '../transport/serial-transport.ts';
import { DEFAULT_PULSE_COMMAND } from './codec.ts';
import { ModbusRelaySimulator } from './simulator.ts';

/** The boards ship at 9600 8N1 (PROTOCOLS.md). */
const DEFAULT_BAUD = 9600;

/**
 * `npm run sim -- modbus --pty` plays a Modbus RTU relay/IO board on a serial line, for demos
 * and site acceptance without the hardware. Door changes are logged so whoever runs the demo
 * can see the kiosk's pulses arrive.
 */
export const modbusSimCommand: SimCommand = {
  name: 'modbus',
  usage: [
    '--slave N          Modbus slave address 1..247 (default 1)',
    '--relays N         relays and door inputs on the board (default 8)',
    `--pulse-command B  flash-on command byte, decimal or 0x.. (default 0x${DEFAULT_PULSE_COMMAND.toString(16).padStart(2, '0')})`,
    COMMON_SIM_USAGE,
  ].join('\n'),

  async start(args, log) {
    const parsed = parseSimArgs(args, { valueFlags: ['slave', 'relays', 'pulse-command'], defaultBaudRate: DEFAULT_BAUD });
    const slaveText = parsed.values.get('slave');
    const relaysText = parsed.values.get('relays');
    const pulseText = parsed.values.get('pulse-command');
    const slave = slaveText === undefined ? 1 : parseInteger(slaveText, 'slave', 1, 247);
    const relays = relaysText === undefined ? 8 : parseInteger(relaysText, 'relays', 1, 256);
    const pulseCommand = pulseText === undefined ? DEFAULT_PULSE_COMMAND : parseInteger(pulseText, 'pulse-command', 1, 0xff);

    let dir: string | null = null;
    let pty: PtyPair | null = null;
    const cleanup = async (): Promise<void> => {
      await pty?.close();
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    };
    try {
      let simPath: string;
      let where: string;
      if (parsed.pty) {
        dir = mkdtempSync(join(tmpdir(), 'modbus-sim-'));
        pty = await openPtyPair(dir);
        simPath = pty.simPath;
        where = `open ${pty.appPath}`;
      } else {
        simPath = parsed.port ?? '';
        where = `on ${simPath}, open the other end of that line`;
      }
      const transport = await openSerialTransport(simPath, parsed.baudRate);
      const sim = new ModbusRelaySimulator(transport, { slave, relays, pulseCommand, faults: parsed.faults });
      sim.onChange((change) => {
        const what = change.kind === 'relay' ? `relay ${change.index + 1} ${change.value ? 'on' : 'off'}` : `door ${change.index + 1} ${change.value ? 'open' : 'closed'}`;
        log(`modbus: ${what}`);
      });
      transport.onClose((error) => {
        if (error) log(`modbus: ${simPath} closed: ${error.message}`);
      });
      log(`modbus simulator ready: ${where} at ${parsed.baudRate} 8N1 (slave ${slave}, ${relays} relays, pulse command 0x${pulseCommand.toString(16).padStart(2, '0')})`);

      let stopped = false;
      return async () => {
        if (stopped) return;
        stopped = true;
        await sim.close().catch(() => undefined);
        await cleanup();
      };
    } catch (error) {
      await cleanup();
      throw error;
    }
  },
};
