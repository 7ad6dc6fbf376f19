import type { SimCommand } from '../sim-command.ts';
import { MilestoneSimulator } from './milestone-simulator.ts';
import { OnvifSimulator } from './onvif-simulator.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

export interface VideoSimArgs {
  host: string;
  milestone: { port: number; allow: string[] } | null;
  webhook: { port: number; secret: string; status: number | null } | null;
  onvif: { port: number; user: string; password: string; relays: string[] } | null;
  down: boolean;
  upAfterMs: number | null;
  delayMs: number;
  noReply: boolean;
  garbage: number;
}

function port(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${flag} needs a port 1..65535, got ${value ?? 'nothing'}`);
  return n;
}

function ms(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number of milliseconds, got ${value ?? 'nothing'}`);
  return n;
}

/** Parses the video simulator's arguments; throws an Error naming the bad flag. */
export function parseVideoSimArgs(args: readonly string[]): VideoSimArgs {
  const out: VideoSimArgs = { host: '127.0.0.1', milestone: null, webhook: null, onvif: null, down: false, upAfterMs: null, delayMs: 0, noReply: false, garbage: 0 };
  const allow: string[] = [];
  const relays: string[] = [];
  let milestonePort: number | null = null;
  let webhookPort: number | null = null;
  let onvifPort: number | null = null;
  let secret: string | null = null;
  let user: string | null = null;
  let password: string | null = null;
  let status: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = (): string | undefined => args[++i];
    switch (flag) {
      case '--milestone': milestonePort = port(flag, value()); break;
      case '--allow': { const v = value(); if (v === undefined) throw new Error('--allow needs an IP address'); allow.push(v); break; }
      case '--webhook': webhookPort = port(flag, value()); break;
      case '--secret': secret = value() ?? null; break;
      case '--status': { const v = Number(value()); if (!Number.isInteger(v) || v < 100 || v > 599) throw new Error('--status needs an HTTP status 100..599'); status = v; break; }
      case '--onvif': onvifPort = port(flag, value()); break;
      case '--user': user = value() ?? null; break;
      case '--password': password = value() ?? null; break;
      case '--relay': { const v = value(); if (v === undefined) throw new Error('--relay needs a relay output token'); relays.push(v); break; }
      case '--host': { const v = value(); if (v === undefined) throw new Error('--host needs an address'); out.host = v; break; }
      case '--down': out.down = true; break;
      case '--up-after': out.upAfterMs = ms(flag, value()); break;
      case '--delay': out.delayMs = ms(flag, value()); break;
      case '--no-reply': out.noReply = true; break;
      case '--garbage': { const v = Number(value()); if (!(v >= 0 && v <= 1)) throw new Error('--garbage needs a probability 0..1'); out.garbage = v; break; }
      default: throw new Error(`unknown option ${flag ?? ''}`);
    }
  }
  if (milestonePort !== null) out.milestone = { port: milestonePort, allow: allow.length > 0 ? allow : ['127.0.0.1'] };
  if (webhookPort !== null) {
    if (secret === null || secret.length < 16) throw new Error('--webhook needs --secret of at least 16 characters');
    out.webhook = { port: webhookPort, secret, status };
  }
  if (onvifPort !== null) {
    if (user === null || password === null) throw new Error('--onvif needs --user and --password');
    out.onvif = { port: onvifPort, user, password, relays: relays.length > 0 ? relays : ['RelayOutputToken1'] };
  }
  if (out.milestone === null && out.webhook === null && out.onvif === null) throw new Error('give at least one of --milestone, --webhook, --onvif');
  if (out.upAfterMs !== null && !out.down) throw new Error('--up-after only makes sense with --down');
  return out;
}

/**
 * The CCTV side of the room for demos and site acceptance: a Milestone generic event
 * source, a webhook receiver and an ONVIF relay device, any combination, on real ports.
 */
export const videoSimCommand: SimCommand = {
  name: 'video',
  usage: [
    '--milestone PORT [--allow IP]...        Milestone XProtect generic event source (allow-list default 127.0.0.1)',
    '--webhook PORT --secret S [--status N]  webhook receiver checking the HMAC signature (--status forces an answer, e.g. 500)',
    '--onvif PORT --user U --password P [--relay TOKEN]...  ONVIF device service with relay outputs',
    '--host H                                 address to listen on (default 127.0.0.1)',
    '--down [--up-after MS]                   start not listening (and come up after MS): an outage to recover from',
    '--delay MS | --no-reply | --garbage P    reply faults',
  ].join('\n'),

  async start(args, log) {
    const a = parseVideoSimArgs(args);
    const faults = { down: a.down, delayMs: a.delayMs, noReply: a.noReply, garbage: a.garbage };
    const stops: (() => Promise<void>)[] = [];
    const ups: (() => Promise<void>)[] = [];
    try {
      if (a.milestone !== null) {
        const sim = await MilestoneSimulator.start({ port: a.milestone.port, host: a.host, allow: a.milestone.allow, faults });
        sim.onEvent((e) => log(`milestone ${e.remoteAddress}: ${e.raw.trim()}${e.message === null ? ' (not an ARMOURY message)' : ''} -> matched ${e.matched.join(',') || 'nothing'}`));
        sim.onRefused((remote) => log(`milestone: refused ${remote} (not on the allow-list)`));
        stops.push(() => sim.close());
        ups.push(() => sim.setFaults({ down: false }));
        log(`milestone generic event source on ${a.host}:${a.milestone.port}, allowing ${a.milestone.allow.join(', ')}${a.down ? ' (down)' : ''}`);
      }
      if (a.webhook !== null) {
        const receiver = await WebhookReceiver.start({
          port: a.webhook.port,
          host: a.host,
          secret: a.webhook.secret,
          faults: { down: a.down, delayMs: a.delayMs, noReply: a.noReply, status: a.webhook.status },
        });
        receiver.onEvent((r) => log(`webhook ${r.event.kind} ${r.event.asset} officer ${r.event.officer} at ${r.event.terminal} (key ${r.idempotencyKey})`));
        stops.push(() => receiver.close());
        ups.push(() => receiver.setFaults({ down: false }));
        log(`webhook receiver on http://${a.host}:${a.webhook.port}/${a.down ? ' (down)' : ''}`);
      }
      if (a.onvif !== null) {
        const sim = await OnvifSimulator.start({ port: a.onvif.port, host: a.host, username: a.onvif.user, password: a.onvif.password, relays: a.onvif.relays, faults });
        sim.onChange((c) => log(`onvif relay ${c.token} ${c.state} (${c.cause})`));
        stops.push(() => sim.close());
        ups.push(() => sim.setFaults({ down: false }));
        log(`onvif device service on http://${a.host}:${a.onvif.port}/onvif/device_service, relays ${a.onvif.relays.join(', ')}${a.down ? ' (down)' : ''}`);
      }
    } catch (error) {
      for (const stop of stops) await stop().catch(() => undefined);
      throw error;
    }
    let upTimer: NodeJS.Timeout | null = null;
    if (a.upAfterMs !== null) {
      upTimer = setTimeout(() => {
        upTimer = null;
        void Promise.all(ups.map((up) => up())).then(
          () => log('up: listening again'),
          (error: unknown) => log(`could not come up: ${error instanceof Error ? error.message : String(error)}`),
        );
      }, a.upAfterMs);
    }
    return async () => {
      if (upTimer !== null) clearTimeout(upTimer);
      for (const stop of stops) await stop();
    };
  },
};
