import type Database from 'better-sqlite3';
import { initialSchema } from './migrations/001-initial.ts';
import { exceptionsAndServiceOpenings } from './migrations/002-exceptions-and-service-openings.ts';
import { competencyGate } from './migrations/003-competency-gate.ts';
import { consoleIndexes } from './migrations/004-console-indexes.ts';
import { stockChecks } from './migrations/005-stock-checks.ts';

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/** Ordered; a migration's version is its position. Never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [initialSchema, exceptionsAndServiceOpenings, competencyGate, consoleIndexes, stockChecks];

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
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return migrations.length;
}
