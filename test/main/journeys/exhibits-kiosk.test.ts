import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredAuditRow } from '../../../main/core/audit.ts';
import { CONTINUITY_FORMAT, verifyContinuity, type ContinuityRecord } from '../../../main/core/continuity.ts';
import { openDatabase } from '../../../main/core/db/database.ts';
import { exhibitSample } from '../../helpers/exhibit-sample.ts';
import { startHarness, type Harness } from '../../helpers/kiosk-harness.ts';

/**
 * An exhibit through the kiosk as its people use it (demo mode, the simulated room): an officer
 * deposits it one way; two property officers retrieve it, its seal checked, a wrong seal being a
 * hard stop; and its continuity record, exported as PDF, verifies against the terminal's chain.
 */

const ALEX = { card: '04A1B2C3D4', pin: '1234' };
const LEE = { card: '046D7E8F90', pin: '9006' }; // PRP 01, property
const RUTH = { card: '047E8F9001', pin: '9007' }; // PRP 02, property

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

function signIn(who: { card: string; pin: string }): Promise<void> {
  return h.signIn(who);
}

const DRUGS = exhibitSample({ seizedWhere: '14 Mill Lane', photoRef: 'IMG-4471' });

function rows(from: number, to: number): StoredAuditRow[] {
  const db = openDatabase(`${h.dataDir}/armoury.db`);
  try {
    return db.prepare<[number, number], StoredAuditRow>('SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log WHERE seq BETWEEN ? AND ? ORDER BY seq').all(from, to);
  } finally {
    db.close();
  }
}

/** The continuity.json pdfkit embedded in the file (a Flate stream after /Type /EmbeddedFile). */
function embeddedRecord(pdf: Buffer): ContinuityRecord {
  const text = pdf.toString('latin1');
  const at = text.indexOf('/Type /EmbeddedFile');
  const start = text.indexOf('stream', at) + 'stream'.length;
  const bodyStart = text[start] === '\r' ? start + 2 : start + 1;
  const end = text.indexOf('endstream', bodyStart);
  return JSON.parse(inflateSync(pdf.subarray(bodyStart, end)).toString('utf8')) as ContinuityRecord;
}

describe('an exhibit deposited, retrieved by two with its seal checked, and its continuity record', () => {
  let exhibitId = 0;

  it('is deposited one way: the officer puts it in, and cannot see or open it afterwards', async () => {
    await signIn(ALEX);
    expect((await h.call('openExhibitDeposit', {})).ok).toBe(true);
    const started = await h.call('depositExhibit', DRUGS);
    expect(started.ok ? null : started.error.message).toBeNull();
    const door = await h.waitFor((s) => s.screen.kind === 'exhibit-door');
    const doorNumber = door.screen.kind === 'exhibit-door' ? door.screen.doorNumber : 0;
    expect(door.screen).toMatchObject({ direction: 'in', reference: 'AP/1' });
    await h.call('demoDoor', { doorNumber, action: 'put-item' });
    await h.call('demoDoor', { doorNumber, action: 'close' });
    const home = await h.waitFor((s) => s.screen.kind === 'home');
    expect(home.screen).toMatchObject({ message: `Exhibit AP/1 (23/41877/26) is deposited behind door ${doorNumber}. Only the property store can open it now.` });
    for (const method of ['openExhibits', 'getExhibits', 'startExhibitRetrieval'] as const) {
      const input = { openExhibits: {}, getExhibits: { query: '' }, startExhibitRetrieval: { exhibitId: 1, purpose: 'court' } }[method];
      expect(await h.call(method, input as never)).toMatchObject({ ok: false, error: { kind: 'wrong-role' } });
    }
  });

  it('stops at a wrong seal, with a hard exception, and opens nothing', async () => {
    await signIn(LEE);
    expect((await h.call('openExhibits', {})).ok).toBe(true);
    const listed = await h.call('getExhibits', { query: 'AP/1' });
    if (!listed.ok) throw new Error(listed.error.message);
    exhibitId = listed.value[0]!.id;
    expect(listed.value[0]).toMatchObject({ state: 'stored', twoPerson: true, seals: ['SEAL-100231'] });
    expect((await h.call('startExhibitRetrieval', { exhibitId, purpose: 'examination' })).ok).toBe(true);
    expect(h.latest()?.screen).toMatchObject({ kind: 'exhibit-retrieve', step: 'witness-card' });
    // The seal cannot be checked before the second person has signed in.
    expect(await h.call('checkSeal', { seal: 'SEAL-100231' })).toMatchObject({ ok: false, error: { kind: 'wrong-state' } });
    // Lee's own card is not a second person.
    await h.call('demoTapCard', { uid: LEE.card });
    expect(await h.call('submitWitnessPin', { pin: LEE.pin })).toMatchObject({ ok: false, error: { message: 'A second person is needed: another property officer, not the one retrieving.' } });
    await h.call('demoTapCard', { uid: RUTH.card });
    expect((await h.call('submitWitnessPin', { pin: RUTH.pin })).ok).toBe(true);
    expect(h.latest()?.screen).toMatchObject({ kind: 'exhibit-retrieve', step: 'seal', witness: 'PRP 02 Ruth Adams' });
    const refused = await h.call('checkSeal', { seal: 'SEAL-100999' });
    expect(refused).toMatchObject({ ok: false, error: { kind: 'refused' } });
    expect(h.latest()?.screen.kind).toBe('exhibits');
    expect(h.latest()?.demo?.doors.filter((d) => d.open)).toEqual([]);
    const db = openDatabase(`${h.dataDir}/armoury.db`);
    try {
      expect(db.prepare("SELECT count(*) AS n FROM exceptions WHERE kind = 'seal-mismatch' AND state = 'open'").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it('opens for two property officers once the seal matches, and records both', async () => {
    expect((await h.call('startExhibitRetrieval', { exhibitId, purpose: 'examination' })).ok).toBe(true);
    await h.call('demoTapCard', { uid: RUTH.card });
    expect((await h.call('submitWitnessPin', { pin: RUTH.pin })).ok).toBe(true);
    const opened = await h.call('checkSeal', { seal: 'SEAL-100231' });
    expect(opened.ok ? null : opened.error.message).toBeNull();
    const door = await h.waitFor((s) => s.screen.kind === 'exhibit-door' && s.screen.direction === 'out');
    const doorNumber = door.screen.kind === 'exhibit-door' ? door.screen.doorNumber : 0;
    await h.call('demoDoor', { doorNumber, action: 'take-item' });
    await h.call('demoDoor', { doorNumber, action: 'close' });
    await h.waitFor((s) => s.screen.kind === 'exhibits');
    const listed = await h.call('getExhibits', { query: '' });
    const exhibit = listed.ok ? listed.value.find((e) => e.id === exhibitId) : undefined;
    expect(exhibit?.state).toBe('retrieved');
    expect(exhibit?.events.map((e) => [e.kind, e.officer, e.witness])).toEqual([
      ['deposited', 'PC 1234 Alex Morgan', null],
      ['seal-mismatch', 'PRP 01 Lee Carter', 'PRP 02 Ruth Adams'],
      ['retrieved', 'PRP 01 Lee Carter', 'PRP 02 Ruth Adams'],
    ]);
  });

  it('exports a continuity record PDF that verifies against the terminal chain, and fails when altered', async () => {
    const exported = await h.call('exportContinuity', { exhibitId });
    if (!exported.ok) throw new Error(exported.error.message);
    expect(exported.value).toMatchObject({ fileName: 'continuity-AP-1-23-41877-26.pdf', mimeType: 'application/pdf' });
    const pdf = Buffer.from(exported.value.base64, 'base64');
    expect(pdf.subarray(0, 4).toString('latin1')).toBe('%PDF');
    const record = embeddedRecord(pdf);
    expect(record.format).toBe(CONTINUITY_FORMAT);
    expect(record.entries.map((e) => e.event.kind)).toEqual(['deposited', 'seal-mismatch', 'retrieved']);
    expect(record.checkpoint).toMatchObject({ reason: 'export' });
    expect(record.checkpoint!.seq).toBeGreaterThanOrEqual(record.entries.at(-1)!.audit.seq);
    const key = record.publicKeyPem!;
    expect(verifyContinuity(record, key, rows)).toEqual({ ok: true, problems: [] });

    // A copy altered anywhere no longer verifies.
    const altered = structuredClone(record);
    altered.entries[1]!.audit.details = altered.entries[1]!.audit.details.replace('SEAL-100999', 'SEAL-100231');
    expect(verifyContinuity(altered, key, rows).problems).toContain(`row ${altered.entries[1]!.audit.seq}: its hash does not match its fields`);
    const forged = structuredClone(record);
    forged.checkpoint!.headHash = '0'.repeat(64);
    expect(verifyContinuity(forged, key, rows).ok).toBe(false);
    const otherKey = createPublicKey(generateKeyPairSync('ed25519').privateKey).export({ type: 'spki', format: 'pem' }).toString();
    expect(verifyContinuity(record, otherKey).problems).toEqual([`checkpoint at row ${record.checkpoint!.seq}: its signature is not the terminal key's`]);
  });
});
