import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KioskSnapshot, RequestInput, RequestName, ResponseValues, Result } from '../../preload/contract.ts';
import { startKiosk, type RunningKiosk } from '../../main/compose.ts';
import { clockStartingAt, startOfToday } from '../../main/system-time.ts';
import type { ManualTime } from './manual-time.ts';
import { copyDemoTemplate } from './demo-template.ts';
import { tempDir } from './temp-db.ts';

export const RESOURCES = new URL('../../resources/', import.meta.url).pathname;

export interface Harness {
  kiosk: RunningKiosk;
  dataDir: string;
  /** The kiosk's time (its clock starts at noon), for due times and the like. */
  now(): Date;
  latest(): KioskSnapshot | null;
  call<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>>;
  /** Resolve with the first snapshot (current or pushed) that satisfies `ok`; reject after `ms`. */
  waitFor(ok: (s: KioskSnapshot) => boolean, ms?: number): Promise<KioskSnapshot>;
  /** Sign out whoever is signed in, tap this demo card and enter its PIN; throws with main's words if refused. */
  signIn(who: { card: string; pin: string }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Noon today, local time: the harness's clock starts there (and runs at the real rate) so a
 * test means the same at any hour. Seeded loans are drawn three hours earlier and due back by
 * 07:00 or within 12 h, so none is overdue at the start, whenever the suite runs.
 */
export function noonToday(): Date {
  return startOfToday('12:00');
}

/** One clock for every harness in a test file, so a restart on the same data never goes back in time. */
const harnessClock = clockStartingAt(noonToday());

/**
 * A demo-mode kiosk on a fresh data directory, with policy overrides written to a config file.
 * With `time`, the core's clock and timers are moved by hand (idle sign-out, overdue checks,
 * doors left open) while the simulated devices keep real time.
 */
export async function startHarness(policy: Record<string, number> = {}, dataDir?: string, overrides: Record<string, unknown> = {}, time?: ManualTime): Promise<Harness> {
  const t = dataDir ? null : tempDir('armoury-kiosk-');
  const dir = dataDir ?? t!.dir;
  const config = JSON.parse(
    (await import('node:fs')).readFileSync(join(RESOURCES, 'default-terminal-config.json'), 'utf8'),
  ) as { policy: Record<string, number> };
  config.policy = { ...config.policy, ...policy };
  Object.assign(config, overrides);
  const configPath = join(dir, 'terminal-config.json');
  writeFileSync(configPath, JSON.stringify(config));
  // A fresh data directory starts from the run's seeded demo database when it matches this clock.
  if (!dataDir && !time) copyDemoTemplate(dir, noonToday());
  const kiosk = await startKiosk({ dataDir: dir, resourcesDir: RESOURCES, demo: true, configPath, clock: time ?? harnessClock, scheduler: time, log: process.env.KIOSK_TEST_LOG ? (l) => console.log(l) : () => {} });
  // Draws and returns wait for the audit trail's start-up check (a worker thread): tests start once it has answered.
  await kiosk.auditChecked();
  let latest: KioskSnapshot | null = null;
  const waiters = new Set<() => void>();
  kiosk.service.onSnapshot((s) => {
    latest = s;
    for (const w of [...waiters]) w();
  });
  const first = await kiosk.service.request('getSnapshot', {});
  if (first.ok) latest = first.value;
  const harness: Harness = {
    kiosk,
    dataDir: dir,
    now: () => (time ?? harnessClock).now(),
    latest: () => latest,
    async call(method, input) {
      const result = await kiosk.service.request(method, input);
      // Pushes go out on the scheduler's next turn (one per turn): let the one this call caused arrive, as the screen's would.
      await new Promise((resolve) => setImmediate(resolve));
      return result;
    },
    waitFor(ok, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (latest && ok(latest)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(latest);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; last screen ${JSON.stringify(latest?.screen)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async signIn(who) {
      if (latest?.session) await harness.call('signOut', {});
      await harness.call('demoTapCard', { uid: who.card });
      await harness.waitFor((s) => s.screen.kind === 'pin');
      const result = await harness.call('submitPin', { pin: who.pin });
      if (!result.ok) throw new Error(result.error.message);
    },
    async close() {
      await kiosk.close();
      t?.cleanup();
    },
  };
  return harness;
}
