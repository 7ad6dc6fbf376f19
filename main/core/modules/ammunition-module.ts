import { fail, signedIn, type KioskContext, type KioskModule } from '../journeys/journey.ts';

/** The armourer's ammunition (PCD 994): lots, every movement in the ledger, and a lot's recall with its holders. */
export function ammunitionModule(ctx: KioskContext): KioskModule {
  const { ammunition } = ctx.services;
  const answer = <T>(result: { ok: true; value: T } | { ok: false; kind: 'not-found' | 'conflict' | 'invalid-request'; message: string }) => {
    if (!result.ok) return fail<T>(result.kind, result.message);
    ctx.changed();
    return result;
  };
  return {
    handlers: {
      getAmmunition: () => ({ ok: true, value: ammunition.lots() }),
      addAmmoLot: (input, officerId) => answer(ammunition.addLot(signedIn(officerId), input)),
      ammoMovement: (input, officerId) => answer(ammunition.record(signedIn(officerId), input)),
      recallLot: ({ lotId, reason }, officerId) => answer(ammunition.recall(signedIn(officerId), lotId, reason)),
      getLotHolders: ({ lotId }) => ({ ok: true, value: ammunition.holders(lotId) }),
      exportLotHolders: ({ lotId }) => {
        const csv = ammunition.holdersCsv(lotId);
        if (!csv) return fail('not-found', 'There is no such lot.');
        return { ok: true, value: { fileName: csv.fileName, mimeType: 'text/csv', base64: Buffer.from(csv.text, 'utf8').toString('base64') } };
      },
    },
  };
}
