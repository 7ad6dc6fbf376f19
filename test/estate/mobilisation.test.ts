import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite, addTerminal } from '../../estate/admin.ts';
import { EstateC2Feed } from '../../estate/c2-feed.ts';
import { EstateMobilisation, NO_SITE } from '../../estate/mobilisation.ts';
import type { EstateMobilisationView } from '../../preload/contract.ts';
import { systemScheduler } from '../../main/system-time.ts';
import { C2Receiver, C2_SCHEMA, validate } from '../helpers/c2-receiver.ts';
import { POSTGRES_MISSING, startTestEstate, type TestEstate } from '../helpers/postgres.ts';
import { until } from '../helpers/until.ts';

/**
 * The estate's mobilisation picture on a real PostgreSQL: qualified and available from the
 * estate's reference data under the terminals' own rules, armed from the holdings, per site and
 * estate-wide; brought up to date by revision; and reference revisions committed in order.
 */

const describeEstate = POSTGRES_MISSING === null ? describe : describe.skip;

// Local noon, so the local day is the 21st in any time zone the tests run in.
const NOON_21ST = new Date(2026, 10, 21, 12, 0);

describeEstate('estate mobilisation', () => {
  let estate: TestEstate;
  let reader: pg.Client;
  const put = (table: string, rows: unknown[]) => estate.admin.query('SELECT estate.put_reference($1, $2::jsonb)', [table, JSON.stringify(rows)]);
  const officer = (id: number, collar: string, site: number | null, status = 'active', unit: string | null = null) => ({ id, collar_number: collar, display_name: `Officer ${collar}`, status, site_id: site, unit, created_at: '2026-01-01T00:00:00.000Z' });
  const record = (officerId: number, qualificationId: number, validUntil: string) => ({ officer_id: officerId, qualification_id: qualificationId, awarded_on: '2026-01-01', expires_on: validUntil, valid_until: validUntil, source: 'estate', recorded_at: '2026-01-01T00:00:00.000Z' });
  const hold = (terminal: string, loan: number, officerId: number, type: string, serial: string) =>
    estate.admin.query("INSERT INTO estate.holdings (terminal_id, loan_id, serial, asset_type, officer_id, drawn_at, drawn_seq) VALUES ($1, $2, $3, $4, $5, '2026-11-21T08:00:00.000Z', $2)", [terminal, loan, serial, type, officerId]);

  beforeAll(async () => {
    estate = await startTestEstate();
    await put('sites', [{ id: 1, name: 'North' }, { id: 2, name: 'South' }]);
    await addSite(estate.admin, 'north', 'North station', 1);
    await addSite(estate.admin, 'south', 'South station', 2);
    await addTerminal(estate.admin, 'north-1', 'north');
    await addTerminal(estate.admin, 'south-1', 'south');
    await put('qualifications', [{ id: 1, code: 'TASER', name: 'Taser initial' }, { id: 2, code: 'AFO', name: 'Authorised firearms officer' }]);
    await put('asset_types', [
      { id: 1, code: 'T7', name: 'Taser 7', category: 'taser', max_per_officer: 1 },
      { id: 2, code: 'G17', name: 'Glock 17', category: 'firearm', max_per_officer: 1 },
      { id: 3, code: 'RAD', name: 'Radio', category: 'radio', max_per_officer: 1 },
    ]);
    // Taser 7 by its requirement (no stored rule); Glock 17 by a stored rule needing the armourer role too.
    await put('asset_type_requirements', [{ asset_type_id: 1, qualification_id: 1 }]);
    await put('asset_type_rules', [{ id: 1, asset_type_id: 2, version: 1, rule: JSON.stringify({ allOf: ['AFO'], anyOf: [], graceDays: 0, roles: ['armourer'], units: [], maxLoanHours: null, returnBy: null }), created_at: '2026-01-01T00:00:00.000Z', created_by: null }]);
    await put('officers', [
      officer(1, 'PC 0001', 1), // Taser, valid: available at North
      officer(2, 'PC 0002', 1), // Taser, expired: not available
      officer(3, 'PC 0003', 2), // Taser, valid, suspended: not available
      officer(4, 'PC 0004', 2), // Taser valid and drawn at North: armed at North
      officer(5, 'PC 0005', 2), // AFO + armourer: available for the Glock at South
      officer(6, 'PC 0006', 2), // AFO without the armourer role: not available for the Glock
      officer(7, 'PC 0007', null), // Taser valid, no home site
    ]);
    await estate.admin.query("UPDATE estate.reference_rows SET data = jsonb_set(data, '{status}', '\"suspended\"') WHERE table_name = 'officers' AND key = '{\"id\": 3}'");
    await put('officer_roles', [5, 6].map((id) => ({ officer_id: id, role: 'officer' })).concat([{ officer_id: 5, role: 'armourer' }]));
    await put('officer_qualifications', [record(1, 1, '2027-01-01'), record(2, 1, '2026-11-20'), record(3, 1, '2027-01-01'), record(4, 1, '2027-01-01'), record(5, 2, '2027-01-01'), record(6, 2, '2027-01-01'), record(7, 1, '2026-11-21')]);
    await hold('north-1', 1, 4, 'Taser 7', 'T7-0001');
    reader = new pg.Client({ connectionString: estate.cluster.adminUrl });
    await reader.connect();
    await reader.query('SET ROLE estate_reader');
  }, 60_000);
  afterAll(async () => {
    await reader?.end().catch(() => undefined);
    await estate?.stop();
  });

  const typeOf = (picture: EstateMobilisationView, name: string) => {
    const type = picture.types.find((t) => t.assetTypeName === name);
    if (!type) throw new Error(`no ${name} in the picture`);
    return type;
  };
  const collars = (list: { collarNumber: string }[]) => list.map((o) => o.collarNumber);
  /** The counts alone (the page's read, made without the lists) must say what the lists say, site by site. */
  const expectCountsMatch = async (mobilisation: EstateMobilisation, picture: EstateMobilisationView, at: Date) => {
    const counts = await mobilisation.counts(reader, at);
    expect(counts.types).toEqual(picture.types.map((t) => ({ assetTypeId: t.assetTypeId, assetTypeName: t.assetTypeName, category: t.category, armed: t.armed.length, available: t.available.length, problem: t.problem })));
    const armedAnywhere = new Set(picture.types.flatMap((t) => t.armed.map((a) => a.officerId)));
    const distinct = (ids: number[]) => new Set(ids).size;
    for (const site of counts.sites) {
      expect(site.byType).toEqual(picture.types.map((t) => ({ assetTypeName: t.assetTypeName, armed: t.armed.filter((a) => a.site === site.siteId).length, available: t.available.filter((a) => a.site === site.siteId).length })));
      expect(site.armed).toBe(distinct(picture.types.flatMap((t) => t.armed.filter((a) => a.site === site.siteId).map((a) => a.officerId))));
      expect(site.available).toBe(distinct(picture.types.flatMap((t) => t.available.filter((a) => a.site === site.siteId && !armedAnywhere.has(a.officerId)).map((a) => a.officerId))));
    }
    expect(counts.totals).toEqual({ armed: armedAnywhere.size, available: distinct(picture.types.flatMap((t) => t.available.filter((a) => !armedAnywhere.has(a.officerId)).map((a) => a.officerId))) });
  };

  it('counts the qualified and available by the rules in force, and the armed where they drew', async () => {
    const mobilisation = new EstateMobilisation();
    const picture = await mobilisation.picture(reader, NOON_21ST);
    await expectCountsMatch(mobilisation, picture, NOON_21ST);
    // Only the types a mobilisation counts, by name.
    expect(picture.types.map((t) => t.assetTypeName)).toEqual(['Glock 17', 'Taser 7']);
    const taser = typeOf(picture, 'Taser 7');
    expect(collars(taser.available)).toEqual(['PC 0001', 'PC 0007']);
    expect(taser.available.map((o) => o.site)).toEqual(['north', NO_SITE]);
    expect(taser.armed).toEqual([{ officerId: 4, collarNumber: 'PC 0004', name: 'Officer PC 0004', serial: 'T7-0001', since: '2026-11-21T08:00:00.000Z', site: 'north' }]);
    expect(collars(typeOf(picture, 'Glock 17').available)).toEqual(['PC 0005']);

    const north = picture.sites.find((s) => s.siteId === 'north');
    const south = picture.sites.find((s) => s.siteId === 'south');
    expect(north?.byType).toEqual([
      { assetTypeName: 'Glock 17', armed: 0, available: 0 },
      { assetTypeName: 'Taser 7', armed: 1, available: 1 },
    ]);
    expect(south?.byType).toEqual([
      { assetTypeName: 'Glock 17', armed: 0, available: 1 },
      { assetTypeName: 'Taser 7', armed: 0, available: 0 },
    ]);
    expect(picture.totals).toEqual({ armed: 1, available: 3 });
  });

  it('follows reference changes and the day without being made again', async () => {
    const mobilisation = new EstateMobilisation();
    expect(collars(typeOf(await mobilisation.picture(reader, NOON_21ST), 'Taser 7').available)).toEqual(['PC 0001', 'PC 0007']);
    // PC 0007's record is valid through the 21st: gone on the 22nd with no write.
    const next = new Date(NOON_21ST.getTime() + 24 * 3_600_000);
    expect(collars(typeOf(await mobilisation.picture(reader, next), 'Taser 7').available)).toEqual(['PC 0001']);
    // A refresher put in the estate reaches the picture at its next read.
    await put('officer_qualifications', [record(2, 1, '2027-06-01')]);
    expect(collars(typeOf(await mobilisation.picture(reader, next), 'Taser 7').available)).toEqual(['PC 0001', 'PC 0002']);
    // A return (the holding gone) makes PC 0004 available again.
    await estate.admin.query("DELETE FROM estate.holdings WHERE terminal_id = 'north-1' AND loan_id = 1");
    const after = await mobilisation.picture(reader, next);
    expect(collars(typeOf(after, 'Taser 7').available)).toEqual(['PC 0001', 'PC 0002', 'PC 0004']);
    expect(after.totals.armed).toBe(0);
    await expectCountsMatch(mobilisation, after, next);
    // An officer armed at another site than their home one, holding two Tasers: counted once, armed where they drew.
    await hold('north-1', 21, 5, 'Taser 7', 'T7-0021');
    await hold('south-1', 22, 5, 'Taser 7', 'T7-0022');
    await hold('south-1', 23, 1, 'Glock 17', 'G17-0001');
    const spread = await mobilisation.picture(reader, next);
    expect(spread.totals.armed).toBe(2);
    // PC 0005 is armed at both sites.
    expect(spread.sites.filter((s) => s.armed > 0).map((s) => [s.siteId, s.armed])).toEqual([
      ['north', 1],
      ['south', 2],
    ]);
    await expectCountsMatch(mobilisation, spread, next);
    await estate.admin.query("DELETE FROM estate.holdings WHERE loan_id IN (21, 22, 23)");
    // A record deleted in the estate is gone at the next read, and back when put again.
    await estate.admin.query(`SELECT estate.delete_reference('officer_qualifications', '[{"officer_id": 1, "qualification_id": 1}]'::jsonb)`);
    expect(collars(typeOf(await mobilisation.picture(reader, next), 'Taser 7').available)).toEqual(['PC 0002', 'PC 0004']);
    await put('officer_qualifications', [record(1, 1, '2027-01-01')]);
    expect(collars(typeOf(await mobilisation.picture(reader, next), 'Taser 7').available)).toEqual(['PC 0001', 'PC 0002', 'PC 0004']);
    await hold('north-1', 1, 4, 'Taser 7', 'T7-0001');
    await put('officer_qualifications', [record(2, 1, '2026-11-20')]);
  });

  it('counts nobody for a type whose stored rule cannot be read, and says so', async () => {
    await put('asset_type_rules', [{ id: 2, asset_type_id: 2, version: 2, rule: '{"allOf": 7}', created_at: '2026-01-02T00:00:00.000Z', created_by: null }]);
    try {
      const glock = typeOf(await new EstateMobilisation().picture(reader, NOON_21ST), 'Glock 17');
      expect(glock.available).toEqual([]);
      expect(glock.problem).toMatch(/rule version 2 of Glock 17 .* cannot be read/);
    } finally {
      await estate.admin.query("SELECT estate.delete_reference('asset_type_rules', '[{\"id\": 2}]'::jsonb)");
    }
  });

  it('a terminal may read the picture, not the estate its credentials do not cover', async () => {
    const credentials = await addTerminal(estate.admin, 'reader-t', 'north');
    const terminal = new pg.Client({ connectionString: estate.urlFor(credentials.roleName, credentials.password) });
    await terminal.connect();
    try {
      const picture = await new EstateMobilisation().picture(terminal, NOON_21ST);
      expect(picture.totals).toEqual({ armed: 1, available: 3 });
      await expect(terminal.query('SELECT * FROM estate.holdings')).rejects.toThrow(/permission denied/);
      await expect(terminal.query('SELECT role_name FROM estate.terminals')).rejects.toThrow(/permission denied/);
    } finally {
      await terminal.end();
    }
  });

  it('reference writers take their revisions one transaction at a time, so none becomes visible after a higher one', async () => {
    const first = new pg.Client({ connectionString: estate.cluster.adminUrl });
    const second = new pg.Client({ connectionString: estate.cluster.adminUrl });
    await Promise.all([first.connect(), second.connect()]);
    try {
      await first.query('BEGIN');
      await first.query("SELECT estate.put_reference('qualifications', '[{\"id\": 9, \"code\": \"FIRST\", \"name\": \"First\"}]'::jsonb)");
      let secondDone = false;
      const secondPut = second.query("SELECT estate.put_reference('qualifications', '[{\"id\": 10, \"code\": \"SECOND\", \"name\": \"Second\"}]'::jsonb)").then(() => (secondDone = true));
      // The second writer waits for the first to commit instead of taking a revision and committing first.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(secondDone).toBe(false);
      await first.query('COMMIT');
      await secondPut;
      const revisions = await estate.admin.query<{ code: string; revision: string }>("SELECT data->>'code' AS code, revision FROM estate.reference_rows WHERE table_name = 'qualifications' AND key IN ('{\"id\": 9}', '{\"id\": 10}') ORDER BY revision");
      expect(revisions.rows.map((r) => r.code)).toEqual(['FIRST', 'SECOND']);
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });

  describe('the C2 feed published once for the estate', () => {
    const SECRET = 'estate c2 test shared secret';
    const feedFor = (receiver: C2Receiver, log: string[] = []) =>
      new EstateC2Feed({ databaseUrl: estate.cluster.adminUrl, webhook: { url: receiver.url, secret: SECRET }, estateId: 'demo-estate', estateName: 'Demo estate', log: (l) => log.push(l), scheduler: systemScheduler, now: () => NOON_21ST, pollMs: 60_000, coalesceMs: 20, retryMs: 50, maxRetryMs: 200, timeoutMs: 2000 });

    it("sends the whole picture in the documented format, with each person's site, signed, and only when it changed", async () => {
      const receiver = await C2Receiver.start(SECRET);
      const feed = feedFor(receiver);
      try {
        const first = await feed.publishOnce();
        expect(first.state).toBe('sent');
        expect(receiver.received).toHaveLength(1);
        expect(receiver.badSignatures).toBe(0);
        const document = receiver.received[0]?.document;
        expect(validate(C2_SCHEMA, document)).toEqual([]);
        expect(document?.terminalId).toBe('demo-estate');
        expect(receiver.received[0]?.key).toBe(`demo-estate:${document?.sequence}`);
        expect(document?.totals).toEqual({ armed: 1, available: 3 });
        const taser = document?.types.find((t) => t.assetType === 'Taser 7');
        expect(taser?.armed).toEqual([{ collarNumber: 'PC 0004', name: 'Officer PC 0004', serial: 'T7-0001', since: '2026-11-21T08:00:00.000Z', site: 'north' }]);
        expect(taser?.available).toEqual([
          { collarNumber: 'PC 0001', name: 'Officer PC 0001', site: 'north' },
          { collarNumber: 'PC 0007', name: 'Officer PC 0007', site: NO_SITE },
        ]);
        // Nothing changed: nothing sent, even by a feed started again (what was delivered is in the database).
        expect((await feed.publishOnce()).state).toBe('unchanged');
        expect((await feedFor(receiver).publishOnce()).state).toBe('unchanged');
        expect(receiver.requests).toBe(1);
      } finally {
        await feed.stop();
        await receiver.down();
      }
    });

    it('is woken by a draw anywhere, and after the receiver was down sends the picture as it is by then, its sequence still rising', async () => {
      const receiver = await C2Receiver.start(SECRET);
      const log: string[] = [];
      const feed = feedFor(receiver, log);
      try {
        feed.start();
        await until('the first look', () => feed.status().looks >= 1);
        const before = receiver.received.length;
        const seqBefore = Number((await estate.admin.query<{ sequence: string }>('SELECT sequence FROM estate.c2_feed')).rows[0]?.sequence);
        // A draw at South: woken by the notification (the poll is a minute away).
        await hold('south-1', 7, 1, 'Taser 7', 'T7-0077');
        await until('the document after the draw', () => receiver.received.length > before);
        const afterDraw = receiver.received.at(-1)?.document;
        expect(afterDraw?.totals.armed).toBe(2);
        expect(afterDraw?.sequence).toBeGreaterThan(seqBefore);

        await receiver.down();
        await estate.admin.query("DELETE FROM estate.holdings WHERE terminal_id = 'south-1' AND loan_id = 7");
        await until('a failed delivery', () => feed.status().problem !== null);
        expect(log.some((l) => l.startsWith('estate C2: not delivered'))).toBe(true);
        await receiver.up();
        await until('the picture after the return, once the receiver is back', () => receiver.received.at(-1)?.document.totals.armed === 1);
        const last = receiver.received.at(-1)?.document;
        expect(last?.sequence).toBeGreaterThan(afterDraw?.sequence ?? Infinity);
        expect(validate(C2_SCHEMA, last)).toEqual([]);
      } finally {
        await feed.stop();
        await receiver.down();
      }
    });
  });
});
