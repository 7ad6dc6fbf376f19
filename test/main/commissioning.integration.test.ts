import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KioskSnapshot, OfficerAdminView, RequestInput, RequestName, ResponseValues, Result } from '../../preload/contract.ts';
import { startKiosk, type RunningKiosk } from '../../main/compose.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { clockStartingAt } from '../../main/system-time.ts';
import { Rdm6300Simulator } from '../../native-bridges/card-reader/rdm6300-simulator.ts';
import { KerongSimulator } from '../../native-bridges/locker-kerong/simulator.ts';
import { openPtyPair, type PtyPair } from '../../native-bridges/sim-args.ts';
import { openSerialTransport } from '../../native-bridges/transport/serial-transport.ts';
import { noonToday, RESOURCES } from '../helpers/kiosk-harness.ts';
import { tempDir } from '../helpers/temp-db.ts';

/**
 * A fresh live install commissioned from nothing, as a site would do it: no demo data, the
 * locker bus and the 125 kHz card reader each a simulator on the far end of a socat pty pair.
 * The first site admin gets in with the one-time setup code, enrols their own card by tapping
 * it and chooses a PIN; HR's personnel file brings everyone else; cards are enrolled by tapping;
 * officers choose their PIN at first sign-in; an armourer resets one; a leaver loses their card.
 */

const ADMIN_CARD = '0AB1C2D3E4';
const ALEX_CARD = '0A11223344';
const BLESSING_CARD = '0A55667788';

// Each import runs in a worker thread of its own, which from a checkout loads the core's
// TypeScript afresh: a second or two each on a loaded 2-core machine, and these tests import
// several files.
const SLOW = 60_000;

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

interface Site {
  dir: string;
  boards: KerongSimulator;
  reader: Rdm6300Simulator;
  configPath: string;
  logs: string[];
}

async function freshSite(): Promise<Site> {
  const t = tempDir('armoury-commission-');
  cleanups.push(t.cleanup);
  const pairs: Record<'bus' | 'card', PtyPair> = {
    bus: await openPtyPair(t.dir, { names: ['busApp', 'busSim'] }),
    card: await openPtyPair(t.dir, { names: ['cardApp', 'cardSim'] }),
  };
  for (const pair of Object.values(pairs)) cleanups.push(() => pair.close());
  const boards = new KerongSimulator(await openSerialTransport(pairs.bus.simPath, 19200), { boards: [0] });
  const reader = new Rdm6300Simulator(await openSerialTransport(pairs.card.simPath, 9600));
  cleanups.push(
    () => boards.close().catch(() => {}),
    () => reader.close().catch(() => {}),
  );
  const config = JSON.parse(readFileSync(join(RESOURCES, 'default-terminal-config.json'), 'utf8')) as Record<string, unknown> & { lockerBank: { buses: Record<string, unknown>[] } };
  config.lockerBank.buses[0] = { id: 'bus-a', protocol: 'kerong', link: { kind: 'serial', path: pairs.bus.appPath, baudRate: 19200 }, pollIntervalMs: 100, boards: [{ address: 0 }] };
  config.cardReaders = [{ id: 'reader', kind: 'rdm6300', link: { kind: 'serial', path: pairs.card.appPath, baudRate: 9600 } }];
  config.scanners = [];
  config.video = { policy: 'off', camera: 'CAM-1', triggers: [] };
  const configPath = join(t.dir, 'terminal-config.json');
  writeFileSync(configPath, JSON.stringify(config));
  return { dir: t.dir, boards, reader, configPath, logs: [] };
}

interface Live {
  kiosk: RunningKiosk;
  latest(): KioskSnapshot;
  call<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>>;
  until(what: string, ok: (s: KioskSnapshot) => boolean): Promise<KioskSnapshot>;
  close(): Promise<void>;
}

const clock = clockStartingAt(noonToday());

async function start(site: Site): Promise<Live> {
  const kiosk = await startKiosk({ dataDir: site.dir, resourcesDir: RESOURCES, demo: false, configPath: site.configPath, clock, log: (line) => site.logs.push(line) });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await kiosk.close();
  };
  cleanups.push(close);
  let latest: KioskSnapshot | null = null;
  kiosk.service.onSnapshot((s) => (latest = s));
  const first = await kiosk.service.request('getSnapshot', {});
  if (first.ok) latest = first.value;
  return {
    kiosk,
    latest: () => latest!,
    call: (method, input) => kiosk.service.request(method, input),
    async until(what, ok) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (latest && ok(latest)) return latest;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last screen ${JSON.stringify(latest?.screen)}, setup ${JSON.stringify(latest?.setup)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close,
  };
}

function setupCode(site: Site): string {
  return readFileSync(join(site.dir, 'setup-code.txt'), 'utf8').trim();
}

function must<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.kind}: ${result.error.message}`);
  return result.value;
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

async function tap(site: Site, k: Live, card: string, screen: (s: KioskSnapshot) => boolean, what: string): Promise<KioskSnapshot> {
  // The reader counts a card as lifted after 500 ms without a frame: two taps closer than that are one.
  await new Promise((resolve) => setTimeout(resolve, 600));
  await site.reader.tap(card);
  return k.until(what, screen);
}

async function commissionAdmin(site: Site, k: Live): Promise<void> {
  await k.until('setup', (s) => s.setup?.step === 'code');
  must(await k.call('submitSetupCode', { code: setupCode(site), collarNumber: 'sgt 100', name: 'Sam Patel' }));
  await tap(site, k, ADMIN_CARD, (s) => s.screen.kind === 'pin' && s.screen.choosing, 'the PIN pad, choosing');
  must(await k.call('choosePin', { pin: '2580', confirm: '2580' }));
  await k.until('signed in', (s) => s.session?.collarNumber === 'SGT 100');
}

function officer(list: OfficerAdminView[], collar: string): OfficerAdminView {
  const found = list.find((o) => o.collarNumber === collar);
  if (!found) throw new Error(`no ${collar} in ${list.map((o) => o.collarNumber).join(', ')}`);
  return found;
}

describe('commissioning a fresh live terminal from nothing', () => {
  it('the first site admin gets in with the one-time setup code, never shown on screen, and enrols their own card and PIN', async () => {
    const site = await freshSite();
    const k = await start(site);
    const setup = await k.until('setup', (s) => s.setup?.step === 'code');
    const code = setupCode(site);
    expect(code).toMatch(/^\d{4} \d{4} \d{4}$/);
    // Only the kiosk's user can read the file; the code is in the console log, never in a snapshot.
    expect(statSync(join(site.dir, 'setup-code.txt')).mode & 0o777).toBe(0o600);
    // So are the database and its journal files: they hold the PIN hashes.
    for (const file of ['armoury.db', 'armoury.db-wal']) expect(statSync(join(site.dir, file)).mode & 0o777).toBe(0o600);
    expect(site.logs.some((l) => l.includes(code))).toBe(true);
    expect(JSON.stringify(setup)).not.toContain(code);
    expect(JSON.stringify(setup)).not.toContain(code.replace(/ /g, ''));
    expect(setup.setup?.codeLocation).toContain('setup-code.txt');

    // Nobody can sign in yet: a tapped card is nobody's.
    const wrong = await k.call('submitSetupCode', { code: '000000000000', collarNumber: 'SGT 100', name: 'Sam Patel' });
    expect(wrong).toMatchObject({ ok: false, error: { kind: 'auth-failed', message: expect.stringContaining('4 tries left') } });

    must(await k.call('submitSetupCode', { code, collarNumber: 'sgt  100', name: 'Sam Patel' }));
    expect((await k.until('tap your card', (s) => s.setup?.step === 'card')).setup?.admin).toBe('SGT 100 Sam Patel');
    // The code is spent.
    expect(await k.call('submitSetupCode', { code, collarNumber: 'PC 1', name: 'Someone Else' })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });

    await tap(site, k, ADMIN_CARD, (s) => s.screen.kind === 'pin' && s.screen.choosing, 'the PIN pad, choosing');
    expect(await k.call('choosePin', { pin: '1234', confirm: '1234' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('run of digits') } });
    expect(await k.call('choosePin', { pin: '7777', confirm: '7777' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('repeated') } });
    expect(await k.call('choosePin', { pin: '2580', confirm: '2581' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('not the same') } });
    must(await k.call('choosePin', { pin: '2580', confirm: '2580' }));
    const signedIn = await k.until('signed in', (s) => s.session !== null);
    expect(signedIn.session).toMatchObject({ collarNumber: 'SGT 100', roles: expect.arrayContaining(['admin']) });
    expect(signedIn.setup).toBeNull();

    // After a restart: commissioned, no new code, the old file gone; the admin signs in with card and PIN.
    await k.close();
    const again = await start(site);
    expect(again.latest().setup).toBeNull();
    expect(existsSync(join(site.dir, 'setup-code.txt'))).toBe(false);
    await tap(site, again, ADMIN_CARD, (s) => s.screen.kind === 'pin' && !s.screen.choosing, 'the PIN pad');
    must(await again.call('submitPin', { pin: '2580' }));
    await again.until('signed in', (s) => s.session?.collarNumber === 'SGT 100');
  });

  it('wrong setup codes sent side by side void the code after five, whatever their order', async () => {
    const site = await freshSite();
    const k = await start(site);
    await k.until('setup', (s) => s.setup?.step === 'code');
    const code = setupCode(site);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => k.call('submitSetupCode', { code: String(100000000000 + i), collarNumber: 'SGT 100', name: 'Sam Patel' })));
    expect(answers.every((a) => !a.ok)).toBe(true);
    expect(await k.call('submitSetupCode', { code, collarNumber: 'SGT 100', name: 'Sam Patel' })).toMatchObject({ ok: false, error: { kind: 'forbidden', message: expect.stringContaining('Restart the terminal') } });
    const db = openDatabase(join(site.dir, 'armoury.db'));
    expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'setup.code-refused'").get()).toEqual({ n: 5 });
    expect(db.prepare('SELECT count(*) AS n FROM officers').get()).toEqual({ n: 0 });
    db.close();
    // A restart prints a new code, and that one works.
    await k.close();
    const again = await start(site);
    const fresh = setupCode(site);
    expect(fresh).not.toBe(code);
    must(await again.call('submitSetupCode', { code: fresh, collarNumber: 'SGT 100', name: 'Sam Patel' }));
  });

  it('HR personnel import, cards enrolled by tapping, first-sign-in PINs, a PIN reset and a leaver', async () => {
    const site = await freshSite();
    const k = await start(site);
    await commissionAdmin(site, k);
    must(await k.call('openPeople', {}));

    // A bad file changes nothing and says which rows are wrong.
    const bad = must(
      await k.call('importPersonnel', {
        fileName: 'hr.csv',
        base64: base64('collar_number,name,roles,unit,status,card_uids\nPC 1234,Alex Smith,officer,Response,active,\nPC 1234,Alex Again,officer,,active,\nPC 2001,Blessing Okoro,sergeant,,active,\nPC 2002,Chris Lee,officer,,on holiday,\n'),
      }),
    );
    expect(bad.status).toBe('rejected');
    expect(bad.problems.map((p) => [p.row, p.problem])).toEqual([
      [2, 'duplicate-row'],
      [3, 'unknown-role'],
      [4, 'bad-status'],
    ]);
    expect(must(await k.call('listOfficers', { query: '' })).map((o) => o.collarNumber)).toEqual(['SGT 100']);

    const file = `collar_number,name,roles,unit,status,card_uids\nPC 1234,Alex Smith,officer,Response,active,\nPC 2001,Blessing Okoro,officer;armourer,Armoury,active,${BLESSING_CARD}\nPC 2002,Chris Lee,officer,Response,suspended,\n`;
    const applied = must(await k.call('importPersonnel', { fileName: 'hr.csv', base64: base64(file) }));
    expect(applied).toMatchObject({ status: 'applied', rows: 3, changed: 3, added: 3, left: 0, problems: [] });
    // The same file again changes nothing.
    expect(must(await k.call('importPersonnel', { fileName: 'hr.csv', base64: base64(file) }))).toMatchObject({ status: 'unchanged', changed: 0 });
    const people = must(await k.call('listOfficers', { query: '' }));
    expect(officer(people, 'PC 2001')).toMatchObject({ roles: ['armourer', 'officer'], cards: [BLESSING_CARD], hasPin: false, unit: 'Armoury' });
    expect(officer(people, 'PC 2002').status).toBe('suspended');

    // Alex's card is enrolled by tapping it; a card someone else holds is refused.
    const alex = officer(people, 'PC 1234');
    must(await k.call('startCardEnrolment', { officerId: alex.id }));
    expect(k.latest().enrolling).toMatchObject({ officerId: alex.id, label: 'PC 1234 Alex Smith' });
    await tap(site, k, BLESSING_CARD, (s) => s.enrolling?.message !== null && s.enrolling?.message !== undefined, 'the refusal');
    expect(k.latest().enrolling?.message).toContain('already enrolled to PC 2001');
    await tap(site, k, ALEX_CARD, (s) => s.enrolling === null && s.screen.kind === 'people', 'the enrolment');
    expect(k.latest().screen).toMatchObject({ kind: 'people', message: expect.stringContaining(`Card ${ALEX_CARD} is now PC 1234 Alex Smith's`) });
    must(await k.call('signOut', {}));

    // Alex's first sign-in: he chooses his PIN, and is signed in.
    await tap(site, k, ALEX_CARD, (s) => s.screen.kind === 'pin' && s.screen.choosing, 'choosing a PIN');
    must(await k.call('choosePin', { pin: '4826', confirm: '4826' }));
    await k.until('Alex signed in', (s) => s.session?.collarNumber === 'PC 1234');
    // Signed in, he cannot reach the people screen.
    expect(await k.call('openPeople', {})).toMatchObject({ ok: false, error: { kind: 'wrong-role' } });
    must(await k.call('signOut', {}));

    // Blessing (armourer, card from HR) chooses her PIN, then resets Alex's.
    await tap(site, k, BLESSING_CARD, (s) => s.screen.kind === 'pin' && s.screen.choosing, 'choosing a PIN');
    must(await k.call('choosePin', { pin: '9137', confirm: '9137' }));
    await k.until('Blessing signed in', (s) => s.session?.collarNumber === 'PC 2001');
    expect(must(await k.call('resetPin', { officerId: alex.id })).hasPin).toBe(false);
    expect(await k.call('importPersonnel', { fileName: 'hr.csv', base64: base64(file) })).toMatchObject({ ok: false, error: { kind: 'wrong-role' } });
    must(await k.call('signOut', {}));
    await tap(site, k, ALEX_CARD, (s) => s.screen.kind === 'pin' && s.screen.choosing, 'choosing a new PIN after the reset');
    expect(await k.call('submitPin', { pin: '4826' })).toMatchObject({ ok: false });
    must(await k.call('cancelPin', {}));

    // Alex leaves: HR's next file says so. His card stops working; his history stays.
    await tap(site, k, ADMIN_CARD, (s) => s.screen.kind === 'pin' && !s.screen.choosing, 'the admin PIN pad');
    must(await k.call('submitPin', { pin: '2580' }));
    await k.until('admin signed in', (s) => s.session?.collarNumber === 'SGT 100');
    const leaver = must(await k.call('importPersonnel', { fileName: 'hr-2.json', base64: base64(JSON.stringify({ officers: [{ collarNumber: 'PC 1234', name: 'Alex Smith', status: 'left' }] })) }));
    expect(leaver).toMatchObject({ status: 'applied', changed: 1, left: 1 });
    expect(officer(must(await k.call('listOfficers', { query: '1234' })), 'PC 1234')).toMatchObject({ status: 'left', cards: [], roles: [], hasPin: false });
    must(await k.call('signOut', {}));
    await tap(site, k, ALEX_CARD, (s) => s.screen.kind === 'pin', 'the PIN pad');
    expect(k.latest().screen).toMatchObject({ kind: 'pin', choosing: false });
    expect(await k.call('submitPin', { pin: '4826' })).toMatchObject({ ok: false, error: { kind: 'auth-failed' } });
  }, SLOW);

  it('an import that would leave no site admin able to sign in is refused whole', async () => {
    const site = await freshSite();
    const k = await start(site);
    await commissionAdmin(site, k);
    const view = must(await k.call('importPersonnel', { fileName: 'hr.csv', base64: base64('collar_number,name,roles\nSGT 100,Sam Patel,officer\nPC 3001,Dee Khan,officer\n') }));
    expect(view).toMatchObject({ status: 'rejected', changed: 0, problems: [{ problem: 'last-admin' }] });
    expect(must(await k.call('listOfficers', { query: '' })).map((o) => o.collarNumber)).toEqual(['SGT 100']);
  });

  it('two first PINs chosen at once for one card set one of them', async () => {
    const site = await freshSite();
    const k = await start(site);
    await k.until('setup', (s) => s.setup?.step === 'code');
    must(await k.call('submitSetupCode', { code: setupCode(site), collarNumber: 'SGT 100', name: 'Sam Patel' }));
    await tap(site, k, ADMIN_CARD, (s) => s.screen.kind === 'pin' && s.screen.choosing, 'choosing');
    const answers = await Promise.all([k.call('choosePin', { pin: '2580', confirm: '2580' }), k.call('choosePin', { pin: '3691', confirm: '3691' })]);
    expect(answers.filter((a) => a.ok)).toHaveLength(1);
    const db = openDatabase(join(site.dir, 'armoury.db'));
    expect(db.prepare('SELECT count(*) AS n FROM pins').get()).toEqual({ n: 1 });
    db.close();
  });

  it('the site register and a training import make a fresh terminal release a Taser to a trained officer, and to nobody else', async () => {
    const site = await freshSite();
    // The doors the example register stocks (1-4) hold their items.
    for (let lock = 0; lock < 4; lock++) site.boards.setItemPresent(0, lock, true);
    const k = await start(site);
    await commissionAdmin(site, k);
    const example = readFileSync(join(RESOURCES, 'site-register-example.json'), 'utf8');
    // A type without its rule is refused whole: an omission never makes an item free to draw.
    const ruleless = JSON.parse(example) as { assetTypes: Record<string, unknown>[] };
    delete ruleless.assetTypes[0]!.rule;
    const refused = must(await k.call('importRegister', { fileName: 'register.json', base64: base64(JSON.stringify(ruleless)) }));
    expect(refused).toMatchObject({ status: 'rejected', changed: 0 });
    expect(refused.problems[0]?.message).toContain('assetTypes[0].rule');
    const applied = must(await k.call('importRegister', { fileName: 'register.json', base64: base64(example) }));
    expect(applied).toMatchObject({ status: 'applied', added: { qualifications: 3, assetTypes: 4, assets: 4 }, problems: [] });
    // The register says the smallest door each type fits (S unless it says otherwise).
    const sizes = openDatabase(join(site.dir, 'armoury.db'));
    // ...and which are pooled stock, counted rather than serialised, with their low-stock threshold.
    expect(sizes.prepare('SELECT code, size_class AS size, pooled, low_stock_below AS low FROM asset_types ORDER BY code').all()).toEqual([
      { code: 'BWC', size: 'S', pooled: 0, low: null },
      { code: 'G17', size: 'M', pooled: 0, low: null },
      { code: 'HIVIS-L', size: 'M', pooled: 1, low: 5 },
      { code: 'TASER7', size: 'S', pooled: 0, low: null },
    ]);
    sizes.close();
    expect(must(await k.call('importRegister', { fileName: 'register.json', base64: base64(example) }))).toMatchObject({ status: 'unchanged', changed: 0 });

    must(await k.call('importPersonnel', { fileName: 'hr.csv', base64: base64(`collar_number,name,roles,card_uids\nPC 1234,Alex Smith,officer,${ALEX_CARD}\nPC 2001,Blessing Okoro,officer,${BLESSING_CARD}\n`) }));
    const today = new Date(noonToday());
    const iso = (days: number) => new Date(today.getTime() + days * 86_400_000).toISOString().slice(0, 10);
    const training = must(await k.call('importTraining', { fileName: 'lms.csv', base64: base64(`collar_number,qualification_code,awarded_on,expires_on\nPC 1234,TASER,${iso(-30)},${iso(300)}\n`) }));
    expect(training.status).toBe('applied');
    must(await k.call('signOut', {}));

    await tap(site, k, ALEX_CARD, (s) => s.screen.kind === 'pin' && s.screen.choosing, 'Alex choosing a PIN');
    must(await k.call('choosePin', { pin: '4826', confirm: '4826' }));
    const alex = await k.until('Alex signed in', (s) => s.session?.collarNumber === 'PC 1234');
    expect(alex.session?.drawOptions.find((o) => o.name === 'Taser 7')).toMatchObject({ allowed: true });
    expect(alex.session?.drawOptions.find((o) => o.name === 'Glock 17')).toMatchObject({ allowed: false });
    must(await k.call('signOut', {}));

    await tap(site, k, BLESSING_CARD, (s) => s.screen.kind === 'pin' && s.screen.choosing, 'Blessing choosing a PIN');
    must(await k.call('choosePin', { pin: '9137', confirm: '9137' }));
    const blessing = await k.until('Blessing signed in', (s) => s.session?.collarNumber === 'PC 2001');
    expect(blessing.session?.drawOptions.find((o) => o.name === 'Taser 7')).toMatchObject({ allowed: false });
  }, SLOW);
});
