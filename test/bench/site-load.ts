/**
 * The work a site's terminal machine does anyway, for figures taken "under load": the built
 * terminal (out/main/browser-main.mjs, `npm run build` first) in demo mode polling its
 * simulated locker bus, and headless Chromium showing its screen, as the kiosk's browser does.
 * Start it, take the figures, stop it: stop() says how much CPU the load itself took and how
 * busy the whole machine was meanwhile (on a shared VM other people's work counts too).
 *
 *   const { value, load } = await underSiteLoad(async () => timeSomething());
 *   // load.loadCores, load.machineBusyPercent
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startTerminalChild } from './terminal-child.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** As the e2e runs and the kiosk launch use it, headless. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];
/** Chromium's first paint and the terminal's start-up are not what a site runs all day: let them pass. */
const SETTLE_MS = 3_000;

export interface SiteLoadFigures {
  /** Wall time from the end of start-up to stop(). */
  seconds: number;
  /** CPU the terminal and Chromium (every process of theirs) used meanwhile, in cores (1 = one core flat out). */
  loadCores: number;
  /** The whole machine's busy share meanwhile, 0-100, whoever's work it was. */
  machineBusyPercent: number;
}

export interface SiteLoad {
  stop(): Promise<SiteLoadFigures>;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system, all threads) of every live process descended from `root`, not counting `root`. */
function descendantsCpuSeconds(root: number): number {
  const parents = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Fields after the command name, which may hold spaces and parentheses: state ppid ... utime(14) stime(15).
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // It ended between the listing and the read.
    }
  }
  let ticks = 0;
  for (const info of parents.values()) {
    for (let up = info.ppid; up > 1; up = parents.get(up)?.ppid ?? 0) {
      if (up === root) {
        ticks += info.ticks;
        break;
      }
    }
  }
  return ticks / CLOCK_TICKS;
}

/** The machine's busy and total jiffies from /proc/stat. */
function machineJiffies(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  const total = cpu.reduce((sum, x) => sum + x, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

/** From now: a function that says how busy the whole machine has been since (0-100), whoever's work it was. */
export function machineBusySince(): () => number {
  const start = machineJiffies();
  return () => {
    const now = machineJiffies();
    const total = now.total - start.total;
    return total > 0 ? (100 * (now.busy - start.busy)) / total : 0;
  };
}

/**
 * Start the load: a fresh demo terminal (seeded on first start) and Chromium on its screen.
 * The load's processes are children of the calling one (Chromium is launched from here), which
 * is how their CPU is told apart from the caller's.
 */
export async function startSiteLoad(): Promise<SiteLoad> {
  const dataDir = mkdtempSync(join(tmpdir(), 'armoury-site-load-'));
  const terminal = await startTerminalChild(['--data-dir', dataDir]).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }).catch(async (error: unknown) => {
    await terminal.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(terminal.url);
    await page.locator('main[data-screen]').first().waitFor({ state: 'visible', timeout: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  } catch (error) {
    await browser.close();
    await terminal.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  // Our own CPU is the measurement's; the load is everything below us (terminal, Chromium and its helpers).
  const startedAt = process.hrtime.bigint();
  const loadStart = descendantsCpuSeconds(process.pid);
  const machineBusy = machineBusySince();
  return {
    async stop() {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const loadSeconds = descendantsCpuSeconds(process.pid) - loadStart;
      const machineBusyPercent = machineBusy();
      try {
        await browser.close();
        await terminal.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
      return { seconds, loadCores: loadSeconds / seconds, machineBusyPercent };
    },
  };
}

/** `measure` run under the site load, which is stopped whatever happens; its figures come back with the value. */
export async function underSiteLoad<T>(measure: () => Promise<T>): Promise<{ value: T; load: SiteLoadFigures }> {
  const site = await startSiteLoad();
  let value: T;
  try {
    value = await measure();
  } catch (error) {
    await site.stop();
    throw error;
  }
  return { value, load: await site.stop() };
}
