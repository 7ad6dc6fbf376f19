import { OK, signedIn, type KioskContext, type KioskModule } from '../journeys/journey.ts';

/** IT's device refresh screen: swap orders, and each retired device's sanitisation and disposal. */
export function deviceRefreshModule(ctx: KioskContext): KioskModule {
  const { refresh } = ctx.services;
  const changed = <T>(result: T): T => {
    ctx.changed();
    return result;
  };
  return {
    handlers: {
      openDeviceRefresh: () => {
        ctx.show({ kind: 'device-refresh', message: null });
        return OK;
      },
      getDeviceRefresh: () => ({ ok: true, value: refresh.view() }),
      createSwapOrder: (input, officerId) => changed(refresh.create(signedIn(officerId), input)),
      cancelSwapOrder: ({ orderId, reason }, officerId) => changed(refresh.cancel(signedIn(officerId), orderId, reason)),
      recordSanitisation: (input, officerId) => changed(refresh.recordSanitisation(signedIn(officerId), input)),
      recordDisposal: (input, officerId) => changed(refresh.recordDisposal(signedIn(officerId), input)),
    },
  };
}
