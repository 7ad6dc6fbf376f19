import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite, addTerminal, type TerminalCredentials } from '../../estate/admin.ts';
import { AuditLog } from '../../main/core/audit.ts';
import { openDatabase, type Db } from '../../main/core/db/database.ts';
import { POSTGRES_MISSING, startTestEstate, type TestEstate } from '../helpers/postgres.ts';
import { join, tempDir } from '../helpers/temp-db.ts';

/**
 * What the estate derives from the events: who holds what anywhere, items out per site and
 * type, and the conflict a partition can leave (one item drawn at two terminals), kept and
 * raised rather than overwritten. The events are real audit rows from each terminal's AuditLog.
 */

const describeEstate = POSTGRES_MISSING === null ? describe : describe.skip;

interface Terminal {
  id: string;
  db: Db;
  audit: AuditLog;
  client: pg.Client;
  sent: number;
}

describeEstate('estate current state from the events', () => {
  let estate: TestEstate;
  const terminals = new Map<string, Terminal>();
  const cleanups: (() => void)[] = [];
  let at = Date.UTC(2026, 10, 21, 7, 0);

  beforeAll(async () => {
    estate = await startTestEstate();
    await addSite(estate.admin, 'north', 'North station');
    await addSite(estate.admin, 'south', 'South station');
    await estate.admin.query(`SELECT estate.put_reference('officers', $1::jsonb)`, [JSON.stringify([{ id: 1, collar_number: 'PC 1234', display_name: 'Alex Morgan' }, { id: 2, collar_number: 'PC 2345', display_name: 'Sam Patel' }])]);
    for (const [id, site] of [['north-1', 'north'], ['north-2', 'north'], ['south-1', 'south']] as const) {
      const credentials: TerminalCredentials = await addTerminal(estate.admin, id, site);
      const { dir, cleanup } = tempDir('armoury-holdings-');
      const db = openDatabase(join(dir, 'armoury.db'));
      cleanups.push(() => (db.close(), cleanup()));
      const client = new pg.Client({ connectionString: estate.urlFor(credentials.roleName, credentials.password) });
      await client.connect();
      terminals.set(id, { id, db, audit: new AuditLog(db), client, sent: 0 });
    }
  }, 60_000);
  afterAll(async () => {
    for (const t of terminals.values()) await t.client.end().catch(() => undefined);
    for (const cleanup of cleanups) cleanup();
    await estate?.stop();
  });

  function record(terminalId: string, action: 'draw.completed' | 'return.completed', loan: number, serial: string, type: string, officer: number, due: string | null = null): void {
    const t = terminals.get(terminalId);
    if (!t) throw new Error(terminalId);
    at += 60_000;
    t.db.transaction(() => t.audit.append({ actor: `officer:${officer}`, action, subject: 'door:1', details: { intent: loan, kind: action.startsWith('draw') ? 'draw' : 'return', asset: loan, serial, type, officer, outcome: 'test', loan, due } }, new Date(at)))();
  }

  /** Sends what the terminal has not sent yet, as its publisher would. */
  async function publish(terminalId: string): Promise<void> {
    const t = terminals.get(terminalId);
    if (!t) throw new Error(terminalId);
    const rows = t.db.prepare<[number], unknown>('SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log WHERE seq > ? ORDER BY seq').all(t.sent);
    const reply = await t.client.query<{ r: { ok: boolean; storedThrough: number } }>('SELECT estate.ingest_events($1::jsonb) AS r', [JSON.stringify(rows)]);
    expect(reply.rows[0]?.r.ok).toBe(true);
    t.sent = reply.rows[0]?.r.storedThrough ?? t.sent;
  }

  it('follows draws and returns at every terminal: who holds what, and items out per site and type with totals', async () => {
    // Due in 2020 (overdue by the estate's clock), and far in the future.
    record('north-1', 'draw.completed', 1, 'T7-0001', 'Taser 7', 1, '2020-01-01T07:00:00.000Z');
    record('north-1', 'draw.completed', 2, 'BWV-0001', 'Body-worn camera', 1);
    record('south-1', 'draw.completed', 1, 'T7-0100', 'Taser 7', 2, '2999-01-01T07:00:00.000Z');
    record('north-1', 'return.completed', 2, 'BWV-0001', 'Body-worn camera', 1);
    for (const id of ['north-1', 'south-1']) await publish(id);

    const holdings = await estate.admin.query('SELECT site_id, terminal_id, serial, asset_type, collar_number, display_name, overdue FROM estate.holdings_now ORDER BY serial');
    expect(holdings.rows).toEqual([
      { site_id: 'north', terminal_id: 'north-1', serial: 'T7-0001', asset_type: 'Taser 7', collar_number: 'PC 1234', display_name: 'Alex Morgan', overdue: true },
      { site_id: 'south', terminal_id: 'south-1', serial: 'T7-0100', asset_type: 'Taser 7', collar_number: 'PC 2345', display_name: 'Sam Patel', overdue: false },
    ]);
    const out = await estate.admin.query('SELECT site_id, asset_type, items_out::int AS n FROM estate.out_now ORDER BY site_id, asset_type');
    expect(out.rows).toEqual([
      { site_id: '(estate)', asset_type: '(all)', n: 2 },
      { site_id: 'north', asset_type: '(all)', n: 1 },
      { site_id: 'north', asset_type: 'Taser 7', n: 1 },
      { site_id: 'south', asset_type: '(all)', n: 1 },
      { site_id: 'south', asset_type: 'Taser 7', n: 1 },
    ]);
  });

  it('keeps both records of one item drawn at two terminals while cut off, and raises a double-draw', async () => {
    // north-2 was cut off and drew the same Taser north-1 still shows drawn.
    record('north-2', 'draw.completed', 9, 'T7-0001', 'Taser 7', 2);
    await publish('north-2');
    const both = await estate.admin.query("SELECT terminal_id FROM estate.holdings WHERE serial = 'T7-0001' ORDER BY terminal_id");
    expect(both.rows).toEqual([{ terminal_id: 'north-1' }, { terminal_id: 'north-2' }]);
    const raised = await estate.admin.query<{ kind: string; message: string }>("SELECT kind, message FROM estate.exceptions WHERE kind = 'double-draw'");
    expect(raised.rows).toHaveLength(1);
    expect(raised.rows[0]?.message).toMatch(/^Taser 7 T7-0001 was drawn at terminal north-2 \(event 1\) while terminal north-1 still shows it drawn \(since .*, event 1\): both records are kept\.$/);
  });

  it('raises a sign-in with a card the estate had already revoked, and not one before the revocation', async () => {
    await estate.admin.query(`SELECT estate.put_reference('cards', $1::jsonb)`, [JSON.stringify([{ uid: '04A1B2C3D4', officer_id: 1, issued_at: '2026-01-01T00:00:00.000Z', revoked_at: '2026-11-21T12:00:00.000Z' }])]);
    const t = terminals.get('south-1');
    if (!t) throw new Error('south-1');
    for (const when of ['2026-11-21T11:59:00.000Z', '2026-11-21T12:30:00.000Z']) {
      t.db.transaction(() => t.audit.append({ actor: 'officer:1', action: 'auth.signed-in', subject: 'card:04A1B2C3D4', details: {} }, new Date(when)))();
    }
    await publish('south-1');
    const raised = await estate.admin.query<{ message: string }>("SELECT message FROM estate.exceptions WHERE kind = 'revoked-card-used'");
    expect(raised.rows.map((r) => r.message)).toEqual(['Card 04A1B2C3D4 signed in at terminal south-1 at 2026-11-21T12:30:00.000Z, after the estate revoked it: the terminal had not yet synced.']);
  });

  it('lets the control room read the views and no terminal read them', async () => {
    const north = terminals.get('north-1');
    await expect(north?.client.query('SELECT * FROM estate.holdings_now')).rejects.toThrow(/permission denied/);
  });
});
