import { ExceptionStateError, type ExceptionRecord } from '../exceptions.ts';
import { fail, OK, signedIn, type KioskContext, type KioskModule } from '../journeys/journey.ts';
import type { Result } from '../../../preload/contract.ts';
import { repeat } from '../ports.ts';
import { RuleError } from '../rules.ts';

/**
 * The exceptions queue (armourers), training imports and release rules (site admins), and the
 * terminal's own watchers: overdue loans and lapsed swap orders on a schedule, devices that go
 * offline, and video triggers that give up. Roles are checked in the permissions table.
 */
export function adminModule(ctx: KioskContext): KioskModule {
  const { services } = ctx;
  const unsubscribe: (() => void)[] = [];

  function change(apply: () => ExceptionRecord): Result<ExceptionRecord> {
    try {
      const record = apply();
      ctx.changed();
      return { ok: true, value: record };
    } catch (error) {
      if (error instanceof ExceptionStateError) return fail('conflict', error.message);
      throw error;
    }
  }

  /** On a schedule: loans past their due time, and swap orders past their last day. */
  function sweep(): void {
    const overdue = services.exceptions.raiseOverdue();
    const lapsed = services.refresh.expireLapsed();
    if (overdue + lapsed > 0) ctx.changed();
  }

  function onDeviceHealth(): void {
    for (const device of ctx.deps.devices.list()) {
      if (device.state === 'offline') {
        services.exceptions.raise('device-offline', `device:${device.id}`, `${device.label} is offline${device.lastError ? `: ${device.lastError}` : ''}.`, { device: device.id });
      }
    }
    ctx.changed();
  }

  return {
    start() {
      unsubscribe.push(
        ctx.deps.devices.onChange(onDeviceHealth),
        ctx.deps.video.onFailure(({ trigger, message }) => {
          services.exceptions.raise('video-trigger-failed', `video:${trigger}`, message, { trigger });
          ctx.changed();
        }),
        repeat(services.scheduler, ctx.policy.overdueCheckSeconds * 1000, sweep),
      );
      onDeviceHealth();
      sweep();
    },
    stop() {
      for (const off of unsubscribe.splice(0)) off();
    },
    handlers: {
      openExceptions: () => {
        ctx.show({ kind: 'exceptions' });
        return OK;
      },
      listExceptions: (filter) => ({ ok: true, value: services.exceptions.list(filter) }),
      acknowledgeException: ({ id }, officerId) => change(() => services.exceptions.acknowledge(id, signedIn(officerId))),
      resolveException: ({ id, note }, officerId) => change(() => services.exceptions.resolve(id, signedIn(officerId), note)),
      openTraining: () => {
        ctx.show({ kind: 'training' });
        return OK;
      },
      importTraining: async ({ fileName, base64 }, officerId) => {
        const view = await services.imports.training({ fileName, content: Buffer.from(base64, 'base64'), source: 'upload', officerId: signedIn(officerId) });
        ctx.changed();
        return { ok: true, value: view };
      },
      listTrainingImports: () => ({ ok: true, value: services.training.list() }),
      openRules: () => {
        ctx.show({ kind: 'rules' });
        return OK;
      },
      getRules: () => ({ ok: true, value: services.rules.list() }),
      saveRule: ({ assetTypeId, rule }, officerId) => {
        try {
          const saved = services.rules.save(signedIn(officerId), assetTypeId, rule);
          ctx.changed();
          return { ok: true, value: saved };
        } catch (error) {
          if (error instanceof RuleError) return fail('invalid-request', error.message);
          throw error;
        }
      },
    },
  };
}
