import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startOfToday } from '../../main/system-time.ts';
import { copyDemoTemplate } from '../helpers/demo-template.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface RunningShell {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Start the built browser shell headless on a fresh data directory (so every test gets the
 * freshly seeded demo site, or with `live` an empty live terminal on the system clock), with
 * policy overrides, and wait for its one stdout line.
 */
export async function startShell(policy: Record<string, number> = {}, overrides: Record<string, unknown> = {}, live = false): Promise<RunningShell> {
  const dataDir = mkdtempSync(join(tmpdir(), 'armoury-e2e-'));
  const config = JSON.parse(readFileSync(join(ROOT, 'resources/default-terminal-config.json'), 'utf8')) as { policy: Record<string, number> };
  config.policy = { ...config.policy, ...policy };
  Object.assign(config, overrides);
  const configPath = join(dataDir, 'terminal-config.json');
  writeFileSync(configPath, JSON.stringify(config));
  // The shell's clock starts at noon (--clock-from below), where the run's seeded demo database was made.
  if (!live) copyDemoTemplate(dataDir, startOfToday('12:00'));
  // The clock starts at noon whatever the hour, so seeded loans (due back by 07:00 or within 12 h) are never overdue at the start.
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'out/main/browser-main.mjs'), '--headless', '--data-dir', dataDir, '--config', configPath, ...(live ? ['--live'] : ['--clock-from', '12:00'])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser shell did not start in 30 s:\n${stderr}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`browser shell exited with ${code}:\n${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^Armoury Kiosk browser shell: (\S+)$/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return {
    url,
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
