import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * The scripts in main/workers that run as worker threads, each an entry of the build, and
 * whether, from a checkout, Node must transform its TypeScript rather than strip it: the
 * import worker loads the core's classes (parameter properties); the audit walk loads plain
 * functions, and stripping starts a thread sooner, which the walk's helper thread needs.
 */
const SCRIPTS = { 'audit-chain-worker': { transform: false }, 'import-worker': { transform: true } } as const;
export type WorkerScript = keyof typeof SCRIPTS;

/**
 * Run one of the worker scripts in a fresh thread and resolve with the one message it posts
 * (its heap goes with the thread). The script is electron-vite's `<name>.mjs` beside the built
 * main process, or the source file when running from a checkout.
 */
export function runWorker<T>(name: WorkerScript, data: unknown, resourceLimits: ResourceLimits): Promise<T> {
  const built = new URL(`./${name}.mjs`, import.meta.url);
  const fromSource = !existsSync(built);
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(fromSource ? new URL(`./${name}.ts`, import.meta.url) : built, {
      workerData: data,
      // None of the parent's loader flags (a test runner's): the script is plain JavaScript, or TypeScript Node strips or transforms.
      execArgv: fromSource && SCRIPTS[name].transform ? ['--experimental-transform-types', '--disable-warning=ExperimentalWarning'] : [],
      resourceLimits,
    });
    let answer: { value: T } | null = null;
    worker.once('message', (message: T) => (answer = { value: message }));
    worker.once('error', reject);
    worker.once('exit', (code) => (answer ? resolve(answer.value) : reject(new Error(`the ${name} thread stopped (exit code ${code}) without an answer`))));
  });
}

/**
 * Called first thing inside a worker: its thread yields the CPU to the main thread, which
 * answers the touchscreen. On the kiosk's two cores the walk's two threads (or an import) would
 * otherwise make the main thread wait its turn for a core; at nice 10 it wins one at once, and
 * the work still takes every cycle nothing else wants. Linux only, where a nice value is a
 * thread's own: elsewhere setpriority(0) would lower the whole process.
 */
export function yieldToMainThread(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(0, BACKGROUND_NICE);
  } catch {
    // Not allowed here (a sandbox): the work runs at the main thread's priority, as before.
  }
}

const BACKGROUND_NICE = 10;
