import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedCardReader } from '../native-bridges/card-reader/simulated-card-reader.ts';
import { KerongDriver } from '../native-bridges/locker-kerong/driver.ts';
import { KerongSimulator } from '../native-bridges/locker-kerong/simulator.ts';
import { SimulatedScanner } from '../native-bridges/scanner/simulated-scanner.ts';
import type { ByteTransport } from '../native-bridges/transport/byte-transport.ts';
import { createMemoryPair } from '../native-bridges/transport/memory-transport.ts';
import { openSerialTransport } from '../native-bridges/transport/serial-transport.ts';
import { loadTerminalConfig, type TerminalConfig } from './config/terminal-config.ts';
import { openDatabase, type Db } from './core/db/database.ts';
import { demoCards, ensureLockerBank, parseDemoSite, seedDemoSite } from './core/demo-seed.ts';
import { Kiosk } from './core/kiosk.ts';
import type { KioskService } from './core/kiosk-service.ts';
import { systemClock } from './core/ports.ts';
import { cardReaderPort, scannerPort } from './devices/input-devices.ts';
import { KerongLockerBank } from './devices/kerong-locker-bank.ts';
import { SimulatedRoom } from './devices/simulated-room.ts';

export interface KioskOptions {
  dataDir: string;
  resourcesDir: string;
  demo: boolean;
  configPath?: string;
  log: (line: string) => void;
}

export interface RunningKiosk {
  service: KioskService;
  close(): Promise<void>;
}

/**
 * The composition root: the one place that picks implementations (real or simulated
 * devices, file paths, policies) and wires them to the core. Both shells call this.
 */
export async function startKiosk(options: KioskOptions): Promise<RunningKiosk> {
  const config = loadTerminalConfig(options.configPath ?? join(options.resourcesDir, 'default-terminal-config.json'));
  mkdirSync(options.dataDir, { recursive: true });
  const dbPath = join(options.dataDir, 'armoury.db');
  const isNew = !existsSync(dbPath);
  const db = openDatabase(dbPath);
  try {
    const site = options.demo ? parseDemoSite(JSON.parse(readFileSync(join(options.resourcesDir, 'demo-site.json'), 'utf8'))) : null;
    if (site && isNew) {
      options.log(`seeding the demo site into ${dbPath}`);
      await seedDemoSite(db, site, systemClock.now());
    }
    const bank = config.lockerBank;
    const bankId = ensureLockerBank(db, bank.name, bank.doors.map((d) => d.number), systemClock.now());

    const cardBridge = new SimulatedCardReader();
    const scanBridge = new SimulatedScanner();
    const { transport, simulator } = await lockerTransport(config, db, bankId);
    const driver = new KerongDriver(transport, {
      boards: bank.boards.map((b) => ({ address: b.address, polarity: { lockOpenWhenBitSet: b.lockOpenWhenBitSet, itemPresentWhenBitSet: b.itemPresentWhenBitSet } })),
      pollIntervalMs: bank.pollIntervalMs,
    });
    const lockers = new KerongLockerBank(driver, bank.doors, 'locker-bank', `${bank.name} (${bank.doors.length} doors)`);
    const kiosk = new Kiosk({
      db,
      clock: systemClock,
      policy: {
        idleTimeoutSeconds: config.policy.idleTimeoutSeconds,
        idleWarningSeconds: config.policy.idleWarningSeconds,
        expiryWarningDays: config.policy.expiryWarningDays,
        lockout: { maxFailures: config.policy.lockoutFailures, lockoutMinutes: config.policy.lockoutMinutes },
        doorOpenConfirmMs: config.policy.doorOpenConfirmMs,
      },
      terminalName: config.terminalName,
      bankId,
      lockers,
      cardReader: cardReaderPort(cardBridge, options.demo ? 'Card reader (simulated)' : 'Card reader'),
      scanner: scannerPort(scanBridge, options.demo ? 'Tag scanner (simulated)' : 'Tag scanner'),
      demo: site && simulator ? { room: new SimulatedRoom(simulator, bank.doors, cardBridge, scanBridge), cards: demoCards(site) } : null,
      log: options.log,
    });
    await kiosk.start();
    driver.startPolling();
    options.log(`${config.terminalName} ready (${options.demo ? 'demo' : 'live'} mode, database ${dbPath})`);
    return {
      service: kiosk,
      async close() {
        kiosk.stop();
        driver.stopPolling();
        await driver.close();
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * The locker bus: a real serial port, or in demo mode an in-memory line to simulated
 * boards whose item sensors start out matching what the database says is in each door.
 */
async function lockerTransport(config: TerminalConfig, db: Db, bankId: number): Promise<{ transport: ByteTransport; simulator: KerongSimulator | null }> {
  const bank = config.lockerBank;
  if (bank.link.kind === 'serial') return { transport: await openSerialTransport(bank.link.path, bank.link.baudRate), simulator: null };
  const [kioskEnd, boardEnd] = createMemoryPair('locker-bus', 'simulated-boards');
  const first = bank.boards[0];
  const simulator = new KerongSimulator(boardEnd, {
    boards: bank.boards.map((b) => b.address),
    polarity: { lockOpenWhenBitSet: first?.lockOpenWhenBitSet ?? true, itemPresentWhenBitSet: first?.itemPresentWhenBitSet ?? true },
  });
  const stocked = new Set(
    db
      .prepare<[number], { number: number }>('SELECT d.number FROM doors d JOIN assets a ON a.door_id = d.id WHERE d.bank_id = ?')
      .all(bankId)
      .map((r) => r.number),
  );
  for (const door of bank.doors) if (stocked.has(door.number)) simulator.setItemPresent(door.board, door.lock - 1, true);
  return { transport: kioskEnd, simulator };
}
