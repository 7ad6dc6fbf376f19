import { afterEach, describe, expect, it } from 'vitest';
import { door, live as liveKiosk, room as liveRoom, rows, signIn, waitFor, type Cleanups, type Live, type Room } from '../../helpers/live-room.ts';

/**
 * PCD 1698 as a live terminal runs it, at three in the morning: the Kerong boards, the 125 kHz
 * card reader and the scanner are simulators at the far end of socat pty pairs, spoken to
 * through the real serialport binding in the protocols' own bytes. Stores stage a booked
 * radio, the officer collects it with card and PIN at 03:00, and returns it to another door.
 */

const KIM = { card: '045C6D7E8F', pin: '9005' }; // STR 01, stores
const BEN = { card: '040718293A', pin: '7890' }; // PC 7890, holds no radio

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** 03:00 tomorrow, local time: after the demo site was seeded (noon today). */
function threeInTheMorning(): Date {
  const at = new Date();
  at.setDate(at.getDate() + 1);
  at.setHours(3, 0, 0, 0);
  return at;
}

async function stage(r: Room, k: Live, item: string, reference: string): Promise<number> {
  await signIn(r, k, KIM.card, KIM.pin);
  expect((await k.call('openBookings', {})).ok).toBe(true);
  const booked = await k.call('createBooking', { officer: 'PC 7890', onBehalfOf: null, item, assetTypeId: null, priority: 'routine', readyInHours: 0, collectWithinHours: 12, reference });
  if (!booked.ok) throw new Error(booked.error.message);
  const staged = await k.call('stageBooking', { bookingId: booked.value.id, item: null });
  expect(staged.ok ? null : staged.error.message).toBeNull();
  const screen = await k.until('the stage door open', (s) => s.screen.kind === 'stage-door' && s.screen.opened);
  const doorNumber = screen.screen.kind === 'stage-door' ? screen.screen.doorNumber : 0;
  door(r, doorNumber).put();
  door(r, doorNumber).close();
  await k.until('staged', (s) => s.screen.kind === 'bookings' && /held for PC 7890 Ben Wright/.test(s.screen.message ?? ''));
  expect((await k.call('signOut', {})).ok).toBe(true);
  return doorNumber;
}

describe('a booked radio over the Kerong bus and card reader on socat ptys', () => {
  it('is staged, collected at 03:00 with card and PIN, and returned to another door', async () => {
    const r = await liveRoom(cleanups);
    const k = await liveKiosk(r, cleanups, threeInTheMorning());
    const stagedAt = await stage(r, k, 'RAD-0006', 'NIGHT-1');
    expect(stagedAt).toBe(13);

    await signIn(r, k, BEN.card, BEN.pin);
    const booking = k.latest()?.session?.bookings.find((b) => b.serial === 'RAD-0006');
    expect(booking).toMatchObject({ serial: 'RAD-0006', doorNumber: 13, collectable: true });
    const started = await k.call('startCollection', { bookingId: booking!.bookingId });
    expect(started.ok ? null : started.error.message).toBeNull();
    await waitFor('door 13 unlocked', door(r, 13).open);
    door(r, 13).take();
    door(r, 13).close();
    await k.until('collected', (s) => s.screen.kind === 'draw-done' && s.screen.serial === 'RAD-0006');
    expect((await k.call('signOut', {})).ok).toBe(true);

    // Stores stage the next booking into door 13 meanwhile: the radio comes back to another door.
    expect(await stage(r, k, 'RAD-0008', 'NIGHT-2')).toBe(13);
    await signIn(r, k, BEN.card, BEN.pin);
    const radio = k.latest()?.session?.holdings.find((h) => h.serial === 'RAD-0006');
    const returning = await k.call('startReturn', { assetId: radio!.assetId });
    expect(returning.ok ? null : returning.error.message).toBeNull();
    await waitFor('door 14 unlocked', door(r, 14).open);
    door(r, 14).put();
    door(r, 14).close();
    await k.until('the condition question', (s) => s.screen.kind === 'return-condition');
    expect((await k.call('recordCondition', { condition: 'ok' })).ok).toBe(true);
    await k.until('returned', (s) => s.screen.kind === 'return-done');

    const loan = rows<{ drawnAt: string; returned: string | null }>(r.dir, "SELECT drawn_at AS drawnAt, returned_at AS returned FROM loans l JOIN assets a ON a.id = l.asset_id WHERE a.serial = 'RAD-0006'");
    expect(loan).toHaveLength(1);
    expect(new Date(loan[0]!.drawnAt).getHours()).toBe(3);
    expect(loan[0]!.returned).not.toBeNull();
    expect(rows(r.dir, "SELECT d.number AS door, a.status FROM assets a JOIN doors d ON d.id = a.door_id WHERE a.serial IN ('RAD-0006', 'RAD-0008') ORDER BY a.serial")).toEqual([
      { door: 14, status: 'available' },
      { door: 13, status: 'reserved' },
    ]);
    const trail = rows<{ action: string }>(r.dir, "SELECT action FROM audit_log WHERE action LIKE 'booking%' OR action LIKE 'stage%' ORDER BY seq").map((x) => x.action);
    expect(trail).toEqual([
      'booking.created',
      'stage.intent',
      // The staging is the item-in's effect, in its transaction: its row comes first.
      'booking.staged',
      'stage.item-in',
      'stage.completed',
      'booking-collect.intent',
      'booking-collect.completed',
      'booking.created',
      'stage.intent',
      'booking.staged',
      'stage.item-in',
      'stage.completed',
    ]);
  }, 60_000);
});
