/**
 * Scan-to-unlock latency over real ptys: from the last byte of a tag scan handed to the
 * scanner's pty to the unlock frame arriving at the far end of the locker bus's pty, with
 * an officer signed in and returning an item. Everything between is the product: the
 * serialport binding, the scan decoder, the kiosk, the durable return intent (one fsync),
 * the Kerong driver's bus queue.
 */
import { performance } from 'node:perf_hooks';
import { ptyRoom } from './pty-room.ts';
import { summarize, type Summary } from './stats.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234' }; // demo officer, Taser in date

export async function measureScanToUnlock(resourcesDir: string, iterations: number, log: (line: string) => void): Promise<Summary> {
  const room = await ptyRoom(resourcesDir, 'scan-to-unlock');
  const { boards, scanner, must, waitFor } = room;
  try {
    await room.signIn(ALEX.card, ALEX.pin);
    const home = await waitFor('home', (s) => s.screen.kind === 'home');
    // Alternate two kinds of item, so the same tag is not scanned twice within the
    // scanner's one-second duplicate window (a real officer never returns that fast).
    const kinds = ['Taser 7', 'Body-worn camera'].map((name) => home.session?.drawOptions.find((o) => o.name === name && o.allowed));
    const lastScanOf = new Map<string, number>();

    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      // Untimed: draw a Taser (the door opens, the officer takes it and shuts the door).
      const kind = kinds[i % kinds.length];
      if (!kind) throw new Error('scan-to-unlock bench: the demo officer may not draw a Taser and a camera');
      const drawn = await must('startDraw', { assetTypeId: kind.assetTypeId });
      if (drawn.screen.kind !== 'draw-door-open') throw new Error(`scan-to-unlock bench: draw went to ${drawn.screen.kind}`);
      const drawDoor = drawn.screen.doorNumber;
      boards.setItemPresent(0, drawDoor - 1, false);
      boards.closeDoor(0, drawDoor - 1);
      const done = await waitFor('draw done', (s) => s.screen.kind === 'draw-done');
      const serial = done.screen.kind === 'draw-done' ? done.screen.serial : '';
      const tag = done.demo?.tags.find((t) => t.label.includes(serial))?.tag;
      if (!tag) throw new Error(`scan-to-unlock bench: no tag for ${serial}`);
      await must('dismiss', {});

      const wait = (lastScanOf.get(tag) ?? -Infinity) + 1100 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Timed: the scan's last byte leaves for the app; the unlock frame arrives at the boards.
      const unlock = room.nextUnlock();
      await scanner.scan(tag);
      const sent = room.lastScanByteAt();
      lastScanOf.set(tag, sent);
      samples.push((await unlock) - sent);

      // Untimed: put the Taser back, shut the door, report it OK.
      const open = await waitFor('return door open', (s) => s.screen.kind === 'return-door-open');
      const returnDoor = open.screen.kind === 'return-door-open' ? open.screen.doorNumber : 0;
      boards.setItemPresent(0, returnDoor - 1, true);
      boards.closeDoor(0, returnDoor - 1);
      await waitFor('condition', (s) => s.screen.kind === 'return-condition');
      await must('recordCondition', { condition: 'ok' });
      await must('dismiss', {});
      await must('stillHere', {});
      if ((i + 1) % 25 === 0) log(`  scan-to-unlock: ${i + 1}/${iterations}`);
    }
    return summarize(samples);
  } finally {
    await room.close();
  }
}
