import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 60_000,
  retries: 0,
  // Two at once: much of each test is waiting on a shell, Chromium or PostgreSQL, so two fit
  // the 2-core machine (5.9 min for the suite one at a time, 4.0 min two at a time).
  workers: 2,
  reporter: [['list']],
  // The demo site seeded once for the run, copied into each shell's data dir (see test/helpers/demo-template.ts).
  globalSetup: './test/helpers/demo-template.ts',
  use: {
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    },
    viewport: { width: 1280, height: 800 },
  },
});
