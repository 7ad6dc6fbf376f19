import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumArgs, writeLaunchPage } from '../../../main/shell/chromium-launch.ts';

// The real launch (Chromium's command line read back from /proc) is test/e2e/chromium-launch.spec.ts.

const LAUNCH_URL = 'http://127.0.0.1:8123/launch?nonce=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhx';
const parents: string[] = [];
afterEach(() => {
  for (const dir of parents.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function parent(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'armoury-launch-test-'));
  parents.push(dir);
  return dir;
}

describe('the Chromium launch', () => {
  it('writes the launch link to a page only its owner can read, in a directory only its owner can enter', () => {
    const previous = process.umask(0o000); // even with a careless umask
    try {
      const launch = writeLaunchPage(LAUNCH_URL, parent());
      const file = fileURLToPath(launch.pageUrl);
      expect(path.dirname(file)).toBe(launch.dir);
      expect(statSync(launch.dir).mode & 0o777).toBe(0o700);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toContain(`<meta http-equiv="refresh" content="0;url=${LAUNCH_URL}">`);
    } finally {
      process.umask(previous);
    }
  });

  it('sends Chromium only to the loopback server', () => {
    for (const url of ['https://127.0.0.1:8123/launch?nonce=x', 'http://example.com/launch?nonce=x', 'file:///etc/passwd']) {
      expect(() => writeLaunchPage(url, parent()), url).toThrow(/loopback/);
    }
  });

  it('puts the launch page on the command line, never the link or anything secret', () => {
    const launch = writeLaunchPage(LAUNCH_URL, parent());
    const nonce = new URL(LAUNCH_URL).searchParams.get('nonce')!;
    for (const asRoot of [false, true]) {
      const args = chromiumArgs({ startUrl: launch.pageUrl, profileDir: '/tmp/profile', asRoot });
      expect(args[0]).toBe(`--app=${launch.pageUrl}`);
      expect(args.join(' ')).not.toContain(nonce);
      expect(args.join(' ')).not.toMatch(/nonce|token|127\.0\.0\.1/);
      expect(args.includes('--no-sandbox')).toBe(asRoot);
    }
    expect(() => chromiumArgs({ startUrl: LAUNCH_URL, profileDir: '/tmp/profile', asRoot: false })).toThrow(/file: URL/);
  });
});
