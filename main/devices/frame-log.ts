/** One frame as the admin screen's hex log shows it. */
export interface FrameLogEntry {
  seq: number;
  at: string; // ISO
  device: string;
  direction: 'tx' | 'rx' | 'event';
  hex: string;
  note: string | null;
}

/**
 * The last frames every device sent and received, kept in memory for diagnosis on the
 * hardware screen. Bounded: old frames fall off, so a chatty bus cannot fill memory.
 */
export class FrameLog {
  private readonly entries: FrameLogEntry[] = [];
  private seq = 0;

  constructor(private readonly capacity = 500) {}

  add(device: string, direction: FrameLogEntry['direction'], bytes: Uint8Array | null, note: string | null = null): void {
    const hex = bytes ? Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ') : '';
    this.entries.push({ seq: ++this.seq, at: new Date().toISOString(), device, direction, hex, note });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Entries after `since` (a seq), oldest first, at most `limit`. */
  since(since: number, limit = 200): FrameLogEntry[] {
    return this.entries.filter((e) => e.seq > since).slice(-limit);
  }
}
