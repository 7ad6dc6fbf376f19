import type { RequestInput, Result } from '../../../preload/contract.ts';
import { fail, OK, type KioskContext, type KioskModule } from '../journeys/journey.ts';

/**
 * Signing in and out, and the simulator's requests (demo mode; the permissions table refuses
 * them on a live terminal).
 */
export function sessionModule(ctx: KioskContext): KioskModule {
  const { session } = ctx;

  async function submitPin(pin: string): Promise<Result<null>> {
    const card = session.pin;
    if (!card) return fail('wrong-state', 'Tap your card first.');
    const result = await ctx.services.auth.signIn(card.uid, pin);
    // The hash takes tens of milliseconds: another card may have been tapped meanwhile.
    if (session.pin?.uid !== card.uid) return fail('wrong-state', 'The card changed while the PIN was checked. Enter the PIN again.');
    if (!result.ok) {
      session.pinRefused(result.message, result.locked);
      ctx.changed();
      return fail('auth-failed', result.message);
    }
    session.signedIn(result.officerId);
    ctx.changed();
    return OK;
  }

  function demo<M extends 'demoTapCard' | 'demoScanTag' | 'demoDoor'>(method: M, input: RequestInput<M>): Result<null> {
    const room = ctx.deps.demo?.room;
    if (!room) return fail('demo-only', 'The simulator is available in demo mode only.');
    if (method === 'demoTapCard') room.tapCard((input as RequestInput<'demoTapCard'>).uid);
    else if (method === 'demoScanTag') room.scanTag((input as RequestInput<'demoScanTag'>).tag);
    else {
      const { doorNumber, action } = input as RequestInput<'demoDoor'>;
      if (!room.doors().some((d) => d.doorNumber === doorNumber)) return fail('not-found', `There is no door ${doorNumber}.`);
      const problem = room.door(doorNumber, action);
      if (problem) return fail('conflict', problem);
    }
    return OK;
  }

  return {
    handlers: {
      getSnapshot: () => OK,
      stillHere: () => OK,
      submitPin: ({ pin }) => submitPin(pin),
      cancelPin: () => {
        session.pinCancelled();
        return OK;
      },
      signOut: () => {
        ctx.signOut('signed out');
        return OK;
      },
      dismiss: () => {
        if (ctx.screen()) ctx.show({ kind: 'home', message: null });
        return OK;
      },
      keyboardScan: ({ code }) =>
        ctx.deps.scanner.keyboardScan(code) ? OK : fail('forbidden', 'No keyboard-mode scanner is configured to type into this screen.'),
      demoTapCard: (input) => demo('demoTapCard', input),
      demoScanTag: (input) => demo('demoScanTag', input),
      demoDoor: (input) => demo('demoDoor', input),
    },
  };
}
