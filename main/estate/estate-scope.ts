import type pg from 'pg';
import { connectEstate } from './estate-connection.ts';
import { EstateMobilisation } from '../../estate/mobilisation.ts';
import type { EstateScopeView } from '../../preload/contract.ts';
import type { EstateScopePort } from '../core/ports.ts';

export interface EstateScopeOptions {
  /** The terminal's own estate connection string (its role may read the mobilisation views, nothing more). */
  url: string;
  now: () => Date;
  log: (line: string) => void;
  /** How long the console waits for the estate; default 5 s. */
  timeoutMs?: number;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The console's estate scope: the estate's mobilisation (estate/mobilisation.ts) read over this
 * terminal's own estate credentials, on a connection of its own, opened at the first look and
 * kept. The picture's reference data stays in memory between looks, so a look after the first
 * reads only what changed. A look that fails says so and drops the connection; the next one
 * connects again.
 */
export class EstateScope implements EstateScopePort {
  private client: pg.Client | null = null;
  private readonly mobilisation = new EstateMobilisation();
  /** Looks one at a time on the one connection: a second tap waits for the first. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EstateScopeOptions) {}

  picture(): Promise<EstateScopeView> {
    const look = this.queue.then(() => this.look());
    this.queue = look;
    return look;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  private async look(): Promise<EstateScopeView> {
    try {
      const client = await this.connected();
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return { state: 'connected', picture: await this.mobilisation.picture(client, this.options.now()) };
      } finally {
        await client.query('COMMIT').catch(() => undefined);
      }
    } catch (error) {
      const why = message(error);
      this.options.log(`estate: the console's estate picture could not be read (${why})`);
      await this.client?.end().catch(() => undefined);
      this.client = null;
      return { state: 'unavailable', message: `The estate database did not answer (${why}). This terminal's own picture is still under "This terminal"; try again in a moment.` };
    }
  }

  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    this.client = await connectEstate({
      url: this.options.url,
      applicationName: 'armoury-terminal-console',
      timeoutMs: this.options.timeoutMs ?? 5000,
      lost: (why) => this.options.log(`estate: the console's estate connection was lost (${why})`),
    });
    return this.client;
  }
}
