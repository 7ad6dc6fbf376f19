#!/usr/bin/env node
/**
 * Build everything the shells run from `out/`:
 *   out/main/electron-main.cjs     Electron main process (CommonJS)
 *   out/main/browser-main.mjs      browser shell entry (ESM, plain Node)
 *   out/main/audit-chain-worker.mjs  the worker thread that walks the whole audit chain
 *   out/preload/electron-preload.cjs  sandboxed preload (CommonJS, only `electron` external)
 *   out/renderer/                  the React renderer (vite build, vite.config.ts)
 *
 * Native and optional modules stay external (they are loaded from node_modules at run
 * time); everything else, zod and ws included, is bundled. Any error exits non-zero.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'out');

// Native modules load from node_modules at run time (and pdfkit, which reads its font data from its own folder).
const NATIVE_EXTERNALS = ['electron', 'better-sqlite3', 'serialport', '@serialport/*', 'usb', '@node-usb/*', 'koffi', 'pdfkit', 'bufferutil', 'utf-8-validate'];

/**
 * `import.meta` does not exist in CommonJS output: point it at the bundle file so code
 * that locates files relative to itself still works once bundled.
 */
const CJS_IMPORT_META = {
  // The directive first: a banner ahead of esbuild's own "use strict" would demote it.
  banner: { js: "'use strict';\nconst __bundleImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: {
    'import.meta.url': '__bundleImportMetaUrl',
    'import.meta.dirname': '__dirname',
    'import.meta.filename': '__filename',
  },
};

/** Bundled CommonJS dependencies call `require`/`__dirname`; give the ESM bundle both. */
const ESM_BANNER = [
  "import { createRequire as __bundleCreateRequire } from 'node:module';",
  "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
  "import { dirname as __bundleDirname } from 'node:path';",
  'const require = __bundleCreateRequire(import.meta.url);',
  'const __filename = __bundleFileURLToPath(import.meta.url);',
  'const __dirname = __bundleDirname(__filename);',
].join('\n');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  sourcemap: true,
  logLevel: 'warning',
  metafile: true,
  absWorkingDir: root,
  legalComments: 'linked',
};

/** @type {Array<{ name: string, options: import('esbuild').BuildOptions, allowedExternals: (spec: string) => boolean }>} */
const bundles = [
  {
    name: 'electron main',
    options: {
      ...common,
      ...CJS_IMPORT_META,
      entryPoints: ['main/electron-main.ts'],
      outfile: 'out/main/electron-main.cjs',
      format: 'cjs',
      external: NATIVE_EXTERNALS,
    },
    allowedExternals: () => true,
  },
  {
    name: 'browser shell',
    options: {
      ...common,
      entryPoints: ['main/browser-main.ts'],
      outfile: 'out/main/browser-main.mjs',
      format: 'esm',
      banner: { js: ESM_BANNER },
      external: NATIVE_EXTERNALS,
    },
    // Plain Node: `require('electron')` there would try to download the binary.
    allowedExternals: (spec) => spec !== 'electron',
  },
  {
    // Loaded with new Worker() by main/workers/audit-walker.ts from beside whichever main bundle runs.
    name: 'audit chain worker',
    options: {
      ...common,
      entryPoints: ['main/workers/audit-chain-worker.ts'],
      outfile: 'out/main/audit-chain-worker.mjs',
      format: 'esm',
      banner: { js: ESM_BANNER },
      external: NATIVE_EXTERNALS,
    },
    allowedExternals: (spec) => spec !== 'electron',
  },
  {
    name: 'preload',
    options: {
      ...common,
      // No import.meta shim here: it would need `require('node:url')`, which a sandboxed
      // preload cannot load.
      entryPoints: ['preload/electron-preload.ts'],
      outfile: 'out/preload/electron-preload.cjs',
      format: 'cjs',
      // Runs in Electron 45's sandboxed renderer (Chromium 140).
      target: ['node24', 'chrome140'],
      external: ['electron'],
    },
    // A sandboxed preload can require only `electron` (and a few polyfills); a Node
    // built-in slipping in would only fail at run time in the kiosk, so fail here.
    allowedExternals: (spec) => spec === 'electron',
  },
];

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

async function buildBundles() {
  rmSync(path.join(out, 'main'), { recursive: true, force: true });
  rmSync(path.join(out, 'preload'), { recursive: true, force: true });
  for (const bundle of bundles) {
    let result;
    try {
      result = await esbuild.build(bundle.options);
    } catch (error) {
      // esbuild has already printed the errors with locations.
      fail(`${bundle.name} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    if (result.errors.length > 0) fail(`${bundle.name} failed with ${result.errors.length} error(s)`);
    const bad = new Set();
    for (const output of Object.values(result.metafile.outputs)) {
      for (const imported of output.imports) {
        if (imported.external && !bundle.allowedExternals(imported.path)) bad.add(imported.path);
      }
    }
    if (bad.size > 0) fail(`${bundle.name} must not import ${[...bad].join(', ')} at run time`);
    console.log(`build: ${bundle.name} -> ${bundle.options.outfile}`);
  }
}

function buildRenderer() {
  const config = path.join(root, 'vite.config.ts');
  if (!existsSync(config)) fail('vite.config.ts is missing: cannot build the renderer');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', config], { cwd: root, stdio: 'inherit' });
  if (result.error) fail(`could not run vite: ${result.error.message}`);
  if (result.status !== 0) fail(`vite build failed (${result.signal ?? `exit code ${result.status}`})`);
  if (!existsSync(path.join(out, 'renderer', 'index.html'))) fail('vite build did not produce out/renderer/index.html');
  console.log('build: renderer -> out/renderer');
}

await buildBundles();
buildRenderer();
