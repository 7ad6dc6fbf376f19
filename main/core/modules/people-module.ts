import type { OfficerAdminView, Result } from '../../../preload/contract.ts';
import { fail, OK, signedIn, type KioskContext, type KioskModule } from '../journeys/journey.ts';

/**
 * A live terminal from nothing: the first site admin (setup code, card, PIN), then the people
 * screen where site admins import HR's personnel file and enrol cards by tapping them, and
 * armourers reset PINs. Officers choose their own PIN at their first sign-in.
 */
export function peopleModule(ctx: KioskContext): KioskModule {
  const { services, session } = ctx;
  const { commissioning } = services;

  async function choosePin(pin: string, confirm: string): Promise<Result<null>> {
    const card = session.pin;
    if (!card?.choosing) return fail('wrong-state', 'This card already has a PIN: enter it on the PIN pad.');
    if (pin !== confirm) {
      session.pinRefused('The two PINs were not the same. Choose a PIN and type it twice.', false);
      ctx.changed();
      return fail('invalid-request', 'The two PINs were not the same.');
    }
    const chosen = await commissioning.choosePin(card.uid, pin);
    // The hash takes tens of milliseconds: another card may have been tapped meanwhile.
    if (session.pin?.uid !== card.uid) return fail('wrong-state', 'The card changed while the PIN was saved. Tap your card again.');
    if (!chosen.ok) {
      session.pinRefused(chosen.error.message, false);
      ctx.changed();
      return chosen;
    }
    session.signedIn(chosen.value.officerId);
    ctx.changed();
    return OK;
  }

  return {
    /** A card tapped while enrolment is armed is enrolled, not signed in with. */
    takeCard(uid) {
      const enrolling = commissioning.enrolling(ctx.officerId());
      const result = commissioning.enrolTappedCard(uid, ctx.officerId());
      if (!result) return false;
      if (ctx.officerId() === null) {
        // Setup: the first admin's card, straight on to choosing their PIN.
        if (result.ok) session.cardTapped(uid, false, commissioning.cardNeedsPin(uid));
      } else {
        ctx.show({ kind: 'people', message: result.ok ? result.message : `Not enrolled to ${enrolling?.label ?? 'them'}: ${result.message}` });
      }
      return true;
    },
    handlers: {
      choosePin: ({ pin, confirm }) => choosePin(pin, confirm),
      submitSetupCode: async (input) => {
        const result = await commissioning.submitSetupCode(input);
        ctx.changed();
        return result;
      },
      openPeople: () => {
        ctx.show({ kind: 'people', message: null });
        return OK;
      },
      listOfficers: ({ query }) => ({ ok: true, value: commissioning.officers(query) }),
      startCardEnrolment: ({ officerId }, by) => {
        const armed = commissioning.startEnrolment(officerId, signedIn(by));
        if (armed.ok) ctx.show({ kind: 'people', message: null });
        return armed;
      },
      cancelCardEnrolment: () => {
        commissioning.cancelEnrolment();
        ctx.changed();
        return OK;
      },
      revokeCard: ({ uid }, by) => {
        const revoked = commissioning.revokeCard(uid, signedIn(by));
        if (!revoked.ok) return revoked;
        ctx.changed();
        return officerAfter(revoked.value.officerId);
      },
      resetPin: ({ officerId }, by) => {
        const reset = commissioning.resetPin(officerId, signedIn(by));
        if (!reset.ok) return reset;
        ctx.changed();
        return officerAfter(officerId);
      },
      importPersonnel: async ({ fileName, base64 }, by) => {
        const view = await services.imports.personnel({ fileName, content: Buffer.from(base64, 'base64'), source: 'upload', officerId: signedIn(by) });
        ctx.changed();
        return { ok: true, value: view };
      },
      listPersonnelImports: () => ({ ok: true, value: services.personnel.list() }),
      importRegister: async ({ fileName, base64 }, by) => {
        const view = await services.imports.register({ fileName, content: Buffer.from(base64, 'base64'), source: 'upload', officerId: signedIn(by) });
        ctx.changed();
        return { ok: true, value: view };
      },
      listRegisterImports: () => ({ ok: true, value: services.register.list() }),
    },
    stop() {
      commissioning.cancelEnrolment();
    },
  };

  function officerAfter(officerId: number): Result<OfficerAdminView> {
    const view = commissioning.officer(officerId);
    return view ? { ok: true, value: view } : fail('not-found', `There is no officer ${officerId}.`);
  }
}
