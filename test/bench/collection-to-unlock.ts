/**
 * Collection-to-unlock latency (PCD 1698) over real ptys: from the officer's PIN being accepted
 * to the unlock frame for their staged booking's door arriving at the far end of the locker
 * bus's pty, with the collection pressed at once. Between are the snapshot of the home screen,
 * the competency gate decided again, the durable collection intent (one fsync) and the Kerong
 * driver's bus queue. Untimed around it: stores book and stage the radio behind door 9 (held
 * where it is), and the officer returns it to its door after each collection.
 */
import { performance } from 'node:perf_hooks';
import { ptyRoom } from './pty-room.ts';
import { summarize, type Summary } from './stats.ts';

const KIM = { card: '045C6D7E8F', pin: '9005' }; // STR 01, stores
const BEN = { card: '040718293A', pin: '7890' }; // PC 7890, holds no radio

export async function measureCollectionToUnlock(resourcesDir: string, iterations: number, log: (line: string) => void): Promise<Summary> {
  const room = await ptyRoom(resourcesDir, 'collection-to-unlock');
  const { boards, must, waitFor } = room;
  try {
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      await room.signIn(KIM.card, KIM.pin);
      const booking = await must('createBooking', { officer: 'PC 7890', onBehalfOf: null, item: 'RAD-0001', assetTypeId: null, priority: 'routine', readyInHours: 0, collectWithinHours: 12, reference: `BENCH-${i}` });
      await must('stageBooking', { bookingId: booking.id, item: null });
      await must('signOut', {});

      // Timed: the PIN is accepted, the officer presses Collect, the unlock frame reaches the boards.
      await must('demoTapCard', { uid: BEN.card });
      await must('submitPin', { pin: BEN.pin });
      const accepted = performance.now();
      const unlock = room.nextUnlock();
      const collecting = await must('startCollection', { bookingId: booking.id });
      samples.push((await unlock) - accepted);
      if (collecting.screen.kind !== 'draw-door-open') throw new Error(`collection-to-unlock bench: collection went to ${collecting.screen.kind}`);
      const doorNumber = collecting.screen.doorNumber;
      boards.setItemPresent(0, doorNumber - 1, false);
      boards.closeDoor(0, doorNumber - 1);
      const done = await waitFor('collected', (s) => s.screen.kind === 'draw-done');
      const radio = done.session?.holdings.find((h) => h.serial === 'RAD-0001');
      if (!radio) throw new Error('collection-to-unlock bench: the radio is not on loan after its collection');
      await must('dismiss', {});

      // Untimed: back to a free door (door 9, now empty), reported OK.
      const returning = await must('startReturn', { assetId: radio.assetId });
      const back = returning.screen.kind === 'return-door-open' ? returning.screen.doorNumber : 0;
      boards.setItemPresent(0, back - 1, true);
      boards.closeDoor(0, back - 1);
      await waitFor('condition', (s) => s.screen.kind === 'return-condition');
      await must('recordCondition', { condition: 'ok' });
      await must('signOut', {});
      if ((i + 1) % 25 === 0) log(`  collection-to-unlock: ${i + 1}/${iterations}`);
    }
    return summarize(samples);
  } finally {
    await room.close();
  }
}
