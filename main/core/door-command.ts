import type { LockerBankPort, Clock, DoorSensors, Scheduler } from './ports.ts';
import { pause } from './ports.ts';

/**
 * Between status polls while an unlock is being confirmed: fast at first, so the screen says
 * "open" within tens of milliseconds of the door opening (a person pulls a released door at
 * once), then at the slower pace for a door that is slow to give.
 */
export const FAST_CONFIRM_POLL_MS = 40;
export const FAST_CONFIRM_WINDOW_MS = 2000;
export const CONFIRM_POLL_MS = 150;

export type DoorCommandResult = { ok: true } | { ok: false; reason: string; stopped: boolean };

/**
 * The one door command every journey uses, once its intent is committed: send the unlock,
 * confirm it by status polls (the Kerong board may not answer an unlock at all), and give up
 * after the confirm time. Each poll's reading goes through the kiosk's door handling, so the
 * intents move exactly as they do on the bank's own polls.
 */
export class DoorCommand {
  constructor(
    private readonly lockers: LockerBankPort,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly confirmMs: () => number,
    private readonly onReading: (doors: DoorSensors[]) => void,
    private readonly stopped: () => boolean,
    private readonly log: (line: string) => void,
    /** Holds back screen pushes until the unlock is on its way (see Kiosk.holdPushes); returns the release. */
    private readonly holdScreen: () => () => void,
  ) {}

  /**
   * Unlock `doorNumber`, then poll until `settled()` (the intent moved on) or the confirm time
   * runs out. `sent` is told as soon as the unlock is on the wire, before any later reading.
   */
  async open(doorNumber: number, settled: () => boolean, sent: () => void = () => {}): Promise<DoorCommandResult> {
    const release = this.holdScreen();
    try {
      await this.lockers.unlock(doorNumber);
      sent();
    } catch (error) {
      return { ok: false, reason: `the unlock command could not be sent: ${error instanceof Error ? error.message : String(error)}`, stopped: false };
    } finally {
      release();
    }
    const sentAt = this.clock.now().getTime();
    const deadline = sentAt + this.confirmMs();
    while (this.clock.now().getTime() < deadline) {
      await pause(this.scheduler, this.clock.now().getTime() - sentAt < FAST_CONFIRM_WINDOW_MS ? FAST_CONFIRM_POLL_MS : CONFIRM_POLL_MS);
      if (this.stopped()) return { ok: false, reason: 'the terminal is shutting down', stopped: true };
      try {
        this.onReading(await this.lockers.readDoors());
      } catch (error) {
        this.log(`door ${doorNumber} status read failed while confirming: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (this.stopped()) return { ok: false, reason: 'the terminal is shutting down', stopped: true };
      if (settled()) return { ok: true };
    }
    return { ok: false, reason: 'the door did not read open', stopped: false };
  }
}
