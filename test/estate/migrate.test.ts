import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estateMigrations, migrateEstate } from '../../estate/migrate.ts';
import { POSTGRES_MISSING, startTestEstate, type TestEstate } from '../helpers/postgres.ts';

const describeEstate = POSTGRES_MISSING === null ? describe : describe.skip;

describe('estate migrations on disk', () => {
  it('are numbered from 001 without gaps, one name each', () => {
    const migrations = estateMigrations();
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(migrations.map((m) => m.name)).toEqual(['events', 'reference-data', 'holdings', 'mobilisation', 'reference-imports', 'reference-wire']);
  });
});

describeEstate('estate migrations on a real PostgreSQL', () => {
  let estate: TestEstate;
  beforeAll(async () => {
    estate = await startTestEstate();
  }, 60_000);
  afterAll(async () => estate?.stop());

  it('are applied once each, in order, and recorded; running again applies nothing', async () => {
    const recorded = await estate.admin.query<{ version: number; name: string }>('SELECT version, name FROM public.estate_migrations ORDER BY version');
    expect(recorded.rows).toEqual(estateMigrations().map((m) => ({ version: m.version, name: m.name })));
    expect(await migrateEstate(estate.admin)).toEqual([]);
  });

  it('leave terminals no way to write but the ingest functions', async () => {
    const grants = await estate.admin.query<{ table_name: string; privilege_type: string }>(
      "SELECT table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee = 'estate_terminal' ORDER BY table_name, privilege_type",
    );
    // Reading only: their own events and checkpoints (RLS), the reference data they apply, and
    // the mobilisation picture their console's estate scope shows.
    expect(grants.rows).toEqual([
      { table_name: 'checkpoints', privilege_type: 'SELECT' },
      { table_name: 'events', privilege_type: 'SELECT' },
      { table_name: 'mobilisation_holdings', privilege_type: 'SELECT' },
      { table_name: 'mobilisation_sites', privilege_type: 'SELECT' },
      { table_name: 'reference_rows', privilege_type: 'SELECT' },
      { table_name: 'reference_tables', privilege_type: 'SELECT' },
    ]);
    const functions = await estate.admin.query<{ routine_name: string }>(
      "SELECT routine_name FROM information_schema.role_routine_grants WHERE grantee = 'estate_terminal' ORDER BY routine_name",
    );
    expect(functions.rows.map((r) => r.routine_name)).toEqual(['ingest_checkpoint', 'ingest_events', 'my_terminal']);
    const rls = await estate.admin.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relrowsecurity AND relnamespace = 'estate'::regnamespace ORDER BY relname");
    expect(rls.rows.map((r) => r.relname)).toEqual(['checkpoints', 'events']);
  });
});
