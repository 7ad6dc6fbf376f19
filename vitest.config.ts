import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // better-sqlite3 and serialport are native: separate processes keep them isolated.
    pool: 'forks',
    // One more worker than the 2 cores: many files spend their time waiting on PostgreSQL,
    // ptys and timers (294 s for the suite with 2 workers, 180 s with 3, on the 2-core VM).
    maxWorkers: 3,
    // The demo site seeded once for the run (see test/helpers/demo-template.ts).
    globalSetup: ['test/helpers/demo-template.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
