import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // better-sqlite3 and serialport are native: separate processes keep them isolated.
    pool: 'forks',
    // The demo site seeded once for the run (see test/helpers/demo-template.ts).
    globalSetup: ['test/helpers/demo-template.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
