import pg from 'pg';

export interface EstateConnectionOptions {
  url: string;
  /** Shown in pg_stat_activity, so an administrator can tell the links apart. */
  applicationName: string;
  /** Longest wait to connect or for any one reply, so a cut network cannot hang a link. */
  timeoutMs: number;
  /** Said in the log when the connection dies between queries ("estate: reference connection lost (…)"). */
  lost: (why: string) => void;
  /** Statements run once connected, before it is handed over (SET ROLE, LISTEN). */
  setUp?: readonly string[];
  /** Called on every NOTIFY the connection listens for. */
  notified?: () => void;
}

/**
 * One connection to the estate database, set up, or a rejection with nothing left open: what
 * every estate link (publisher, reference puller, console scope, estate C2 feed) opens. A
 * connection that dies later reports through `lost`; the next query then fails and the link
 * connects again.
 */
export async function connectEstate(options: EstateConnectionOptions): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.timeoutMs,
    query_timeout: options.timeoutMs,
    keepAlive: true,
    application_name: options.applicationName,
  });
  client.on('error', (error) => options.lost(error.message));
  const notified = options.notified;
  if (notified) client.on('notification', () => notified());
  try {
    await client.connect();
    for (const statement of options.setUp ?? []) await client.query(statement);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}
