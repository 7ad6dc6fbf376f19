import { afterEach, describe, expect, it } from 'vitest';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppendFile, readFileIfExists, syncDirectory, writeFileAtomic } from '../../../native-bridges/outbox/durable-file.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'durable-file-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const posix = process.platform !== 'win32';

describe('writeFileAtomic', () => {
  it('a reader polling during replacements always finds the old content or the new, never part of one', async () => {
    const dir = await tempDir();
    const path = join(dir, 'picture.json');
    // Several MiB each, so a write that is not atomic would be seen part-way (and a short read would differ).
    const versions = ['a', 'b', 'c'].map((c) => `${c.repeat(3 * 1024 * 1024)}\n`);
    await writeFileAtomic(path, versions[0]!);
    let writing = true;
    const seen = new Set<number>();
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        const text = await readFile(path, 'utf8');
        const version = versions.indexOf(text);
        expect(version, `read ${text.length} bytes starting ${JSON.stringify(text.slice(0, 1))}`).toBeGreaterThanOrEqual(0);
        seen.add(version);
        reads++;
      }
    })();
    for (let i = 1; i <= 15; i++) await writeFileAtomic(path, versions[i % versions.length]!, { syncDir: 'best-effort' });
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(await readFile(path, 'utf8')).toBe(versions[15 % versions.length]);
    expect(await readdir(dir)).toEqual(['picture.json']);
  });

  it('overlapping writes to one path each use their own temp file, and one of them wins whole', async () => {
    const dir = await tempDir();
    const path = join(dir, 'state.json');
    const texts = Array.from({ length: 8 }, (_, i) => JSON.stringify({ sequence: i, pad: 'x'.repeat(100_000) }));
    await Promise.all(texts.map((t) => writeFileAtomic(path, t)));
    expect(texts).toContain(await readFile(path, 'utf8'));
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('a failed replace leaves the old file as it was and no temp file behind', async () => {
    const dir = await tempDir();
    const path = join(dir, 'doc.json');
    await writeFileAtomic(path, 'old');
    // The rename fails: the destination is now a non-empty directory.
    await rm(path);
    await mkdir(join(path, 'inside'), { recursive: true });
    await expect(writeFileAtomic(path, 'new')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['doc.json']);
    expect(await readdir(path)).toEqual(['inside']);
    // And where the folder is missing, nothing is created.
    await expect(writeFileAtomic(join(dir, 'missing', 'doc.json'), 'new')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.runIf(posix)('gives the new file the requested mode, 0o600 by default, whatever the old one had', async () => {
    const dir = await tempDir();
    const path = join(dir, 'doc.json');
    await writeFile(path, 'old', { mode: 0o666 });
    await writeFileAtomic(path, 'new');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await writeFileAtomic(path, 'newer', { mode: 0o640, syncDir: 'best-effort' });
    // The umask may take bits away, never add them: nothing for others, no group write.
    const mode = (await stat(path)).mode & 0o777;
    expect(mode & 0o027).toBe(0);
    expect(mode & 0o600).toBe(0o600);
  });
});

describe('AppendFile', () => {
  it('keeps every line across close and reopen, in order', async () => {
    const dir = await tempDir();
    const path = join(dir, 'log.jsonl');
    const first = await AppendFile.open(path);
    await first.appendLine('{"n":1}');
    await first.appendLine('{"n":2}');
    await first.close();
    const second = await AppendFile.open(path);
    await second.appendLine('{"n":3}');
    await second.close();
    expect(await readFile(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    await expect(second.appendLine('{"n":4}')).rejects.toThrow(/closed/);
  });

  it('after a torn last line (power lost mid-write), the next line starts on its own line and survives', async () => {
    const dir = await tempDir();
    const path = join(dir, 'log.jsonl');
    const log = await AppendFile.open(path);
    await log.appendLine('{"n":1}');
    await log.close();
    await appendFile(path, '{"n":2,"half');
    const reopened = await AppendFile.open(path);
    await reopened.appendLine('{"n":3}');
    await reopened.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toEqual(['{"n":1}', '{"n":2,"half', '{"n":3}', '']);
  });

  it.runIf(posix)('creates the file with mode 0o600 by default', async () => {
    const dir = await tempDir();
    const path = join(dir, 'log.jsonl');
    await (await AppendFile.open(path)).close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});

describe('readFileIfExists and syncDirectory', () => {
  it('reads a file, gives null for a missing one, and throws anything else', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.txt'), 'text');
    expect(await readFileIfExists(join(dir, 'a.txt'))).toBe('text');
    expect(await readFileIfExists(join(dir, 'nope.txt'))).toBeNull();
    await expect(readFileIfExists(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it.runIf(posix)('syncs an existing folder and fails for a missing one', async () => {
    const dir = await tempDir();
    await expect(syncDirectory(dir)).resolves.toBeUndefined();
    await expect(syncDirectory(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
