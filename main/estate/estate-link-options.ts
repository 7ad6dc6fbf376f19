import type { Db } from '../core/db/database.ts';
import type { Scheduler } from '../core/ports.ts';

/** What both of a terminal's estate links take: its connection, its database, time, and how to retry. */
export interface EstateLinkOptions {
  /** The terminal's connection string, with its own role and password. */
  url: string;
  db: Db;
  scheduler: Scheduler;
  now: () => Date;
  log: (line: string) => void;
  /** First wait after a failure, doubling to maxRetryMs; defaults 500 ms and 30 s. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Longest wait to connect or for any one reply, so a cut network cannot hang the link; default 10 s. */
  timeoutMs?: number;
  /** Told when the link's state changes (the status bar shows it). */
  changed?: () => void;
}
