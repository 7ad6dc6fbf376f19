import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requestSchemas } from '../../preload/contract.ts';
import { dispatchRequest } from '../../main/shell/dispatch.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { startHarness, type Harness } from '../helpers/kiosk-harness.ts';
import { tempDir } from '../helpers/temp-db.ts';
import { trainingCsv } from '../bench/training-import.ts';

// The admin's upload over the kiosk's own request path (contract, permissions, module), with
// the sample files as bytes, exactly as the Training records screen sends them.
const SAMPLES = new URL('../../resources/training-samples/', import.meta.url).pathname;
const ADMIN = { card: '043A4B5C6D', pin: '9003' };
const base64 = (name: string): string => readFileSync(`${SAMPLES}${name}`).toString('base64');

let h: Harness;
afterEach(async () => h?.close());
// Each test starts a demo kiosk (seeding hashes every demo PIN with scrypt) and imports several
// files: seconds on an idle machine, far more on a loaded 2-core one.
const SLOW = 60_000;

async function signInAdmin(): Promise<void> {
  await h.call('demoTapCard', { uid: ADMIN.card });
  await h.waitFor((s) => s.screen.kind === 'pin');
  const r = await h.call('submitPin', { pin: ADMIN.pin });
  if (!r.ok) throw new Error(r.error.message);
}

function taserValidUntil(collar: string): string | null | undefined {
  const db = openDatabase(`${h.dataDir}/armoury.db`);
  try {
    return db
      .prepare<[string], { valid_until: string | null }>(
        `SELECT oq.valid_until FROM officer_qualifications oq JOIN officers o ON o.id = oq.officer_id JOIN qualifications q ON q.id = oq.qualification_id
          WHERE o.collar_number = ? AND q.code = 'TASER'`,
      )
      .get(collar)?.valid_until;
  } finally {
    db.close();
  }
}

describe('training upload', () => {
  it('refuses a file that is not UTF-8 with the same words as the drop folder, and changes nothing', async () => {
    h = await startHarness();
    await signInAdmin();
    const before = taserValidUntil('PC 2345');
    const result = await h.call('importTraining', { fileName: 'latin1-export.csv', base64: base64('latin1-export.csv') });
    expect(result).toMatchObject({ ok: true, value: { status: 'rejected', source: 'upload', rows: 0, changed: 0 } });
    expect(result.ok && result.value.problems).toEqual([
      { row: 0, problem: 'malformed', message: 'the file is not UTF-8 text (first bad character on line 3): save the export as UTF-8 (in Excel, "CSV UTF-8") and import it again' },
    ]);
    expect(taserValidUntil('PC 2345')).toBe(before);
    // A key given twice, and an expiry past the default 10-year horizon: refused the same way.
    const twice = await h.call('importTraining', { fileName: 'duplicate-keys.json', base64: base64('duplicate-keys.json') });
    expect(twice).toMatchObject({ ok: true, value: { status: 'rejected', problems: [{ row: 2, problem: 'malformed', message: expect.stringMatching(/^the key "expiresOn" is given twice in records\[1\]/) }] } });
    const far = await h.call('importTraining', { fileName: 'far-expiry.csv', base64: base64('far-expiry.csv') });
    expect(far).toMatchObject({ ok: true, value: { status: 'rejected', problems: [{ row: 2, problem: 'bad-date' }] } });
    expect(taserValidUntil('PC 2345')).toBe(before);
  }, SLOW);

  it('applies a good sample, refuses one with no expiry, and takes the horizon from the saved policy', async () => {
    h = await startHarness({ trainingExpiryHorizonYears: 40 });
    await signInAdmin();
    const expired = taserValidUntil('PC 2345');
    const noExpiry = await h.call('importTraining', { fileName: 'no-expiry.csv', base64: base64('no-expiry.csv') });
    expect(noExpiry).toMatchObject({ ok: true, value: { status: 'rejected', problems: [{ row: 1, problem: 'missing-field' }, { row: 2, problem: 'missing-field' }] } });
    expect(taserValidUntil('PC 2345')).toBe(expired);
    // 2062 is within this terminal's 40 years.
    expect(await h.call('importTraining', { fileName: 'far-expiry.csv', base64: base64('far-expiry.csv') })).toMatchObject({ ok: true, value: { status: 'applied', changed: 2 } });
    expect(taserValidUntil('PC 3456')).toBe('2062-11-08');
  }, SLOW);

  it('takes bytes only: text in the old shape, or something that is not base64, is refused by the contract', async () => {
    h = await startHarness();
    await signInAdmin();
    // Through the shells' one validator, as a renderer's payload arrives.
    const refused = await dispatchRequest(h.kiosk.service, 'importTraining', { fileName: 'x.csv', content: 'collar_number\n' }, () => {});
    expect(refused).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    expect(await dispatchRequest(h.kiosk.service, 'importTraining', { fileName: 'x.csv', base64: base64('renew-taser.csv') })).toMatchObject({ ok: true, value: { status: 'applied' } });
    expect(requestSchemas.importTraining.safeParse({ fileName: 'x.csv', base64: 'not base64!' }).success).toBe(false);
    expect(requestSchemas.importTraining.safeParse({ fileName: 'x.csv', base64: 'YWJj' }).success).toBe(true);
    expect(requestSchemas.importTraining.safeParse({ fileName: 'x.csv', base64: 'YWJ' }).success).toBe(false);
  }, SLOW);

  it('answers touches while a 100,000-row upload is checked in the import worker, then gives its report', async () => {
    h = await startHarness();
    await signInAdmin();
    // The bench's export: 100,000 records for officers this demo terminal does not have, so every row is checked and the file is refused.
    const big = Buffer.from(trainingCsv(100_000, 10_000, h.now())).toString('base64');
    const events: string[] = [];
    const upload = h.kiosk.service.request('importTraining', { fileName: 'force.csv', base64: big }).then((result) => {
      events.push('upload answered');
      return result;
    });
    // What a finger on the screen sends meanwhile: "still here" and a screen change.
    expect(await h.kiosk.service.request('stillHere', {})).toMatchObject({ ok: true });
    events.push('touch answered');
    expect(await h.kiosk.service.request('openTraining', {})).toMatchObject({ ok: true });
    events.push('navigation answered');
    const result = await upload;
    expect(events).toEqual(['touch answered', 'navigation answered', 'upload answered']);
    expect(result).toMatchObject({ ok: true, value: { status: 'rejected', rows: 100_000, changed: 0 } });
    expect(result.ok && result.value.problems[0]).toMatchObject({ row: 1, problem: 'unknown-officer' });
    expect(result.ok && result.value.problems).toHaveLength(1001);
  }, SLOW);

  it("imports a file from the drop folder in the import worker too, and logs it as the drop folder's", async () => {
    const folder = tempDir('armoury-drop-');
    const drop = join(folder.dir, 'drop');
    mkdirSync(drop);
    try {
      h = await startHarness({}, undefined, { training: { dropFolder: drop, pull: null } });
      await signInAdmin();
      writeFileSync(join(drop, 'renew-taser.csv'), readFileSync(`${SAMPLES}renew-taser.csv`));
      // Taken once its size has held for one poll (2 s), then moved to processed/ with its report.
      const deadline = Date.now() + 30_000;
      while (!existsSync(join(drop, 'processed', 'renew-taser.csv.report.json'))) {
        if (Date.now() > deadline) throw new Error('the drop folder file was never processed');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const log = await h.call('listTrainingImports', {});
      expect(log).toMatchObject({ ok: true, value: [{ source: 'drop folder', fileName: 'renew-taser.csv', status: 'applied', changed: 2 }] });
      expect(taserValidUntil('PC 2345')).toBe('2027-11-15');
    } finally {
      await h?.close();
      folder.cleanup();
    }
  }, SLOW);
});
