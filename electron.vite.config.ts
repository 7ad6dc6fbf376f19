import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Fails the build when an entry would import at run time what its process cannot load: the
 * browser shell runs on plain Node (requiring `electron` there would try to download the
 * binary), and a sandboxed preload can require only `electron`.
 */
function allowOnly(rules: Record<string, (specifier: string) => boolean>): Plugin {
  return {
    name: 'armoury:allowed-imports',
    generateBundle(_options, bundle) {
      const chunks = new Map(Object.values(bundle).flatMap((item) => (item.type === 'chunk' ? [[item.fileName, item] as const] : [])));
      for (const chunk of chunks.values()) {
        const allowed = chunk.isEntry ? rules[chunk.name] : undefined;
        if (!allowed) continue;
        // Everything the entry loads: its own imports and those of the chunks it imports.
        const seen = new Set<string>();
        const pending = [...chunk.imports];
        while (pending.length > 0) {
          const name = pending.pop() as string;
          if (seen.has(name)) continue;
          seen.add(name);
          const imported = chunks.get(name);
          if (imported) pending.push(...imported.imports);
          else if (!allowed(name)) this.error(`${chunk.name} must not import ${name} at run time`);
        }
      }
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: `${root}out/main`,
      sourcemap: true,
      // Dependencies load from node_modules at run time (native modules must); the app ships them.
      externalizeDeps: true,
      rollupOptions: {
        input: {
          'electron-main': `${root}main/electron-main.ts`,
          'browser-main': `${root}main/browser-main.ts`,
          'audit-chain-worker': `${root}main/workers/audit-chain-worker.ts`,
          'import-worker': `${root}main/workers/import-worker.ts`,
        },
        output: { format: 'es', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' },
      },
    },
    plugins: [allowOnly({ 'browser-main': (s) => s !== 'electron', 'audit-chain-worker': (s) => s !== 'electron', 'import-worker': (s) => s !== 'electron' })],
  },
  preload: {
    build: {
      outDir: `${root}out/preload`,
      sourcemap: true,
      // Sandboxed: everything but electron (the contract and zod) is inlined into one CommonJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { 'electron-preload': `${root}preload/electron-preload.ts` },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs', inlineDynamicImports: true },
      },
    },
    plugins: [allowOnly({ 'electron-preload': (s) => s === 'electron' })],
  },
  // The renderer is a static bundle: Electron loads it from a custom protocol and the browser
  // shell serves it over http, so every URL is relative (base './'). The page runs under a strict
  // CSP (script-src 'self', style-src 'self'), so nothing may be inlined: no module-preload
  // polyfill, no data: URLs for fonts or scripts.
  renderer: {
    root: `${root}renderer`,
    base: './',
    plugins: [react()],
    build: {
      outDir: `${root}out/renderer`,
      emptyOutDir: true,
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      sourcemap: false,
      minify: true,
      target: 'chrome130',
      rollupOptions: { input: `${root}renderer/index.html` },
    },
    server: { host: '127.0.0.1' },
  },
});
