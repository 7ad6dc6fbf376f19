import { chmodSync, readFileSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointSignatureValid, parseCheckpoint, type SignedCheckpoint } from '../../../main/core/audit-checkpoint.ts';
import { checkpointsFile, openCheckpointOutbox, type CheckpointOutbox } from '../../../main/devices/audit-anchor-outbox.ts';
import { loadOrCreateTerminalKey, TERMINAL_KEY_FILE, TerminalKeyError } from '../../../main/terminal-key.ts';
import { anchoredDb, type AnchoredDb } from '../../helpers/anchored-db.ts';
import { join, outboxStore, tempDir } from '../../helpers/temp-db.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('armoury-checkpoints-')));
afterEach(() => cleanup());

const stored = (a: AnchoredDb) => a.db.prepare('SELECT seq, reason FROM audit_checkpoints ORDER BY id').all() as { seq: number; reason: string }[];
/** Let the checkpoint queued for after a commit run (it waits for the scheduler's next turn, not for time). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('when checkpoints are signed', () => {
  let a: AnchoredDb;
  afterEach(() => {
    a.anchor.stop();
    a.db.close();
  });

  it('every N rows, once per N, after the commit', async () => {
    a = await anchoredDb(dir, { policy: { everyRows: 5, everyMinutes: 60 } });
    for (let i = 0; i < 12; i++) {
      a.append();
      await nextTurn();
    }
    expect(stored(a)).toEqual([
      { seq: 5, reason: 'rows' },
      { seq: 10, reason: 'rows' },
    ]);
  });

  it('every M minutes, but only when rows were written since the last one', async () => {
    a = await anchoredDb(dir, { policy: { everyRows: 1000, everyMinutes: 15 } });
    a.append();
    a.append();
    await a.time.advance(14 * 60_000);
    expect(stored(a)).toEqual([]);
    await a.time.advance(60_000);
    expect(stored(a)).toEqual([{ seq: 2, reason: 'interval' }]);
    // Nothing written in the next 15 minutes: nothing new to sign.
    await a.time.advance(15 * 60_000);
    expect(stored(a)).toHaveLength(1);
    a.append();
    await a.time.advance(15 * 60_000);
    expect(stored(a)).toEqual([
      { seq: 2, reason: 'interval' },
      { seq: 3, reason: 'interval' },
    ]);
  });

  it('at every sign-out', async () => {
    a = await anchoredDb(dir);
    a.append();
    a.db.transaction(() => a.audit.append({ actor: 'officer:1', action: 'auth.signed-out', subject: 'officer:1', details: { why: 'sign-out' } }, a.time.now())).immediate();
    await nextTurn();
    expect(stored(a)).toEqual([{ seq: 2, reason: 'sign-out' }]);
  });

  it('never over a trail that has not passed its check, and once it passes, over what was written meanwhile', async () => {
    a = await anchoredDb(dir);
    // A fresh anchor over the same database, whose check has not answered yet.
    let answer: (ok: boolean) => void = () => {};
    const { AuditAnchor } = await import('../../../main/core/audit-anchor.ts');
    const { Exceptions } = await import('../../../main/core/exceptions.ts');
    const { checkAuditIntegrity } = await import('../../../main/core/audit-integrity.ts');
    const waiting = new AuditAnchor(a.db, a.audit, a.time, a.time, new Exceptions(a.db, a.audit, a.time), {
      signer: a.signer,
      terminalId: () => 'terminal-1',
      policy: () => ({ everyRows: 1, everyMinutes: 60 }),
      sink: null,
      checker: { check: () => new Promise((resolve) => (answer = () => resolve(checkAuditIntegrity(a.db, { publicKeyPem: a.signer.publicKeyPem, signatures: 'latest' })))) },
      log: () => {},
      changed: () => {},
    });
    const started = waiting.start();
    expect(waiting.blocked()).toMatch(/still being checked/);
    a.append();
    a.append();
    await nextTurn();
    expect(waiting.checkpoint('rows')).toBeNull();
    expect(stored(a)).toEqual([]);
    answer(true);
    await started;
    expect(waiting.blocked()).toBeNull();
    expect(stored(a)).toEqual([{ seq: 2, reason: 'rows' }]);
    waiting.stop();
  });
});

describe('checkpoints leave the terminal through the durable outbox', () => {
  it('as JSON lines in the configured folder, each verifying with the terminal key', async () => {
    const anchorDir = join(dir, 'other-volume');
    // The folder is the mount point of another volume: the terminal never makes it (see the next test).
    (await import('node:fs')).mkdirSync(anchorDir);
    const outbox = (await openCheckpointOutbox({ webhook: null, directory: anchorDir }, { terminalId: 'terminal-7', store: outboxStore(dir, 'audit-checkpoint'), legacyDir: join(dir, 'outbox'), log: () => {} })) as CheckpointOutbox;
    const a = await anchoredDb(dir, { sink: outbox, terminalId: 'terminal-7', policy: { everyRows: 2, everyMinutes: 60 } });
    for (let i = 0; i < 4; i++) {
      a.append();
      await nextTurn();
    }
    await a.anchor.whenQueued();
    await outbox.whenDelivered();
    const lines = readFileSync(checkpointsFile(anchorDir, 'terminal-7'), 'utf8').trim().split('\n');
    const exported = lines.map((l) => parseCheckpoint(l) as SignedCheckpoint);
    expect(exported.map((c) => [c.seq, c.terminalId, c.reason])).toEqual([
      [2, 'terminal-7', 'rows'],
      [4, 'terminal-7', 'rows'],
    ]);
    for (const c of exported) expect(checkpointSignatureValid(c, a.signer.publicKeyPem)).toBe(true);
    a.anchor.stop();
    a.db.close();
    await outbox.close();
  });

  it('keeps a checkpoint queued while the folder is missing, and delivers it once it is back', async () => {
    const { mkdirSync } = await import('node:fs');
    const anchorDir = join(dir, 'unmounted');
    const outbox = (await openCheckpointOutbox(
      { webhook: null, directory: anchorDir },
      { terminalId: 'terminal-1', store: outboxStore(dir, 'audit-checkpoint'), legacyDir: join(dir, 'outbox'), log: () => {}, backoff: { minMs: 20, maxMs: 40 } },
    )) as CheckpointOutbox;
    const a = await anchoredDb(dir, { sink: outbox });
    a.append();
    a.anchor.checkpoint('rows');
    await a.anchor.whenQueued();
    await new Promise((resolve) => setTimeout(resolve, 100));
    mkdirSync(anchorDir);
    await outbox.whenDelivered();
    expect(readFileSync(checkpointsFile(anchorDir, 'terminal-1'), 'utf8').trim().split('\n')).toHaveLength(1);
    a.anchor.stop();
    a.db.close();
    await outbox.close();
  });
});

describe("the terminal's signing key", () => {
  it('is made once, readable by the kiosk user alone, and the same key on the next start', () => {
    const first = loadOrCreateTerminalKey(dir);
    expect(statSync(join(dir, TERMINAL_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(first.fingerprint).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    const again = loadOrCreateTerminalKey(dir);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.publicKeyPem).toBe(first.publicKeyPem);
  });

  it('stops the start with a clear error when others can read it', () => {
    loadOrCreateTerminalKey(dir);
    const path = join(dir, TERMINAL_KEY_FILE);
    chmodSync(path, 0o644);
    expect(() => loadOrCreateTerminalKey(dir)).toThrow(TerminalKeyError);
    expect(() => loadOrCreateTerminalKey(dir)).toThrow(`can be read by users other than the kiosk user (mode 0644). Anyone who can read it can forge audit checkpoints. Run "chmod 600 ${path}"`);
    chmodSync(path, 0o640);
    expect(() => loadOrCreateTerminalKey(dir)).toThrow(/mode 0640/);
  });
});

describe('the checkpoint webhook', () => {
  it('gets each checkpoint line, signed with the shared secret and keyed by terminal and row', async () => {
    const { createServer } = await import('node:http');
    const { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } = await import('../../../native-bridges/video-trigger/webhook.ts');
    const secret = 'a-shared-secret-of-some-length';
    const received: { body: string; signed: boolean; key: string | undefined }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ body, signed: verifyWebhookSignature(body, secret, req.headers[SIGNATURE_HEADER] as string | undefined), key: req.headers[IDEMPOTENCY_HEADER] as string | undefined });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const outbox = (await openCheckpointOutbox({ webhook: { url: `http://127.0.0.1:${port}/checkpoints`, secret }, directory: null }, { terminalId: 'terminal-1', store: outboxStore(dir, 'audit-checkpoint'), legacyDir: join(dir, 'outbox'), log: () => {} })) as CheckpointOutbox;
    const a = await anchoredDb(dir, { sink: outbox });
    a.append();
    a.append();
    const signed = a.anchor.checkpoint('rows');
    await a.anchor.whenQueued();
    await outbox.whenDelivered();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ signed: true, key: 'terminal-1:audit-checkpoint:2' });
    const c = parseCheckpoint(received[0]!.body) as SignedCheckpoint;
    expect(c).toEqual(signed);
    expect(checkpointSignatureValid(c, a.signer.publicKeyPem)).toBe(true);
    a.anchor.stop();
    a.db.close();
    await outbox.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps its secret masked in views, and back only for the same origin', async () => {
    const { checkTerminalConfig, maskSecrets, unmaskSecrets, secretsStillMasked, SECRET_MASK } = await import('../../../main/config/terminal-config.ts');
    const raw = JSON.parse(readFileSync(new URL('../../../resources/default-terminal-config.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const checked = checkTerminalConfig({ ...raw, auditAnchor: { webhook: { url: 'https://anchor.example/in', secret: 'x'.repeat(20) }, directory: '/mnt/audit-anchor' } });
    if (!checked.ok) throw new Error(checked.problems.join('; '));
    expect(checked.config.policy).toMatchObject({ auditCheckpointEveryRows: 500, auditCheckpointEveryMinutes: 15 });
    const masked = maskSecrets(checked.config);
    expect(masked.auditAnchor.webhook?.secret).toBe(SECRET_MASK);
    expect(unmaskSecrets(masked, checked.config).auditAnchor.webhook?.secret).toBe('x'.repeat(20));
    const elsewhere = { ...masked, auditAnchor: { ...masked.auditAnchor, webhook: { url: 'https://attacker.example/in', secret: SECRET_MASK } } };
    expect(secretsStillMasked(unmaskSecrets(elsewhere, checked.config))).toContain('auditAnchor.webhook.secret: give the secret (the masked value only keeps one already saved for this URL)');
    expect(checkTerminalConfig({ ...raw, auditAnchor: { webhook: null, directory: 'relative/dir' } })).toMatchObject({ ok: false });
  });
});
