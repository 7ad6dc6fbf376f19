import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { kerongSimCommand } from '../../../native-bridges/locker-kerong/sim-cli.ts';
import { openSerialTransport } from '../../../native-bridges/transport/serial-transport.ts';
import { KerongDriver } from '../../../native-bridges/locker-kerong/driver.ts';

const polarity = { lockOpenWhenBitSet: true, itemPresentWhenBitSet: true };

/** The path the "ready" line tells the app to open. */
function pathFrom(lines: readonly string[]): string {
  const match = lines.map((line) => /ready: open (\S+)/.exec(line)).find((m) => m !== null);
  if (match?.[1] === undefined) throw new Error(`no ready line naming a path in ${JSON.stringify(lines)}`);
  return match[1];
}

describe('kerong sim command', () => {
  it('starts on its own pty pair, serves the Kerong driver, and cleans up when stopped', async () => {
    expect(kerongSimCommand.name).toBe('kerong');
    expect(kerongSimCommand.usage).toMatch(/--items/);
    const lines: string[] = [];
    const stop = await kerongSimCommand.start(['--pty', '--boards', '0,1', '--items', '1,2,1:16', '--fragment', '--garbage', '0.3'], (line) => lines.push(line));
    let driver: KerongDriver | null = null;
    try {
      const path = pathFrom(lines);
      expect(lines.filter((line) => line.includes('ready'))).toHaveLength(1);
      expect(existsSync(path)).toBe(true);

      const port = await openSerialTransport(path, 19200);
      const kerong = new KerongDriver(port, {
        boards: [
          { address: 0, polarity },
          { address: 1, polarity },
        ],
        replyTimeoutMs: 300,
      });
      driver = kerong;
      // Garbage can spoil a reply now and then; a retry is what the app's poll does anyway.
      const read = async (board: number) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await kerong.readStatus(board);
          } catch (error) {
            if (attempt >= 5) throw error;
          }
        }
      };
      const board0 = await read(0);
      expect(board0.itemPresent.flatMap((p, i) => (p ? [i] : []))).toEqual([0, 1]);
      expect(board0.doorOpen.some((open) => open)).toBe(false);
      expect((await read(1)).itemPresent.flatMap((p, i) => (p ? [i] : []))).toEqual([15]);

      await kerong.unlock(0, 4);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await read(0)).doorOpen.flatMap((open, i) => (open ? [i] : []))).toEqual([4]);
      expect(lines.some((line) => /board 0 lock 5: door open/.test(line))).toBe(true);
    } finally {
      await driver?.close();
      await stop();
    }
    // The pty links and their directory are gone.
    const path = pathFrom(lines);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(dirname(path))).toBe(false);
  });

  it('refuses bad arguments with a clear message', async () => {
    const log = (): void => undefined;
    await expect(kerongSimCommand.start(['--boards', '0'], log)).rejects.toThrow(/--port PATH .* or --pty/);
    await expect(kerongSimCommand.start(['--pty', '--boards', '16'], log)).rejects.toThrow(/--boards must be/);
    await expect(kerongSimCommand.start(['--pty', '--items', '17'], log)).rejects.toThrow(/--items/);
    await expect(kerongSimCommand.start(['--pty', '--boards', '0', '--items', '2:3'], log)).rejects.toThrow(/board 2/);
    await expect(kerongSimCommand.start(['--pty', '--slave', '1'], log)).rejects.toThrow(/unknown option --slave/);
  });
});
