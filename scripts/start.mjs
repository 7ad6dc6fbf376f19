#!/usr/bin/env node
/**
 * `npm start` (after `npm run build`): run the Electron shell if the Electron binary is
 * installed, else fall back to the browser shell in the system Chromium. Arguments after
 * `npm start --` are passed through; signals are forwarded and the child's exit code is
 * ours.
 *
 * The binary's path is read from node_modules/electron/path.txt rather than through
 * `require('electron')`, which would try to download a missing binary.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const electronDir = path.join(root, 'node_modules', 'electron');
const distDir = path.join(electronDir, 'dist');

function electronExecutable() {
  if (!existsSync(distDir)) return null;
  const pathFile = path.join(electronDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : process.platform === 'win32' ? 'electron.exe' : 'electron';
  const executable = path.join(distDir, relative);
  return existsSync(executable) ? executable : null;
}

function run(command, commandArgs, env) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', env });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => forward(signal));
  child.on('error', (error) => {
    console.error(`start: could not run ${command}: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die the same way the child did, so callers see the signal.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

const electron = electronExecutable();
if (electron) {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would turn Electron into plain Node
  run(electron, [root, ...args], env);
} else {
  const browserMain = path.join(root, 'out', 'main', 'browser-main.mjs');
  if (!existsSync(browserMain)) {
    console.error('start: out/main/browser-main.mjs is missing: run `npm run build` first.');
    process.exit(1);
  }
  console.error(
    'The Electron binary is not installed (node_modules/electron/dist is missing; run `npx install-electron` on a machine that can reach Electron\'s download host). Falling back to the browser shell in system Chromium.',
  );
  run(process.execPath, [browserMain, ...args], process.env);
}
