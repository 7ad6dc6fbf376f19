import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../main/core/db/database.ts';
import type { DoorIntent } from '../../../main/core/door-intents.ts';
import { beginExhibitDeposit, beginExhibitRetrieval } from '../../../main/core/journeys/exhibit.ts';
import type { VideoEventInput } from '../../../main/core/ports.ts';
import { doorCore, type DoorCore } from '../../helpers/door-core.ts';
import { ManualTime } from '../../helpers/manual-time.ts';
import { exhibitSample } from '../../helpers/exhibit-sample.ts';
import { join, officerIdByCollar, seededDb, tempDir } from '../../helpers/temp-db.ts';

/**
 * Exhibits (PCD 1698) on the demo site, through the door intent table as the kiosk drives it:
 * deposit is one way, drugs come out only with two property officers, a reseal is recorded,
 * a firearm needs a made-safe declaration by an authorised officer, and a dwell alarm fires on
 * the terminal's clock.
 */

const START = '2026-11-21T10:00:00.000Z';
let dir: string;
let cleanup: () => void;
let db: Db;
let time: ManualTime;
let core: DoorCore;
let video: VideoEventInput[];

beforeEach(async () => {
  ({ dir, cleanup } = tempDir('armoury-exhibits-'));
  time = new ManualTime(START);
  db = await seededDb(join(dir, 'armoury.db'), new Date(START));
  video = [];
  core = doorCore(db, time, { video: { stage: (event) => video.push(event) } });
});
afterEach(() => {
  db.close();
  cleanup();
});

const id = (collar: string) => officerIdByCollar(db, collar);

const exhibit = exhibitSample;

/** The door as the sensors see it, through the same table the kiosk uses: open, then shut with or without the item. */
function door(intent: DoorIntent, end: 'closed-with-item' | 'closed-empty'): void {
  const { intents } = core.services;
  intents.unlockSent(intent.id);
  intents.apply(intent.id, 'door-opened', 'door opened');
  const change = intents.apply(intent.id, end, 'door closed');
  if (change?.effect === 'item-in') intents.finishIn(intent.id, 'exhibit in and door shut');
}

function deposit(collar: string, overrides: Parameters<typeof exhibitSample>[0] = {}): DoorIntent {
  const begun = beginExhibitDeposit(core.services, id(collar), exhibit(overrides), new Set());
  if (!begun.ok) throw new Error(begun.message);
  door(begun.intent, 'closed-with-item');
  return begun.intent;
}

const only = () => core.services.exhibits.list('')[0]!;

describe('depositing an exhibit', () => {
  it('puts it in the smallest free door that may hold it, records the event with its audit row, and asks for the footage to be kept', () => {
    const intent = deposit('PC 1234');
    expect(intent.doorNumber).toBe(13);
    const stored = only();
    expect(stored).toMatchObject({ reference: 'AP/1', state: 'stored', doorNumber: 13, seals: ['SEAL-100231'], depositedBy: 'PC 1234 Alex Morgan', twoPerson: true });
    expect(stored.events.map((e) => [e.kind, e.officer, e.doorNumber])).toEqual([['deposited', 'PC 1234 Alex Morgan', 13]]);
    const row = db.prepare<[number], { action: string; subject: string }>('SELECT action, subject FROM audit_log WHERE seq = ?').get(stored.events[0]!.auditSeq);
    expect(row).toEqual({ action: 'exhibit.deposited', subject: `exhibit:${stored.id}` });
    // The door's bookmark, then the request to preserve that footage.
    expect(video.map((v) => `${v.kind} ${v.asset}`)).toEqual(['DOOR AP/1 (23/41877/26)', 'evidence-lock AP/1 (23/41877/26)']);
    // Its door is occupied: the next return goes elsewhere.
    expect(core.services.intents.freeDoor(new Set())?.number).toBe(14);
  });

  it('records nothing as deposited when the door shuts without it', () => {
    const begun = beginExhibitDeposit(core.services, id('PC 1234'), exhibit(), new Set());
    expect(begun.ok).toBe(true);
    if (begun.ok) door(begun.intent, 'closed-empty');
    expect(core.services.exhibits.list('')).toEqual([]);
    expect(db.prepare("SELECT state FROM exhibits WHERE reference = 'AP/1'").get()).toEqual({ state: 'not-deposited' });
  });

  it('refuses a firearm not declared made safe, or declared by someone not authorised; an AFO declares it', () => {
    // The demo's doors are all size M: a pistol in a large bag fits; a firearm box (L) would not.
    const gun = exhibit({ reference: 'GW/1', category: 'firearm', bagType: 'large bag', madeSafe: true });
    expect(beginExhibitDeposit(core.services, id('PC 1234'), { ...gun, madeSafe: false }, new Set())).toMatchObject({ ok: false, message: 'A firearm exhibit must be declared made safe before it is deposited.' });
    expect(beginExhibitDeposit(core.services, id('PC 1234'), gun, new Set())).toMatchObject({ ok: false, message: expect.stringMatching(/^Only an armourer or an authorised firearms officer/) });
    expect(db.prepare("SELECT count(*) AS n FROM exhibits WHERE reference = 'GW/1'").get()).toEqual({ n: 0 });
    deposit('PC 6789', { ...gun });
    expect(only()).toMatchObject({ reference: 'GW/1', madeSafeBy: 'PC 6789 Grace Walsh', category: 'firearm' });
  });

  it('refuses a seizure time in the future', () => {
    expect(beginExhibitDeposit(core.services, id('PC 1234'), exhibit({ seizedAt: '2026-11-21T11:00:00.000Z' }), new Set())).toMatchObject({ ok: false, message: 'The time it was seized is in the future: check the day and time.' });
  });

  it('refuses a second deposit of the same exhibit while it is stored', () => {
    deposit('PC 1234');
    expect(beginExhibitDeposit(core.services, id('PC 1234'), exhibit(), new Set())).toMatchObject({ ok: false, message: 'Exhibit AP/1 of 23/41877/26 is already in the lockers.' });
  });
});

describe('retrieving an exhibit', () => {
  it('is one way for the depositor, needs two property officers for drugs, and records both', () => {
    deposit('PRP 01'); // a property officer deposits it: they still cannot take it back out
    const { id: exhibitId } = only();
    expect(beginExhibitRetrieval(core.services, id('PRP 01'), exhibitId, id('PRP 02'), 'examination', new Set())).toMatchObject({ ok: false, message: expect.stringMatching(/^Deposit is one way/) });
    expect(beginExhibitRetrieval(core.services, id('PRP 02'), exhibitId, null, 'examination', new Set())).toMatchObject({ ok: false, message: 'A drugs exhibit is retrieved by two property officers.' });
    const begun = beginExhibitRetrieval(core.services, id('PRP 02'), exhibitId, id('PRP 01'), 'examination', new Set());
    expect(begun.ok).toBe(true);
    if (begun.ok) door(begun.intent, 'closed-empty');
    const out = only();
    expect(out).toMatchObject({ state: 'retrieved', doorNumber: null });
    expect(out.events.at(-1)).toMatchObject({ kind: 'retrieved', officer: 'PRP 02 Ruth Adams', witness: 'PRP 01 Lee Carter', doorNumber: 13, detail: 'examination' });
    expect(video.filter((v) => v.kind === 'evidence-lock')).toHaveLength(2);
  });

  it('records a reseal (old seal, new seal, who, why) and takes it back only under its new seal', () => {
    deposit('PC 1234', { category: 'digital', reference: 'AP/2' });
    const begun = beginExhibitRetrieval(core.services, id('PRP 01'), only().id, null, 'examination', new Set());
    if (begun.ok) door(begun.intent, 'closed-empty');
    const { exhibits } = core.services;
    expect(exhibits.reseal(id('PRP 01'), only().id, 'SEAL-999999', 'SEAL-200400', 'opened for imaging')).toMatchObject({ ok: false, message: 'SEAL-999999 is not a seal of exhibit AP/2 (on record: SEAL-100231).' });
    expect(exhibits.reseal(id('PRP 01'), only().id, 'SEAL-100231', 'SEAL-200400', 'opened for imaging')).toMatchObject({ ok: true, exhibit: { seals: ['SEAL-200400'] } });
    expect(only().events.at(-1)).toMatchObject({ kind: 'resealed', officer: 'PRP 01 Lee Carter', detail: 'SEAL-100231 → SEAL-200400: opened for imaging' });
    expect(beginExhibitDeposit(core.services, id('PRP 01'), exhibit({ category: 'digital', reference: 'AP/2' }), new Set())).toMatchObject({ ok: false, message: expect.stringMatching(/record the reseal first/) });
    const again = beginExhibitDeposit(core.services, id('PRP 01'), exhibit({ category: 'digital', reference: 'AP/2', seals: ['SEAL-200400'] }), new Set());
    expect(again.ok).toBe(true);
    if (again.ok) door(again.intent, 'closed-with-item');
    expect(only().events.map((e) => e.kind)).toEqual(['deposited', 'retrieved', 'resealed', 'deposited']);
    // The events are append-only.
    expect(() => db.prepare('DELETE FROM exhibit_events').run()).toThrow(/append-only/);
  });

  it('raises a dwell alarm once for an exhibit not collected within 24 hours of the terminal clock', async () => {
    deposit('PC 1234');
    await time.advance(23 * 3_600_000);
    expect(core.services.exhibits.sweepDwell()).toBe(0);
    await time.advance(3_600_000);
    expect(core.services.exhibits.sweepDwell()).toBe(1);
    expect(core.services.exhibits.sweepDwell()).toBe(0);
    expect(db.prepare("SELECT count(*) AS n FROM exceptions WHERE kind = 'exhibit-dwell'").get()).toEqual({ n: 1 });
    expect(only()).toMatchObject({ overdue: true });
  });

  it('two deposits racing for the last exhibit door on separate connections: one gets it', async () => {
    // Fill door 14, so only door 13 is free for an exhibit.
    db.prepare("UPDATE assets SET door_id = (SELECT id FROM doors WHERE number = 14) WHERE serial = 'RAD-0006'").run();
    const connections = Array.from({ length: 6 }, () => openDatabase(join(dir, 'armoury.db')));
    try {
      const results = await Promise.all(
        connections.map((c, i) => Promise.resolve().then(() => beginExhibitDeposit(doorCore(c, time).services, id('PC 1234'), exhibit({ reference: `AP/${10 + i}` }), new Set()))),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.message))).toEqual(Array(5).fill('No exhibit door that takes a small bag is free. Hand the exhibit to the property store.'));
    } finally {
      for (const c of connections) c.close();
    }
  });
});
