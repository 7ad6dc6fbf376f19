/**
 * A PostgreSQL cluster of the estate's own, in a directory, for development, demos and tests:
 * no system service, no packaging beyond Debian's `postgresql`. A production estate runs on a
 * managed or replicated PostgreSQL instead (docs/estate.md); everything else in estate/ only
 * needs a connection string.
 *
 * initdb refuses to run as root, so as root the cluster belongs to the `postgres` user Debian's
 * package creates, and every server command runs through `runuser`; as anyone else, as them.
 * The server listens on 127.0.0.1 (terminals, with passwords: scram-sha-256) and on a Unix
 * socket in the directory (the estate's administrator, trusted as the directory's owner is).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The bootstrap superuser: the estate's administrator, who runs migrations and adds terminals. */
export const ADMIN_ROLE = 'estate_admin';
export const DATABASE = 'armoury_estate';

export interface ClusterSettings {
  /** The directory holding pgdata/, run/ (the socket) and postgres.log. */
  dir: string;
  port: number;
}

export interface Cluster extends ClusterSettings {
  /** The administrator's connection string (Unix socket, no password). */
  adminUrl: string;
  /** Where terminals connect (TCP on loopback), without credentials. */
  host: string;
}

/** Where Debian keeps the server programs: the newest /usr/lib/postgresql/N/bin, or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 15 && existsSync(join(root, String(n), 'bin', 'initdb')))
    .sort((a, b) => b - a);
  return versions[0] === undefined ? null : join(root, String(versions[0]), 'bin');
}

const isRoot = (): boolean => process.getuid?.() === 0;

function requireBinDir(): string {
  const bin = postgresBinDir();
  if (bin === null) throw new Error('PostgreSQL 15 or newer is not installed (Debian: apt-get install postgresql). The estate needs it; a terminal on its own does not.');
  return bin;
}

/** Runs a server program as the cluster's owner; throws with its output if it fails. */
function runAsOwner(program: string, args: string[]): string {
  const [command, commandArgs] = isRoot() ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  const result = spawnSync(command, commandArgs, { encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${program.split('/').pop()} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

function ownDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (!isRoot()) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(path, uid, gid);
}

const settingsFile = (dir: string): string => join(dir, 'estate-cluster.json');
const pgdata = (dir: string): string => join(dir, 'pgdata');
const socketDir = (dir: string): string => join(dir, 'run');

export function describeCluster(settings: ClusterSettings): Cluster {
  return {
    ...settings,
    adminUrl: `postgresql://${ADMIN_ROLE}@/${DATABASE}?host=${encodeURIComponent(socketDir(settings.dir))}&port=${settings.port}`,
    host: '127.0.0.1',
  };
}

/** The settings `initCluster` wrote in `dir`, or null if there is no cluster there. */
export function readCluster(dir: string): Cluster | null {
  if (!existsSync(settingsFile(dir))) return null;
  const parsed: unknown = JSON.parse(readFileSync(settingsFile(dir), 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || !('port' in parsed) || typeof parsed.port !== 'number') throw new Error(`${settingsFile(dir)} is not an estate cluster's settings`);
  return describeCluster({ dir, port: parsed.port });
}

/** Creates the cluster (initdb) and its database; the server is left running. */
export function initCluster(settings: ClusterSettings): Cluster {
  const bin = requireBinDir();
  if (existsSync(join(pgdata(settings.dir), 'PG_VERSION'))) throw new Error(`${settings.dir} already holds an estate cluster: use start`);
  mkdirSync(settings.dir, { recursive: true });
  // The postgres user must reach pgdata/ and run/ inside it (a temp dir is 0700 to its maker).
  if (isRoot()) chmodSync(settings.dir, 0o755);
  ownDirectory(pgdata(settings.dir));
  ownDirectory(socketDir(settings.dir));
  runAsOwner(join(bin, 'initdb'), ['-D', pgdata(settings.dir), '-U', ADMIN_ROLE, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
  writeFileSync(settingsFile(settings.dir), `${JSON.stringify({ port: settings.port }, null, 2)}\n`);
  const cluster = startCluster(settings.dir);
  runAsOwner(join(bin, 'createdb'), ['-h', socketDir(settings.dir), '-p', String(settings.port), '-U', ADMIN_ROLE, DATABASE]);
  return cluster;
}

function requireCluster(dir: string): Cluster {
  const cluster = readCluster(dir);
  if (cluster === null) throw new Error(`no estate cluster in ${dir}: run init first`);
  return cluster;
}

export function clusterRunning(dir: string): boolean {
  const bin = requireBinDir();
  const [command, args] = isRoot() ? ['runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', pgdata(dir), 'status']] : [join(bin, 'pg_ctl'), ['-D', pgdata(dir), 'status']];
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

export function startCluster(dir: string): Cluster {
  const cluster = requireCluster(dir);
  if (clusterRunning(dir)) return cluster;
  // Two connections per terminal (publishing, reference data) and a few for the control room:
  // 300 covers a simulated estate of 90 terminals.
  const options = `-p ${cluster.port} -k ${socketDir(dir)} -c listen_addresses=127.0.0.1 -c max_connections=300`;
  runAsOwner(join(requireBinDir(), 'pg_ctl'), ['-D', pgdata(dir), '-o', options, '-l', join(socketDir(dir), 'postgres.log'), '-w', '-t', '60', 'start']);
  return cluster;
}

export function stopCluster(dir: string): void {
  requireCluster(dir);
  if (!clusterRunning(dir)) return;
  runAsOwner(join(requireBinDir(), 'pg_ctl'), ['-D', pgdata(dir), '-m', 'fast', '-w', 'stop']);
}
