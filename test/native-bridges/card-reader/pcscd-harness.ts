import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { loadPcscLite } from '../../../native-bridges/card-reader/pcsc-lite.ts';

/**
 * Starts a real pcscd for one test file, with only the vsmartcard-vpcd driver configured on
 * ports of its own, and says where its socket is.
 *
 * pcsc-lite 1.9.9 (Debian 12) has its socket compiled in as /run/pcscd/pcscd.comm: the
 * client library honours PCSCLITE_CSOCK_NAME but the daemon does not. So, where possible,
 * pcscd runs in a private mount namespace (`unshare --mount`, plus `--user --map-root-user`
 * when not root) with a fresh tmpfs on /run and a temporary directory bound onto
 * /run/pcscd: the socket appears in that directory, nothing touches the machine's own
 * pcscd, and the tmpfs also hides udev, so real USB readers stay with the system's daemon.
 * If namespaces are not allowed, it falls back to a plain `pcscd --foreground` on the system
 * path, but only when no other pcscd owns it.
 */

export const VPCD_DRIVER_CANDIDATES = [
  '/usr/lib/pcsc/drivers/serial/libifdvpcd.so',
  '/usr/lib64/pcsc/drivers/serial/libifdvpcd.so',
  '/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so',
];
/** Distinct from Debian's "Virtual PCD", so the test never picks up a reader it did not start. */
export const TEST_READER_NAME = 'Armoury Test VPCD';
const SYSTEM_SOCKET = '/run/pcscd/pcscd.comm';

function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

/** What is missing to run against a real pcscd, as Debian package names with the reason. */
export async function missingForRealPcscd(): Promise<string[]> {
  const missing: string[] = [];
  if (findExecutable('pcscd') === null) missing.push('pcscd (no pcscd executable)');
  if (!VPCD_DRIVER_CANDIDATES.some((p) => existsSync(p))) missing.push('vsmartcard-vpcd (no libifdvpcd.so driver)');
  try {
    await loadPcscLite();
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    missing.push(/libpcsclite/.test(text) ? `libpcsclite1 (${text.split('\n')[0] ?? ''})` : `the koffi npm package (${text.split('\n')[0] ?? ''})`);
  }
  return missing;
}

/** Two consecutive free TCP ports: vpcd opens `port` for reader 00 and `port + 1` for reader 01. */
async function freePortPair(): Promise<number> {
  const free = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 15000);
    if ((await free(port)) && (await free(port + 1))) return port;
  }
  throw new Error('no free pair of TCP ports for vpcd');
}

export interface PcscdEnv {
  /** Set PCSCLITE_CSOCK_NAME to this before the first PC/SC call in the process. */
  socketPath: string;
  /** vpcd's first reader; the second is one higher. */
  vpcdPort: number;
  readerName: string;
  mode: 'namespace' | 'system';
  /** pcscd's output so far, for failure messages. */
  output(): string;
  /** SIGTERM (SIGKILL after 3 s); resolves once pcscd has exited. Safe to call twice. */
  stop(): Promise<void>;
  /** Starts pcscd again with the same socket and ports (after stop()). */
  restart(): Promise<void>;
  /** Stops pcscd and removes the temporary directory. */
  dispose(): Promise<void>;
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
}

export async function startPcscd(): Promise<PcscdEnv> {
  const pcscd = findExecutable('pcscd');
  const driver = VPCD_DRIVER_CANDIDATES.find((p) => existsSync(p));
  if (pcscd === null || driver === undefined) throw new Error('pcscd or the vpcd driver is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'pcscd-test-'));
  const confDir = join(dir, 'reader.conf.d');
  const runDir = join(dir, 'run');
  mkdirSync(confDir);
  mkdirSync(runDir);
  const vpcdPort = await freePortPair();
  const hexPort = `0x${vpcdPort.toString(16).toUpperCase()}`;
  // DEVICENAME /dev/null:<port> makes vpcd listen for the card rather than dial out.
  writeFileSync(
    join(confDir, 'vpcd'),
    [`FRIENDLYNAME "${TEST_READER_NAME}"`, `DEVICENAME   /dev/null:${hexPort}`, `LIBPATH      ${driver}`, `CHANNELID    ${hexPort}`, ''].join('\n'),
  );

  let output = '';
  // setpriv makes the kernel SIGTERM pcscd if the test process dies first (a killed worker,
  // a timed-out hook), so no daemon outlives its test; without util-linux's setpriv, no guard.
  const guard = findExecutable('setpriv') === null ? [] : ['setpriv', '--pdeathsig', 'TERM', '--'];
  const launch = (mode: 'namespace' | 'system'): Running => {
    const args = ['--foreground', '--config', confDir];
    const [command = pcscd, ...commandArgs] = [...guard, pcscd, ...args];
    const child =
      mode === 'namespace'
        ? spawn(
            'unshare',
            [
              ...(process.getuid?.() === 0 ? [] : ['--user', '--map-root-user']),
              '--mount',
              'sh',
              '-c',
              'mount -t tmpfs tmpfs /run && mkdir -p /run/pcscd && mount --bind "$0" /run/pcscd && exec "$@"',
              runDir,
              command,
              ...commandArgs,
            ],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          )
        : spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        output += `\nspawn failed: ${error.message}`;
        resolve();
      });
    });
    return { child, exited };
  };

  const waitForSocket = async (running: Running, socketPath: string): Promise<boolean> => {
    const deadline = Date.now() + 5000;
    let done = false;
    void running.exited.then(() => (done = true));
    while (Date.now() < deadline && !done) {
      if (existsSync(socketPath)) return true;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return false;
  };

  const stopRunning = async (running: Running | null): Promise<void> => {
    if (running === null) return;
    const { child, exited } = running;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  let mode: 'namespace' | 'system' = 'namespace';
  let socketPath = join(runDir, 'pcscd.comm');
  let running: Running | null = launch('namespace');
  if (!(await waitForSocket(running, socketPath))) {
    await stopRunning(running);
    const why = output.trim();
    if (existsSync(SYSTEM_SOCKET)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot isolate pcscd (${why}) and ${SYSTEM_SOCKET} belongs to another pcscd`);
    }
    mode = 'system';
    socketPath = SYSTEM_SOCKET;
    running = launch('system');
    if (!(await waitForSocket(running, socketPath))) {
      await stopRunning(running);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pcscd did not start, in a namespace (${why}) or on ${SYSTEM_SOCKET} (${output.trim()})`);
    }
  }

  const env: PcscdEnv = {
    socketPath,
    vpcdPort,
    readerName: TEST_READER_NAME,
    mode,
    output: () => output,
    async stop() {
      const current = running;
      running = null;
      await stopRunning(current);
    },
    async restart() {
      await env.stop();
      // pcscd removes its socket on a clean exit; a stale one after SIGKILL would fool the wait.
      rmSync(socketPath, { force: true });
      const next = launch(mode);
      running = next;
      if (!(await waitForSocket(next, socketPath))) throw new Error(`pcscd did not come back: ${output.trim()}`);
    },
    async dispose() {
      await env.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}
