import type { DoorIntent } from '../door-intents.ts';
import type { KioskContext } from './journey.ts';

export type DoorStepResult = { ok: true } | { ok: false; reason: string };

/**
 * Step 2 of the door ordering, the same for every journey: the intent (and its video event,
 * written in the same transaction) is committed, so send the unlock and confirm it. A door
 * that never read open fails its intent (through the intent table), and the journey hears of
 * it like any other change.
 */
export async function openIntentDoor(ctx: KioskContext, intent: DoorIntent): Promise<DoorStepResult> {
  const { intents } = ctx.services;
  // A door already reading open before its unlock is never used: whatever opened it, it was not us.
  const early = ctx.latestDoors().find((d) => d.doorNumber === intent.doorNumber)?.open === true;
  if (early || intents.intent(intent.id)?.state !== 'pending') {
    const reason = `door ${intent.doorNumber} read open before it was unlocked, so it was not used`;
    const change = intents.fail(intent.id, reason);
    if (early) ctx.openedEarly(intent.doorNumber);
    if (change) ctx.intentsChanged([change]);
    return { ok: false, reason };
  }
  const result = await ctx.doors.open(
    intent.doorNumber,
    () => intents.intent(intent.id)?.state !== 'pending',
    () => intents.unlockSent(intent.id),
  );
  if (result.ok || result.stopped) return result.ok ? result : { ok: false, reason: result.reason };
  const change = intents.fail(intent.id, result.reason);
  // No change: a poll saw the door open in the meantime, so it did open after all.
  if (!change) return { ok: true };
  ctx.log(`door ${intent.doorNumber} did not open for ${intent.kind} intent ${intent.id}: ${result.reason}`);
  ctx.intentsChanged([change]);
  return { ok: false, reason: result.reason };
}
