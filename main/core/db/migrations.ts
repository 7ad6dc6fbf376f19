import type Database from 'better-sqlite3';
import { initialSchema } from './migrations/001-initial.ts';
import { exceptionsAndServiceOpenings } from './migrations/002-exceptions-and-service-openings.ts';
import { competencyGate } from './migrations/003-competency-gate.ts';
import { consoleIndexes } from './migrations/004-console-indexes.ts';
import { stockChecks } from './migrations/005-stock-checks.ts';
import { journeysAndDeviceRefresh } from './migrations/006-journeys-and-device-refresh.ts';
import { referenceGeneration } from './migrations/007-reference-generation.ts';
import { auditAnchoring } from './migrations/008-audit-anchoring.ts';
import { sensorPlausibility } from './migrations/009-sensor-plausibility.ts';
import { commissioning } from './migrations/010-commissioning.ts';
import { outbox } from './migrations/011-outbox.ts';
import { loanChanges } from './migrations/012-loan-changes.ts';
import { estateLink } from './migrations/013-estate-link.ts';
import { doorSizes } from './migrations/014-door-sizes.ts';
import { homeDoors } from './migrations/015-home-doors.ts';
import { bookings } from './migrations/016-bookings.ts';
import { exhibits } from './migrations/017-exhibits.ts';
import { pooledStock } from './migrations/018-pooled-stock.ts';
import { doorBanks } from './migrations/019-door-banks.ts';
import { ammunition } from './migrations/020-ammunition.ts';

export interface Migration {
  version: number;
  name: string;
  /**
   * Set when the migration rebuilds tables that others reference (SQLite's way to change a
   * constraint). Foreign keys are then off while it runs, as SQLite's documented procedure
   * requires, and `foreign_key_check` must find nothing before it commits.
   */
  rebuildsTables?: boolean;
  up(db: Database.Database): void;
}

/** Ordered; a migration's version is its position. Never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [initialSchema, exceptionsAndServiceOpenings, competencyGate, consoleIndexes, stockChecks, journeysAndDeviceRefresh, referenceGeneration, auditAnchoring, sensorPlausibility, commissioning, outbox, loanChanges, estateLink, doorSizes, homeDoors, bookings, exhibits, pooledStock, doorBanks, ammunition];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class NewerDatabaseError extends Error {
  constructor(readonly found: number, readonly supported: number) {
    super(
      `This database was written by a newer Armoury Kiosk (schema ${found}; this version understands up to ${supported}). ` +
        'Install the newer version or restore a matching backup; the database has not been changed.',
    );
    this.name = 'NewerDatabaseError';
  }
}

/**
 * Bring the schema to SCHEMA_VERSION, each migration in its own transaction together
 * with its user_version bump, so a crash leaves the database at a whole version.
 * A database from a newer release is refused rather than guessed at.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) throw new NewerDatabaseError(current, migrations.length);
  for (const migration of migrations.slice(current)) {
    // PRAGMA foreign_keys is a no-op inside a transaction: it must be set around it.
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
    if (migration.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        migration.up(db);
        if (migration.rebuildsTables) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new Error(`migration ${migration.version} (${migration.name}) would leave ${broken.length} broken references`);
        }
        db.pragma(`user_version = ${migration.version}`);
      }).immediate();
    } finally {
      if (migration.rebuildsTables) db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    }
  }
  return migrations.length;
}
