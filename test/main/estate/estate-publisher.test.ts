import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addSite, addTerminal, type TerminalCredentials } from '../../../estate/admin.ts';
import { startKiosk } from '../../../main/compose.ts';
import { AuditLog } from '../../../main/core/audit.ts';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import { EstatePublisher, type EstateLinkState } from '../../../main/estate/estate-publisher.ts';
import { systemScheduler } from '../../../main/system-time.ts';
import { POSTGRES_MISSING, startTestEstate, type TestEstate } from '../../helpers/postgres.ts';
import { startTcpProxy } from '../../helpers/tcp-proxy.ts';
import { until } from '../../helpers/until.ts';
import { join, tempDir } from '../../helpers/temp-db.ts';

/**
 * A terminal's publisher against a real PostgreSQL, through a TCP proxy the test controls, so the
 * network can be cut mid-stream the way a site's link fails: nothing lost, nothing stored twice,
 * caught up when it answers again.
 */


const describeEstate = POSTGRES_MISSING === null ? describe : describe.skip;

describeEstate('the terminal publishes its audit log to the estate', () => {
  let estate: TestEstate;
  const cleanups: (() => Promise<void> | void)[] = [];
  let terminalCount = 0;

  beforeAll(async () => {
    estate = await startTestEstate();
    await addSite(estate.admin, 'north', 'North station');
  }, 60_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => estate?.stop());

  async function terminal(): Promise<{ id: string; credentials: TerminalCredentials; db: Db; audit: AuditLog; write: (n: number) => void }> {
    const id = `north-${++terminalCount}`;
    const credentials = await addTerminal(estate.admin, id, 'north');
    const { dir, cleanup } = tempDir('armoury-publisher-');
    const db = openDatabase(join(dir, 'armoury.db'));
    cleanups.push(() => (db.close(), cleanup()));
    const audit = new AuditLog(db);
    let n = 0;
    const write = (count: number) => {
      for (let i = 0; i < count; i++, n++) db.transaction(() => audit.append({ actor: 'system', action: 'auth.signed-out', subject: `officer:${n}`, details: { why: `row ${n}` } }, new Date(Date.UTC(2026, 10, 21, 9) + n)))();
    };
    return { id, credentials, db, audit, write };
  }

  function publisher(db: Db, url: string, logs: string[] = []): EstatePublisher {
    const p = new EstatePublisher({ url, db, scheduler: systemScheduler, now: () => new Date(), log: (l) => logs.push(l), batchSize: 64, idleMs: 30, retryMs: 30, maxRetryMs: 200, timeoutMs: 800 });
    cleanups.push(() => p.stop());
    return p;
  }

  const estateCount = async (id: string): Promise<number> => Number((await estate.admin.query<{ n: string }>('SELECT count(*) AS n FROM estate.events WHERE terminal_id = $1', [id])).rows[0]?.n);
  const estateMax = async (id: string): Promise<number> => Number((await estate.admin.query<{ n: string | null }>('SELECT max(seq) AS n FROM estate.events WHERE terminal_id = $1', [id])).rows[0]?.n ?? 0);

  it('sends every row in order, then its checkpoints, and the cursor follows the estate', async () => {
    const t = await terminal();
    t.write(300);
    const last = t.db.prepare<[], { hash: string }>('SELECT hash FROM audit_log WHERE seq = 300').get();
    t.db.prepare("INSERT INTO audit_checkpoints (seq, head_hash, at, terminal_id, reason, key_fingerprint, signature) VALUES (300, ?, '2026-11-21T10:00:00.000Z', ?, 'rows', 'SHA256:test', 'c2ln')").run(last?.hash, t.id);
    const p = publisher(t.db, estate.urlFor(t.credentials.roleName, t.credentials.password));
    p.start();
    await until('the estate to hold 300 rows and the checkpoint', async () => (await estateCount(t.id)) === 300 && t.db.prepare<[], { c: number }>('SELECT checkpoints_through AS c FROM estate_link').get()?.c === 1);
    expect(p.current()).toMatchObject({ state: 'caught-up', behind: 0, message: null });
    expect(t.db.prepare('SELECT events_through AS e FROM estate_link').get()).toEqual({ e: 300 });
    const checkpoints = await estate.admin.query('SELECT seq FROM estate.checkpoints WHERE terminal_id = $1', [t.id]);
    expect(checkpoints.rows).toEqual([{ seq: '300' }]);
  });

  it('keeps working through a cut link mid-stream, then catches up with nothing lost or doubled', async () => {
    const t = await terminal();
    const proxy = await startTcpProxy(estate.cluster.port);
    cleanups.push(() => proxy.close());
    const logs: string[] = [];
    const p = publisher(t.db, estate.urlFor(t.credentials.roleName, t.credentials.password, proxy.port), logs);
    p.start();
    t.write(100);
    await until('the first rows to arrive', async () => (await estateCount(t.id)) > 0);
    proxy.cut();
    // The kiosk goes on recording while the estate is out of reach.
    t.write(400);
    await until('the publisher to notice the dead link', () => (['offline', 'connecting'] as EstateLinkState[]).includes(p.current().state));
    const whileCut = await estateCount(t.id);
    expect(whileCut).toBeLessThan(500);
    expect(p.current().behind).toBeGreaterThan(0);
    t.write(100);
    proxy.restore();
    await until('the estate to hold all 600 rows', async () => (await estateCount(t.id)) === 600);
    expect(await estateMax(t.id)).toBe(600);
    // The estate commits the last batch before the publisher hears its reply: caught up follows it.
    await until('the publisher to see itself caught up', () => p.current().state === 'caught-up');
    expect(p.current()).toMatchObject({ state: 'caught-up', behind: 0 });
    const exceptions = await estate.admin.query('SELECT kind FROM estate.exceptions WHERE terminal_id = $1', [t.id]);
    expect(exceptions.rows).toEqual([]);
    expect(logs.some((l) => l.startsWith('estate: offline ('))).toBe(true);
  });

  it('sends again what an estate restored from an older backup no longer holds', async () => {
    const t = await terminal();
    t.write(50);
    const logs: string[] = [];
    const p = publisher(t.db, estate.urlFor(t.credentials.roleName, t.credentials.password), logs);
    p.start();
    await until('50 rows at the estate', async () => (await estateCount(t.id)) === 50);
    // The estate loses its last 20 rows (a restore); the terminal still says 50.
    await estate.admin.query('DELETE FROM estate.events WHERE terminal_id = $1 AND seq > 30', [t.id]);
    await until('the rows to be sent again', async () => (await estateCount(t.id)) === 50);
    expect(logs).toContain('estate: it holds events up to 30, not 50: sending the rest again');
  });

  it('stops when the estate refuses the terminal, says why, and keeps every row at the terminal', async () => {
    const t = await terminal();
    t.write(5);
    // Another database with the same credentials: a terminal whose history was replaced.
    const impostorDir = tempDir('armoury-impostor-');
    const impostor = openDatabase(join(impostorDir.dir, 'armoury.db'));
    cleanups.push(() => {
      impostor.close();
      impostorDir.cleanup();
    });
    const impostorAudit = new AuditLog(impostor);
    for (let i = 0; i < 5; i++) impostor.transaction(() => impostorAudit.append({ actor: 'system', action: 'auth.signed-out', subject: 'officer:1', details: { why: `other ${i}` } }, new Date()))();

    const first = publisher(t.db, estate.urlFor(t.credentials.roleName, t.credentials.password));
    first.start();
    await until('5 rows at the estate', async () => (await estateCount(t.id)) === 5);
    await first.stop();

    const logs: string[] = [];
    const second = publisher(impostor, estate.urlFor(t.credentials.roleName, t.credentials.password), logs);
    second.start();
    await until('the refusal', () => second.current().state === 'refused');
    expect(second.current().message).toMatch(/^Terminal north-\d+ sent a second, different event 1: the estate keeps the first/);
    expect(impostor.prepare('SELECT refused IS NOT NULL AS refused FROM estate_link').get()).toEqual({ refused: 1 });
    expect(logs.filter((l) => l.startsWith('estate: refused this terminal: '))).toHaveLength(1);
    expect(await estateCount(t.id)).toBe(5);
  });

  it('a demo terminal configured with the estate publishes what it records, sign-ins included, as it runs', async () => {
    const id = `north-${++terminalCount}`;
    const credentials = await addTerminal(estate.admin, id, 'north');
    const { dir, cleanup } = tempDir('armoury-estate-kiosk-');
    cleanups.push(cleanup);
    const resourcesDir = new URL('../../../resources/', import.meta.url).pathname;
    const config = JSON.parse(readFileSync(join(resourcesDir, 'default-terminal-config.json'), 'utf8')) as Record<string, unknown>;
    config.estate = { url: `postgresql://${credentials.roleName}@127.0.0.1:${estate.cluster.port}/armoury_estate`, password: credentials.password };
    writeFileSync(join(dir, 'terminal-config.json'), JSON.stringify(config));
    const kiosk = await startKiosk({ dataDir: join(dir, 'data'), resourcesDir, demo: true, configPath: join(dir, 'terminal-config.json'), log: () => {} });
    cleanups.push(() => kiosk.close());
    await kiosk.auditChecked();
    const signIn = await kiosk.service.request('demoTapCard', { uid: '04A1B2C3D4' });
    expect(signIn.ok).toBe(true);
    expect((await kiosk.service.request('submitPin', { pin: '1234' })).ok).toBe(true);
    await until('the sign-in at the estate', async () => {
      const rows = await estate.admin.query('SELECT 1 FROM estate.events WHERE terminal_id = $1 AND action = $2', [id, 'auth.signed-in']);
      return rows.rowCount === 1;
    });
    const terminalRows = (await estate.admin.query<{ n: string }>('SELECT count(*) AS n FROM estate.events WHERE terminal_id = $1', [id])).rows[0]?.n;
    expect(Number(terminalRows)).toBeGreaterThan(1);
  });

  it('answers no other role: a terminal cannot publish as another with its own password', async () => {
    const a = await terminal();
    const b = await terminal();
    const client = new pg.Client({ connectionString: estate.urlFor(b.credentials.roleName, a.credentials.password) });
    await expect(client.connect()).rejects.toThrow(/password authentication failed/);
  });
});
