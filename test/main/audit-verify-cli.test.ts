import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointsFile, openCheckpointOutbox, type CheckpointOutbox } from '../../main/devices/audit-anchor-outbox.ts';
import { anchoredDb, rewriteAndRehash, tamper } from '../helpers/anchored-db.ts';
import { join, outboxStore, tempDir } from '../helpers/temp-db.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

let dir: string;
let cleanup: () => void;
let original: string;
let publicKey: string;
let exported: string;

/** The verifier as an investigator runs it, in its own process; its exit code and what it printed. */
async function verify(db: string, key = publicKey, checkpoints = exported, viaNpm = false): Promise<{ code: number; out: string }> {
  const args = ['--db', db, '--public-key', key, '--checkpoints', checkpoints];
  try {
    const { stdout } = viaNpm
      ? await run('npm', ['run', '--silent', 'audit:verify', '--', ...args], { cwd: ROOT })
      : await run(process.execPath, ['main/audit-verify.ts', ...args], { cwd: ROOT });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

/** A copy of the terminal's database, as seized for an investigation. */
function copyOf(name: string): string {
  const path = join(dir, `${name}.db`);
  copyFileSync(original, path);
  return path;
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('armoury-verify-cli-'));
  const terminal = join(dir, 'terminal');
  const anchorDir = join(dir, 'anchor-volume');
  mkdirSync(terminal);
  mkdirSync(anchorDir);
  const outbox = (await openCheckpointOutbox({ webhook: null, directory: anchorDir }, { terminalId: 'terminal-1', store: outboxStore(terminal, 'audit-checkpoint'), legacyDir: join(terminal, 'outbox'), log: () => {} })) as CheckpointOutbox;
  const a = await anchoredDb(terminal, { sink: outbox });
  for (let i = 1; i <= 12; i++) {
    a.append();
    if (i % 4 === 0) a.anchor.checkpoint('rows');
  }
  a.append();
  await a.anchor.whenQueued();
  await outbox.whenDelivered();
  // The WAL folded into the file, so a plain copy of armoury.db is the whole database.
  a.db.pragma('wal_checkpoint(TRUNCATE)');
  a.anchor.stop();
  a.db.close();
  await outbox.close();
  original = a.path;
  publicKey = join(dir, 'terminal-1.pem');
  writeFileSync(publicKey, a.signer.publicKeyPem);
  exported = checkpointsFile(anchorDir, 'terminal-1');
});
afterAll(() => cleanup());

describe('npm run audit:verify', () => {
  it('says VERIFIED and exits 0 for an untouched copy', async () => {
    const { code, out } = await verify(copyOf('intact'), publicKey, exported, true);
    expect(out).toContain('Audit trail: VERIFIED');
    expect(out).toContain('13 rows walked, last row 13');
    expect(out).toContain('Checkpoints: 3 in the file, 3 in the database; the latest covers rows 1–12');
    expect(code).toBe(0);
  });

  it('names the first broken row of an edited copy and exits 1', async () => {
    const db = copyOf('edited');
    tamper(db, (d) => d.exec("UPDATE audit_log SET subject = 'bank:99' WHERE seq = 3"));
    const { code, out } = await verify(db);
    expect(out).toContain('Audit trail: FAILED');
    expect(out).toContain('First broken row: 3');
    expect(out).toContain('- row 3 content does not match its hash (altered)');
    expect(code).toBe(1);
  });

  it('says the chain is shorter than the signed checkpoint when rows and the stored checkpoints are both cut', async () => {
    const db = copyOf('cut');
    // The attacker deletes the tail and the checkpoints inside the database: the exported copy still holds them.
    tamper(db, (d) => d.exec('DELETE FROM audit_log WHERE seq > 6; DELETE FROM audit_checkpoints WHERE seq > 6'));
    const { code, out } = await verify(db);
    expect(out).toContain('The chain is shorter than the signed checkpoint: it ends at row 6, the checkpoint covers up to row 12');
    expect(out).toContain('First broken row: 7');
    expect(code).toBe(1);
  });

  it('catches a rewrite with every hash recomputed and the stored checkpoints deleted, from the exported ones', async () => {
    const db = copyOf('rehashed');
    tamper(db, (d) => {
      rewriteAndRehash(d, 10, 'bank:99');
      d.exec('DELETE FROM audit_checkpoints');
    });
    const { code, out } = await verify(db);
    expect(out).toContain('Checkpoints: 3 in the file, 0 in the database');
    expect(out).toContain('First broken row: 9');
    expect(out).toMatch(/- rows 9–12 were rewritten: row 12's hash no longer matches/);
    expect(code).toBe(1);
  });

  it('fails every checkpoint against the wrong public key', async () => {
    const wrong = join(dir, 'wrong.pem');
    writeFileSync(wrong, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const { code, out } = await verify(copyOf('wrong-key'), wrong);
    // The file and the database hold the same three checkpoints: each is reported once.
    expect(out.match(/has a bad signature/g)).toHaveLength(3);
    expect(out).toContain('Audit trail: FAILED');
    expect(code).toBe(1);
  });

  it('reports dropped triggers on the copy', async () => {
    const db = copyOf('no-triggers');
    tamper(db, () => {}, { restoreTriggers: false });
    const { code, out } = await verify(db);
    expect(out).toContain('- the audit_log_insert_guard trigger is missing: someone dropped it');
    expect(code).toBe(1);
  });

  it('exits 2 with the usage when it cannot check', async () => {
    const { code, out } = await verify(join(dir, 'no-such.db'));
    expect(out).toContain('cannot open the database');
    expect(out).toContain('usage: npm run audit:verify');
    expect(code).toBe(2);
  });
});
