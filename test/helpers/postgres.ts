import { rmSync } from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import { initCluster, postgresBinDir, stopCluster, type Cluster } from '../../estate/cluster.ts';
import { migrateEstate } from '../../estate/migrate.ts';
import { tempDir } from './temp-db.ts';

/** Why estate tests cannot run here, or null: only a missing PostgreSQL skips them. */
export const POSTGRES_MISSING: string | null =
  postgresBinDir() === null ? 'PostgreSQL 15+ is not installed (apt-get install postgresql; .ci/run installs it): the estate tests need a real server' : null;

export interface TestEstate {
  cluster: Cluster;
  /** A connected administrator's client (closed by stop()). */
  admin: pg.Client;
  /** A connection string for a terminal's role on the estate's TCP port. */
  urlFor(role: string, password: string, port?: number): string;
  stop(): Promise<void>;
}

/** A port nothing listens on now, for a cluster of the test's own. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A real PostgreSQL for one test file: a fresh cluster in a temp dir, migrated, stopped and removed after. */
export async function startTestEstate(): Promise<TestEstate> {
  const { dir } = tempDir('armoury-estate-');
  const cluster = initCluster({ dir, port: await freePort() });
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await migrateEstate(admin);
  return {
    cluster,
    admin,
    urlFor: (role, password, port = cluster.port) => `postgresql://${encodeURIComponent(role)}:${encodeURIComponent(password)}@127.0.0.1:${port}/armoury_estate`,
    stop: async () => {
      await admin.end().catch(() => undefined);
      stopCluster(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
