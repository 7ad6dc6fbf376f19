import { fail, OK, signedIn, type KioskContext, type KioskModule } from '../journeys/journey.ts';

/**
 * The armourer console: board, mobilisation, investigation, dashboard, assets and stock
 * check. While a stock check runs and the armourer is on the console, every scan is counted
 * by it; a stray scan on the console is never taken as a return.
 */
export function consoleModule(ctx: KioskContext): KioskModule {
  const { services } = ctx;
  const armourerConsole = services.console;
  return {
    takeScan(code) {
      if (ctx.screen()?.kind !== 'console') return false;
      if (services.stock.active()) {
        services.stock.scan(code);
        ctx.changed();
      } else {
        ctx.log(`scan ${code} ignored on the console: no stock check is running`);
      }
      return true;
    },
    handlers: {
      openConsole: () => {
        ctx.show({ kind: 'console' });
        return OK;
      },
      getBoard: ({ category }) => ({ ok: true, value: armourerConsole.board(category) }),
      getMobilisation: () => ({ ok: true, value: armourerConsole.mobilisation() }),
      getEstateMobilisation: async () => ({ ok: true, value: ctx.deps.estateScope ? await ctx.deps.estateScope.picture() : { state: 'off' } }),
      exportMobilisation: () => ({ ok: true, value: armourerConsole.exportMobilisationCsv() }),
      getTimeline: async (query) => ({ ok: true, value: await armourerConsole.timeline(query) }),
      exportTimeline: async ({ query, format }) => ({ ok: true, value: await armourerConsole.exportTimeline(query, format) }),
      getDashboard: () => ({ ok: true, value: armourerConsole.dashboard() }),
      getAuditAnchor: () => (services.anchor ? { ok: true, value: services.anchor.view() } : fail('not-found', 'This terminal has no audit signing key.')),
      exportAuditPublicKey: () => (services.anchor ? { ok: true, value: services.anchor.exportPublicKey() } : fail('not-found', 'This terminal has no audit signing key.')),
      assetAction: ({ asset, action, reason }, officerId) => {
        const found = services.records.assetByTag(asset) ?? services.records.assetBySerial(asset);
        if (!found) return fail('not-found', `No asset has the serial number or tag "${asset}".`);
        const result = services.assets.action(signedIn(officerId), found.id, action, reason);
        if (result.ok) ctx.changed();
        return result;
      },
      registerAsset: (input, officerId) => {
        const result = services.assets.register(signedIn(officerId), input);
        if (result.ok) ctx.changed();
        return result;
      },
      startStockCheck: (_input, officerId) => services.stock.start(signedIn(officerId)),
      finishStockCheck: (_input, officerId) => services.stock.finish(signedIn(officerId)),
      getStockCheck: () => ({ ok: true, value: services.stock.current() }),
      getRetiredDevices: () => ({ ok: true, value: services.refresh.retiredDevices() }),
    },
  };
}
