import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KioskSnapshot, RequestInput, RequestName, ResponseValues, Result } from '../../preload/contract.ts';
import { startKiosk, type RunningKiosk } from '../../main/compose.ts';
import { tempDir } from './temp-db.ts';

export const RESOURCES = new URL('../../resources/', import.meta.url).pathname;

export interface Harness {
  kiosk: RunningKiosk;
  dataDir: string;
  latest(): KioskSnapshot | null;
  call<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>>;
  /** Resolve with the first snapshot (current or pushed) that satisfies `ok`; reject after `ms`. */
  waitFor(ok: (s: KioskSnapshot) => boolean, ms?: number): Promise<KioskSnapshot>;
  close(): Promise<void>;
}

/** A demo-mode kiosk on a fresh data directory, with policy overrides written to a config file. */
export async function startHarness(policy: Record<string, number> = {}, dataDir?: string, overrides: Record<string, unknown> = {}): Promise<Harness> {
  const t = dataDir ? null : tempDir('armoury-kiosk-');
  const dir = dataDir ?? t!.dir;
  const config = JSON.parse(
    (await import('node:fs')).readFileSync(join(RESOURCES, 'default-terminal-config.json'), 'utf8'),
  ) as { policy: Record<string, number> };
  config.policy = { ...config.policy, ...policy };
  Object.assign(config, overrides);
  const configPath = join(dir, 'terminal-config.json');
  writeFileSync(configPath, JSON.stringify(config));
  const kiosk = await startKiosk({ dataDir: dir, resourcesDir: RESOURCES, demo: true, configPath, log: process.env.KIOSK_TEST_LOG ? (l) => console.log(l) : () => {} });
  let latest: KioskSnapshot | null = null;
  const waiters = new Set<() => void>();
  kiosk.service.onSnapshot((s) => {
    latest = s;
    for (const w of [...waiters]) w();
  });
  const first = await kiosk.service.request('getSnapshot', {});
  if (first.ok) latest = first.value;
  return {
    kiosk,
    dataDir: dir,
    latest: () => latest,
    call: (method, input) => kiosk.service.request(method, input),
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
    async close() {
      await kiosk.close();
      t?.cleanup();
    },
  };
}
