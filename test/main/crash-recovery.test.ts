import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/core/db/database.ts';
import { AuditLog } from '../../main/core/audit.ts';
import { RESOURCES, startHarness, type Harness } from '../helpers/kiosk-harness.ts';
import { tempDir } from '../helpers/temp-db.ts';

let cleanup: (() => void) | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  cleanup?.();
});

/** Run the fixture until its door is open with the item in hand, then SIGKILL it. */
async function drawThenKill(dataDir: string): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fixtures/draw-then-die.ts', import.meta.url).pathname, dataDir, RESOURCES], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const door = await new Promise<number>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`fixture exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^DOOR_OPEN (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return door;
}

describe('a process killed mid-draw', () => {
  it('loses nothing committed and settles the open intent at the next start', async () => {
    const t = tempDir('armoury-crash-');
    cleanup = t.cleanup;
    const door = await drawThenKill(t.dir);

    // What was committed before the kill: the intent, the door seen open, the item marked issuing.
    const before = openDatabase(`${t.dir}/armoury.db`);
    expect(before.prepare("SELECT kind, state FROM door_intents").all()).toEqual([{ kind: 'draw', state: 'open' }]);
    expect(before.prepare("SELECT count(*) AS n FROM assets WHERE status = 'issuing'").get()).toEqual({ n: 1 });
    before.close();

    // Restart on the same files. The simulated bank comes back with the door shut and the
    // Taser behind it (the simulator restarts from the database), so nothing was issued.
    h = await startHarness({}, t.dir);
    const db = openDatabase(`${t.dir}/armoury.db`);
    expect(db.prepare('SELECT state, outcome FROM door_intents').get()).toEqual({ state: 'cancelled', outcome: 'found closed at start-up with the item still inside' });
    expect(db.prepare("SELECT count(*) AS n FROM assets WHERE status = 'issuing'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT a.status FROM assets a JOIN doors d ON d.id = a.door_id WHERE d.number = ?').get(door)).toEqual({ status: 'available' });
    expect(new AuditLog(db).verify().ok).toBe(true);
    db.close();
    expect(h.latest()?.screen.kind).toBe('idle');
  });
});
