/**
 * `npm run estate -- <command>`: a local estate database for development and demos, and the
 * administrator's commands against any estate database.
 *
 *   init [--dir D] [--port P]        create a cluster in D (default ./estate-data), migrate it, leave it running
 *   start | stop | status [--dir D]  the local cluster's server
 *   migrate [--url U]                apply the estate's migrations
 *   add-site ID NAME [--reference-site N] [--url U]
 *                                    a site; N is its row in the reference data's sites (officers' home site)
 *   add-terminal ID SITE [--url U]   a terminal with a login role of its own; prints its password once
 *   put-reference TABLE FILE [--url U]     rows for a terminal reference table (a JSON array, the
 *                                          terminal's columns); every terminal applies them
 *   delete-reference TABLE FILE [--url U]  rows by key (a JSON array of key objects)
 *   import-personnel FILE [--url U]  HR's personnel file (CSV or JSON, as a terminal's people screen takes)
 *   import-training FILE [--url U]   the training system's export (CSV or JSON, as a terminal's import takes);
 *                                    both checked by the terminal's own import code, then sent to every terminal
 *   serve [--port P] [--url U] [--name NAME] [--c2-url URL --c2-secret-file FILE] [--estate-id ID]
 *                                    the control room's read-only page on 127.0.0.1 (prints a one-use
 *                                    sign-in link); with --c2-url, also the estate's C2 feed to that webhook
 *
 * --url is the administrator's connection string (a managed PostgreSQL: see docs/estate.md);
 * without it the local cluster in --dir is used.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { importIntoEstate } from '../main/estate/estate-import.ts';
import { systemScheduler } from '../main/system-time.ts';
import { addSite, addTerminal } from './admin.ts';
import { EstateC2Feed } from './c2-feed.ts';
import { clusterRunning, initCluster, readCluster, startCluster, stopCluster } from './cluster.ts';
import { migrateEstate } from './migrate.ts';
import { startEstateService } from './service.ts';

const DEFAULT_PORT = 5544;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { dir: { type: 'string', default: 'estate-data' }, port: { type: 'string' }, url: { type: 'string' }, 'reference-site': { type: 'string' }, name: { type: 'string' }, 'c2-url': { type: 'string' }, 'c2-secret-file': { type: 'string' }, 'estate-id': { type: 'string' } },
});
const [command, ...rest] = positionals;
const dir = resolve(values.dir);

function adminUrl(): string {
  if (values.url !== undefined) return values.url;
  const cluster = readCluster(dir);
  if (cluster === null) throw new Error(`no estate cluster in ${dir}: run \`npm run estate -- init\`, or pass --url`);
  return cluster.adminUrl;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function need(index: number, what: string): string {
  const value = rest[index];
  if (value === undefined || value === '') throw new Error(`${command} needs ${what}`);
  return value;
}

async function main(): Promise<void> {
  switch (command) {
    case 'init': {
      const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
      if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new Error(`--port must be a number from 1024 to 65535, not ${values.port}`);
      const cluster = initCluster({ dir, port });
      const applied = await withAdmin((client) => migrateEstate(client));
      console.log(`estate database ready in ${dir}, listening on 127.0.0.1:${port} (migrations ${applied.join(', ')})`);
      console.log(`administrator: ${cluster.adminUrl}`);
      console.log('next: npm run estate -- add-site ID NAME, then add-terminal ID SITE');
      return;
    }
    case 'start':
      startCluster(dir);
      console.log(`estate database running from ${dir}`);
      return;
    case 'stop':
      stopCluster(dir);
      console.log('estate database stopped');
      return;
    case 'status': {
      const cluster = readCluster(dir);
      console.log(cluster === null ? `no estate cluster in ${dir}` : `${dir}: ${clusterRunning(dir) ? `running on 127.0.0.1:${cluster.port}` : 'stopped'}`);
      return;
    }
    case 'migrate': {
      const applied = await withAdmin((client) => migrateEstate(client));
      console.log(applied.length === 0 ? 'estate schema up to date' : `applied estate migrations ${applied.join(', ')}`);
      return;
    }
    case 'add-site':
      await withAdmin((client) => addSite(client, need(0, 'an id'), need(1, 'a name'), values['reference-site'] === undefined ? null : Number(values['reference-site'])));
      console.log(`site ${rest[0]} added`);
      return;
    case 'add-terminal': {
      const credentials = await withAdmin((client) => addTerminal(client, need(0, 'an id'), need(1, 'a site id')));
      const host = values.url === undefined ? `127.0.0.1:${readCluster(dir)?.port ?? DEFAULT_PORT}` : 'ESTATE-HOST:5432';
      console.log(`terminal ${credentials.terminalId} added with login role ${credentials.roleName}.`);
      console.log('Its connection string, shown this once (the estate keeps only a verifier of the password):');
      console.log(`  postgresql://${credentials.roleName}:${credentials.password}@${host}/armoury_estate`);
      return;
    }
    case 'put-reference':
    case 'delete-reference': {
      const table = need(0, 'a reference table');
      const rows: unknown = JSON.parse(readFileSync(need(1, 'a JSON file'), 'utf8'));
      if (!Array.isArray(rows)) throw new Error(`${rest[1]} must hold a JSON array`);
      const fn = command === 'put-reference' ? 'estate.put_reference' : 'estate.delete_reference';
      const changed = await withAdmin(async (client) => (await client.query<{ n: number }>(`SELECT ${fn}($1, $2::jsonb) AS n`, [table, JSON.stringify(rows)])).rows[0]?.n ?? 0);
      console.log(`${table}: ${changed} of ${rows.length} row${rows.length === 1 ? '' : 's'} changed; every terminal applies them at its next pull (at once if connected)`);
      return;
    }
    case 'import-personnel':
    case 'import-training': {
      const file = need(0, 'a CSV or JSON file');
      const kind = command === 'import-personnel' ? 'personnel' : 'training';
      const { report, changed } = await withAdmin((client) => importIntoEstate(client, { kind, fileName: basename(file), content: readFileSync(file), now: new Date() }));
      console.log(`${basename(file)}: ${report.status}, ${report.rows} row${report.rows === 1 ? '' : 's'}, ${report.changed} changed`);
      for (const c of changed) console.log(`  ${c.table}: ${c.put} put, ${c.deleted} deleted; every terminal applies them at its next pull (at once if connected)`);
      for (const p of report.problems.slice(0, 50)) console.log(`  row ${p.row}: ${p.message}`);
      if (report.problems.length > 50) console.log(`  … and ${report.problems.length - 50} more problems`);
      if (report.status === 'rejected') process.exitCode = 1;
      return;
    }
    case 'serve': {
      const port = values.port === undefined ? 8090 : Number(values.port);
      const estateName = values.name ?? 'Armoury estate';
      const service = await startEstateService({ databaseUrl: adminUrl(), port, estateName });
      let feed: EstateC2Feed | null = null;
      if (values['c2-url'] !== undefined) {
        if (values['c2-secret-file'] === undefined) throw new Error('--c2-url needs --c2-secret-file: a file holding the shared secret (at least 16 characters), so it is not in the shell history');
        const secret = readFileSync(values['c2-secret-file'], 'utf8').trim();
        feed = new EstateC2Feed({ databaseUrl: adminUrl(), webhook: { url: values['c2-url'], secret }, estateId: values['estate-id'] ?? 'estate', estateName, log: (line) => console.log(line), scheduler: systemScheduler });
        feed.start();
        console.log(`Estate C2 feed: publishing to ${new URL(values['c2-url']).origin} on every change.`);
      }
      console.log(`Armoury estate service: ${service.launchUrl}`);
      console.log('Open that link once in the control room\'s browser; it signs that browser in. Ctrl-C stops the service.');
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
      await feed?.stop();
      await service.close();
      return;
    }
    default:
      throw new Error(`unknown command ${command ?? '(none)'}: init, start, stop, status, migrate, add-site, add-terminal, put-reference, delete-reference, import-personnel, import-training, serve`);
  }
}

main().catch((error: unknown) => {
  console.error(`estate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
