import { pathToFileURL } from 'node:url';
import { AuditLog, type AuditEntry } from '../../main/core/audit.ts';
import { openDatabase, type Db } from '../../main/core/db/database.ts';
import { addDays, localDate } from '../../main/core/dates.ts';
import { hashPin } from '../../main/core/pin.ts';
import { validUntil } from '../../main/core/validity.ts';
import { seededRandom } from './stats.ts';

/**
 * A force-sized terminal database built with the real migrations, so the benchmark measures
 * the schema and indexes that ship. Rows go in through big transactions and prepared
 * statements; the audit rows go through AuditLog.append itself, so the chain is hashed
 * exactly as the terminal hashes it and verify() must accept it.
 *
 * Run as a script (`node --import tsx synthetic-db.ts PATH`) it builds PATH and exits: the
 * bench builds in a child process so the builder's garbage is not counted in the RSS of
 * the process that plays the terminal.
 */

export interface SyntheticSizes {
  officers: number;
  /** Officer qualification records; spread evenly, a few per officer. */
  qualifications: number;
  assets: number;
  /** Doors of the bench's locker bank, each holding one available asset to begin with. */
  doors: number;
  openLoans: number;
  /** Returned loans: history the open-loan queries must skip past. */
  returnedLoans: number;
  /** Total audit rows once the build is done (including the few the build itself writes). */
  auditRows: number;
}

export const DEFAULT_SIZES: SyntheticSizes = {
  officers: 10_000,
  qualifications: 40_000,
  assets: 20_000,
  doors: 2_000,
  openLoans: 5_000,
  returnedLoans: 20_000,
  auditRows: 1_000_000,
};

/** The bank the default terminal config names, so startKiosk finds it already there. */
export const BANK_NAME = 'Locker bank A';

export interface SyntheticDb {
  db: Db;
  bankId: number;
  officerIds: number[];
  assetTypeIds: number[];
}

const QUALIFICATIONS = [
  { code: 'TASER', name: 'Taser refresher' },
  { code: 'AFO', name: 'Firearms requalification (AFO)' },
  { code: 'BWV', name: 'Body-worn video training' },
  { code: 'FIRSTAID', name: 'Emergency life support' },
  { code: 'DRIVING', name: 'Response driving' },
];

// As in the demo site: three types gated on a qualification, one open to all.
const ASSET_TYPES = [
  { code: 'TASER7', name: 'Taser 7', category: 'taser', requires: 'TASER' },
  { code: 'G17', name: 'Glock 17 pistol', category: 'firearm', requires: 'AFO' },
  { code: 'RADIO', name: 'Airwave radio', category: 'radio', requires: null },
  { code: 'BWC', name: 'Body-worn camera', category: 'bwv', requires: 'BWV' },
];

const AUDIT_BATCH = 50_000;

export async function buildSyntheticDb(path: string, sizes: SyntheticSizes, now: Date): Promise<SyntheticDb> {
  if (sizes.openLoans + sizes.doors > sizes.assets) throw new Error('not enough assets for the doors and open loans');
  if (sizes.qualifications > sizes.officers * QUALIFICATIONS.length) throw new Error('more qualification records than officer x code pairs');
  if (sizes.openLoans > sizes.officers) throw new Error('more open loans than officers (one each)');
  // One real scrypt hash shared by every officer: hashing 10,000 PINs is not what is measured.
  const pin = await hashPin('1234');
  const random = seededRandom(20_240_601);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const today = localDate(now);
  const at = now.toISOString();
  const db = openDatabase(path);

  const ids = db
    .transaction(() => {
      const siteId = Number(db.prepare('INSERT INTO sites (name) VALUES (?)').run('Bench force HQ').lastInsertRowid);
      const qualIds = QUALIFICATIONS.map((q) => Number(db.prepare('INSERT INTO qualifications (code, name) VALUES (?, ?)').run(q.code, q.name).lastInsertRowid));
      const qualIdByCode = new Map(QUALIFICATIONS.map((q, i) => [q.code, qualIds[i] as number]));
      const assetTypeIds = ASSET_TYPES.map((t) => {
        const id = Number(
          db.prepare('INSERT INTO asset_types (code, name, category, max_per_officer) VALUES (?, ?, ?, 1)').run(t.code, t.name, t.category).lastInsertRowid,
        );
        if (t.requires) db.prepare('INSERT INTO asset_type_requirements (asset_type_id, qualification_id) VALUES (?, ?)').run(id, qualIdByCode.get(t.requires));
        return id;
      });

      const insertOfficer = db.prepare('INSERT INTO officers (collar_number, display_name, status, site_id, created_at) VALUES (?, ?, ?, ?, ?)');
      const insertRole = db.prepare('INSERT INTO officer_roles (officer_id, role) VALUES (?, ?)');
      const insertPin = db.prepare('INSERT INTO pins (officer_id, hash, salt, params, updated_at) VALUES (?, ?, ?, ?, ?)');
      const insertCard = db.prepare('INSERT INTO cards (uid, officer_id, issued_at) VALUES (?, ?, ?)');
      const officerIds: number[] = [];
      for (let i = 0; i < sizes.officers; i++) {
        // Mostly active; a few suspended or restricted so some decisions refuse on status.
        const r = random();
        const status = r < 0.96 ? 'active' : r < 0.98 ? 'suspended' : 'restricted';
        const id = Number(insertOfficer.run(`PC ${10_000 + i}`, `Officer ${i}`, status, siteId, at).lastInsertRowid);
        officerIds.push(id);
        insertRole.run(id, 'officer');
        if (i % 50 === 0) insertRole.run(id, 'armourer');
        if (i % 500 === 0) insertRole.run(id, 'admin');
        insertPin.run(id, pin.hash, pin.salt, pin.params, at);
        insertCard.run(`04${(0x10000000 + i).toString(16).toUpperCase()}`, id, at);
      }

      // Each officer gets `perOfficer` (or one more) of the codes, from a rotating start so
      // every code is common; expiry is 70% in date, 20% expired, 10% never.
      const insertQual = db.prepare(
        'INSERT INTO officer_qualifications (officer_id, qualification_id, awarded_on, expires_on, valid_until, source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      for (let k = 0; k < sizes.qualifications; k++) {
        const officer = officerIds[k % sizes.officers] as number;
        const qualification = qualIds[(Math.floor(k / sizes.officers) + officer) % qualIds.length] as number;
        const r = random();
        const expires = r < 0.7 ? addDays(today, 1 + Math.floor(random() * 365)) : r < 0.9 ? addDays(today, -1 - Math.floor(random() * 365)) : null;
        const awarded = addDays(expires ?? today, -365);
        insertQual.run(officer, qualification, awarded, expires, validUntil(awarded, expires, null), 'bench seed', at);
      }

      // The locker bank, every door stocked with an available item of a rotating type.
      const bankId = Number(db.prepare('INSERT INTO locker_banks (name, site_id) VALUES (?, ?)').run(BANK_NAME, siteId).lastInsertRowid);
      const insertDoor = db.prepare('INSERT INTO doors (bank_id, number) VALUES (?, ?)');
      const doorIds: number[] = [];
      for (let n = 1; n <= sizes.doors; n++) doorIds.push(Number(insertDoor.run(bankId, n).lastInsertRowid));

      // Officers in a shuffled order for loans, so holdings are not all on the first ids.
      const shuffled = [...officerIds];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
      }
      const insertAsset = db.prepare('INSERT INTO assets (serial, tag, asset_type_id, status, door_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
      const insertLoan = db.prepare('INSERT INTO loans (asset_id, officer_id, drawn_at, returned_at, return_condition) VALUES (?, ?, ?, ?, ?)');
      const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();
      const storeAssets: number[] = [];
      for (let i = 0; i < sizes.assets; i++) {
        const typeIndex = i % ASSET_TYPES.length;
        const typeId = assetTypeIds[typeIndex] as number;
        const serial = `${ASSET_TYPES[typeIndex]?.code}-${String(i).padStart(6, '0')}`;
        const tag = `AT${String(i).padStart(8, '0')}`;
        if (i < sizes.doors) {
          insertAsset.run(serial, tag, typeId, 'available', doorIds[i], at);
        } else if (i < sizes.doors + sizes.openLoans) {
          const id = Number(insertAsset.run(serial, tag, typeId, 'on-loan', null, at).lastInsertRowid);
          // Loan k goes to the k-th shuffled officer: one item each while loans <= officers,
          // and never two of a type (the limit is one per officer).
          const k = i - sizes.doors;
          const officer = shuffled[k % shuffled.length] as number;
          insertLoan.run(id, officer, hoursAgo(1 + random() * 10), null, null);
        } else {
          // The rest are in the store or out of service, never behind a door.
          const r = random();
          const status = r < 0.85 ? 'available' : r < 0.93 ? 'quarantined' : r < 0.98 ? 'maintenance' : 'retired';
          storeAssets.push(Number(insertAsset.run(serial, tag, typeId, status, null, at).lastInsertRowid));
        }
      }
      for (let k = 0; k < sizes.returnedLoans; k++) {
        const drawn = 24 + random() * 24 * 365;
        insertLoan.run(pick(storeAssets), pick(officerIds), hoursAgo(drawn), hoursAgo(drawn - 8), pick(['ok', 'ok', 'ok', 'damaged', 'not-recorded']));
      }
      return { bankId, officerIds, assetTypeIds };
    })
    .immediate();

  appendAuditHistory(db, sizes, ids.officerIds, now, random);
  // Leave the file as a running terminal would: WAL folded back into the main file.
  db.pragma('wal_checkpoint(TRUNCATE)');
  return { db, ...ids };
}

/**
 * A year of plausible audit history, through AuditLog.append itself (so the chain is
 * hashed exactly as the terminal hashes it), in big transactions so the build is fast.
 */
function appendAuditHistory(db: Db, sizes: SyntheticSizes, officerIds: readonly number[], now: Date, random: () => number): void {
  const audit = new AuditLog(db);
  const existing = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_log').get()?.n ?? 0;
  const toAdd = sizes.auditRows - existing;
  const stepMs = Math.max(1, Math.floor((365 * 86_400_000) / Math.max(1, toAdd)));
  const start = now.getTime() - toAdd * stepMs;
  const officerAt = (i: number) => officerIds[Math.floor(random() * officerIds.length)] ?? i;
  const entry = (i: number): AuditEntry => {
    const officer = officerAt(i);
    const door = 1 + Math.floor(random() * sizes.doors);
    const asset = 1 + Math.floor(random() * sizes.assets);
    switch (i % 6) {
      case 0:
        return { actor: `officer:${officer}`, action: 'auth.signed-in', subject: `card:04${(0x10000000 + officer).toString(16)}`, details: {} };
      case 1:
        return { actor: `officer:${officer}`, action: 'draw.intent', subject: `asset:${asset}`, details: { intent: i, door, ruleVersion: 1, override: null } };
      case 2:
        return { actor: 'system', action: 'door.opened', subject: `door:${door}`, details: { intent: i - 1, kind: 'draw', asset, officer, outcome: 'door opened' } };
      case 3:
        return { actor: 'system', action: 'draw.completed', subject: `door:${door}`, details: { intent: i - 2, kind: 'draw', asset, officer, outcome: 'door closed: item taken', loan: i } };
      case 4:
        return { actor: `officer:${officer}`, action: 'return.intent', subject: `asset:${asset}`, details: { intent: i, door, loan: i - 1 } };
      default:
        return { actor: `officer:${officer}`, action: 'auth.signed-out', subject: `officer:${officer}`, details: { why: 'signed out' } };
    }
  };
  for (let done = 0; done < toAdd; ) {
    const batch = Math.min(AUDIT_BATCH, toAdd - done);
    db.transaction(() => {
      for (let i = done; i < done + batch; i++) audit.append(entry(i), new Date(start + i * stepMs));
    }).immediate();
    done += batch;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const path = process.argv[2];
  if (!path) throw new Error('usage: synthetic-db.ts DB_PATH');
  const built = await buildSyntheticDb(path, DEFAULT_SIZES, new Date());
  built.db.close();
}
