/**
 * `npm run sim -- <device> [options]`: run one device simulator on its own, on a real
 * transport (a pty pair or serial port, a loopback TCP/HTTP port, the vpcd socket), for
 * demos and site acceptance. Ctrl+C stops it cleanly.
 */
import { cardSimCommand } from './card-reader/sim-cli.ts';
import { kerongSimCommand } from './locker-kerong/sim-cli.ts';
import { modbusSimCommand } from './locker-modbus/sim-cli.ts';
import { scannerSimCommand } from './scanner/sim-cli.ts';
import type { SimCommand } from './sim-command.ts';
import { videoSimCommand } from './video-trigger/sim-cli.ts';

const COMMANDS: readonly SimCommand[] = [kerongSimCommand, modbusSimCommand, scannerSimCommand, cardSimCommand, videoSimCommand];

function usage(): string {
  return ['Usage: npm run sim -- <device> [options]', '', ...COMMANDS.map((c) => `${c.name}\n${c.usage.replace(/^/gm, '    ')}`)].join('\n');
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`Unknown device "${name}". Devices: ${COMMANDS.map((c) => c.name).join(', ')}.\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  let stop: () => Promise<void>;
  try {
    stop = await command.start(args, log);
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : String(error)}\n\n${command.name}\n${command.usage}`);
    process.exitCode = 2;
    return;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping ${name}`);
    void stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

void main();
