import { randomUUID } from 'node:crypto';
import type { DeviceHealthView } from '../../preload/contract.ts';
import { Listeners } from '../../native-bridges/device-health.ts';
import { MilestoneSimulator } from '../../native-bridges/video-trigger/milestone-simulator.ts';
import { MilestoneTrigger } from '../../native-bridges/video-trigger/milestone.ts';
import { OnvifRelayTrigger } from '../../native-bridges/video-trigger/onvif.ts';
import { Outbox, type StoredEntry } from '../../native-bridges/outbox/outbox.ts';
import type { VideoEvent, VideoTrigger } from '../../native-bridges/video-trigger/trigger.ts';
import { openUsbRelayDevice, UsbRelayTrigger } from '../../native-bridges/video-trigger/usb-relay.ts';
import { legacyVideoMessage, videoMessage, videoOutboxTarget } from '../../native-bridges/video-trigger/video-outbox.ts';
import { WebhookTrigger } from '../../native-bridges/video-trigger/webhook.ts';
import type { TerminalConfig, VideoTriggerConfig } from '../config/terminal-config.ts';
import type { VideoEventInput } from '../core/ports.ts';
import type { FrameLog } from './frame-log.ts';
import type { SqliteOutboxStore } from './sqlite-outbox-store.ts';

export interface VideoServiceOptions {
  log: (line: string) => void;
  /** The video outbox in the terminal's database: events are staged in the door intent's own transaction. */
  store: SqliteOutboxStore;
  /** Where an earlier release kept its outbox file: what it still owed is moved into the store once. */
  legacyOutboxDir: string;
  frames: FrameLog;
}

/** After this many failed attempts at one event an armourer is told (retries go on). */
const FAILURES_BEFORE_EXCEPTION = 3;

interface Target {
  config: VideoTriggerConfig;
  trigger: VideoTrigger;
  label: string;
}

/**
 * The room's CCTV bookmarks and body-worn-video triggers, behind the room's policy.
 * Every event goes through a durable outbox, written in the same transaction as the door
 * intent it belongs to (so it is on disk before the door is commanded, at no extra fsync), and
 * an outage of the video system loses nothing: delivery is retried with back-off, and a
 * failure is reported (never dropped) so the kiosk raises an exception.
 */
export class VideoService {
  private readonly failures = new Listeners<{ trigger: string; message: string }>();
  private readonly healthListeners = new Listeners<void>();
  /** Staged in a transaction still open (or just ended): handed to the outbox once it is known to have committed. */
  private staged: StoredEntry[] = [];

  private constructor(
    private readonly config: TerminalConfig,
    private readonly targets: readonly Target[],
    private readonly outbox: Outbox<VideoEvent> | null,
    private readonly simulators: readonly { close(): Promise<void> }[],
    private readonly options: VideoServiceOptions,
  ) {
    for (const target of targets) {
      target.trigger.onHealth(() => this.healthListeners.emit());
    }
    outbox?.onDeliveryFailure((failure) => {
      const target = targets.find((t) => t.trigger.name === failure.target);
      const event = failure.message.payload;
      options.frames.add(`video:${failure.target}`, 'event', null, `event ${event.kind} ${event.asset}: attempt ${failure.attempts} failed: ${failure.error.message}`);
      if (failure.permanent || failure.attempts === FAILURES_BEFORE_EXCEPTION) {
        this.failures.emit({
          trigger: failure.target,
          message: `${target?.label ?? failure.target}: ${event.kind} of ${event.asset} by ${event.officer} ${
            failure.permanent ? 'was refused' : `failed ${failure.attempts} times (still retrying)`
          }: ${failure.error.message}`,
        });
      }
    });
    outbox?.onDelivered((d) => options.frames.add(`video:${d.target}`, 'event', null, `event ${d.message.payload.kind} ${d.message.payload.asset} delivered (attempt ${d.attempts})`));
    outbox?.onStoreError((error) => options.log(`video outbox: ${error.message}`));
  }

  static async start(config: TerminalConfig, options: VideoServiceOptions): Promise<VideoService> {
    const simulators: { close(): Promise<void> }[] = [];
    const targets: Target[] = [];
    try {
      if (config.video.policy !== 'off') {
        for (const trigger of config.video.triggers) targets.push(await buildTarget(trigger, simulators));
      }
      const moved = await options.store.adoptFile(options.legacyOutboxDir, { legacy: legacyVideoMessage });
      if (moved > 0) options.log(`video outbox: ${moved} event(s) still owed moved from ${options.legacyOutboxDir} into the database`);
      const outbox =
        targets.length > 0
          ? await Outbox.open({ store: options.store, targets: targets.map((t) => videoOutboxTarget(t.trigger)), backoff: { minMs: 500, maxMs: 60_000 } })
          : null;
      return new VideoService(config, targets, outbox, simulators, options);
    } catch (error) {
      await Promise.all([...targets.map((t) => t.trigger.close()), ...simulators.map((s) => s.close())]);
      throw error;
    }
  }

  /** Under a "required" policy no door opens while a trigger is known to be down. */
  readiness(): { ready: true } | { ready: false; message: string } {
    if (this.config.video.policy !== 'required') return { ready: true };
    const down = this.targets.find((t) => t.trigger.health().state === 'offline');
    if (!down) return { ready: true };
    return {
      ready: false,
      message: `${down.label} is not answering, and this room records every issue and return on video, so nothing can be released until it is back. Call an armourer.`,
    };
  }

  /**
   * Writes the event for every trigger in the caller's open transaction (the door intent's), so
   * it is durable when that commits and gone if it rolls back. Delivery starts on the next turn,
   * once the transaction has ended and only if it committed.
   */
  stage(input: VideoEventInput, at: Date): void {
    const outbox = this.outbox;
    if (!outbox) return;
    const entry = outbox.entryFor(videoMessage(this.event(input, randomUUID(), at)), at.toISOString());
    this.options.store.stage(entry);
    if (this.staged.push(entry) === 1) setImmediate(() => this.adoptStaged(outbox));
  }

  /** Send a test event straight to one trigger (not through the outbox) and say what happened. */
  async test(triggerId: string): Promise<string> {
    const target = this.targets.find((t) => t.config.id === triggerId);
    if (!target) throw new Error(`There is no active video trigger "${triggerId}"${this.config.video.policy === 'off' ? ' (the video policy is off)' : ''}.`);
    const started = Date.now();
    await target.trigger.send(this.event({ kind: 'DOOR', asset: 'TEST', officer: 'ADMIN' }, `test-${randomUUID()}`));
    return `${target.label} accepted a test event in ${Date.now() - started} ms.`;
  }

  healthViews(): DeviceHealthView[] {
    return this.targets.map((t) => ({ id: `video:${t.config.id}`, label: t.label, ...t.trigger.health() }));
  }

  onFailure(listener: (failure: { trigger: string; message: string }) => void): () => void {
    return this.failures.add(listener);
  }

  onHealth(listener: () => void): () => void {
    return this.healthListeners.add(listener);
  }

  async stop(): Promise<void> {
    await this.outbox?.close();
    await Promise.all([...this.targets.map((t) => t.trigger.close()), ...this.simulators.map((s) => s.close())]);
  }

  /** better-sqlite3 transactions are synchronous, so by the next turn each staging one has committed or rolled back. */
  private adoptStaged(outbox: Outbox<VideoEvent>): void {
    const staged = this.staged;
    this.staged = [];
    for (const entry of staged) if (this.options.store.holds(entry.message.id)) outbox.adopt(entry);
  }

  private event(input: VideoEventInput, id: string, at: Date = new Date()): VideoEvent {
    return { id, kind: input.kind, terminal: this.config.terminalName, asset: input.asset, officer: input.officer, camera: this.config.video.camera, at: at.toISOString() };
  }
}

async function buildTarget(config: VideoTriggerConfig, simulators: { close(): Promise<void> }[]): Promise<Target> {
  // The trigger's name keys its delivery state in the outbox: keep it the configured id.
  const name = config.id;
  switch (config.kind) {
    case 'milestone': {
      if (config.simulate) {
        const simulator = await MilestoneSimulator.start({ port: config.port, host: '127.0.0.1', allow: ['127.0.0.1'] });
        simulators.push(simulator);
        return { config, trigger: new MilestoneTrigger({ name, host: '127.0.0.1', port: simulator.port }), label: `CCTV bookmark ${config.id} (simulated Milestone VMS, port ${simulator.port})` };
      }
      return { config, trigger: new MilestoneTrigger({ name, host: config.host, port: config.port }), label: `CCTV bookmark ${config.id} (Milestone ${config.host}:${config.port})` };
    }
    case 'webhook':
      return { config, trigger: new WebhookTrigger({ name, url: config.url, secret: config.secret }), label: `Video webhook ${config.id} (${new URL(config.url).host})` };
    case 'onvif':
      return {
        config,
        trigger: new OnvifRelayTrigger({ name, url: config.url, username: config.username, password: config.password, relayToken: config.relayToken, pulseMs: config.pulseMs }),
        label: `Camera relay ${config.id} (ONVIF ${new URL(config.url).host})`,
      };
    case 'usb-relay':
      return {
        config,
        trigger: new UsbRelayTrigger({ name, device: () => openUsbRelayDevice(), relay: config.relay, pulseMs: config.pulseMs }),
        label: `Body-worn video relay ${config.id} (USB relay ${config.relay})`,
      };
  }
}
