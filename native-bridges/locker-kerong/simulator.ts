import type { ByteTransport } from '../transport/byte-transport.ts';
import {
  DEFAULT_KERONG_POLARITY,
  KERONG_LOCKS_PER_BOARD,
  KerongCommand,
  KerongDecoder,
  encodeStatusReply,
} from './codec.ts';
import type { KerongFrame, KerongPolarity } from './codec.ts';

export interface KerongSimulatorFaults {
  /** Split each reply into random 1..n byte writes, as USB-serial adapters deliver them. */
  fragmentWrites?: boolean;
  /** Stay silent on status queries, like a board with a cut cable or no power. */
  dropReplies?: boolean;
  replyDelayMs?: number;
}

export interface KerongSimulatorOptions {
  /** Board addresses 0..15 answering on this bus. */
  boards: number[];
  /** Bit polarity every simulated board reports with. */
  polarity?: KerongPolarity;
  faults?: KerongSimulatorFaults;
  /** Source of randomness for fragmenting; inject for reproducible runs. */
  random?: () => number;
}

export interface SimulatedDoor {
  board: number;
  /** 0..15 for locks 1..16. */
  lockIndex: number;
  open: boolean;
  itemPresent: boolean;
}

/**
 * Plays one or more Kerong boards on the far end of a transport, speaking the same bytes
 * as the hardware, for demo mode and tests. What it does with commands the public sources
 * don't describe (bus query 0x32, pulse 0x37, delayed unlock 0x39) is unknown, so it ignores them.
 * Unlock gets no reply, as the protocol notes say real boards may do.
 */
export class KerongSimulator {
  private readonly transport: ByteTransport;
  private readonly doors = new Map<number, SimulatedDoor[]>();
  private readonly polarity: KerongPolarity;
  private readonly random: () => number;
  private readonly decoder = new KerongDecoder();
  private readonly changeListeners = new Set<(door: SimulatedDoor) => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private faults: KerongSimulatorFaults;
  /** Keeps replies whole and in order even when each is written as several fragments. */
  private writeTail: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(transport: ByteTransport, options: KerongSimulatorOptions) {
    this.transport = transport;
    this.polarity = { ...(options.polarity ?? DEFAULT_KERONG_POLARITY) };
    this.faults = { ...options.faults };
    this.random = options.random ?? Math.random;
    for (const board of options.boards) {
      if (!Number.isInteger(board) || board < 0 || board > 15) {
        throw new RangeError(`Kerong board address must be an integer 0..15, got ${board}`);
      }
      const doors: SimulatedDoor[] = [];
      for (let lockIndex = 0; lockIndex < KERONG_LOCKS_PER_BOARD; lockIndex++) {
        doors.push({ board, lockIndex, open: false, itemPresent: false });
      }
      this.doors.set(board, doors);
    }
    this.unsubscribers.push(transport.onData((chunk) => this.handleData(chunk)));
    this.unsubscribers.push(transport.onClose(() => this.dispose()));
  }

  setFaults(faults: KerongSimulatorFaults): void {
    this.faults = { ...this.faults, ...faults };
  }

  getFaults(): KerongSimulatorFaults {
    return { ...this.faults };
  }

  getDoors(): SimulatedDoor[] {
    return [...this.doors.values()].flatMap((doors) => doors.map((door) => ({ ...door })));
  }

  getDoor(board: number, lockIndex: number): SimulatedDoor {
    return { ...this.door(board, lockIndex) };
  }

  onChange(listener: (door: SimulatedDoor) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The person playing the room pushes a door shut. */
  closeDoor(board: number, lockIndex: number): void {
    this.update(this.door(board, lockIndex), { open: false });
  }

  /** Forced open (a jemmied door), without any unlock from the host. */
  openDoor(board: number, lockIndex: number): void {
    this.update(this.door(board, lockIndex), { open: true });
  }

  setItemPresent(board: number, lockIndex: number, present: boolean): void {
    this.update(this.door(board, lockIndex), { itemPresent: present });
  }

  /** Stops answering; leaves the transport to whoever else uses it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  async close(): Promise<void> {
    this.dispose();
    await this.transport.close();
  }

  private door(board: number, lockIndex: number): SimulatedDoor {
    const door = this.doors.get(board)?.[lockIndex];
    if (door === undefined) throw new RangeError(`no simulated door at board ${board}, lock index ${lockIndex}`);
    return door;
  }

  private update(door: SimulatedDoor, change: Partial<Pick<SimulatedDoor, 'open' | 'itemPresent'>>): void {
    const before = `${door.open}/${door.itemPresent}`;
    Object.assign(door, change);
    if (`${door.open}/${door.itemPresent}` === before) return;
    const snapshot = { ...door };
    for (const listener of [...this.changeListeners]) listener(snapshot);
  }

  private handleData(chunk: Buffer): void {
    // Decode errors (bad checksum, noise) are dropped silently, as a real board would.
    for (const event of this.decoder.push(chunk)) {
      if (event.type === 'frame') this.handleFrame(event.frame);
    }
  }

  private handleFrame(frame: KerongFrame): void {
    const board = frame.addr >> 4;
    const doors = this.doors.get(board);
    if (doors === undefined) return;
    switch (frame.cmd) {
      case KerongCommand.status:
        if (!this.faults.dropReplies) this.scheduleReply(board);
        break;
      case KerongCommand.unlock: {
        const door = doors[frame.addr & 0x0f];
        if (door !== undefined) this.update(door, { open: true });
        break;
      }
      case KerongCommand.unlockAll:
        for (const door of doors) this.update(door, { open: true });
        break;
      default:
        break;
    }
  }

  private scheduleReply(board: number): void {
    const delayMs = this.faults.replyDelayMs ?? 0;
    // State is sampled when the reply goes out, like a board reading its inputs on demand.
    if (delayMs <= 0) {
      this.sendReply(board);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.sendReply(board);
    }, delayMs);
    this.timers.add(timer);
  }

  private sendReply(board: number): void {
    if (this.disposed) return;
    const doors = this.doors.get(board) ?? [];
    const lockBits = doors.map((d) => d.open === this.polarity.lockOpenWhenBitSet);
    const irBits = doors.map((d) => d.itemPresent === this.polarity.itemPresentWhenBitSet);
    const reply = encodeStatusReply(board, lockBits, irBits);
    const pieces = this.faults.fragmentWrites ? this.fragment(reply) : [reply];
    this.writeTail = this.writeTail.then(async () => {
      for (const piece of pieces) {
        if (this.disposed || !this.transport.isOpen) return;
        // A board whose cable is cut just goes unheard; there's nobody to tell.
        await this.transport.write(piece).catch(() => undefined);
      }
    });
  }

  private fragment(bytes: Buffer): Buffer[] {
    const pieces: Buffer[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      const remaining = bytes.length - offset;
      const size = 1 + Math.min(remaining - 1, Math.floor(this.random() * remaining));
      pieces.push(bytes.subarray(offset, offset + size));
      offset += size;
    }
    return pieces;
  }
}
