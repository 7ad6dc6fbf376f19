import type { DeviceHealthView, FrameLogEntryView } from '../../preload/contract.ts';
import { SimulatedCardReader } from '../../native-bridges/card-reader/simulated-card-reader.ts';
import { Listeners } from '../../native-bridges/device-health.ts';
import { PcscCardReader } from '../../native-bridges/card-reader/pcsc-reader.ts';
import { Rdm6300Reader } from '../../native-bridges/card-reader/rdm6300-reader.ts';
import { KerongSimulator } from '../../native-bridges/locker-kerong/simulator.ts';
import { ModbusRelaySimulator } from '../../native-bridges/locker-modbus/simulator.ts';
import { SerialScanner } from '../../native-bridges/scanner/serial-scanner.ts';
import { SimulatedScanner } from '../../native-bridges/scanner/simulated-scanner.ts';
import type { ByteTransport } from '../../native-bridges/transport/byte-transport.ts';
import { createMemoryPair } from '../../native-bridges/transport/memory-transport.ts';
import { openSerialTransport } from '../../native-bridges/transport/serial-transport.ts';
import type { CardReaderConfig, LockerBus as BusConfig, ScannerConfig, TerminalConfig } from '../config/terminal-config.ts';
import type { DeviceHealthSourceList } from '../core/kiosk-deps.ts';
import type { CardReaderPort, DemoRoom, DoorSensors, LockerBankPort, ScannerPort, VideoPort } from '../core/ports.ts';
import { FrameLog } from './frame-log.ts';
import { KerongBus } from './kerong-bus.ts';
import { LockerBank } from './locker-bank.ts';
import type { LockerBus } from './locker-bus.ts';
import { directSource, evdevSource, serialSource, type InputSource } from './input-sources.ts';
import { ModbusBus } from './modbus-bus.ts';
import { SimulatedRoom, type SimulatedDoorControl } from './simulated-room.ts';
import { SupervisedLink } from './supervised-link.ts';
import type { SqliteOutboxStore } from './sqlite-outbox-store.ts';
import { VideoService } from './video-service.ts';

export interface DeviceManagerOptions {
  log: (line: string) => void;
  /** Doors the database says hold an item, so simulated boards start out truthful. */
  stockedDoors: () => ReadonlySet<number>;
  /** A fresh handle on the video outbox in the terminal's database, one per generation of devices. */
  videoOutbox: () => SqliteOutboxStore;
  /** Where an earlier release kept the video outbox as a file (moved into the database once). */
  legacyOutboxDir: string;
}

const RECONFIGURING = 'the hardware is being reconfigured';


/** One generation of devices, built from one configuration; replaced whole when it changes. */
interface Rig {
  config: TerminalConfig;
  buses: LockerBus[];
  bank: LockerBank;
  cardReaders: InputSource[];
  scanners: InputSource[];
  video: VideoService;
  room: SimulatedRoom | null;
  /** Scans the renderer reports, when a keyboard-fallback scanner is configured. */
  keyboardFallback: Listeners<string> | null;
  simulators: { close(): Promise<void> | void }[];
  unsubscribe: (() => void)[];
}

/**
 * Builds every device from the terminal configuration and hands the core stable ports
 * (lockers, card reader, scanner, video, health) whose insides are swapped when the
 * configuration changes, so the core keeps its subscriptions across a re-configuration.
 */
export class DeviceManager {
  readonly frames = new FrameLog();
  private rig: Rig | null = null;
  private readonly doorReadings = new Listeners<DoorSensors[]>();
  private readonly cards = new Listeners<string>();
  private readonly scans = new Listeners<string>();
  private readonly healthChanges = new Listeners<void>();
  private readonly videoFailures = new Listeners<{ trigger: string; message: string }>();
  private readonly roomChanges = new Listeners<void>();

  constructor(private readonly options: DeviceManagerOptions) {}

  /** The configuration in force (or being applied). */
  get config(): TerminalConfig {
    if (!this.configInForce) throw new Error('devices are not started');
    return this.configInForce;
  }
  private configInForce: TerminalConfig | null = null;

  async start(config: TerminalConfig): Promise<void> {
    this.configInForce = config;
    this.rig = await this.build(config);
  }

  /** Replace every device with those of a new configuration. */
  async apply(config: TerminalConfig): Promise<void> {
    this.configInForce = config;
    await this.teardown();
    this.rig = await this.build(config);
    this.healthChanges.emit();
    this.roomChanges.emit();
  }

  async stop(): Promise<void> {
    await this.teardown();
  }

  // --- the stable ports the core holds -------------------------------------

  // While devices are being rebuilt (between teardown and start) the ports answer
  // "reconfiguring" instead of throwing, so a poll or a push in that gap is harmless.
  readonly lockers: LockerBankPort = {
    unlock: (doorNumber) => (this.rig ? this.rig.bank.unlock(doorNumber) : Promise.reject(new Error(RECONFIGURING))),
    readDoors: () => (this.rig ? this.rig.bank.readDoors() : Promise.reject(new Error(RECONFIGURING))),
    onDoors: (listener) => this.doorReadings.add(listener),
    health: () => {
      const name = this.configInForce ? bankName(this.configInForce) : 'Lockers';
      return { ...(this.rig?.bank.health() ?? { id: 'locker-bank', label: 'Locker bank', state: 'connecting', lastError: RECONFIGURING }), name };
    },
    onHealth: (listener) => this.healthChanges.add(() => listener(this.lockers.health())),
  };

  readonly cardReader: CardReaderPort = {
    onCard: (listener) => this.cards.add(listener),
    health: () => this.combined('card-reader', 'Card readers', this.rig?.cardReaders ?? []),
    onHealth: (listener) => this.healthChanges.add(() => listener(this.cardReader.health())),
  };

  readonly scanner: ScannerPort = {
    onScan: (listener) => this.scans.add(listener),
    keyboardFallback: () => this.rig?.keyboardFallback !== null && this.rig?.keyboardFallback !== undefined,
    keyboardScan: (code) => {
      const fallback = this.rig?.keyboardFallback;
      if (!fallback) return false;
      fallback.emit(code);
      return true;
    },
    health: () => this.combined('scanner', 'Scanners', this.rig?.scanners ?? []),
    onHealth: (listener) => this.healthChanges.add(() => listener(this.scanner.health())),
  };

  readonly video: VideoPort = {
    required: () => this.configInForce?.video.policy === 'required',
    readiness: () => this.rig?.video.readiness() ?? { ready: false, message: RECONFIGURING },
    stage: (event, at) => {
      if (!this.rig) throw new Error(RECONFIGURING);
      this.rig.video.stage(event, at);
    },
    onFailure: (listener) => this.videoFailures.add(listener),
  };

  readonly devices: DeviceHealthSourceList = {
    list: () => this.list(),
    onChange: (listener) => this.healthChanges.add(listener),
  };

  /** The simulated room (demo mode); null when no device is simulated. */
  readonly room: DemoRoom = {
    tapCard: (uid) => this.simulatedRoom().tapCard(uid),
    scanTag: (tag) => this.simulatedRoom().scanTag(tag),
    door: (doorNumber, action) => this.simulatedRoom().door(doorNumber, action),
    doors: () => this.rig?.room?.doors() ?? [],
    onChange: (listener) => this.roomChanges.add(listener),
  };

  hasSimulatedRoom(): boolean {
    return (this.rig?.room ?? null) !== null;
  }

  buses(): { id: string; protocol: string; doorNumbers: number[] }[] {
    const rig = this.current();
    return rig.buses.map((bus) => ({ id: bus.id, protocol: rig.config.lockerBank.buses.find((b) => b.id === bus.id)?.protocol ?? '?', doorNumbers: [...bus.doorNumbers] }));
  }

  busStatus(busId: string): Promise<string> {
    const bus = this.current().buses.find((b) => b.id === busId);
    return bus ? bus.describeStatus() : Promise.reject(new Error(`There is no locker bus "${busId}".`));
  }

  testTrigger(triggerId: string): Promise<string> {
    return this.current().video.test(triggerId);
  }

  framesSince(since: number): FrameLogEntryView[] {
    return this.frames.since(since);
  }

  /** Every device on its own, for the status bar and the hardware screen. */
  list(): DeviceHealthView[] {
    const rig = this.rig;
    if (!rig) return [];
    const views: DeviceHealthView[] = rig.buses.map((bus) => {
      const config = rig.config.lockerBank.buses.find((b) => b.id === bus.id);
      const numbers = bus.doorNumbers;
      const span = numbers.length === 0 ? 'no doors' : `doors ${Math.min(...numbers)}–${Math.max(...numbers)}`;
      const name = config?.displayName ?? (rig.buses.length === 1 ? bankName(rig.config) : `${bankName(rig.config)}, ${span}`);
      return { id: `bus:${bus.id}`, label: `Locker bus ${bus.id} (${config?.protocol ?? '?'}, ${span})`, name, ...bus.health() };
    });
    const named = new Map<string, string>();
    for (const c of rig.config.cardReaders) named.set(`card:${c.id}`, c.displayName ?? 'Card reader');
    for (const c of rig.config.scanners) named.set(`scanner:${c.id}`, c.displayName ?? 'Tag scanner');
    for (const c of rig.config.video.triggers) named.set(`video:${c.id}`, c.displayName ?? 'Video recording');
    for (const source of [...rig.cardReaders, ...rig.scanners]) views.push({ id: source.id, label: source.label, name: named.get(source.id) ?? 'Device', ...source.health() });
    views.push(...rig.video.healthViews().map((v) => ({ ...v, name: named.get(v.id) ?? 'Video recording' })));
    return views;
  }

  // --- building -------------------------------------------------------------

  private current(): Rig {
    if (!this.rig) throw new Error('devices are not started');
    return this.rig;
  }

  private simulatedRoom(): SimulatedRoom {
    const room = this.current().room;
    if (!room) throw new Error('no device in this room is simulated');
    return room;
  }

  private combined(id: string, label: string, sources: readonly InputSource[]): DeviceHealthView {
    const states = sources.map((s) => s.health());
    const worst = states.find((h) => h.state === 'offline') ?? states.find((h) => h.state !== 'online') ?? { state: 'online' as const, lastError: null };
    return { id, label, state: sources.length === 0 ? 'offline' : worst.state, lastError: sources.length === 0 ? 'none configured' : worst.lastError };
  }

  private async build(config: TerminalConfig): Promise<Rig> {
    const { log } = this.options;
    const unsubscribe: (() => void)[] = [];
    const simulators: Rig['simulators'] = [];
    const doorControls = new Map<number, SimulatedDoorControl>();
    const stocked = this.options.stockedDoors();

    const buses = config.lockerBank.buses.map((busConfig) => this.buildBus(config, busConfig, stocked, doorControls, simulators));
    const bank = new LockerBank(buses, `${config.lockerBank.name} (${config.lockerBank.doors.length} doors)`);
    unsubscribe.push(bank.onDoors((doors) => this.doorReadings.emit(doors)), bank.onHealth(() => this.healthChanges.emit()));

    let simulatedCards: SimulatedCardReader | null = null;
    let simulatedScanner: SimulatedScanner | null = null;
    let keyboardFallback: Listeners<string> | null = null;
    const cardReaders = config.cardReaders.map((c) => {
      const source = this.buildCardReader(c);
      if (source.simulated) simulatedCards = source.simulated;
      return source.source;
    });
    const scanners = config.scanners.map((c) => {
      if (c.kind === 'keyboard-fallback') {
        const scans = new Listeners<string>();
        keyboardFallback = scans;
        const healthy = { health: () => ({ state: 'online' as const, lastError: null }), onHealth: () => () => {} };
        return directSource(`scanner:${c.id}`, `Tag scanner ${c.id} (keyboard mode, read by timing on screen)`, healthy, (l) => scans.add(l));
      }
      const source = this.buildScanner(c);
      if (source.simulated) simulatedScanner = source.simulated;
      return source.source;
    });
    for (const source of cardReaders) {
      unsubscribe.push(
        source.subscribe((uid) => {
          this.frames.add(source.id, 'event', null, `card ${uid}`);
          this.cards.emit(uid);
        }),
        source.onHealth(() => this.healthChanges.emit()),
      );
    }
    for (const source of scanners) {
      unsubscribe.push(
        source.subscribe((code) => {
          this.frames.add(source.id, 'event', null, `scan ${code}`);
          this.scans.emit(code);
        }),
        source.onHealth(() => this.healthChanges.emit()),
      );
    }

    const video = await VideoService.start(config, { log, store: this.options.videoOutbox(), legacyOutboxDir: this.options.legacyOutboxDir, frames: this.frames });
    unsubscribe.push(video.onFailure((failure) => this.videoFailures.emit(failure)), video.onHealth(() => this.healthChanges.emit()));

    const anySimulated = doorControls.size > 0 || simulatedCards !== null || simulatedScanner !== null;
    const room = anySimulated ? new SimulatedRoom(doorControls, simulatedCards, simulatedScanner) : null;
    if (room) unsubscribe.push(room.onChange(() => this.roomChanges.emit()));

    for (const bus of buses) bus.start();
    for (const source of [...cardReaders, ...scanners]) source.start();
    return { config, buses, bank, cardReaders, scanners, video, room, keyboardFallback, simulators, unsubscribe };
  }

  private buildBus(
    config: TerminalConfig,
    busConfig: BusConfig,
    stocked: ReadonlySet<number>,
    doorControls: Map<number, SimulatedDoorControl>,
    simulators: Rig['simulators'],
  ): LockerBus {
    const doors = config.lockerBank.doors.filter((d) => d.bus === busConfig.id);
    const { log } = this.options;
    const link = (open: () => Promise<ByteTransport>) => new SupervisedLink(`locker bus ${busConfig.id}`, open, log);
    if (busConfig.protocol === 'modbus') {
      const modbusDoors = doors.filter((d): d is Extract<typeof d, { relay: number }> => 'relay' in d);
      if (busConfig.link.kind === 'serial') return new ModbusBus(busConfig, modbusDoors, link(serialOpener(busConfig.link)), this.frames);
      // Demo: a simulated relay/IO board; a pulsed relay springs its door open until closed.
      const { kioskEnd, farEnd } = simulatedLine(busConfig.id);
      const relays = Math.max(8, ...modbusDoors.map((d) => Math.max(d.relay, d.input)));
      const simulator = new ModbusRelaySimulator(farEnd, { slave: busConfig.slave, relays, inputs: relays });
      simulators.push(simulator);
      for (const door of modbusDoors) {
        const input = door.input - 1;
        const read = () => (simulator.getState().inputs[input] ?? false) === busConfig.inputOpenWhenSet;
        doorControls.set(door.number, {
          read: () => ({ open: read(), itemPresent: null }),
          close: () => simulator.setInput(input, !busConfig.inputOpenWhenSet),
          forceOpen: () => simulator.setInput(input, busConfig.inputOpenWhenSet),
          setItemPresent: () => {
            throw new Error(`door ${door.number} has no item sensor`);
          },
          onChange: (listener) => simulator.onChange((change) => {
            if (change.kind === 'input' && change.index === input) listener();
          }),
        });
      }
      return new ModbusBus(busConfig, modbusDoors, link(onceOpener(kioskEnd)), this.frames);
    }
    {
      const kerongDoors = doors.filter((d): d is Extract<typeof d, { board: number }> => 'board' in d);
      let open: () => Promise<ByteTransport>;
      if (busConfig.link.kind === 'serial') {
        open = serialOpener(busConfig.link);
      } else {
        // Demo: the boards are simulated in-process, on the far end of an in-memory line.
        const { kioskEnd, farEnd: boardEnd } = simulatedLine(busConfig.id);
        const first = busConfig.boards[0];
        const simulator = new KerongSimulator(boardEnd, {
          boards: busConfig.boards.map((b) => b.address),
          polarity: { lockOpenWhenBitSet: first?.lockOpenWhenBitSet ?? true, itemPresentWhenBitSet: first?.itemPresentWhenBitSet ?? true },
        });
        simulators.push(simulator);
        for (const door of kerongDoors) {
          const lockIndex = door.lock - 1;
          if (stocked.has(door.number)) simulator.setItemPresent(door.board, lockIndex, true);
          doorControls.set(door.number, {
            read: () => {
              const d = simulator.getDoor(door.board, lockIndex);
              return { open: d.open, itemPresent: d.itemPresent };
            },
            close: () => simulator.closeDoor(door.board, lockIndex),
            forceOpen: () => simulator.openDoor(door.board, lockIndex),
            setItemPresent: (present) => simulator.setItemPresent(door.board, lockIndex, present),
            onChange: (listener) => simulator.onChange((changed) => {
              if (changed.board === door.board && changed.lockIndex === lockIndex) listener();
            }),
          });
        }
        open = onceOpener(kioskEnd);
      }
      return new KerongBus(busConfig, kerongDoors, link(open), this.frames);
    }
  }

  private buildCardReader(config: CardReaderConfig): { source: InputSource; simulated: SimulatedCardReader | null } {
    const id = `card:${config.id}`;
    const { log } = this.options;
    switch (config.kind) {
      case 'simulator': {
        const reader = new SimulatedCardReader();
        return { source: directSource(id, `Card reader ${config.id} (simulated)`, reader, (l) => reader.onCard(l)), simulated: reader };
      }
      case 'pcsc': {
        const reader = new PcscCardReader({ readerName: config.readerName });
        return { source: directSource(id, `Card reader ${config.id} (PC/SC${config.readerName ? `: ${config.readerName}` : ''})`, reader, (l) => reader.onCard(l)), simulated: null };
      }
      case 'rdm6300': {
        if (config.link.kind === 'simulator') throw new Error(`card reader "${config.id}": run the RDM6300 simulator with npm run sim and give its port`);
        const source = serialSource({
          id,
          label: `Card reader ${config.id} (125 kHz, ${config.link.path})`,
          link: new SupervisedLink(`card reader ${config.id}`, serialOpener(config.link), log),
          frames: this.frames,
          make: (t) => new Rdm6300Reader(t),
          events: (reader, emit) => reader.onCard(emit),
          log: (reader, frames) => reader.onFrame((e) => frames.add(id, 'rx', Buffer.from(e.hex.replace(/\s+/g, ''), 'hex'), e.kind === 'frame' ? null : e.kind)),
        });
        return { source, simulated: null };
      }
      case 'keyboard-wedge':
        return { source: evdevSource(id, `Card reader ${config.id} (keyboard, ${config.device})`, config.device, log), simulated: null };
    }
  }

  private buildScanner(config: Exclude<ScannerConfig, { kind: 'keyboard-fallback' }>): { source: InputSource; simulated: SimulatedScanner | null } {
    const id = `scanner:${config.id}`;
    switch (config.kind) {
      case 'simulator': {
        const scanner = new SimulatedScanner();
        return { source: directSource(id, `Tag scanner ${config.id} (simulated)`, scanner, (l) => scanner.onScan(l)), simulated: scanner };
      }
      case 'serial': {
        if (config.link.kind === 'simulator') throw new Error(`scanner "${config.id}": run the scanner simulator with npm run sim and give its port`);
        const source = serialSource({
          id,
          label: `Tag scanner ${config.id} (serial, ${config.link.path})`,
          link: new SupervisedLink(`scanner ${config.id}`, serialOpener(config.link), this.options.log),
          frames: this.frames,
          make: (t) => new SerialScanner(t),
          events: (scanner, emit) => scanner.onScan(emit),
          log: (scanner, frames) => scanner.onFrame((e) => frames.add(id, e.direction, e.bytes, e.note ?? null)),
        });
        return { source, simulated: null };
      }
      case 'hid':
        return { source: evdevSource(id, `Tag scanner ${config.id} (keyboard mode, ${config.device})`, config.device, this.options.log), simulated: null };
    }
  }

  private async teardown(): Promise<void> {
    const rig = this.rig;
    if (!rig) return;
    this.rig = null;
    for (const off of rig.unsubscribe) off();
    await Promise.all([...rig.buses.map((b) => b.stop()), ...rig.cardReaders.map((c) => c.stop()), ...rig.scanners.map((s) => s.stop()), rig.video.stop()]);
    for (const simulator of rig.simulators) await simulator.close();
  }
}

/** What officers call the lockers: the site admin's name for them, or plain "Lockers". */
function bankName(config: TerminalConfig): string {
  return config.lockerBank.displayName ?? 'Lockers';
}

function serialOpener(link: { path: string; baudRate: number }): () => Promise<ByteTransport> {
  return () => openSerialTransport(link.path, link.baudRate);
}

/** An in-memory line to an in-process simulator (demo mode). */
function simulatedLine(name: string): { kioskEnd: ByteTransport; farEnd: ByteTransport } {
  const [kioskEnd, farEnd] = createMemoryPair(name, `${name}-simulated`);
  return { kioskEnd, farEnd };
}

/** A simulated line opens once: if it ever closes, the simulator is gone with it. */
function onceOpener(transport: ByteTransport): () => Promise<ByteTransport> {
  let opened = false;
  return async () => {
    if (opened) throw new Error('the simulated line was closed');
    opened = true;
    return transport;
  };
}
