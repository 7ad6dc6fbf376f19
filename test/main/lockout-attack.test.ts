import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Result, WsServerMessage } from '../../preload/contract.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { startBrowserShell, type BrowserShell } from '../../main/shell/browser-shell.ts';
import { startHarness, type Harness } from '../helpers/kiosk-harness.ts';

/**
 * The lockout replayed as an attacker would, through the browser shell's real socket: one card
 * tap, then PINs sent faster than they can be checked, side by side on several sockets (one
 * socket caps the requests it has in flight). Whatever the interleaving, the card locks after
 * the fifth failure and the right PIN is refused after that.
 */

// Demo cards (resources/demo-site.json).
const ALEX = { card: '04A1B2C3D4', pin: '1234' };
const PRIYA = { card: '04B2C3D4E5', pin: '2345' }; // Taser refresher expired: her draw needs an override
const MARCUS = { card: '04293A4B5C', pin: '9002' }; // armourer
const MAX_FAILURES = 5;

let h: Harness | null = null;
let shell: BrowserShell | null = null;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await shell?.close();
  await h?.close();
  shell = null;
  h = null;
});

interface Client {
  call(method: string, input: unknown): Promise<Result<unknown>>;
}

async function connect(): Promise<Client> {
  if (!shell) throw new Error('no shell');
  const page = new URL(shell.origin);
  const socket = new WebSocket(`ws://${page.host}/api`, { origin: page.origin, headers: { Cookie: shell.sessionCookie } });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let next = 1;
  const waiting = new Map<number, (result: Result<unknown>) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as WsServerMessage;
    if (message.type === 'result') waiting.get(message.id)?.(message.result as Result<unknown>);
  });
  return {
    call: (method, input) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        socket.send(JSON.stringify({ id, method, input }));
      }),
  };
}

async function start(): Promise<Client[]> {
  h = await startHarness({ lockoutFailures: MAX_FAILURES, lockoutMinutes: 15 });
  const staticDir = join(h.dataDir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>kiosk</title>');
  shell = await startBrowserShell({ service: h.kiosk.service, staticDir, log: () => {} });
  return Promise.all([connect(), connect(), connect(), connect()]);
}

function audited(action: string): number {
  const db = openDatabase(`${h!.dataDir}/armoury.db`);
  try {
    return db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM audit_log WHERE action = ?').get(action)!.n;
  } finally {
    db.close();
  }
}

async function tapAndWaitForPin(client: Client, card: string): Promise<void> {
  expect((await client.call('demoTapCard', { uid: card })).ok).toBe(true);
  await h!.waitFor((s) => s.screen.kind === 'pin');
}

describe('the sign-in lockout holds against PINs sent in parallel', () => {
  it('wrong PINs one at a time, two copies at once at every fifth attempt, then the right PIN: refused', async () => {
    const [a, b] = await start();
    // A clean sign-in first: the count starts from nothing.
    await tapAndWaitForPin(a!, ALEX.card);
    expect((await a!.call('submitPin', { pin: ALEX.pin })).ok).toBe(true);
    expect((await a!.call('signOut', {})).ok).toBe(true);
    await h!.waitFor((s) => s.screen.kind === 'idle');

    await tapAndWaitForPin(a!, ALEX.card);
    const answers: Result<unknown>[] = [];
    for (let attempt = 1; attempt <= 3 * MAX_FAILURES; attempt++) {
      const wrong = String(5000 + attempt);
      if (attempt % 5 === 0) answers.push(...(await Promise.all([a!.call('submitPin', { pin: wrong }), b!.call('submitPin', { pin: wrong })])));
      else answers.push(await a!.call('submitPin', { pin: wrong }));
    }
    const right = await a!.call('submitPin', { pin: ALEX.pin });

    expect(answers.every((r) => !r.ok)).toBe(true);
    expect(right.ok).toBe(false);
    expect(right.ok ? '' : right.error.message).toMatch(/locked until/);
    expect(h!.latest()?.session).toBeNull();
    // Exactly five PINs were checked against the hash; every later one was refused as locked.
    expect(audited('auth.failed')).toBe(MAX_FAILURES - 1);
    expect(audited('auth.locked')).toBe(1);
    expect(audited('auth.refused-locked')).toBe(answers.length + 1 - MAX_FAILURES);
    expect(audited('auth.signed-in')).toBe(1);
  });

  it('100 wrong PINs at once over four sockets, then the right PIN: refused', async () => {
    const clients = await start();
    await tapAndWaitForPin(clients[0]!, ALEX.card);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => clients[i % clients.length]!.call('submitPin', { pin: String(6000 + i) })));
    const right = await clients[0]!.call('submitPin', { pin: ALEX.pin });

    expect(answers.filter((r) => r.ok)).toHaveLength(0);
    expect(right.ok).toBe(false);
    expect(h!.latest()?.session).toBeNull();
    expect(audited('auth.failed') + audited('auth.locked')).toBe(MAX_FAILURES);
    expect(audited('auth.signed-in')).toBe(0);
  });

  it("an armourer's override PIN locks the same way: 100 wrong ones at once, then the right one is refused", async () => {
    const clients = await start();
    const [a] = clients;
    await tapAndWaitForPin(a!, PRIYA.card);
    expect((await a!.call('submitPin', { pin: PRIYA.pin })).ok).toBe(true);
    // Priya asks for an override on a Taser; Marcus's card is the armourer's.
    const option = h!.latest()?.session?.drawOptions.find((o) => o.name === 'Taser 7');
    if (!option) throw new Error('no Taser 7 option for Priya');
    const begun = await a!.call('requestOverride', { assetTypeId: option.assetTypeId });
    expect(begun.ok).toBe(true);
    expect((await a!.call('demoTapCard', { uid: MARCUS.card })).ok).toBe(true);
    await h!.waitFor((s) => s.screen.kind === 'override' && s.screen.step === 'armourer-pin');

    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => clients[i % clients.length]!.call('submitOverridePin', { pin: String(7000 + i) })));
    const right = await a!.call('submitOverridePin', { pin: MARCUS.pin });

    expect(answers.filter((r) => r.ok)).toHaveLength(0);
    expect(right.ok).toBe(false);
    expect(audited('auth.failed') + audited('auth.locked')).toBe(MAX_FAILURES);
    expect(audited('auth.locked')).toBe(1);
  });
});
