import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../main/core/db/database.ts';
import { parseDemoSite, seedDemoSite, type DemoSite } from '../../main/core/demo-seed.ts';
import { SqliteOutboxStore } from '../../main/devices/sqlite-outbox-store.ts';

/** A fresh directory per test file; removed by the returned cleanup. */
export function tempDir(prefix = 'armoury-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function demoSite(): DemoSite {
  return parseDemoSite(JSON.parse(readFileSync(new URL('../../resources/demo-site.json', import.meta.url), 'utf8')));
}

/** The demo site cut to its eleven named officers, so tests hash few PINs. */
export function smallDemoSite(): DemoSite {
  const site = demoSite();
  // The README's cards: officers, armourers, admin, IT, stores and property.
  const officers = site.officers.slice(0, 14);
  const collars = new Set(officers.map((o) => o.collar));
  return {
    ...site,
    officers,
    assets: site.assets.filter((a) => !a.loanTo || collars.has(a.loanTo)),
    swapOrders: site.swapOrders.filter((o) => collars.has(o.officer) && collars.has(o.orderedBy)),
    bookings: site.bookings.filter((b) => collars.has(b.officer) && collars.has(b.bookedBy)),
  };
}

/**
 * Seeded databases already made in this test process, by site and seeding time. Seeding hashes
 * every officer's PIN with scrypt (most of a second for the small site), and a test file asks
 * for the same site at the same moment before each of its tests: the first is seeded, the rest
 * are copies of its file, the same bytes a fresh seed would write.
 */
const seeded = new Map<string, Promise<string>>();
let seededDir: string | null = null;

function seededTemplate(now: Date, site: DemoSite): Promise<string> {
  const key = `${now.toISOString()} ${JSON.stringify(site)}`;
  let template = seeded.get(key);
  if (template === undefined) {
    if (seededDir === null) {
      const dir = mkdtempSync(join(tmpdir(), 'armoury-seeded-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      seededDir = dir;
    }
    const path = join(seededDir, `${seeded.size}.db`);
    template = (async () => {
      const db = openDatabase(path);
      try {
        await seedDemoSite(db, site, now);
      } finally {
        // Closing checkpoints the WAL into the file, so the file alone is the whole database.
        db.close();
      }
      return path;
    })();
    seeded.set(key, template);
  }
  return template;
}

export async function seededDb(path: string, now = new Date(), site = smallDemoSite()): Promise<Db> {
  copyFileSync(await seededTemplate(now, site), path);
  return openDatabase(path);
}

export function officerIdByCollar(db: Db, collar: string): number {
  const row = db.prepare<[string], { id: number }>('SELECT id FROM officers WHERE collar_number = ?').get(collar);
  if (!row) throw new Error(`no officer ${collar}`);
  return row.id;
}

export function assetTypeId(db: Db, code: string): number {
  const row = db.prepare<[string], { id: number }>('SELECT id FROM asset_types WHERE code = ?').get(code);
  if (!row) throw new Error(`no asset type ${code}`);
  return row.id;
}

export { join };

/**
 * An outbox in a database of its own under `dir`, for tests of one outbox's owner (C2, audit
 * checkpoints) without a whole terminal; the same file for the same dir and owner, so a restart
 * test finds what it left. Removed with the directory.
 */
export function outboxStore(dir: string, owner: string): SqliteOutboxStore {
  mkdirSync(dir, { recursive: true });
  return new SqliteOutboxStore(openDatabase(join(dir, `${owner}-outbox.db`)), owner);
}
