import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimCommand } from '../sim-command.ts';
import { COMMON_SIM_USAGE, FaultyWriter, openPtyPair, parseIntegerList, parseSimArgs, withFaultyWrites } from '../sim-args.ts';
import type { PtyPair } from '../sim-args.ts';
import { openSerialTransport } from '../transport/serial-transport.ts';
import { KERONG_LOCKS_PER_BOARD } from './codec.ts';
import { KerongSimulator } from './simulator.ts';

/** KR-CU boards ship at 19200 8N1 (PROTOCOLS.md). */
const DEFAULT_BAUD = 19200;

/**
 * "3" is lock 3 on the first board given; "1:3" is lock 3 on board 1. Locks are numbered
 * 1..16 as on the board's label, not by the wire's 0-based index.
 */
function parseItems(text: string, boards: readonly number[]): { board: number; lockIndex: number }[] {
  const firstBoard = boards[0] ?? 0;
  return text.split(',').map((part) => {
    const match = /^\s*(?:(\d+):)?(\d+)\s*$/.exec(part);
    const board = match?.[1] === undefined ? firstBoard : Number(match[1]);
    const lock = Number(match?.[2]);
    if (match === null || !Number.isInteger(lock) || lock < 1 || lock > KERONG_LOCKS_PER_BOARD) {
      throw new Error(`--items: "${part}" is not a lock 1..16 or board:lock`);
    }
    if (!boards.includes(board)) throw new Error(`--items: board ${board} in "${part}" is not one of --boards ${boards.join(',')}`);
    return { board, lockIndex: lock - 1 };
  });
}

/**
 * `npm run sim -- kerong --pty --items 1,2,3` plays a bus of Kerong KR-CU boards on a serial
 * line. The Kerong simulator has no garbage fault of its own, so every fault is applied to its
 * writes here (it only ever writes status replies), and --no-reply maps to its dropReplies.
 */
export const kerongSimCommand: SimCommand = {
  name: 'kerong',
  usage: [
    '--boards 0,1       board addresses 0..15 on the bus (default 0)',
    '--items 1,2,3      locks (1..16) holding an item at start; "1:3" is lock 3 on board 1',
    COMMON_SIM_USAGE,
  ].join('\n'),

  async start(args, log) {
    const parsed = parseSimArgs(args, { valueFlags: ['boards', 'items'], defaultBaudRate: DEFAULT_BAUD });
    const boardsText = parsed.values.get('boards');
    const boards = boardsText === undefined ? [0] : parseIntegerList(boardsText, 'boards', 0, 15);
    const itemsText = parsed.values.get('items');
    const items = itemsText === undefined ? [] : parseItems(itemsText, boards);

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
        dir = mkdtempSync(join(tmpdir(), 'kerong-sim-'));
        pty = await openPtyPair(dir);
        simPath = pty.simPath;
        where = `open ${pty.appPath}`;
      } else {
        simPath = parsed.port ?? '';
        where = `on ${simPath}, open the other end of that line`;
      }
      const port = await openSerialTransport(simPath, parsed.baudRate);
      const { noReply, ...lineFaults } = parsed.faults;
      const writer = new FaultyWriter(port, lineFaults);
      const sim = new KerongSimulator(withFaultyWrites(port, writer), { boards, faults: { dropReplies: noReply } });
      for (const { board, lockIndex } of items) sim.setItemPresent(board, lockIndex, true);
      sim.onChange((door) => {
        log(`kerong: board ${door.board} lock ${door.lockIndex + 1}: door ${door.open ? 'open' : 'closed'}, item ${door.itemPresent ? 'present' : 'absent'}`);
      });
      port.onClose((error) => {
        if (error) log(`kerong: ${simPath} closed: ${error.message}`);
      });
      log(`kerong simulator ready: ${where} at ${parsed.baudRate} 8N1 (boards ${boards.join(',')}, ${items.length} item(s) present)`);

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
