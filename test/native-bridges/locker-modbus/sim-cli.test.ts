import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modbusSimCommand } from '../../../native-bridges/locker-modbus/sim-cli.ts';
import { openPtyPair, parseIntegerList, parseSimArgs } from '../../../native-bridges/sim-args.ts';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import { ModbusRelayDriver } from '../../../native-bridges/locker-modbus/driver.ts';

describe('parseSimArgs (the flags every simulator shares)', () => {
  it('parses the common flags and the command’s own, in either --name value or --name=value form', () => {
    const parsed = parseSimArgs(['--pty', '--fragment', '--garbage', '0.1', '--delay=50', '--no-reply', '--slave', '3'], {
      valueFlags: ['slave'],
      defaultBaudRate: 9600,
    });
    expect(parsed).toEqual({
      port: null,
      pty: true,
      baudRate: 9600,
      faults: { fragment: true, garbage: 0.1, delayMs: 50, noReply: true },
      values: new Map([['slave', '3']]),
      switches: new Set(),
    });
    expect(parseSimArgs(['--pty', '--stdin'], { switchFlags: ['stdin'], defaultBaudRate: 9600 }).switches).toEqual(new Set(['stdin']));
    expect(parseSimArgs(['--port', '/dev/ttyUSB0', '--baud', '19200'], { defaultBaudRate: 9600 })).toMatchObject({
      port: '/dev/ttyUSB0',
      pty: false,
      baudRate: 19200,
      faults: { fragment: false, garbage: 0, delayMs: 0, noReply: false },
    });
  });

  it('says what is wrong', () => {
    const spec = { valueFlags: ['relays'], defaultBaudRate: 9600 };
    expect(() => parseSimArgs([], spec)).toThrow(/--port PATH .* or --pty/);
    expect(() => parseSimArgs(['--pty', '--port', '/dev/x'], spec)).toThrow(/not both/);
    expect(() => parseSimArgs(['--pty', '--garbag', '0.5'], spec)).toThrow(/unknown option --garbag/);
    expect(() => parseSimArgs(['--pty', '--garbage', '2'], spec)).toThrow(/--garbage must be a number 0..1/);
    expect(() => parseSimArgs(['--pty', '--delay', '1.5'], spec)).toThrow(/whole number/);
    expect(() => parseSimArgs(['--pty', '--relays'], spec)).toThrow(/--relays needs a value/);
    expect(() => parseSimArgs(['--pty', '--relays', '--fragment'], spec)).toThrow(/--relays needs a value/);
    expect(() => parseSimArgs(['--pty=yes'], spec)).toThrow(/takes no value/);
    expect(() => parseSimArgs(['pty'], spec)).toThrow(/unexpected argument/);
    expect(() => parseSimArgs(['--pty', '--relays', '4', '--relays', '5'], spec)).toThrow(/twice/);
    expect(parseIntegerList('0, 1,15', 'boards', 0, 15)).toEqual([0, 1, 15]);
    expect(() => parseIntegerList('1,1', 'boards', 0, 15)).toThrow(/twice/);
  });
});

describe('openPtyPair', () => {
  it('gives two linked ptys, and can be started again in the same place after an unplug', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pty-pair-'));
    try {
      const pair = await openPtyPair(dir);
      expect(pair.isRunning).toBe(true);
      await pair.unplug();
      expect(pair.isRunning).toBe(false);
      const again = await openPtyPair(dir);
      const a = await openSerialTransport(again.appPath, 9600);
      const b = await openSerialTransport(again.simPath, 9600);
      const received: Buffer[] = [];
      b.onData((chunk) => received.push(chunk));
      await a.write(Buffer.from('ping'));
      await expect.poll(() => Buffer.concat(received).toString()).toBe('ping');
      await a.close();
      await b.close();
      await again.close();
      expect(existsSync(again.appPath)).toBe(false);
      await again.close(); // twice is fine
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('modbus sim command', () => {
  it('starts on its own pty pair, serves the Modbus driver, and cleans up when stopped', async () => {
    expect(modbusSimCommand.name).toBe('modbus');
    const lines: string[] = [];
    const stop = await modbusSimCommand.start(['--pty', '--slave', '5', '--relays', '4', '--fragment', '--delay', '5'], (line) => lines.push(line));
    let driver: ModbusRelayDriver | null = null;
    let path = '';
    try {
      const ready = lines.find((line) => line.includes('ready'));
      path = /ready: open (\S+)/.exec(ready ?? '')?.[1] ?? '';
      expect(existsSync(path)).toBe(true);
      driver = new ModbusRelayDriver(await openSerialTransport(path, 9600), { slave: 5, relayCount: 4, inputCount: 4 });
      await driver.pulseRelay(2, 200);
      expect(await driver.readInputs()).toEqual([false, false, true, false]);
      expect(lines).toContain('modbus: door 3 open');
      expect(await driver.readCoils()).toHaveLength(4);
    } finally {
      await driver?.close();
      await stop();
    }
    expect(existsSync(path)).toBe(false);
  });

  it('refuses bad arguments with a clear message', async () => {
    const log = (): void => undefined;
    await expect(modbusSimCommand.start(['--pty', '--slave', '0'], log)).rejects.toThrow(/--slave must be/);
    await expect(modbusSimCommand.start(['--pty', '--items', '1'], log)).rejects.toThrow(/unknown option --items/);
  });
});
