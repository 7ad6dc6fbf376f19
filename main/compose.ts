import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonFileConfigStore, type ConfigStore } from './config/config-store.ts';
import { checkTerminalConfig, maskSecrets, secretsStillMasked, unmaskSecrets, type TerminalConfig } from './config/terminal-config.ts';
import { openDatabase, type Db } from './core/db/database.ts';
import { demoCards, ensureLockerBank, parseDemoSite, seedDemoSite, syncOverrideReasons } from './core/demo-seed.ts';
import { demoRoomsWanted, seedDemoRooms } from './core/demo-rooms.ts';
import type { SetupCodeSink } from './core/commissioning.ts';
import { Kiosk } from './core/kiosk.ts';
import type { KioskPolicy } from './core/kiosk-deps.ts';
import type { KioskService } from './core/kiosk-service.ts';
import type { BankRewire, Clock, DoorSensors, DoorWiring, HardwareAdmin, Scheduler } from './core/ports.ts';
import { DeviceManager } from './devices/device-manager.ts';
import { startTrainingSources, type TrainingImporter } from './devices/training-sources.ts';
import { C2Feed } from './devices/c2-feed.ts';
import { BookingEndpoint } from './devices/booking-endpoint.ts';
import { BookingNoticeWebhook } from './devices/booking-notices.ts';
import { EstatePublisher, estateUrl } from './estate/estate-publisher.ts';
import { ReferencePuller } from './estate/reference-puller.ts';
import { EstateScope } from './estate/estate-scope.ts';
import { estateHealth, withEstate } from './estate/estate-health.ts';
import { SqliteOutboxStore } from './devices/sqlite-outbox-store.ts';
import { systemClock, systemScheduler } from './system-time.ts';
import { checkpointsFile, openCheckpointOutbox, type CheckpointOutbox } from './devices/audit-anchor-outbox.ts';
import { loadOrCreateTerminalKey } from './terminal-key.ts';
import { anchoredChainWalker, workerIntegrityChecker } from './workers/audit-walker.ts';
import { workerImportRunner } from './workers/import-runner.ts';

export interface KioskOptions {
  dataDir: string;
  resourcesDir: string;
  demo: boolean;
  /** A configuration file to use (and save to) instead of the one in the data directory. */
  configPath?: string;
  /** The Electron shell passes its electron-store backed store; otherwise a JSON file is used. */
  configStore?: ConfigStore;
  /** The terminal's clock; the system clock unless a demo or test starts it at a chosen time. */
  clock?: Clock;
  /** The core's timers; the system's unless a test moves time by hand. */
  scheduler?: Scheduler;
  log: (line: string) => void;
}

export interface RunningKiosk {
  service: KioskService;
  /** Resolves once the start-up check of the audit trail has given its verdict; until then draws and returns are refused. */
  auditChecked(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The composition root: the one place that picks implementations (real or simulated
 * devices, file paths, policies) and wires them to the core. Both shells call this.
 */
export async function startKiosk(options: KioskOptions): Promise<RunningKiosk> {
  // Only the kiosk's user reads the data: PIN hashes, the audit trail, the signing key.
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const store =
    options.configStore ??
    (options.configPath
      ? new JsonFileConfigStore(options.configPath)
      : // The demo's own layout adds the smart-locker rooms (a stores section and an exhibits section) to the default bank.
        new JsonFileConfigStore(join(options.dataDir, 'terminal-config.json'), join(options.resourcesDir, options.demo ? 'demo-terminal-config.json' : 'default-terminal-config.json')));
  const config = store.load();
  // Before anything else: a signing key others can read means checkpoints could be forged, and the terminal must not start.
  const signer = loadOrCreateTerminalKey(options.dataDir, options.log);
  const clock = options.clock ?? systemClock;
  const dbPath = join(options.dataDir, 'armoury.db');
  const isNew = !existsSync(dbPath);
  // SQLite gives the -wal and -shm files the database file's mode: create it private first.
  if (isNew) writeFileSync(dbPath, '', { mode: 0o600, flag: 'wx' });
  const db = openDatabase(dbPath);
  let devices: DeviceManager | null = null;
  let checkpointOutbox: CheckpointOutbox | null = null;
  // Replaced when a saved configuration changes the booking webhook; the core stages through the one current.
  let bookingNotices: BookingNoticeWebhook | null = null;
  try {
    const site = options.demo ? parseDemoSite(JSON.parse(readFileSync(join(options.resourcesDir, 'demo-site.json'), 'utf8'))) : null;
    if (site && isNew) {
      options.log(`seeding the demo site into ${dbPath}`);
      await seedDemoSite(db, site, clock.now());
    }
    const bankName = config.lockerBank.name;
    const bankId = ensureLockerBank(db, bankName, config.lockerBank.doors, clock.now());
    if (site?.rooms && demoRoomsWanted(db, bankId, site.rooms)) {
      options.log('seeding the demo smart-locker rooms');
      seedDemoRooms(db, bankId, site.rooms, clock.now());
    }
    syncOverrideReasons(db, config.policy.overrideReasons, clock.now());
    const manager = new DeviceManager({ log: options.log, stockedDoors: () => stockedDoors(db, bankId), videoOutbox: () => new SqliteOutboxStore(db, 'video'), legacyOutboxDir: join(options.dataDir, 'video-outbox') });
    devices = manager;
    await manager.start(config);
    let lastDoors: DoorSensors[] = [];
    // Set once the kiosk is running; a saved configuration restarts the drop folder and pull.
    let restartTrainingSources: (next: TerminalConfig) => Promise<void> = async () => {};
    let restartFeed: (next: TerminalConfig) => Promise<void> = async () => {};
    let restartBookings: (next: TerminalConfig, before: TerminalConfig) => Promise<void> = async () => {};
    manager.lockers.onDoors((doors) => (lastDoors = doors));

    // Policy is read on every use, so a saved configuration takes effect at once.
    const policy: KioskPolicy = policyOf(config);
    const hardware: HardwareAdmin = {
      view: () => {
        const current = manager.config;
        return {
          configJson: JSON.stringify(maskSecrets(current), null, 2),
          configLocation: store.location,
          devices: manager.list(),
          buses: manager.buses(),
          doors: lastDoors.map((d) => ({ number: d.doorNumber, open: d.open, itemPresent: d.itemPresent })),
          triggers: current.video.triggers.map((t) => ({ id: t.id, kind: t.kind })),
          videoPolicy: current.video.policy,
        };
      },
      save: async (configJson) => {
        let raw: unknown;
        try {
          raw = JSON.parse(configJson);
        } catch (error) {
          return { ok: false, problems: [`not valid JSON: ${error instanceof Error ? error.message : String(error)}`] };
        }
        const before = manager.config;
        const checked = checkTerminalConfig(raw);
        if (!checked.ok) return { ok: false, problems: checked.problems };
        const next = unmaskSecrets(checked.config, before);
        const masked = secretsStillMasked(next);
        if (masked.length > 0) return { ok: false, problems: masked };
        if (next.lockerBank.name !== bankName) {
          return { ok: false, problems: [`lockerBank.name: this terminal's bank is "${bankName}"; renaming it would orphan its doors' history`] };
        }
        ensureLockerBank(db, bankName, next.lockerBank.doors, clock.now());
        syncOverrideReasons(db, next.policy.overrideReasons, clock.now());
        store.save(next);
        await manager.apply(next);
        Object.assign(policy, policyOf(next));
        if (JSON.stringify(next.training) !== JSON.stringify(before.training)) await restartTrainingSources(next);
        if (JSON.stringify(next.c2Feed) !== JSON.stringify(before.c2Feed) || next.terminalName !== before.terminalName) await restartFeed(next);
        await restartBookings(next, before);
        return { ok: true, changes: describeChanges(maskSecrets(before), maskSecrets(next)) };
      },
      layout: () => doorWiring(manager.config),
      // The walk's fixes are configuration changes like any other: saved, applied and described the same way.
      rewire: (change) => hardware.save(JSON.stringify(maskSecrets(rewired(manager.config, change)))),
      busStatus: (busId) => manager.busStatus(busId),
      testTrigger: (triggerId) => manager.testTrigger(triggerId),
      frames: (since) => manager.framesSince(since),
      note: (device, text) => manager.frames.add(device, 'event', null, text),
    };

    // Audit anchoring: targets and terminal id as configured at start-up (a saved change takes effect at the next start).
    const terminalId = config.c2Feed.terminalId;
    checkpointOutbox = await openCheckpointOutbox(config.auditAnchor, {
      terminalId,
      store: new SqliteOutboxStore(db, 'audit-checkpoint'),
      legacyDir: join(options.dataDir, 'audit-anchor-outbox'),
      log: options.log,
    });
    const anchorFile = config.auditAnchor.directory === null ? null : checkpointsFile(config.auditAnchor.directory, terminalId);
    const integrity = workerIntegrityChecker(dbPath, signer.publicKeyPem, () => anchorFile);
    // The estate (README "The estate"): the audit log published to the estate's PostgreSQL as
    // this terminal's own role, and reference data pulled from it. The kiosk never waits for
    // either; a saved change applies at the next start. The status bar shows the link.
    const estateListeners = new Set<() => void>();
    const estateChanged = () => {
      for (const listener of estateListeners) listener();
    };
    const estateLink = config.estate === null ? null : { url: estateUrl(config.estate), db, scheduler: options.scheduler ?? systemScheduler, now: () => clock.now(), log: options.log, changed: estateChanged };
    const estate = estateLink === null ? null : new EstatePublisher(estateLink);
    const reference = estateLink === null ? null : new ReferencePuller(estateLink);
    const estateScope = estateLink === null ? null : new EstateScope({ url: estateLink.url, now: () => clock.now(), log: options.log });
    const referenceSyncedAt = db.prepare<[], { at: string | null }>('SELECT reference_synced_at AS at FROM estate_link WHERE id = 1');
    const devicesShown =
      estate === null || reference === null
        ? manager.devices
        : withEstate(
            manager.devices,
            () => estateHealth({ link: () => estate.current(), referenceProblem: () => reference.problem(), referenceSyncedAt: () => referenceSyncedAt.get()?.at ?? null, now: () => clock.now() }),
            estateListeners,
          );
    // Booking notices (docs/bookings.md) are written in the core's own transactions, so the outbox exists before the kiosk.
    const startBookingNotices = (c: TerminalConfig) =>
      BookingNoticeWebhook.start(c.bookings.notifyWebhook, { db, terminalId: c.c2Feed.terminalId, terminalName: c.terminalName, log: options.log });
    bookingNotices = await startBookingNotices(config);
    const kiosk = new Kiosk({
      db,
      clock,
      scheduler: options.scheduler ?? systemScheduler,
      chainWalker: anchoredChainWalker(integrity),
      importRunner: workerImportRunner(dbPath),
      estateScope,
      anchoring: { signer, terminalId: () => terminalId, sink: checkpointOutbox, checker: integrity },
      policy,
      terminalName: config.terminalName,
      bankId,
      lockers: manager.lockers,
      cardReader: manager.cardReader,
      scanner: manager.scanner,
      video: manager.video,
      devices: devicesShown,
      hardware,
      demo: site && manager.hasSimulatedRoom() ? { room: manager.room, cards: demoCards(site) } : null,
      setupCode: site ? null : setupCodeFile(options.dataDir, options.log),
      // Set above before the kiosk exists, and only ever replaced by another, so a notice always has somewhere to go.
      bookingNotices: { stage: (notice, at) => bookingNotices?.stage(notice, at) },
      log: options.log,
    });
    await kiosk.start();
    // The booking endpoint: other systems book kit through the core, and the screen is pushed the change.
    // One that cannot listen (a port in use) is logged and left off: the room works without it.
    const startBookingEndpoint = async (c: TerminalConfig): Promise<BookingEndpoint | null> => {
      const settings = c.bookings.endpoint;
      if (settings === null) return null;
      try {
        return await BookingEndpoint.start(settings, { bookings: kiosk.services.bookings, changed: () => kiosk.refresh(), now: () => clock.now(), log: options.log });
      } catch (error) {
        options.log(`booking endpoint not started on ${settings.host}:${settings.port}: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      }
    };
    if (site === null) {
      // A live terminal nobody can sign in to yet gets a fresh one-time code at every start.
      if (kiosk.services.commissioning.needsSetup()) await kiosk.services.commissioning.issueSetupCode();
      else rmSync(join(options.dataDir, SETUP_CODE_FILE), { force: true });
    }
    // The sources' files are imported in the import worker, as uploads are.
    const trainingImporter: TrainingImporter = {
      importBytes: (input) => kiosk.services.imports.training(input),
      lastAcceptedSha256: (source) => kiosk.services.training.lastAcceptedSha256(source),
    };
    let trainingSources = startTrainingSources(config.training, trainingImporter, options.log);
    // The command-and-control feed: published on every change of the armed/available picture.
    const startFeed = (c: TerminalConfig) =>
      C2Feed.start(c.c2Feed, { terminalName: c.terminalName, stateDir: join(options.dataDir, 'c2-feed'), store: new SqliteOutboxStore(db, 'c2'), picture: () => kiosk.services.console.mobilisation(), log: options.log });
    let feed = await startFeed(config);
    // Every push follows a state change; the feed debounces and publishes only a changed picture.
    // The overdue tick also catches qualifications that lapse with the clock.
    kiosk.onSnapshot(() => feed.changed());
    const feedTick = setInterval(() => feed.changed(), 60_000);
    estate?.start();
    reference?.start();
    kiosk.onSnapshot(() => estate?.nudge());
    restartFeed = async (next) => {
      await feed.stop();
      feed = await startFeed(next);
    };
    // Last of all: nothing after it can fail and leave it listening.
    let bookingEndpoint = await startBookingEndpoint(config);
    restartBookings = async (next, before) => {
      if (JSON.stringify(next.bookings.endpoint) !== JSON.stringify(before.bookings.endpoint)) {
        await bookingEndpoint?.stop();
        bookingEndpoint = await startBookingEndpoint(next);
      }
      const noticesBefore = [before.bookings.notifyWebhook, before.terminalName, before.c2Feed.terminalId];
      if (JSON.stringify([next.bookings.notifyWebhook, next.terminalName, next.c2Feed.terminalId]) !== JSON.stringify(noticesBefore)) {
        // A notice staged while the old one stops is still written, and the new one delivers it.
        await bookingNotices?.stop();
        bookingNotices = await startBookingNotices(next);
      }
    };
    restartTrainingSources = async (next) => {
      await trainingSources.stop();
      trainingSources = startTrainingSources(next.training, trainingImporter, options.log);
    };
    options.log(`${config.terminalName} ready (${options.demo ? 'demo' : 'live'} mode, database ${dbPath}, configuration ${store.location})`);
    return {
      service: kiosk,
      auditChecked: () => kiosk.auditChecked(),
      async close() {
        // First: no booking arrives at a core that is stopping.
        await bookingEndpoint?.stop();
        clearInterval(feedTick);
        await estate?.stop();
        await reference?.stop();
        await estateScope?.close();
        await feed.stop();
        await trainingSources.stop();
        kiosk.stop();
        // After the kiosk: its last changes may still announce themselves.
        await bookingNotices?.stop();
        await kiosk.services.anchor?.whenQueued();
        await checkpointOutbox?.close();
        await manager.stop();
        db.close();
      },
    };
  } catch (error) {
    await devices?.stop();
    await checkpointOutbox?.close();
    await bookingNotices?.stop();
    db.close();
    throw error;
  }
}

function policyOf(config: TerminalConfig): KioskPolicy {
  const p = config.policy;
  return {
    idleTimeoutSeconds: p.idleTimeoutSeconds,
    idleWarningSeconds: p.idleWarningSeconds,
    doneSignOutSeconds: p.doneSignOutSeconds,
    expiryWarningDays: p.expiryWarningDays,
    lockout: { maxFailures: p.lockoutFailures, lockoutMinutes: p.lockoutMinutes },
    doorOpenConfirmMs: p.doorOpenConfirmMs,
    doorLeftOpenSeconds: p.doorLeftOpenSeconds,
    overdueCheckSeconds: p.overdueCheckSeconds,
    trainingExpiryHorizonYears: p.trainingExpiryHorizonYears,
    overridableRefusals: p.overridableRefusals,
    // Only a terminal fed by an estate has reference data that can go stale.
    referenceMaxAgeHours: config.estate === null ? null : p.referenceMaxAgeHours,
    exhibitDwellHours: p.exhibitDwellHours,
    auditCheckpoint: { everyRows: p.auditCheckpointEveryRows, everyMinutes: p.auditCheckpointEveryMinutes },
    bookingExpiringNoticeMinutes: config.bookings.expiringNoticeMinutes,
  };
}

/** The bank's doors as the configuration wires them, in door order (the commissioning walk). */
function doorWiring(config: TerminalConfig): DoorWiring[] {
  return [...config.lockerBank.doors]
    .sort((a, b) => a.number - b.number)
    .map((door) => {
      const bus = config.lockerBank.buses.find((b) => b.id === door.bus);
      if ('board' in door) {
        const board = bus?.protocol === 'kerong' ? bus.boards.find((b) => b.address === door.board) : undefined;
        return { doorNumber: door.number, where: `bus ${door.bus}, board ${door.board}, lock ${door.lock}`, board: `bus ${door.bus}, board ${door.board}`, lockOpenWhenSet: board?.lockOpenWhenBitSet ?? true };
      }
      return { doorNumber: door.number, where: `bus ${door.bus}, relay ${door.relay}, input ${door.input}`, board: `bus ${door.bus}`, lockOpenWhenSet: bus?.protocol === 'modbus' ? bus.inputOpenWhenSet : true };
    });
}

/** A copy of the configuration with one fix from the commissioning walk. */
function rewired(config: TerminalConfig, change: BankRewire): TerminalConfig {
  const next = structuredClone(config);
  const doors = next.lockerBank.doors;
  if (change.kind === 'swap-doors') {
    const a = doors.find((d) => d.number === change.a);
    const b = doors.find((d) => d.number === change.b);
    if (a && b) {
      a.number = change.b;
      b.number = change.a;
    }
    return next;
  }
  const door = doors.find((d) => d.number === change.doorNumber);
  const bus = next.lockerBank.buses.find((b) => b.id === door?.bus);
  if (door && 'board' in door && bus?.protocol === 'kerong') {
    const board = bus.boards.find((b) => b.address === door.board);
    if (board) board.lockOpenWhenBitSet = change.lockOpenWhenSet;
  } else if (bus?.protocol === 'modbus') {
    bus.inputOpenWhenSet = change.lockOpenWhenSet;
  }
  return next;
}

/** Doors the database says hold an item. */
function stockedDoors(db: Db, bankId: number): Set<number> {
  return new Set(
    db
      .prepare<[number], { number: number }>('SELECT d.number FROM doors d JOIN assets a ON a.door_id = d.id WHERE d.bank_id = ?')
      .all(bankId)
      .map((r) => r.number),
  );
}

/** "lockerBank.doors.2.lock: 3 → 4" lines for the audit log, secrets already masked. */
export function describeChanges(before: unknown, after: unknown, path = '', out: string[] = []): string[] {
  if (out.length >= 40) return out;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObject(before) && isObject(after) && Array.isArray(before) === Array.isArray(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      describeChanges(before[key], after[key], path ? `${path}.${key}` : key, out);
    }
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v).slice(0, 80));
    out.push(`${path || '(top)'}: ${show(before)} → ${show(after)}`);
  }
  return out;
}

const SETUP_CODE_FILE = 'setup-code.txt';

/**
 * The setup code goes to the terminal's console and to a file in the data directory that only
 * the kiosk's user (and root) can read: whoever commissions the terminal has a shell on it,
 * and a passer-by at the screen has neither.
 */
function setupCodeFile(dataDir: string, log: (line: string) => void): SetupCodeSink {
  const path = join(dataDir, SETUP_CODE_FILE);
  return {
    whereToFind: `the terminal's console log, or the file ${path} (readable only by the kiosk's user and root)`,
    announce(code) {
      writeFileSync(path, `${code}\n`, { mode: 0o600 });
      // writeFileSync keeps an existing file's mode: set it whatever was there before.
      chmodSync(path, 0o600);
      log(`SETUP: this terminal has no site admin yet. One-time setup code: ${code} (also in ${path}). Enter it on the terminal's screen.`);
    },
  };
}
