/**
 * The peer-style section (`npm run bench -- --peer-style`): the terminal measured the way other
 * kiosks are, as separate processes over real ptys. Four processes, as on a site:
 *
 * - the terminal, the built browser shell (out/main/browser-main.mjs) on the demo site, its
 *   locker bus and scanner configured onto socat ptys (terminal-child.ts);
 * - the room (peer-room.ts): the Kerong boards and the serial scanner on the far ends of those
 *   ptys, stamping the unlock frames, the status replies and the scans' last bytes;
 * - Chromium showing the kiosk page, with a probe (page-probe.ts) stamping clicks and the
 *   moment a heading is painted;
 * - this conductor, which plays the officer (clicks in the page, WebSocket requests for the
 *   untimed steps) and the person in the room (through the room's commands).
 *
 * Every stamp is on the shared epoch (stats.ts epochMs) and taken where the event happens, so
 * the conductor's own work (Playwright, WebSocket) is not in the figures. Cycles alternate a
 * draw by touch and a return by scan, in 3 rounds of 50 of each; the flushes per draw and per
 * return are then counted over cycles of their own, the terminal started again on the same data
 * under strace (strace-fsyncs.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import { z } from 'zod';
import { PAGE_NOW, PAGE_PROBE_SCRIPT, pageRecordsSchema, TAKE_PAGE_RECORDS, type PageRecord } from './page-probe.ts';
import { roomEventSchema, type RoomCommand, type RoomEvent } from './peer-room-messages.ts';
import { epochMs, summarize, type Summary } from './stats.ts';
import { attributeSyncCalls, parseStraceOutput, straceArgs, straceProblem, type FsyncAttribution, type TimedWindow } from './strace-fsyncs.ts';
import { connectTerminal, sessionCookieFrom, startTerminalChild, type TerminalChild, type TerminalClient } from './terminal-child.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234' }; // demo officer: Taser in date, may draw a camera
/** Drawn in turn, so one tag is never scanned twice within the scanner's one-second duplicate window. */
const KINDS = ['Taser 7', 'Body-worn camera'];
const DUPLICATE_WINDOW_MS = 1100;
/**
 * Long enough for any one step on a shared 2-core machine (steps of over 5 s were seen at a load
 * average of 15); a step that takes longer is a failure worth a message.
 */
const STEP_TIMEOUT_MS = 10_000;
/** After a draw or return, for what it sets off (the video outbox's delivery) to land in its own window. */
const SETTLE_MS = 250;
/**
 * Before each timed touch or scan: an officer reads the screen before touching it, or walks to
 * the scanner, so what the previous step set off (its push, its repaint) is done, as it would be.
 */
const THINK_MS = 300;
const GC_PROBE = new URL('./gc-probe.mjs', import.meta.url).pathname;

export interface PeerStyleOptions {
  rounds: number;
  perRound: number;
  /** Untimed cycles first, so every process's code is warm as on a terminal that has been up a while. */
  warmup: number;
  /** Draw-and-return cycles under strace. */
  fsyncCycles: number;
  /** Load gc-probe.mjs into the terminal and set its garbage collections beside the worst samples. */
  gcProbe: boolean;
}

export const PEER_STYLE_DEFAULTS: PeerStyleOptions = { rounds: 3, perRound: 50, warmup: 5, fsyncCycles: 20, gcProbe: false };

export type FsyncFigures = { ok: true; perDraw: number; perReturn: number; attribution: FsyncAttribution } | { ok: false; why: string };

export interface PeerStyleFigures {
  scanToUnlock: Summary;
  touchToUnlock: Summary;
  unlockToConfirm: Summary;
  sensorToScreen: Summary;
  /** Draws whose screen said the door was open before the bus did (the screen was not honest). */
  screenAheadOfSensor: number;
  fsyncs: FsyncFigures;
}

/** One timed interval, with where it happened, so the worst can be found again. */
interface Sample {
  round: number;
  /** 1-based within the round. */
  index: number;
  door: number;
  ms: number;
  /** When it started, on the shared epoch. */
  startAt: number;
  /** Parts of the interval, when the stamps allow it (e.g. click -> WebSocket send -> unlock). */
  parts?: Record<string, number>;
}

type MetricName = 'scan_to_unlock' | 'touch_to_unlock' | 'unlock_to_confirm' | 'sensor_to_screen';
const METRICS: readonly MetricName[] = ['scan_to_unlock', 'touch_to_unlock', 'unlock_to_confirm', 'sensor_to_screen'];

export async function measurePeerStyle(resourcesDir: string, log: (line: string) => void, options: PeerStyleOptions = PEER_STYLE_DEFAULTS): Promise<PeerStyleFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'armoury-peer-bench-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  let room: Room | null = null;
  let terminal: TerminalChild | null = null;
  let browser: Browser | null = null;
  let ws: TerminalClient | null = null;
  try {
    room = await Room.start(dir);
    const { lockerPath, scannerPath } = room.ready;

    // The shipped configuration, its bus and scanner pointed at the room's ptys; the bus polled
    // every 100 ms, as the commissioning steps in the README set it.
    const config = JSON.parse(readFileSync(join(resourcesDir, 'default-terminal-config.json'), 'utf8')) as Record<string, unknown> & { lockerBank: { buses: Record<string, unknown>[] } };
    config.lockerBank.buses[0] = { ...config.lockerBank.buses[0], link: { kind: 'serial', path: lockerPath, baudRate: 19200 }, pollIntervalMs: 100 };
    config.scanners = [{ id: 'scanner', kind: 'serial', link: { kind: 'serial', path: scannerPath, baudRate: 9600 } }];
    const configPath = join(dir, 'terminal-config.json');
    writeFileSync(configPath, JSON.stringify(config));

    log('  the room is up; starting the terminal (it seeds the demo site) and Chromium ...');
    const gcFile = join(dir, 'gc.json');
    terminal = await startTerminalChild(['--data-dir', dataDir, '--config', configPath], options.gcProbe ? { nodeArgs: ['--import', GC_PROBE], env: { ARMOURY_BENCH_GC_FILE: gcFile } } : {});
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.addInitScript({ content: PAGE_PROBE_SCRIPT });
    // The page trades the one-use link for the session cookie, as the kiosk's Chromium does; the conductor's socket shares it.
    await page.goto(terminal.url);
    await page.locator('main[data-screen="idle"]').waitFor({ timeout: 30_000 });
    const session = (await context.cookies()).find((c) => c.name.startsWith('armoury_session_'));
    if (!session) throw new Error('peer-style bench: the page got no session cookie');
    ws = await connectTerminal(terminal.url, `${session.name}=${session.value}`, 'peer-style bench');
    await ws.must('getSnapshot', {});

    const client = ws;
    const liveRoom = room;
    const kinds = await signIn(client);

    await reportClockOffsets(page, liveRoom, log);

    const steps = new Steps(client, liveRoom, page);
    const samples: Record<MetricName, Sample[]> = { scan_to_unlock: [], touch_to_unlock: [], unlock_to_confirm: [], sensor_to_screen: [] };
    let screenAheadOfSensor = 0;
    for (let i = 0; i < options.warmup; i++) {
      const kind = kinds[i % kinds.length] as (typeof kinds)[number];
      const drawn = await steps.drawByTouch(kind.name);
      await steps.returnByScan(drawn.tag);
    }
    log(`  ${options.warmup} warm-up cycles done; timing ${options.rounds} rounds of ${options.perRound} draws by touch alternating with ${options.perRound} returns by scan ...`);
    const runStart = epochMs();
    const logLinesBefore = terminal.logLines();
    for (let round = 1; round <= options.rounds; round++) {
      for (let index = 1; index <= options.perRound; index++) {
        const kind = kinds[(index - 1) % kinds.length] as (typeof kinds)[number];
        const drawn = await steps.drawByTouch(kind.name);
        const where = { round, index, door: drawn.door };
        samples.touch_to_unlock.push({ ...where, ms: drawn.unlockAt - drawn.clickAt, startAt: drawn.clickAt, parts: touchParts(drawn) });
        samples.unlock_to_confirm.push({ ...where, ms: drawn.openReadAt - drawn.unlockAt, startAt: drawn.unlockAt });
        samples.sensor_to_screen.push({ ...where, ms: drawn.paintAt - drawn.openReadAt, startAt: drawn.openReadAt, parts: { 'sensor->DOM': drawn.domAt - drawn.openReadAt, 'DOM->frame': drawn.paintAt - drawn.domAt } });
        if (drawn.paintAt < drawn.openReadAt) screenAheadOfSensor++;

        const returned = await steps.returnByScan(drawn.tag);
        const back = { round, index, door: returned.door };
        samples.scan_to_unlock.push({ ...back, ms: returned.unlockAt - returned.scannedAt, startAt: returned.scannedAt });
        samples.unlock_to_confirm.push({ ...back, ms: returned.openReadAt - returned.unlockAt, startAt: returned.unlockAt });
      }
      log(`  round ${round}/${options.rounds} done`);
    }
    if (pageErrors.length > 0) log(`  the page reported errors: ${pageErrors.slice(0, 3).join(' | ')}`);
    log(`  the terminal wrote ${terminal.logLines() - logLinesBefore} log lines during the timed rounds`);

    printRounds(samples, options.rounds, runStart, log);
    if (screenAheadOfSensor > 0) {
      const ahead = samples.sensor_to_screen.filter((s) => s.ms < 0).map((s) => -s.ms);
      log(
        `  sensor_to_screen: in ${screenAheadOfSensor}/${samples.sensor_to_screen.length} draws the screen said "Door N is open" before the bus did (by up to ${Math.max(...ahead).toFixed(1)} ms): ` +
          'the screen does not wait for the sensor, so this figure measures nothing yet.',
      );
    }

    // The timed terminal's part is over (and the GC probe writes at its exit); the count runs one of its own.
    ws.close();
    await browser.close();
    browser = null;
    await terminal.stop();
    if (options.gcProbe) printCollections(samples, gcFile, runStart, log);

    log(`  counting flushes: the terminal again on the same data, under strace, over ${options.fsyncCycles} draws and ${options.fsyncCycles} returns, then an idle window as long ...`);
    const fsyncs = await countFsyncs({ dir, dataDir, configPath, room: liveRoom, cycles: options.fsyncCycles, log });

    return {
      scanToUnlock: summarize(samples.scan_to_unlock.map((s) => s.ms)),
      touchToUnlock: summarize(samples.touch_to_unlock.map((s) => s.ms)),
      unlockToConfirm: summarize(samples.unlock_to_confirm.map((s) => s.ms)),
      sensorToScreen: summarize(samples.sensor_to_screen.map((s) => s.ms)),
      screenAheadOfSensor,
      fsyncs,
    };
  } catch (error) {
    const tail = terminal?.recentLog().trim().split('\n').slice(-15).join('\n');
    if (tail) log(`  the terminal's last log lines:\n${tail}`);
    throw error;
  } finally {
    ws?.close();
    await browser?.close().catch(() => undefined);
    await terminal?.stop();
    await room?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- the steps of a cycle ------------------------------------------------------------------

interface DrawStamps {
  door: number;
  tag: string;
  clickAt: number;
  /** The page's WebSocket send of startDraw. */
  sendAt: number;
  /** The page's keep-alive (stillHere) sent on the touch's pointerdown, if the throttle let one go. */
  keepAliveAt: number | null;
  unlockAt: number;
  /** The first status reply saying the door is open left the boards. */
  openReadAt: number;
  /** The heading "Door N is open" appeared in the DOM, and the animation frame after it. */
  domAt: number;
  paintAt: number;
}

interface ReturnStamps {
  door: number;
  scannedAt: number;
  unlockAt: number;
  openReadAt: number;
}

/** The officer's and the room's steps, shared by the timed rounds and the strace cycles. */
class Steps {
  private readonly lastScanOf = new Map<string, number>();
  private nextScanId = 1;

  constructor(
    private readonly ws: TerminalClient,
    private readonly room: Room,
    /** The kiosk page in Chromium; null when the officer's steps are all requests (the strace cycles). */
    private readonly page: Page | null,
  ) {}

  /** The officer touches "Draw <name>" in the page; the door opens, they take the item and shut it. */
  async drawByTouch(name: string): Promise<DrawStamps> {
    await this.ws.waitFor('home', (s) => s.screen.kind === 'home', STEP_TIMEOUT_MS);
    const button = this.shownPage().getByRole('button', { name: new RegExp(`^Draw ${escapeRegExp(name)}\\b`) });
    await button.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await sleep(THINK_MS);
    await this.pageRecords(); // what came before this draw
    const mark = this.room.mark();
    await button.click({ timeout: STEP_TIMEOUT_MS });
    const unlock = await this.roomEvent(mark, 'unlock', () => true, `the unlock frame after the touch on "Draw ${name}"`);
    const opened = await this.roomEvent(unlock.index, 'reading', (e) => e.door === unlock.event.door && e.open, `a status reply saying door ${unlock.event.door} is open`);
    const wanted = `Door ${unlock.event.door} is open`;
    const records = await this.pageRecordsUntil((all) => all.some((r) => r.kind === 'heading' && r.text === wanted), `the heading "${wanted}" painted`);
    const click = records.findLast((r) => r.kind === 'click' && r.label.startsWith(`Draw ${name}`));
    const send = records.find((r) => r.kind === 'send' && r.method === 'startDraw');
    const heading = records.find((r) => r.kind === 'heading' && r.text === wanted);
    if (click?.kind !== 'click') throw new Error(`peer-style bench: the page saw no click on "Draw ${name}"`);
    if (send?.kind !== 'send') throw new Error('peer-style bench: the page sent no startDraw');
    if (heading?.kind !== 'heading') throw new Error(`peer-style bench: no heading "${wanted}"`);
    // The renderer's throttled keep-alive on pointerdown: a request (and a snapshot) just ahead of the draw's.
    const keepAlive = records.find((r) => r.kind === 'send' && r.method === 'stillHere' && r.at <= send.at);
    const tag = await this.takeAndShut(unlock.event.door);
    return {
      door: unlock.event.door,
      tag,
      clickAt: click.at,
      sendAt: send.at,
      keepAliveAt: keepAlive?.at ?? null,
      unlockAt: unlock.event.at,
      openReadAt: opened.event.at,
      domAt: heading.changedAt,
      paintAt: heading.at,
    };
  }

  /** The same draw asked for over the conductor's socket (for the strace cycles, where no figure is timed). */
  async drawByRequest(assetTypeId: number): Promise<{ door: number; tag: string; sentAt: number; unlockAt: number }> {
    await this.ws.waitFor('home', (s) => s.screen.kind === 'home', STEP_TIMEOUT_MS);
    const mark = this.room.mark();
    const sentAt = epochMs();
    const drawn = await this.ws.must('startDraw', { assetTypeId });
    if (drawn.screen.kind !== 'draw-door-open') throw new Error(`peer-style bench: the draw went to ${drawn.screen.kind}`);
    const door = drawn.screen.doorNumber;
    const unlock = await this.roomEvent(mark, 'unlock', (e) => e.door === door, `the unlock frame for door ${door}`);
    return { door, tag: await this.takeAndShut(door), sentAt, unlockAt: unlock.event.at };
  }

  /** The officer scans the item's tag; the return door opens, they put it in, shut it and report it fine. */
  async returnByScan(tag: string): Promise<ReturnStamps> {
    const wait = (this.lastScanOf.get(tag) ?? -Infinity) + DUPLICATE_WINDOW_MS - epochMs();
    await sleep(Math.max(wait, THINK_MS));
    const mark = this.room.mark();
    const id = this.nextScanId++;
    this.room.send({ type: 'scan', id, tag });
    const scanned = await this.roomEvent(mark, 'scanned', (e) => e.id === id, `the scan of ${tag} written`);
    this.lastScanOf.set(tag, scanned.event.at);
    const unlock = await this.roomEvent(mark, 'unlock', () => true, `the unlock frame after the scan of ${tag}`);
    const opened = await this.roomEvent(unlock.index, 'reading', (e) => e.door === unlock.event.door && e.open, `a status reply saying door ${unlock.event.door} is open`);
    const door = unlock.event.door;
    await this.ws.waitFor('the return door open', (s) => s.screen.kind === 'return-door-open', STEP_TIMEOUT_MS);
    this.room.send({ type: 'put', door });
    this.room.send({ type: 'close', door });
    await this.ws.waitFor('the condition question', (s) => s.screen.kind === 'return-condition', STEP_TIMEOUT_MS);
    await this.ws.must('recordCondition', { condition: 'ok' });
    await this.ws.must('dismiss', {});
    await this.ws.must('stillHere', {});
    return { door, scannedAt: scanned.event.at, unlockAt: unlock.event.at, openReadAt: opened.event.at };
  }

  async keepSessionAlive(): Promise<void> {
    await this.ws.must('stillHere', {});
  }

  /** Room.next, with the screen the terminal last showed in the message if it times out. */
  private roomEvent<T extends RoomEvent['type']>(from: number, type: T, ok: (event: EventOf<T>) => boolean, what: string): Promise<{ event: EventOf<T>; index: number }> {
    return this.room.next(from, type, ok, what).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)} (screen ${JSON.stringify(this.ws.latest()?.screen ?? null)})`);
    });
  }

  /** Waits out what a step sets off, so it lands in that step's strace window. */
  settle(): Promise<void> {
    return sleep(SETTLE_MS);
  }

  private async takeAndShut(door: number): Promise<string> {
    await this.ws.waitFor('the draw door open', (s) => s.screen.kind === 'draw-door-open', STEP_TIMEOUT_MS);
    this.room.send({ type: 'take', door });
    this.room.send({ type: 'close', door });
    const done = await this.ws.waitFor('the draw done', (s) => s.screen.kind === 'draw-done', STEP_TIMEOUT_MS);
    const serial = done.screen.kind === 'draw-done' ? done.screen.serial : '';
    const tag = done.demo?.tags.find((t) => t.label.includes(serial))?.tag;
    if (!tag) throw new Error(`peer-style bench: no demo tag for ${serial}`);
    await this.ws.must('dismiss', {});
    return tag;
  }

  private shownPage(): Page {
    if (!this.page) throw new Error('peer-style bench: a touch needs the kiosk page, and these steps have none');
    return this.page;
  }

  private async pageRecords(): Promise<PageRecord[]> {
    return pageRecordsSchema.parse(await this.shownPage().evaluate(TAKE_PAGE_RECORDS));
  }

  /** Collects the probe's records until `done` holds for them all; polls gently, the page is being timed. */
  private async pageRecordsUntil(done: (records: readonly PageRecord[]) => boolean, what: string): Promise<PageRecord[]> {
    const records: PageRecord[] = [];
    const deadline = epochMs() + STEP_TIMEOUT_MS;
    for (;;) {
      records.push(...(await this.pageRecords()));
      if (done(records)) return records;
      if (epochMs() > deadline) {
        const headings = records.filter((r) => r.kind === 'heading').map((r) => (r.kind === 'heading' ? r.text : ''));
        throw new Error(`peer-style bench: timed out after ${STEP_TIMEOUT_MS} ms waiting for ${what} (headings seen: ${JSON.stringify(headings)}; screen ${JSON.stringify(this.ws.latest()?.screen ?? null)})`);
      }
      await sleep(25);
    }
  }
}

/** Signs the demo officer in once the devices are up; the kinds they will draw, in turn. */
async function signIn(client: TerminalClient): Promise<{ assetTypeId: number; name: string }[]> {
  await client.waitFor('the bus online', (s) => s.devices.some((d) => d.id === 'bus:bus-a' && d.state === 'online'), 15_000);
  await client.waitFor('the scanner online', (s) => s.devices.some((d) => d.id === 'scanner:scanner' && d.state === 'online'), 15_000);
  await client.must('demoTapCard', { uid: ALEX.card });
  await client.waitFor('the PIN pad', (s) => s.screen.kind === 'pin', STEP_TIMEOUT_MS);
  await client.must('submitPin', { pin: ALEX.pin });
  const home = await client.waitFor('home', (s) => s.screen.kind === 'home', STEP_TIMEOUT_MS);
  return KINDS.map((name) => {
    const option = home.session?.drawOptions.find((o) => o.name === name && o.allowed);
    if (!option) throw new Error(`peer-style bench: the demo officer may not draw a ${name}`);
    return { assetTypeId: option.assetTypeId, name };
  });
}

// --- the room process ----------------------------------------------------------------------------

type EventOf<T extends RoomEvent['type']> = Extract<RoomEvent, { type: T }>;

/** The forked room (peer-room.ts): commands out, stamped events in, kept in order for the steps to search. */
class Room {
  private readonly events: RoomEvent[] = [];
  private readonly wakers = new Set<() => void>();
  private failure: string | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: EventOf<'ready'>,
  ) {}

  static async start(dir: string): Promise<Room> {
    const child = fork(new URL('./peer-room.ts', import.meta.url), [dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let room: Room | null = null;
    const early: RoomEvent[] = [];
    const ready = await new Promise<EventOf<'ready'>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('peer-style bench: the room did not open its ptys within 15 s')), 15_000);
      child.on('message', (raw: unknown) => {
        const event = roomEventSchema.parse(raw);
        if (room) return room.take(event);
        if (event.type === 'ready') {
          clearTimeout(timer);
          resolve(event);
        } else if (event.type === 'failed') {
          clearTimeout(timer);
          reject(new Error(`peer-style bench: the room failed to start: ${event.message}`));
        } else early.push(event);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`peer-style bench: the room exited (${code}) before it was ready`));
      });
    }).catch(async (error: unknown) => {
      if (child.exitCode === null) child.kill('SIGKILL');
      throw error;
    });
    room = new Room(child, ready);
    for (const event of early) room.take(event);
    child.on('exit', (code) => room?.fail(`the room exited (${code})`));
    return room;
  }

  send(command: RoomCommand): void {
    if (this.failure) throw new Error(`peer-style bench: ${this.failure}`);
    this.child.send(command);
  }

  /** Where the next event will go: a step searches from here for what its action caused. */
  mark(): number {
    return this.events.length;
  }

  /** The first event of `type` at or after `from` that passes `ok`, with its place; rejects after the timeout, saying what it waited for. */
  next<T extends RoomEvent['type']>(from: number, type: T, ok: (event: EventOf<T>) => boolean, what: string, timeoutMs = STEP_TIMEOUT_MS): Promise<{ event: EventOf<T>; index: number }> {
    const find = (): { event: EventOf<T>; index: number } | null => {
      for (let index = from; index < this.events.length; index++) {
        const event = this.events[index] as RoomEvent;
        if (event.type === type && ok(event as EventOf<T>)) return { event: event as EventOf<T>, index };
      }
      return null;
    };
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.failure) {
          finish();
          reject(new Error(`peer-style bench: ${this.failure} while waiting for ${what}`));
          return;
        }
        const found = find();
        if (found) {
          finish();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`peer-style bench: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.wakers.delete(check);
      };
      this.wakers.add(check);
      check();
    });
  }

  /** The room's clock now, with the round trip it took to ask (for the clock check). */
  async ping(id: number): Promise<{ at: number; sentAt: number; backAt: number }> {
    const mark = this.mark();
    const sentAt = epochMs();
    this.send({ type: 'ping', id });
    const pong = await this.next(mark, 'pong', (e) => e.id === id, 'the room to answer a ping');
    return { at: pong.event.at, sentAt, backAt: epochMs() };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies RoomCommand);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private take(event: RoomEvent): void {
    if (event.type === 'failed') return this.fail(`the room failed: ${event.message}`);
    this.events.push(event);
    for (const wake of [...this.wakers]) wake();
  }

  private fail(why: string): void {
    this.failure ??= why;
    for (const wake of [...this.wakers]) wake();
  }
}

// --- clocks, strace, report --------------------------------------------------------------------

/**
 * The cross-process figures assume the page's, the room's and this process's epoch clocks agree.
 * Checked, not assumed: the offset seen over the quickest of several round trips, with half that
 * round trip as its uncertainty.
 */
async function reportClockOffsets(page: Page, room: Room, log: (line: string) => void): Promise<void> {
  const best = async (ask: () => Promise<{ at: number; sentAt: number; backAt: number }>) => {
    let bestSeen = { offset: 0, halfRtt: Infinity };
    for (let i = 0; i < 20; i++) {
      const { at, sentAt, backAt } = await ask();
      const halfRtt = (backAt - sentAt) / 2;
      if (halfRtt < bestSeen.halfRtt) bestSeen = { offset: at - (sentAt + halfRtt), halfRtt };
    }
    return bestSeen;
  };
  const pageClock = await best(async () => {
    const sentAt = epochMs();
    const at = Number(await page.evaluate(PAGE_NOW));
    return { at, sentAt, backAt: epochMs() };
  });
  let pingId = 0;
  const roomClock = await best(() => room.ping(++pingId));
  const describe = (c: { offset: number; halfRtt: number }) => `${c.offset >= 0 ? '+' : ''}${c.offset.toFixed(2)} ms (±${c.halfRtt.toFixed(2)})`;
  log(`  clock check against the conductor: page ${describe(pageClock)}, room ${describe(roomClock)}`);
  const skew = Math.abs(pageClock.offset - roomClock.offset) - pageClock.halfRtt - roomClock.halfRtt;
  if (skew > 0.5) log(`  WARNING: the page's and the room's clocks disagree by about ${skew.toFixed(1)} ms beyond the check's uncertainty: touch_to_unlock and sensor_to_screen are off by as much`);
}

interface FsyncCountSetup {
  dir: string;
  dataDir: string;
  configPath: string;
  room: Room;
  cycles: number;
  log: (line: string) => void;
}

/**
 * The terminal again, on the data the timed rounds left, started under strace (see straceArgs for
 * why started and not attached), the officer's steps all requests. Windows of draws and returns,
 * then an idle window as long as they were together, signed in and still.
 */
async function countFsyncs({ dir, dataDir, configPath, room, cycles, log }: FsyncCountSetup): Promise<FsyncFigures> {
  const problem = straceProblem();
  if (problem) {
    log(`  fsyncs_per_draw and fsyncs_per_return skipped: ${problem}`);
    return { ok: false, why: problem };
  }
  const outFile = join(dir, 'strace.txt');
  const traced = await startTerminalChild(['--data-dir', dataDir, '--config', configPath], { wrapper: ['strace', ...straceArgs(outFile)] });
  const windows: TimedWindow[] = [];
  const unlockPaths: TimedWindow[] = [];
  // The room's and the conductor's stamps are on the epoch clock (checked to agree); strace's on the wall clock.
  const wallMinusEpoch = Date.now() - epochMs();
  const idle = { start: 0, end: 0 };
  let client: TerminalClient | null = null;
  try {
    client = await connectTerminal(traced.url, await sessionCookieFrom(traced.url), 'peer-style bench (strace)');
    const steps = new Steps(client, room, null);
    const kinds = await signIn(client);
    for (let i = 0; i < cycles; i++) {
      const kind = kinds[i % kinds.length] as (typeof kinds)[number];
      // Date.now(): strace stamps calls on the wall clock.
      const drawStart = Date.now();
      const drawn = await steps.drawByRequest(kind.assetTypeId);
      await steps.settle();
      windows.push({ kind: 'draw', start: drawStart, end: Date.now() });
      // The duplicate-scan wait falls between windows; returnByScan does it before its first step.
      const returnStart = Date.now();
      const returned = await steps.returnByScan(drawn.tag);
      await steps.settle();
      windows.push({ kind: 'return', start: returnStart, end: Date.now() });
      // What sits between the request (or the scan) and the unlock frame: the flushes an officer waits for.
      unlockPaths.push({ kind: 'draw', start: drawn.sentAt + wallMinusEpoch, end: drawn.unlockAt + wallMinusEpoch });
      unlockPaths.push({ kind: 'return', start: returned.scannedAt + wallMinusEpoch, end: returned.unlockAt + wallMinusEpoch });
    }
    const busyMs = windows.reduce((sum, w) => sum + (w.end - w.start), 0);
    idle.start = Date.now();
    // Signed in and still, as between officers' steps; the session is kept alive as the cycles keep it.
    while (Date.now() - idle.start < busyMs) {
      await sleep(Math.min(10_000, busyMs - (Date.now() - idle.start)));
      await steps.keepSessionAlive();
    }
    idle.end = Date.now();
  } catch (error) {
    const tail = traced.recentLog().trim().split('\n').slice(-10).join('\n');
    if (tail) log(`  the traced terminal's last log lines:\n${tail}`);
    throw error;
  } finally {
    client?.close();
    await traced.stop();
  }
  const calls = parseStraceOutput(readFileSync(outFile, 'utf8'));
  const label = (path: string | null): string => {
    if (path === null) return '(no file)';
    const inside = relative(dataDir, path);
    if (inside.startsWith('..')) return path;
    const [first = inside] = inside.split(sep);
    return first === inside ? first : `${first}/`;
  };
  const attribution = attributeSyncCalls(calls, windows, idle, label);
  const draw = attribution.byKind.draw;
  const back = attribution.byKind.return;
  if (!draw || !back) throw new Error('peer-style bench: no draw or return windows were timed under strace');
  const files = (byFile: Record<string, number>) =>
    Object.entries(byFile)
      .sort((a, b) => b[1] - a[1])
      .map(([file, n]) => `${file} ${n}`)
      .join(', ') || 'none';
  log(`  idle ${(attribution.idle.durationMs / 1000).toFixed(1)} s: ${attribution.idle.calls} flushes (${files(attribution.idle.byFile)})`);
  for (const [kind, entry] of Object.entries(attribution.byKind)) {
    log(`  ${entry.windows} ${kind}s over ${(entry.durationMs / 1000).toFixed(1)} s: ${entry.calls} flushes (${files(entry.byFile)}); idle rate accounts for ${entry.background.toFixed(2)}: ${entry.perWindow.toFixed(2)} per ${kind}`);
  }
  log(`  ${attribution.elsewhere} flushes fell outside the windows (start-up, sign-in, the duplicate-scan waits, shutdown)`);
  const onPath = attributeSyncCalls(calls, unlockPaths, idle, label);
  for (const [kind, entry] of Object.entries(onPath.byKind)) {
    log(`  on the unlock's path (${kind === 'draw' ? 'request' : 'scan'} to unlock frame, stamps within about 1 ms of strace's): ${(entry.calls / entry.windows).toFixed(2)} flushes per ${kind} (${files(entry.byFile)})`);
  }
  // How long the disk held each flush up: a flush before the unlock frame is on the officer's wait.
  const waits = new Map<string, number[]>();
  for (const call of calls) {
    if (call.durationMs === null || !windows.some((w) => call.at >= w.start && call.at < w.end)) continue;
    const file = label(call.path);
    waits.set(file, [...(waits.get(file) ?? []), call.durationMs]);
  }
  const described = [...waits].map(([file, ms]) => {
    const s = summarize(ms);
    return `${file} n=${s.n} p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)} max ${s.max.toFixed(2)} ms`;
  });
  log(`  time in each flush (strace -T, which itself slows each call a little): ${described.join('; ') || 'none'}`);
  return { ok: true, perDraw: draw.perWindow, perReturn: back.perWindow, attribution };
}

function printRounds(samples: Record<MetricName, Sample[]>, rounds: number, runStart: number, log: (line: string) => void): void {
  const describe = (s: Summary) => `n=${s.n} p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)} max ${s.max.toFixed(2)} ms`;
  for (const metric of METRICS) {
    const all = samples[metric];
    if (all.length === 0) continue;
    log(`  ${metric}:`);
    for (let round = 1; round <= rounds; round++) {
      const inRound = all.filter((s) => s.round === round).map((s) => s.ms);
      if (inRound.length > 0) log(`    round ${round}: ${describe(summarize(inRound))}`);
    }
    log(`    all:     ${describe(summarize(all.map((s) => s.ms)))}`);
    const partNames = [...new Set(all.flatMap((s) => Object.keys(s.parts ?? {})))];
    const parts = partNames.map((name) => {
      const values = all.flatMap((s) => (s.parts?.[name] === undefined ? [] : [s.parts[name]]));
      const summary = summarize(values);
      return `${name} n=${summary.n} p50 ${summary.p50.toFixed(2)} p99 ${summary.p99.toFixed(2)}`;
    });
    if (parts.length > 0) log(`    parts:   ${parts.join('; ')}`);
    const worst = [...all].sort((a, b) => b.ms - a.ms).slice(0, 5);
    log(`    worst:   ${worst.map((s) => describeSample(s, runStart)).join('; ')}`);
  }
}

/** Where a touch's time went: the page (click to its send), the terminal and the bus (send to unlock). */
function touchParts(drawn: DrawStamps): Record<string, number> {
  const parts: Record<string, number> = { 'click->send': drawn.sendAt - drawn.clickAt, 'send->unlock': drawn.unlockAt - drawn.sendAt };
  if (drawn.keepAliveAt !== null) parts['keep-alive sent ms before'] = drawn.sendAt - drawn.keepAliveAt;
  return parts;
}

function describeSample(s: Sample, runStart: number): string {
  const parts = s.parts
    ? ` [${Object.entries(s.parts)
        .map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
        .join(', ')}]`
    : '';
  return `${s.ms.toFixed(1)} ms (round ${s.round} #${s.index}, door ${s.door}, t+${((s.startAt - runStart) / 1000).toFixed(1)} s${parts})`;
}

const collectionSchema = z.array(z.object({ at: z.number(), ms: z.number(), kind: z.string() }));

/** The terminal's main-thread garbage collections that overlapped each metric's worst samples, and how much they paused it overall. */
function printCollections(samples: Record<MetricName, Sample[]>, gcFile: string, runStart: number, log: (line: string) => void): void {
  let collections: z.infer<typeof collectionSchema>;
  try {
    collections = collectionSchema.parse(JSON.parse(readFileSync(gcFile, 'utf8')));
  } catch (error) {
    log(`  gc probe: no record from the terminal (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  const timed = collections.filter((c) => c.at >= runStart);
  const pauses = summarize(timed.length > 0 ? timed.map((c) => c.ms) : [0]);
  log(`  gc probe: ${timed.length} collections on the terminal's main thread from the first timed cycle on; pause p50 ${pauses.p50.toFixed(2)} ms, max ${pauses.max.toFixed(2)} ms`);
  for (const metric of METRICS) {
    const worst = [...samples[metric]].sort((a, b) => b.ms - a.ms).slice(0, 5);
    const lines = worst.map((s) => {
      const end = s.startAt + Math.max(s.ms, 0);
      const inside = timed.filter((c) => c.at < end && c.at + c.ms > s.startAt);
      const what = inside.length === 0 ? 'no collection' : inside.map((c) => `${c.kind} ${c.ms.toFixed(1)} ms at +${(c.at - s.startAt).toFixed(1)}`).join(', ');
      return `${s.ms.toFixed(1)} ms (round ${s.round} #${s.index}): ${what}`;
    });
    log(`  gc beside the worst ${metric}: ${lines.join('; ')}`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
