import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../main/core/db/database.ts';
import { parseDemoSite, seedDemoSite } from '../../main/core/demo-seed.ts';
import { startOfToday } from '../../main/system-time.ts';

/**
 * The demo site seeded once per test run instead of once per harness: seeding hashes fifty
 * PINs with scrypt (about 4 s on the build VM), and a suite starts a demo kiosk some hundred
 * times. Vitest's global setup seeds it (below); a harness copies the file. The copy is used
 * only when it was seeded at noon today, where the harness's clock starts (a fresh seed would
 * be a few seconds later, which no seeded date or due time notices); otherwise, say after
 * midnight, the kiosk seeds as usual.
 */

const ENV = 'ARMOURY_DEMO_TEMPLATE';
const RESOURCES = new URL('../../resources/', import.meta.url).pathname;

/** Vitest global setup: seed the template into a temp dir for the run; removed at the end. */
export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'armoury-demo-template-'));
  const at = startOfToday('12:00');
  const db = openDatabase(join(dir, 'armoury.db'));
  try {
    await seedDemoSite(db, parseDemoSite(JSON.parse(readFileSync(join(RESOURCES, 'demo-site.json'), 'utf8'))), at);
  } finally {
    // Closing checkpoints the WAL into the file, so the file alone is the whole database.
    db.close();
  }
  writeFileSync(join(dir, 'seeded-at'), at.toISOString());
  process.env[ENV] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}

/** Put the seeded demo database in `dataDir` if one seeded at `at` exists; false if not (the kiosk seeds it then). */
export function copyDemoTemplate(dataDir: string, at: Date): boolean {
  const dir = process.env[ENV];
  if (!dir || !existsSync(join(dir, 'seeded-at'))) return false;
  if (readFileSync(join(dir, 'seeded-at'), 'utf8') !== at.toISOString()) return false;
  copyFileSync(join(dir, 'armoury.db'), join(dataDir, 'armoury.db'));
  return true;
}
