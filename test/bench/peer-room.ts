/**
 * The room for the peer-style bench, in its own process as a site's hardware is: the Kerong
 * boards and a serial scanner on socat ptys, speaking the real bytes. Forked by peer-style.ts
 * (`fork(peer-room.ts, [dir])`), it takes the person's part on command (take an item, put one
 * in, close a door, scan a tag) and reports, stamped on the shared epoch clock (epochMs):
 * every unlock frame as it arrives, every change in what the boards' status replies say as the
 * reply is written, and the moment each scan's last byte is in the pty. Stamping here, away
 * from the conductor's Playwright and WebSocket traffic, keeps the bench's own work out of the
 * figures.
 */
import { DEFAULT_KERONG_POLARITY, isStatusReply, KerongCommand, KerongDecoder, parseStatusReply } from '../../native-bridges/locker-kerong/codec.ts';
import { KerongSimulator } from '../../native-bridges/locker-kerong/simulator.ts';
import { SerialScannerSimulator } from '../../native-bridges/scanner/serial-scanner-simulator.ts';
import { openPtyPair, type PtyPair } from '../../native-bridges/sim-args.ts';
import { openPtyEndpoint } from './pty-endpoint.ts';
import { roomCommandSchema, type RoomEvent } from './peer-room-messages.ts';
import { epochMs } from './stats.ts';

/** The one board the bench's bank has; doors 1..16 are its locks 1..16 (the default configuration's wiring). */
const BOARD = 0;
/** The demo site's stock as its database says: doors 1-12, and the new laptops in 15-16. */
const STOCKED_DOORS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16];

function send(event: RoomEvent): void {
  process.send?.(event);
}

async function main(dir: string): Promise<void> {
  const cleanups: (() => Promise<void> | void)[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    process.exit(code);
  };
  // The conductor gone (crashed or done) means the room goes too, ptys and socat with it.
  process.on('disconnect', () => void stop(0));
  try {
    const pairs: PtyPair[] = [];
    cleanups.push(async () => {
      for (const pair of pairs) await pair.close();
    });
    const lockerPty = await openPtyPair(dir, { names: ['lockers-app', 'lockers-sim'] });
    pairs.push(lockerPty);
    const scannerPty = await openPtyPair(dir, { names: ['scanner-app', 'scanner-sim'] });
    pairs.push(scannerPty);

    const boardLine = openPtyEndpoint(lockerPty.simPath, epochMs);
    // Registered before the simulator's own listener, so the stamp is the first thing done with the bytes.
    const fromHost = new KerongDecoder();
    boardLine.onData((chunk) => {
      const at = epochMs();
      for (const event of fromHost.push(chunk)) {
        if (event.type === 'frame' && event.frame.cmd === KerongCommand.unlock && event.frame.addr >> 4 === BOARD) send({ type: 'unlock', door: (event.frame.addr & 0x0f) + 1, at });
      }
    });
    const toHost = new KerongDecoder();
    const reported: boolean[] = new Array<boolean>(16).fill(false);
    boardLine.onWritten((bytes, at) => {
      for (const event of toHost.push(Buffer.from(bytes))) {
        if (event.type !== 'frame' || !isStatusReply(event.frame)) continue;
        const status = parseStatusReply(event.frame, DEFAULT_KERONG_POLARITY);
        if (status.board !== BOARD) continue;
        status.doorOpen.forEach((open, index) => {
          if (open === reported[index]) return;
          reported[index] = open;
          send({ type: 'reading', door: index + 1, open, at });
        });
      }
    });
    const boards = new KerongSimulator(boardLine, { boards: [BOARD] });
    cleanups.push(() => boards.close());
    for (const stocked of STOCKED_DOORS) boards.setItemPresent(BOARD, stocked - 1, true);

    const scannerLine = openPtyEndpoint(scannerPty.simPath, epochMs);
    let lastScanByteAt = 0;
    scannerLine.onWritten((_bytes, at) => (lastScanByteAt = at));
    const scanner = new SerialScannerSimulator(scannerLine);
    cleanups.push(() => scanner.close());

    process.on('message', (raw: unknown) => {
      const parsed = roomCommandSchema.safeParse(raw);
      if (!parsed.success) {
        send({ type: 'failed', message: `the room got a command it does not know: ${JSON.stringify(raw)}` });
        return;
      }
      const command = parsed.data;
      switch (command.type) {
        case 'take':
          return boards.setItemPresent(BOARD, command.door - 1, false);
        case 'put':
          return boards.setItemPresent(BOARD, command.door - 1, true);
        case 'close':
          return boards.closeDoor(BOARD, command.door - 1);
        case 'scan':
          scanner.scan(command.tag).then(
            () => send({ type: 'scanned', id: command.id, at: lastScanByteAt }),
            (error: unknown) => send({ type: 'failed', message: `scan ${command.tag}: ${error instanceof Error ? error.message : String(error)}` }),
          );
          return;
        case 'ping':
          return send({ type: 'pong', id: command.id, at: epochMs() });
        case 'stop':
          return void stop(0);
      }
    });
    send({ type: 'ready', lockerPath: lockerPty.appPath, scannerPath: scannerPty.appPath });
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    await stop(1);
  }
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: peer-room.ts DIR (where the pty links go)');
await main(dir);
