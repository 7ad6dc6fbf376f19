import type { ScreenView } from '../../../preload/contract.ts';
import { defineTable, Machine } from '../state-table.ts';
import type { Journey, KioskContext, SessionScreen } from './journey.ts';

/**
 * A site admin opens a door from the hardware screen (testing a lock, clearing a jam). It
 * follows a draw's order: the opening is committed before the unlock frame, and the sensors
 * settle it afterwards (ServiceOpenings), so the audit log explains every door movement. The
 * journey lasts while the unlock is confirmed; the admin stays on the hardware screen.
 */
export const SERVICE_OPENING_TABLE = defineTable({
  name: 'service-opening',
  initial: 'opening',
  states: ['opening', 'opened', 'door-failed'],
  events: ['opened', 'door-failed'],
  final: ['opened', 'door-failed'],
  transitions: { opening: { opened: 'opened', 'door-failed': 'door-failed' } },
});

class ServiceOpeningJourney implements Journey {
  readonly kind = 'service-opening';
  readonly machine = new Machine(SERVICE_OPENING_TABLE);

  get finished(): boolean {
    return this.machine.finished;
  }

  screen(): ScreenView {
    return { kind: 'hardware' };
  }

  outcome(): SessionScreen {
    return { kind: 'hardware' };
  }

  abandon(): void {}
}

/** Open a door for service, committed first; says what happened in words for the hardware screen. */
export async function runServiceOpening(ctx: KioskContext, officerId: number, doorNumber: number, reason = 'hardware screen test'): Promise<{ ok: boolean; message: string }> {
  const openings = ctx.services.serviceOpenings;
  const begun = openings.begin(officerId, doorNumber, reason);
  if (!begun.ok) return { ok: false, message: begun.message };
  const journey = new ServiceOpeningJourney();
  ctx.startJourney(journey);
  const end = (event: 'opened' | 'door-failed', result: { ok: boolean; message: string }) => {
    journey.machine.fire(event);
    ctx.changed();
    return result;
  };
  const opened = await ctx.doors.open(doorNumber, () => openings.state(begun.id) !== 'pending');
  if (opened.ok) return end('opened', { ok: true, message: `Door ${doorNumber} opened.` });
  openings.fail(begun.id, opened.reason);
  if (opened.stopped) return end('door-failed', { ok: false, message: 'The terminal is shutting down.' });
  const message = opened.reason.startsWith('the unlock command')
    ? `Door ${doorNumber}: ${opened.reason}.`
    : `Door ${doorNumber} did not read open after the unlock command: check the lock, its wiring and the board's polarity setting.`;
  return end('door-failed', { ok: false, message });
}
