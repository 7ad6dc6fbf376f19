import type { HardwareView, RequestInput } from '../../../preload/contract.ts';
import { fail, OK, signedIn, describeError, type KioskContext, type KioskModule } from '../journeys/journey.ts';
import { runServiceOpening } from '../journeys/service-opening.ts';
import type { HardwareAdmin } from '../ports.ts';

const CAPTURE_TIMEOUT_MS = 15_000;

/**
 * The hardware screen (site admins; the role is checked in the permissions table): device
 * health, test buttons, the frame log and the terminal configuration. A test read of a card
 * or scan takes the next one instead of the kiosk flow.
 */
export function hardwareModule(ctx: KioskContext): KioskModule {
  let capture: { kind: 'card' | 'scan'; resolve: (code: string | null) => void } | null = null;

  const hardware = (): HardwareAdmin | null => ctx.deps.hardware;
  const none = () => fail<never>('forbidden', 'This terminal has no hardware screen.');

  function captureNext(kind: 'card' | 'scan'): Promise<string | null> {
    capture?.resolve(null);
    return new Promise((resolve) => {
      const cancel = ctx.services.scheduler.after(CAPTURE_TIMEOUT_MS, () => {
        if (capture?.resolve === done) capture = null;
        resolve(null);
      });
      const done = (code: string | null) => {
        cancel();
        resolve(code);
      };
      capture = { kind, resolve: done };
    });
  }

  function take(kind: 'card' | 'scan', code: string): boolean {
    if (capture?.kind !== kind) return false;
    const { resolve } = capture;
    capture = null;
    resolve(code);
    return true;
  }

  async function test(officerId: number, admin: HardwareAdmin, input: RequestInput<'hardwareTest'>): Promise<{ ok: boolean; message: string }> {
    try {
      switch (input.action) {
        case 'open-door':
          return await runServiceOpening(ctx, officerId, input.doorNumber);
        case 'board-status':
          return { ok: true, message: await admin.busStatus(input.busId) };
        case 'trigger-video':
          return { ok: true, message: await admin.testTrigger(input.triggerId) };
        case 'read-card':
        case 'read-scan': {
          const kind = input.action === 'read-card' ? 'card' : 'scan';
          const code = await captureNext(kind);
          return code === null
            ? { ok: false, message: `No ${kind === 'card' ? 'card was tapped' : 'tag was scanned'} within ${CAPTURE_TIMEOUT_MS / 1000} s.` }
            : { ok: true, message: `${kind === 'card' ? 'Card' : 'Scan'} read: ${code}` };
        }
      }
    } catch (error) {
      return { ok: false, message: describeError(error) };
    }
  }

  const view = (admin: HardwareAdmin): HardwareView => ({ ...admin.view(), exceptions: ctx.services.exceptions.recent(20) });

  return {
    takeCard: (uid) => take('card', uid),
    takeScan: (code) => take('scan', code),
    stop: () => capture?.resolve(null),
    handlers: {
      openHardware: () => {
        if (!hardware()) return none();
        ctx.show({ kind: 'hardware' });
        return OK;
      },
      getHardware: () => {
        const admin = hardware();
        return admin ? { ok: true, value: view(admin) } : none();
      },
      hardwareFrames: ({ since }) => {
        const admin = hardware();
        return admin ? { ok: true, value: admin.frames(since) } : none();
      },
      saveHardwareConfig: async ({ configJson }, officerId) => {
        const admin = hardware();
        if (!admin) return none();
        const saved = await admin.save(configJson);
        if (!saved.ok) return { ok: true, value: { saved: false, problems: saved.problems, changes: [] } };
        const { db, audit, clock } = ctx.services;
        db.transaction(() =>
          audit.append({ actor: `officer:${signedIn(officerId)}`, action: 'config.changed', subject: 'terminal-config', details: { changes: saved.changes } }, clock.now()),
        ).immediate();
        ctx.changed();
        return { ok: true, value: { saved: true, problems: [], changes: saved.changes } };
      },
      hardwareTest: async (input, officerId) => {
        const admin = hardware();
        if (!admin) return none();
        const result = await test(signedIn(officerId), admin, input);
        admin.note('hardware-screen', `${input.action}: ${result.message}`);
        const { db, audit, clock } = ctx.services;
        db.transaction(() =>
          audit.append({ actor: `officer:${signedIn(officerId)}`, action: 'hardware.test', subject: input.action, details: { test: input, ...result } }, clock.now()),
        ).immediate();
        return { ok: true, value: result };
      },
    },
  };
}
