import { existsSync } from 'node:fs';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/** The scripts in main/workers that run as worker threads, each an entry of the build. */
export type WorkerScript = 'audit-chain-worker' | 'import-worker';

/**
 * Run one of the worker scripts in a fresh thread and resolve with the one message it posts
 * (its heap goes with the thread). The script is electron-vite's `<name>.mjs` beside the built
 * main process, or the source file when running from a checkout: Node then transforms its
 * TypeScript itself, which the core's classes (parameter properties) need beyond stripping.
 */
export function runWorker<T>(name: WorkerScript, data: unknown, resourceLimits: ResourceLimits): Promise<T> {
  const built = new URL(`./${name}.mjs`, import.meta.url);
  const fromSource = !existsSync(built);
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(fromSource ? new URL(`./${name}.ts`, import.meta.url) : built, {
      workerData: data,
      // None of the parent's loader flags (a test runner's): the script is plain JavaScript, or TypeScript Node transforms.
      execArgv: fromSource ? ['--experimental-transform-types', '--disable-warning=ExperimentalWarning'] : [],
      resourceLimits,
    });
    let answer: { value: T } | null = null;
    worker.once('message', (message: T) => (answer = { value: message }));
    worker.once('error', reject);
    worker.once('exit', (code) => (answer ? resolve(answer.value) : reject(new Error(`the ${name} thread stopped (exit code ${code}) without an answer`))));
  });
}
