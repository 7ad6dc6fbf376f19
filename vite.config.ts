import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

// The renderer is a static bundle: Electron loads it from a custom protocol and the
// browser shell serves it over http, so every URL is relative (base './').
// The page runs under a strict CSP (script-src 'self', style-src 'self'), so nothing
// may be inlined: no module-preload polyfill, no data: URLs for fonts or scripts.
export default defineConfig({
  root: `${repoRoot}renderer`,
  base: './',
  plugins: [react()],
  build: {
    outDir: `${repoRoot}out/renderer`,
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'chrome130',
  },
  server: { host: '127.0.0.1' },
});
