import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite, addTerminal, type TerminalCredentials } from '../../estate/admin.ts';
import { AuditLog } from '../../main/core/audit.ts';
import { openDatabase, type Db } from '../../main/core/db/database.ts';
import type { WireEvent } from '../../main/estate/estate-publisher.ts';
import { POSTGRES_MISSING, startTestEstate, type TestEstate } from '../helpers/postgres.ts';
import { join, tempDir } from '../helpers/temp-db.ts';

/**
 * The estate's ingest on a real PostgreSQL: a terminal's audit rows, made by the terminal's own
 * AuditLog on a real SQLite file, stored once per (terminal, seq), every link checked, a broken
 * chain refused with an estate exception; and what each terminal's login role may and may not
 * do (grants and row-level security).
 */


/** A terminal's audit log with `count` real rows, as the publisher reads them. */
function terminalChain(count: number): { db: Db; events: WireEvent[]; cleanup: () => void } {
  const { dir, cleanup } = tempDir('armoury-estate-chain-');
  const db = openDatabase(join(dir, 'armoury.db'));
  const audit = new AuditLog(db);
  const start = Date.UTC(2026, 10, 21, 9, 0);
  for (let i = 0; i < count; i++) {
    db.transaction(() => audit.append({ actor: `officer:${(i % 7) + 1}`, action: 'auth.signed-out', subject: `officer:${(i % 7) + 1}`, details: { why: `test ${i}: naïve “quotes”` } }, new Date(start + i * 1000)))();
  }
  const events = db
    .prepare<[], WireEvent>('SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log ORDER BY seq')
    .all();
  return { db, events, cleanup: () => (db.close(), cleanup()) };
}

const describeEstate = POSTGRES_MISSING === null ? describe : describe.skip;
if (POSTGRES_MISSING !== null) console.warn(`estate ingest tests skipped: ${POSTGRES_MISSING}`);

describeEstate('estate ingest on a real PostgreSQL', () => {
  let estate: TestEstate;
  const credentials = new Map<string, TerminalCredentials>();
  const clients: pg.Client[] = [];

  async function connectAs(terminalId: string): Promise<pg.Client> {
    const c = credentials.get(terminalId);
    if (!c) throw new Error(`no terminal ${terminalId}`);
    const client = new pg.Client({ connectionString: estate.urlFor(c.roleName, c.password) });
    await client.connect();
    clients.push(client);
    return client;
  }

  async function ingest(client: pg.Client, events: readonly WireEvent[]): Promise<{ ok: boolean; storedThrough: number; stored: number; refused?: string }> {
    const result = await client.query<{ reply: { ok: boolean; storedThrough: number; stored: number; refused?: string } }>('SELECT estate.ingest_events($1::jsonb) AS reply', [JSON.stringify(events)]);
    const reply = result.rows[0]?.reply;
    if (!reply) throw new Error('no reply');
    return reply;
  }

  const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await estate.admin.query<{ n: string }>(sql, params)).rows[0]?.n);

  beforeAll(async () => {
    estate = await startTestEstate();
    await addSite(estate.admin, 'north', 'North station');
    await addSite(estate.admin, 'south', 'South station');
    for (const [id, site] of [['north-1', 'north'], ['north-2', 'north'], ['south-1', 'south'], ['south-2', 'south'], ['south-3', 'south']] as const) {
      credentials.set(id, await addTerminal(estate.admin, id, site));
    }
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await estate?.stop();
  });

  it('stores each event once: a retry of the same batch, and batches that overlap, add nothing twice', async () => {
    const chain = terminalChain(40);
    try {
      const client = await connectAs('north-1');
      expect(await ingest(client, chain.events.slice(0, 25))).toEqual({ ok: true, storedThrough: 25, stored: 25 });
      expect(await ingest(client, chain.events.slice(0, 25))).toEqual({ ok: true, storedThrough: 25, stored: 0 });
      expect(await ingest(client, chain.events.slice(20, 40))).toEqual({ ok: true, storedThrough: 40, stored: 15 });
      expect(await count("SELECT count(*) AS n FROM estate.events WHERE terminal_id = 'north-1'")).toBe(40);
      // Byte for byte what the terminal hashed, so the estate's copy verifies on its own.
      const stored = await estate.admin.query<{ details: string; hash: string }>("SELECT details, hash FROM estate.events WHERE terminal_id = 'north-1' AND seq = 3");
      expect(stored.rows[0]).toEqual({ details: chain.events[2]?.details, hash: chain.events[2]?.hash });
    } finally {
      chain.cleanup();
    }
  });

  it('holds under concurrency: eight connections of one terminal sending overlapping batches store every event exactly once', async () => {
    const chain = terminalChain(200);
    try {
      const connections = await Promise.all(Array.from({ length: 8 }, () => connectAs('north-2')));
      // Each sends the chain from the start in batches of its own size, all at once.
      await Promise.all(
        connections.map(async (client, i) => {
          const size = 7 + i * 5;
          for (let from = 0; from < chain.events.length; from += size) {
            const reply = await ingest(client, chain.events.slice(from, from + size));
            expect(reply.ok).toBe(true);
          }
        }),
      );
      expect(await count("SELECT count(*) AS n FROM estate.events WHERE terminal_id = 'north-2'")).toBe(200);
      expect(await count("SELECT count(DISTINCT seq) AS n FROM estate.events WHERE terminal_id = 'north-2'")).toBe(200);
      expect(await count("SELECT count(*) AS n FROM estate.exceptions WHERE terminal_id = 'north-2'")).toBe(0);
    } finally {
      chain.cleanup();
    }
  });

  it('refuses a terminal whose chain breaks, with an estate exception, and takes nothing more from it', async () => {
    const chain = terminalChain(12);
    try {
      const client = await connectAs('south-1');
      const altered = chain.events.map((e) => ({ ...e }));
      const eighth = altered[7];
      if (!eighth) throw new Error('short chain');
      eighth.details = eighth.details.replace('test 7', 'test 700');
      const reply = await ingest(client, altered);
      expect(reply).toMatchObject({ ok: false, storedThrough: 7, stored: 7 });
      expect(reply.refused).toBe('Terminal south-1 event 8 does not match its own hash: its content was changed.');
      const raised = await estate.admin.query<{ kind: string; seq: string }>("SELECT kind, seq FROM estate.exceptions WHERE terminal_id = 'south-1'");
      expect(raised.rows).toEqual([{ kind: 'chain-break', seq: '8' }]);
      // The honest rest is refused too until an administrator looks.
      expect(await ingest(client, chain.events.slice(7))).toMatchObject({ ok: false, stored: 0, storedThrough: 7 });
      expect(await count("SELECT count(*) AS n FROM estate.events WHERE terminal_id = 'south-1'")).toBe(7);
    } finally {
      chain.cleanup();
    }
  });

  it('names a gap and a broken link, and keeps the first of two different events for one seq', async () => {
    const chain = terminalChain(10);
    const other = terminalChain(10);
    try {
      const gap = await connectAs('south-2');
      await ingest(gap, chain.events.slice(0, 4));
      const gapped = await ingest(gap, chain.events.slice(5, 7));
      expect(gapped.refused).toBe('Terminal south-2 sent event 6 after event 4: events 5 to 5 are missing.');

      const conflict = await connectAs('south-3');
      await ingest(conflict, chain.events.slice(0, 5));
      // Another chain's event 3 (different content, valid on its own): a rewritten history.
      const rewritten = await ingest(conflict, other.events.slice(2, 3).map((e) => ({ ...e, details: e.details.replace('test', 'rewritten') })));
      expect(rewritten.ok).toBe(false);
      expect(rewritten.refused).toMatch(/^Terminal south-3 sent a second, different event 3: the estate keeps the first/);
      const kinds = await estate.admin.query<{ terminal_id: string; kind: string }>("SELECT terminal_id, kind FROM estate.exceptions WHERE terminal_id IN ('south-2', 'south-3') ORDER BY terminal_id");
      expect(kinds.rows).toEqual([
        { terminal_id: 'south-2', kind: 'chain-break' },
        { terminal_id: 'south-3', kind: 'chain-conflict' },
      ]);
      const kept = await estate.admin.query<{ hash: string }>("SELECT hash FROM estate.events WHERE terminal_id = 'south-3' AND seq = 3");
      expect(kept.rows[0]?.hash).toBe(chain.events[2]?.hash);
    } finally {
      chain.cleanup();
      other.cleanup();
    }
  });

  it('lets a terminal read only its own events, write only through ingest, and never change what is stored', async () => {
    const client = await connectAs('north-1');
    const seen = await client.query<{ terminal_id: string }>('SELECT DISTINCT terminal_id FROM estate.events');
    expect(seen.rows).toEqual([{ terminal_id: 'north-1' }]);
    await expect(
      client.query("INSERT INTO estate.events (terminal_id, seq, at, actor, action, subject, details, prev_hash, hash) VALUES ('north-2', 999, 'x', 'x', 'x', 'x', '{}', repeat('0', 64), repeat('0', 64))"),
    ).rejects.toThrow(/permission denied/);
    await expect(client.query("UPDATE estate.events SET details = '{}' WHERE terminal_id = 'north-1'")).rejects.toThrow(/permission denied/);
    await expect(client.query("DELETE FROM estate.events WHERE terminal_id = 'north-1'")).rejects.toThrow(/permission denied/);
    await expect(client.query('SELECT * FROM estate.terminals')).rejects.toThrow(/permission denied/);
    await expect(client.query('SELECT * FROM estate.exceptions')).rejects.toThrow(/permission denied/);
    await expect(client.query("SELECT estate.refuse(t, 'chain-break', 1, 'x', 0, 0) FROM estate.terminals t")).rejects.toThrow(/permission denied/);
    // Ingest takes the terminal from the login role: there is no way to name another.
    const mine = await ingest(client, []);
    expect(mine).toEqual({ ok: true, storedThrough: 40, stored: 0 });
  });

  it('refuses a login that is not a terminal, and the control room reader sees every terminal', async () => {
    await estate.admin.query("CREATE ROLE intruder LOGIN PASSWORD 'intruder-pass'");
    await estate.admin.query('GRANT estate_reader TO intruder');
    const intruder = new pg.Client({ connectionString: estate.urlFor('intruder', 'intruder-pass') });
    await intruder.connect();
    clients.push(intruder);
    await expect(intruder.query("SELECT estate.ingest_events('[]'::jsonb)")).rejects.toThrow(/permission denied/);
    const all = await intruder.query<{ terminal_id: string }>('SELECT DISTINCT terminal_id FROM estate.events ORDER BY terminal_id');
    expect(all.rows.map((r) => r.terminal_id)).toEqual(['north-1', 'north-2', 'south-1', 'south-2', 'south-3']);
    const wrongPassword = new pg.Client({ connectionString: estate.urlFor(credentials.get('north-1')?.roleName ?? '', 'not-the-password') });
    await expect(wrongPassword.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('stores a signed checkpoint once, and raises an exception for one whose head is not the stored event', async () => {
    const client = await connectAs('north-2');
    const head = await estate.admin.query<{ hash: string }>("SELECT hash FROM estate.events WHERE terminal_id = 'north-2' AND seq = 100");
    const checkpoint = { seq: 100, headHash: head.rows[0]?.hash, at: '2026-11-21T10:00:00.000Z', reason: 'rows', keyFingerprint: 'SHA256:abc', signature: 'c2ln' };
    for (let i = 0; i < 2; i++) await client.query('SELECT estate.ingest_checkpoint($1::jsonb)', [JSON.stringify(checkpoint)]);
    expect(await count("SELECT count(*) AS n FROM estate.checkpoints WHERE terminal_id = 'north-2'")).toBe(1);
    await client.query('SELECT estate.ingest_checkpoint($1::jsonb)', [JSON.stringify({ ...checkpoint, seq: 101, headHash: 'f'.repeat(64) })]);
    expect(await count("SELECT count(*) AS n FROM estate.exceptions WHERE terminal_id = 'north-2' AND kind = 'checkpoint-mismatch'")).toBe(1);
    const early = await client.query<{ reply: { ok: boolean; wait?: string } }>('SELECT estate.ingest_checkpoint($1::jsonb) AS reply', [JSON.stringify({ ...checkpoint, seq: 5000 })]);
    expect(early.rows[0]?.reply).toEqual({ ok: false, wait: 'event 5000 is not stored yet' });
  });
});
