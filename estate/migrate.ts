/**
 * The estate's schema migrations: numbered SQL files in estate/migrations, each applied once,
 * in order, in a transaction of its own, and recorded in public.estate_migrations. The same
 * rule as the terminal's (main/core/db/migrations.ts): a migration is never edited once
 * released; a change is a new file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ClientBase } from 'pg';

const DIR = new URL('./migrations/', import.meta.url);
const NAME = /^(\d{3})-([a-z0-9-]+)\.sql$/;

export interface EstateMigration {
  version: number;
  name: string;
  sql: string;
}

export function estateMigrations(): EstateMigration[] {
  const migrations = readdirSync(DIR)
    .flatMap((file) => {
      const match = NAME.exec(file);
      return match?.[1] === undefined || match[2] === undefined ? [] : [{ version: Number(match[1]), name: match[2], sql: readFileSync(new URL(file, DIR), 'utf8') }];
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`estate migrations must be numbered 001, 002, … without gaps: found ${String(m.version).padStart(3, '0')}-${m.name} at position ${i + 1}`);
  });
  return migrations;
}

/** Applies what is not applied yet; returns the versions it applied. */
export async function migrateEstate(client: ClientBase, upTo = Infinity): Promise<number[]> {
  await client.query('CREATE TABLE IF NOT EXISTS public.estate_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  const applied = new Set((await client.query<{ version: number }>('SELECT version FROM public.estate_migrations')).rows.map((r) => r.version));
  const done: number[] = [];
  for (const migration of estateMigrations()) {
    if (migration.version > upTo || applied.has(migration.version)) continue;
    await client.query('BEGIN');
    try {
      await client.query(migration.sql);
      await client.query('INSERT INTO public.estate_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw new Error(`estate migration ${migration.version} (${migration.name}) failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    done.push(migration.version);
  }
  return done;
}
