import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 60_000,
  retries: 0,
  // One at a time: two at once (4.0 min instead of 5.9) once starved a shell of the 2-core
  // machine long enough for its page to lose contact mid-test.
  workers: 1,
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
