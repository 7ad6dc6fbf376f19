import type { DeviceHealthView } from '../../preload/contract.ts';
import { Listeners } from '../../native-bridges/device-health.ts';
import type { TerminalConfig } from '../config/terminal-config.ts';
import type { VideoEventInput } from '../core/ports.ts';
import type { FrameLog } from './frame-log.ts';

export interface VideoServiceOptions {
  log: (line: string) => void;
  outboxDir: string;
  frames: FrameLog;
}

/**
 * The room's CCTV bookmarks and body-worn-video triggers, behind the room's policy.
 * (Triggers are wired in as their bridges land; with none configured it is a no-op.)
 */
export class VideoService {
  private readonly failures = new Listeners<{ trigger: string; message: string }>();
  private readonly healthListeners = new Listeners<void>();

  private constructor(private readonly config: TerminalConfig['video']) {}

  static async start(config: TerminalConfig, _options: VideoServiceOptions): Promise<VideoService> {
    if (config.video.triggers.length > 0) throw new Error('video triggers are not available in this build');
    return new VideoService(config.video);
  }

  readiness(): { ready: true } | { ready: false; message: string } {
    return { ready: true };
  }

  record(_event: VideoEventInput): void {}

  async test(triggerId: string): Promise<string> {
    throw new Error(`There is no video trigger "${triggerId}".`);
  }

  healthViews(): DeviceHealthView[] {
    return [];
  }

  onFailure(listener: (failure: { trigger: string; message: string }) => void): () => void {
    return this.failures.add(listener);
  }

  onHealth(listener: () => void): () => void {
    return this.healthListeners.add(listener);
  }

  get policy(): TerminalConfig['video']['policy'] {
    return this.config.policy;
  }

  async stop(): Promise<void> {}
}
