import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, type AuditAction, type AuditDetails, type ExhibitDetails, type IntentDetails } from '../../../main/core/audit-actions.ts';
import { auditSentence, hasSentence, namesNeeded, type TimelineNames } from '../../../main/core/audit-sentences.ts';

// Times in sentences are the terminal's local time: pin the zone so the words are the same everywhere.
process.env.TZ = 'Europe/London';

const ALEX = 1;
const JO = 2;
const NADIA = 3;
const TASER = 10;
const OLD_LAPTOP = 11;
const NEW_LAPTOP = 12;
const RADIO = 13;
const KIM = 4;
const LEE = 5;
const RUTH = 6;
const EXHIBIT_ASSET = 14;
const NAMES: TimelineNames = {
  officers: new Map([
    [ALEX, { collar: 'PC 1234', name: 'Alex Morgan' }],
    [JO, { collar: 'ARM 01', name: 'Jo Evans' }],
    [NADIA, { collar: 'IT 01', name: 'Nadia Hussain' }],
    [KIM, { collar: 'STR 01', name: 'Kim Baker' }],
    [LEE, { collar: 'PRP 01', name: 'Lee Carter' }],
    [RUTH, { collar: 'PRP 02', name: 'Ruth Adams' }],
  ]),
  assets: new Map([
    [TASER, { serial: 'T7-0001', typeName: 'Taser 7' }],
    [OLD_LAPTOP, { serial: 'LT19-0001', typeName: 'Laptop (2019 build)' }],
    [NEW_LAPTOP, { serial: 'LT26-0001', typeName: 'Laptop (2026 build)' }],
    [RADIO, { serial: 'RAD-0006', typeName: 'Airwave radio' }],
    [EXHIBIT_ASSET, { serial: 'AP/1 (23/41877/26)', typeName: 'Exhibit' }],
  ]),
  types: new Map([
    [5, 'Taser 7'],
    [6, 'Laptop (2026 build)'],
    [8, 'Airwave radio'],
  ]),
};

interface Case<A extends AuditAction> {
  actor: string;
  subject: string;
  details: AuditDetails[A];
  sentence: string;
}

const intent = (kind: IntentDetails['kind'], asset: number, outcome: string, extra: Partial<IntentDetails> = {}): IntentDetails => ({ intent: 7, kind, asset, officer: ALEX, outcome, ...extra });
const alex = `officer:${ALEX}`;
const jo = `officer:${JO}`;
const nadia = `officer:${NADIA}`;
const kim = `officer:${KIM}`;
const lee = `officer:${LEE}`;
const held = (door: number | null, extra: Partial<ExhibitDetails> = {}): ExhibitDetails => ({
  exhibit: 3,
  reference: 'AP/1',
  occurrence: '23/41877/26',
  door,
  seals: ['SEAL-100231'],
  witness: null,
  detail: null,
  footage: 'CCTV bookmark and evidence lock requested at 2026-11-21T10:00:00.000Z',
  ...extra,
});

/**
 * One case per action, as its writer records it. The type has every action as a required
 * key, so an action added to audit-actions.ts does not compile here until it has a case.
 */
const CASES: { [A in AuditAction]: Case<A> } = {
  'auth.signed-in': { actor: alex, subject: 'card:04A1B2C3D4', details: {}, sentence: 'PC 1234 Alex Morgan signed in with card 04A1B2C3D4 and PIN' },
  'auth.signed-out': { actor: alex, subject: alex, details: { why: 'signed out' }, sentence: 'PC 1234 Alex Morgan signed out' },
  'auth.failed': { actor: 'system', subject: 'card:04FF', details: { failures: 2 }, sentence: 'The terminal refused a wrong PIN for card 04FF (2 wrong PINs in a row)' },
  'auth.locked': {
    actor: 'system',
    subject: 'card:04FF',
    details: { failures: 5, lockedUntil: '2026-11-21T10:15:00.000Z' },
    sentence: 'The terminal locked card 04FF until 21 Nov 2026 10:15 after 5 wrong PINs',
  },
  'auth.refused-locked': {
    actor: 'system',
    subject: 'card:04FF',
    details: { lockedUntil: '2026-11-21T10:15:00.000Z' },
    sentence: 'The terminal refused a PIN for card 04FF, which was locked until 21 Nov 2026 10:15',
  },
  'draw.intent': {
    actor: alex,
    subject: `asset:${TASER}`,
    details: { intent: 7, door: 1, ruleVersion: 2, override: null },
    sentence: 'PC 1234 Alex Morgan was cleared to draw Taser 7 T7-0001 from door 1 under release rule version 2',
  },
  'draw.refused': {
    actor: alex,
    subject: 'asset-type:5',
    details: { reasons: [{ code: 'qualification-expired', message: 'Taser refresher expired 3 Oct 2026' }], ruleVersion: 2, override: null },
    sentence: 'PC 1234 Alex Morgan asked to draw a Taser 7 and was refused: Taser refresher expired 3 Oct 2026',
  },
  'draw.override-rejected': {
    actor: alex,
    subject: 'asset-type:5',
    details: { override: 4, why: 'That override has already been used for a draw.' },
    sentence: 'PC 1234 Alex Morgan offered override 4 to draw a Taser 7, and the terminal did not accept it: That override has already been used for a draw.',
  },
  'return.intent': {
    actor: alex,
    subject: `asset:${TASER}`,
    details: { intent: 8, door: 13, loan: 3 },
    sentence: 'PC 1234 Alex Morgan began returning Taser 7 T7-0001, and the terminal unlocked door 13 for it',
  },
  'swap.deposit-intent': {
    actor: alex,
    subject: 'swap-order:3',
    details: { order: 3, intent: 9, door: 13, asset: OLD_LAPTOP },
    sentence: 'PC 1234 Alex Morgan began swap order 3, and the terminal unlocked door 13 to take in Laptop (2019 build) LT19-0001',
  },
  'swap.issue-intent': {
    actor: alex,
    subject: 'swap-order:3',
    details: { order: 3, intent: 10, door: 15, asset: NEW_LAPTOP },
    sentence: 'PC 1234 Alex Morgan was cleared to take Laptop (2026 build) LT26-0001 from door 15 under swap order 3, the old device being in',
  },
  'collect.intent': {
    actor: nadia,
    subject: `asset:${OLD_LAPTOP}`,
    details: { intent: 11, door: 13, asset: OLD_LAPTOP },
    sentence: 'IT 01 Nadia Hussain began collecting Laptop (2019 build) LT19-0001, and the terminal unlocked door 13 for it',
  },
  'door.opened': { actor: 'system', subject: 'door:1', details: intent('draw', TASER, 'door opened'), sentence: 'Door 1 opened for PC 1234 Alex Morgan to draw Taser 7 T7-0001' },
  'draw.completed': { actor: 'system', subject: 'door:1', details: intent('draw', TASER, 'door closed: item taken', { loan: 3 }), sentence: 'PC 1234 Alex Morgan drew Taser 7 T7-0001 from door 1' },
  'draw.cancelled': {
    actor: 'system',
    subject: 'door:1',
    details: intent('draw', TASER, 'door closed with the item still inside'),
    sentence: 'PC 1234 Alex Morgan did not take Taser 7 T7-0001 from door 1, so nothing was issued: door closed with the item still inside',
  },
  'draw.door-failed': {
    actor: 'system',
    subject: 'door:1',
    details: intent('draw', TASER, 'door did not read open within 1500 ms'),
    sentence: 'Door 1 did not open for PC 1234 Alex Morgan to draw Taser 7 T7-0001, so nothing was issued: door did not read open within 1500 ms',
  },
  'return.item-in': { actor: 'system', subject: 'door:13', details: intent('return', TASER, 'door closed with the item inside'), sentence: 'PC 1234 Alex Morgan put Taser 7 T7-0001 back in door 13' },
  'return.cancelled': {
    actor: 'system',
    subject: 'door:13',
    details: intent('return', TASER, 'door closed without the item'),
    sentence: 'PC 1234 Alex Morgan did not put Taser 7 T7-0001 in door 13, so it is still on loan to them: door closed without the item',
  },
  'return.completed': {
    actor: alex,
    subject: 'door:13',
    details: intent('return', TASER, 'condition given', { condition: 'damaged', quarantined: true, loan: 3 }),
    sentence: 'PC 1234 Alex Morgan returned Taser 7 T7-0001 to door 13, reporting it damaged, and it was quarantined',
  },
  'return.door-failed': {
    actor: 'system',
    subject: 'door:13',
    details: intent('return', TASER, 'door did not read open within 1500 ms'),
    sentence: 'Door 13 did not open for PC 1234 Alex Morgan to return Taser 7 T7-0001, so it is still on loan to them: door did not read open within 1500 ms',
  },
  'swap-deposit.item-in': {
    actor: 'system',
    subject: 'door:13',
    details: intent('swap-deposit', OLD_LAPTOP, 'door closed with the item inside', { order: 3 }),
    sentence: 'PC 1234 Alex Morgan put Laptop (2019 build) LT19-0001 in door 13 under swap order 3',
  },
  'swap-deposit.cancelled': {
    actor: 'system',
    subject: 'door:13',
    details: intent('swap-deposit', OLD_LAPTOP, 'door closed without the item', { order: 3 }),
    sentence: 'PC 1234 Alex Morgan did not put Laptop (2019 build) LT19-0001 in door 13 under swap order 3: door closed without the item',
  },
  'swap-deposit.completed': {
    actor: alex,
    subject: 'door:13',
    details: intent('swap-deposit', OLD_LAPTOP, 'tag matched', { order: 3, loan: 4 }),
    sentence: 'PC 1234 Alex Morgan handed in Laptop (2019 build) LT19-0001 in door 13 under swap order 3, and its tag was matched',
  },
  'swap-deposit.unverified': {
    actor: 'system',
    subject: 'door:13',
    details: intent('swap-deposit', OLD_LAPTOP, 'left without a matching scan', { order: 3 }),
    sentence: 'PC 1234 Alex Morgan closed door 13 on an item whose tag was never matched to Laptop (2019 build) LT19-0001 under swap order 3, so nothing was released',
  },
  'swap-deposit.door-failed': {
    actor: 'system',
    subject: 'door:13',
    details: intent('swap-deposit', OLD_LAPTOP, 'door did not read open within 1500 ms', { order: 3 }),
    sentence: 'Door 13 did not open for PC 1234 Alex Morgan to hand in Laptop (2019 build) LT19-0001 under swap order 3: door did not read open within 1500 ms',
  },
  'swap-issue.completed': {
    actor: 'system',
    subject: 'door:15',
    details: intent('swap-issue', NEW_LAPTOP, 'door closed: item taken', { order: 3, loan: 5 }),
    sentence: 'PC 1234 Alex Morgan took Laptop (2026 build) LT26-0001 from door 15 under swap order 3',
  },
  'swap-issue.cancelled': {
    actor: 'system',
    subject: 'door:15',
    details: intent('swap-issue', NEW_LAPTOP, 'door closed with the item still inside', { order: 3 }),
    sentence: 'PC 1234 Alex Morgan left Laptop (2026 build) LT26-0001 in door 15 under swap order 3, so it was not issued: door closed with the item still inside',
  },
  'swap-issue.door-failed': {
    actor: 'system',
    subject: 'door:15',
    details: intent('swap-issue', NEW_LAPTOP, 'door did not read open within 1500 ms', { order: 3 }),
    sentence: 'Door 15 did not open for PC 1234 Alex Morgan to take Laptop (2026 build) LT26-0001 under swap order 3, so it was not issued: door did not read open within 1500 ms',
  },
  'collect.completed': {
    actor: nadia,
    subject: 'door:13',
    details: { ...intent('collect', OLD_LAPTOP, 'door closed: item taken'), officer: NADIA },
    sentence: 'IT 01 Nadia Hussain collected Laptop (2019 build) LT19-0001 from door 13',
  },
  'collect.cancelled': {
    actor: 'system',
    subject: 'door:13',
    details: { ...intent('collect', OLD_LAPTOP, 'door closed with the item still inside'), officer: NADIA },
    sentence: 'IT 01 Nadia Hussain did not take Laptop (2019 build) LT19-0001 from door 13: door closed with the item still inside',
  },
  'collect.door-failed': {
    actor: 'system',
    subject: 'door:13',
    details: { ...intent('collect', OLD_LAPTOP, 'door did not read open within 1500 ms'), officer: NADIA },
    sentence: 'Door 13 did not open for IT 01 Nadia Hussain to collect Laptop (2019 build) LT19-0001: door did not read open within 1500 ms',
  },
  'stage.item-in': {
    actor: kim,
    subject: 'door:14',
    details: { ...intent('stage', RADIO, 'door closed with the item inside'), officer: KIM, booking: 5 },
    sentence: 'Airwave radio RAD-0006 is in door 14, loaded by STR 01 Kim Baker for booking 5: door closed with the item inside',
  },
  'stage.completed': {
    actor: 'system',
    subject: 'door:14',
    details: { ...intent('stage', RADIO, 'loaded: held for the booking'), officer: KIM, booking: 5 },
    sentence: 'Door 14 closed on Airwave radio RAD-0006, held for booking 5: loaded: held for the booking',
  },
  'stage.cancelled': {
    actor: 'system',
    subject: 'door:14',
    details: { ...intent('stage', RADIO, 'door closed without the item'), officer: KIM, booking: 5 },
    sentence: 'Door 14 closed without Airwave radio RAD-0006, which STR 01 Kim Baker was loading for booking 5: door closed without the item',
  },
  'stage.door-failed': {
    actor: 'system',
    subject: 'door:14',
    details: { ...intent('stage', RADIO, 'door did not read open within 1500 ms'), officer: KIM, booking: 5 },
    sentence: 'Door 14 did not open for STR 01 Kim Baker to load Airwave radio RAD-0006: door did not read open within 1500 ms',
  },
  'booking-collect.completed': {
    actor: 'system',
    subject: 'door:14',
    details: { ...intent('booking-collect', RADIO, 'door closed: item taken'), booking: 5, loan: 9, due: null },
    sentence: 'PC 1234 Alex Morgan collected Airwave radio RAD-0006, booked for them, from door 14',
  },
  'booking-collect.cancelled': {
    actor: 'system',
    subject: 'door:14',
    details: { ...intent('booking-collect', RADIO, 'door closed with the item still inside'), booking: 5 },
    sentence: 'PC 1234 Alex Morgan did not take Airwave radio RAD-0006, booked for them, from door 14: door closed with the item still inside',
  },
  'booking-collect.door-failed': {
    actor: 'system',
    subject: 'door:14',
    details: { ...intent('booking-collect', RADIO, 'door did not read open within 1500 ms'), booking: 5 },
    sentence: 'Door 14 did not open for PC 1234 Alex Morgan to collect Airwave radio RAD-0006, booked for them: door did not read open within 1500 ms',
  },
  'stage.intent': {
    actor: kim,
    subject: 'booking:5',
    details: { booking: 5, intent: 7, door: 14, asset: RADIO },
    sentence: 'STR 01 Kim Baker began loading Airwave radio RAD-0006 for booking 5, and the terminal unlocked door 14 for it',
  },
  'booking-collect.intent': {
    actor: alex,
    subject: `asset:${RADIO}`,
    details: { booking: 5, intent: 7, door: 14, ruleVersion: 1 },
    sentence: 'PC 1234 Alex Morgan was cleared to collect Airwave radio RAD-0006, booked for them, from door 14',
  },
  'booking.created': {
    actor: kim,
    subject: 'booking:5',
    details: { booking: 5, reference: 'NEW-RADIO', source: 'console', officer: ALEX, assetType: 8, asset: null, priority: 'routine', readyFrom: '2026-11-21T10:00:00.000Z', deadline: '2026-11-22T10:00:00.000Z' },
    sentence: 'STR 01 Kim Baker booked any Airwave radio for PC 1234 Alex Morgan, reference NEW-RADIO, routine priority, to collect by 22 Nov 2026 10:00',
  },
  'booking.cancelled': { actor: kim, subject: 'booking:5', details: { booking: 5, reason: 'no longer needed' }, sentence: 'STR 01 Kim Baker cancelled booking 5: no longer needed' },
  'booking.staged': {
    actor: kim,
    subject: 'booking:5',
    details: { booking: 5, asset: RADIO, door: 14 },
    sentence: 'STR 01 Kim Baker staged Airwave radio RAD-0006 behind door 14 for booking 5: the door is held for its officer',
  },
  'booking.expired': {
    actor: 'system',
    subject: 'booking:5',
    details: { booking: 5, staged: true, door: 14 },
    sentence: 'Booking 5 was not collected by its deadline: its item went back to the pool and door 14 was flagged for clearing',
  },
  'booking.collect-refused': {
    actor: alex,
    subject: 'booking:5',
    details: { booking: 5, reasons: [{ code: 'limit-reached', message: 'You already hold an Airwave radio' }], ruleVersion: 1 },
    sentence: 'PC 1234 Alex Morgan was refused booking 5 at collection: You already hold an Airwave radio',
  },
  'ammo.recorded': {
    actor: jo,
    subject: 'ammo-lot:2',
    details: { lot: 2, lotNumber: 'L-2026-17', calibre: '9mm', kind: 'issued', quantity: 34, direction: 0, holder: ALEX, reason: 'kit issue at the counter' },
    sentence: 'ARM 01 Jo Evans recorded 34 rounds issued of 9mm lot L-2026-17, held by PC 1234 Alex Morgan: kit issue at the counter',
  },
  'ammo.lot-recalled': {
    actor: jo,
    subject: 'ammo-lot:2',
    details: { lot: 2, lotNumber: 'L-2026-17', calibre: '9mm', reason: 'manufacturer recall', holders: 2, rounds: 51 },
    sentence: 'ARM 01 Jo Evans recalled 9mm lot L-2026-17: 2 officers held 51 rounds of it: manufacturer recall',
  },
  'pool.received': { actor: kim, subject: 'asset-type:9', details: { assetType: 9, name: 'Hi-vis jacket, size L', quantity: 40, note: 'delivery 4471' }, sentence: 'STR 01 Kim Baker received 40 units of Hi-vis jacket, size L into the store: delivery 4471' },
  'pool.counted': {
    actor: kim,
    subject: 'asset-type:9',
    details: { assetType: 9, name: 'Hi-vis jacket, size L', before: 12, counted: 11, reason: 'one damaged' },
    sentence: 'STR 01 Kim Baker counted Hi-vis jacket, size L in the store: 11 (the record said 12): one damaged',
  },
  'pool.packed': {
    actor: kim,
    subject: 'booking:5',
    details: { assetType: 9, name: 'Hi-vis jacket, size L', quantity: 2, booking: 5, asset: 20 },
    sentence: 'STR 01 Kim Baker took 2 units of Hi-vis jacket, size L from the store for booking 5',
  },
  'exhibit-deposit.item-in': {
    actor: alex,
    subject: 'door:13',
    details: intent('exhibit-deposit', EXHIBIT_ASSET, 'door closed with the item inside'),
    sentence: 'Exhibit AP/1 (23/41877/26) is in door 13, deposited by PC 1234 Alex Morgan: door closed with the item inside',
  },
  'exhibit-deposit.completed': {
    actor: 'system',
    subject: 'door:13',
    details: intent('exhibit-deposit', EXHIBIT_ASSET, 'exhibit in and door shut'),
    sentence: 'Door 13 closed on Exhibit AP/1 (23/41877/26): exhibit in and door shut',
  },
  'exhibit-deposit.cancelled': {
    actor: 'system',
    subject: 'door:13',
    details: intent('exhibit-deposit', EXHIBIT_ASSET, 'door closed without the item'),
    sentence: 'Door 13 closed without Exhibit AP/1 (23/41877/26), which PC 1234 Alex Morgan was depositing: door closed without the item',
  },
  'exhibit-deposit.door-failed': {
    actor: 'system',
    subject: 'door:13',
    details: intent('exhibit-deposit', EXHIBIT_ASSET, 'door did not read open within 1500 ms'),
    sentence: 'Door 13 did not open for PC 1234 Alex Morgan to deposit Exhibit AP/1 (23/41877/26): door did not read open within 1500 ms',
  },
  'exhibit-retrieve.completed': {
    actor: lee,
    subject: 'door:13',
    details: { ...intent('exhibit-retrieve', EXHIBIT_ASSET, 'door closed: item taken'), officer: LEE },
    sentence: 'PRP 01 Lee Carter took Exhibit AP/1 (23/41877/26) from door 13',
  },
  'exhibit-retrieve.cancelled': {
    actor: 'system',
    subject: 'door:13',
    details: { ...intent('exhibit-retrieve', EXHIBIT_ASSET, 'door closed with the item still inside'), officer: LEE },
    sentence: 'PRP 01 Lee Carter did not take Exhibit AP/1 (23/41877/26) from door 13: door closed with the item still inside',
  },
  'exhibit-retrieve.door-failed': {
    actor: 'system',
    subject: 'door:13',
    details: { ...intent('exhibit-retrieve', EXHIBIT_ASSET, 'door did not read open within 1500 ms'), officer: LEE },
    sentence: 'Door 13 did not open for PRP 01 Lee Carter to retrieve Exhibit AP/1 (23/41877/26): door did not read open within 1500 ms',
  },
  'exhibit.deposit-intent': {
    actor: alex,
    subject: 'exhibit:3',
    details: { exhibit: 3, intent: 7, door: 13, reference: 'AP/1', occurrence: '23/41877/26', category: 'drugs' },
    sentence: 'PC 1234 Alex Morgan began depositing a drugs exhibit AP/1 of 23/41877/26, and the terminal unlocked door 13 for it',
  },
  'exhibit.retrieve-intent': {
    actor: lee,
    subject: 'exhibit:3',
    details: { exhibit: 3, intent: 8, door: 13, witness: RUTH, purpose: 'court' },
    sentence: 'PRP 01 Lee Carter with PRP 02 Ruth Adams checked the seal of exhibit 3 and the terminal unlocked door 13 to retrieve it for court',
  },
  'exhibit.deposited': { actor: alex, subject: 'exhibit:3', details: held(13), sentence: 'PC 1234 Alex Morgan deposited exhibit AP/1 of 23/41877/26 behind door 13, sealed SEAL-100231' },
  'exhibit.retrieved': {
    actor: lee,
    subject: 'exhibit:3',
    details: held(13, { witness: RUTH, detail: 'court' }),
    sentence: 'PRP 01 Lee Carter and PRP 02 Ruth Adams retrieved exhibit AP/1 of 23/41877/26 from door 13, seal SEAL-100231 checked: court',
  },
  'exhibit.resealed': {
    actor: lee,
    subject: 'exhibit:3',
    details: held(null, { detail: 'SEAL-100231 → SEAL-200400: opened for imaging', footage: null }),
    sentence: 'PRP 01 Lee Carter resealed exhibit AP/1 of 23/41877/26: SEAL-100231 → SEAL-200400: opened for imaging',
  },
  'exhibit.seal-mismatch': {
    actor: lee,
    subject: 'exhibit:3',
    details: held(13, { detail: 'seal read SEAL-9; on record SEAL-100231' }),
    sentence: 'The seal read for exhibit AP/1 of 23/41877/26 did not match its record, so door 13 stayed shut: seal read SEAL-9; on record SEAL-100231',
  },
  'exhibit.dwell-alarm': {
    actor: 'system',
    subject: 'exhibit:3',
    details: held(13, { detail: 'not collected within 24 hours', footage: null }),
    sentence: 'Exhibit AP/1 of 23/41877/26 stayed behind door 13 too long: not collected within 24 hours',
  },
  'service.open-intent': { actor: jo, subject: 'door:4', details: { opening: 1, reason: 'jammed latch' }, sentence: 'ARM 01 Jo Evans asked to open door 4 for service: jammed latch' },
  'service.door-opened': { actor: 'system', subject: 'door:4', details: { opening: 1 }, sentence: 'Door 4 opened for service opening 1' },
  'service.door-closed': { actor: 'system', subject: 'door:4', details: { opening: 1 }, sentence: 'Door 4 closed after service opening 1' },
  'service.door-failed': { actor: 'system', subject: 'door:4', details: { opening: 1, reason: 'no reply from the board' }, sentence: 'Door 4 did not open for service opening 1: no reply from the board' },
  'exception.raised': {
    actor: 'system',
    subject: 'door:4',
    details: { exception: 7, kind: 'door-left-open', message: 'Door 4 has been open for 2 minutes.' },
    sentence: 'The terminal raised exception 7 (door left open): Door 4 has been open for 2 minutes.',
  },
  'exception.acknowledged': { actor: jo, subject: 'door:4', details: { exception: 7, kind: 'door-left-open' }, sentence: 'ARM 01 Jo Evans acknowledged exception 7 (door left open)' },
  'exception.resolved': { actor: jo, subject: 'door:4', details: { exception: 7, kind: 'door-left-open', note: 'closed it' }, sentence: 'ARM 01 Jo Evans resolved exception 7 (door left open): closed it' },
  'override.granted': {
    actor: jo,
    subject: alex,
    details: { override: 4, assetType: 'Taser 7', reasonCode: 'SPONTANEOUS-INCIDENT', note: 'riot in the high street', refusals: ['qualification-expired'] },
    sentence: 'ARM 01 Jo Evans overrode the refusal (qualification expired) for PC 1234 Alex Morgan to draw one Taser 7, with override 4 and reason SPONTANEOUS-INCIDENT: riot in the high street',
  },
  'override-reasons.changed': {
    actor: 'system',
    subject: 'override-reasons',
    details: { changes: ['added RECORD-ERROR'] },
    sentence: 'The terminal changed the override reason codes: added RECORD-ERROR',
  },
  'rule.changed': {
    actor: jo,
    subject: 'asset-type:5',
    details: { assetType: 5, assetTypeName: 'Taser 7', fromVersion: 1, toVersion: 2, before: {}, after: {} },
    sentence: 'ARM 01 Jo Evans changed the release rule for Taser 7 from version 1 to version 2',
  },
  'training.imported': {
    actor: 'system',
    subject: 'training-import:1',
    details: { source: 'drop folder', file: 'q.csv', rows: 3, changed: 2, status: 'applied' },
    sentence: 'The terminal imported training records from q.csv (drop folder): 3 rows, 2 changed',
  },
  'training.rejected': {
    actor: jo,
    subject: 'training-import:2',
    details: { source: 'upload', file: 'bad.csv', rows: 8, changed: 0, status: 'rejected', problems: 8 },
    sentence: 'The terminal rejected the whole training import bad.csv (upload, by ARM 01 Jo Evans) and changed nothing: 8 problems',
  },
  'config.changed': { actor: jo, subject: 'terminal-config', details: { changes: ['idle timeout 60 s'] }, sentence: 'ARM 01 Jo Evans changed the terminal configuration: idle timeout 60 s' },
  'hardware.test': {
    actor: jo,
    subject: 'open-door',
    details: { test: { action: 'open-door', doorNumber: 3 }, ok: true, message: 'door 3 read open' },
    sentence: 'ARM 01 Jo Evans ran a hardware test, opening door 3, which passed: door 3 read open',
  },
  'asset.registered': {
    actor: jo,
    subject: `asset:${TASER}`,
    details: { assetType: 'Taser 7', assetTypeId: 5, serial: 'T7-0001', tag: 'AKT70001' },
    sentence: 'ARM 01 Jo Evans registered Taser 7 T7-0001 with tag AKT70001',
  },
  'asset.quarantined': {
    actor: jo,
    subject: `asset:${TASER}`,
    details: { from: 'available', to: 'quarantined', reason: 'cracked cartridge bay', serial: 'T7-0001', door: 1, doorFreed: 1 },
    sentence: 'ARM 01 Jo Evans quarantined Taser 7 T7-0001 (it was available in door 1), freeing door 1: cracked cartridge bay',
  },
  'asset.sent-to-maintenance': {
    actor: jo,
    subject: `asset:${TASER}`,
    details: { from: 'quarantined', to: 'maintenance', reason: 'to the workshop', serial: 'T7-0001', door: null },
    sentence: 'ARM 01 Jo Evans sent Taser 7 T7-0001 to maintenance (it was quarantined): to the workshop',
  },
  'asset.returned-to-service': {
    actor: jo,
    subject: `asset:${TASER}`,
    details: { from: 'maintenance', to: 'available', reason: 'repaired and tested', serial: 'T7-0001', door: null },
    sentence: 'ARM 01 Jo Evans returned Taser 7 T7-0001 to service (it was in maintenance): repaired and tested',
  },
  'asset.retired': {
    actor: jo,
    subject: `asset:${TASER}`,
    details: { from: 'available', to: 'retired', reason: 'end of life', serial: 'T7-0001', door: null },
    sentence: 'ARM 01 Jo Evans retired Taser 7 T7-0001 (it was available): end of life',
  },
  'stock.started': { actor: jo, subject: 'stock-check:2', details: {}, sentence: 'ARM 01 Jo Evans started stock check 2' },
  'stock.checked': {
    actor: jo,
    subject: 'stock-check:2',
    details: { scanned: 30, missing: 1, unexpected: 1, missingTags: ['AKT70009'], unexpectedTags: [{ tag: 'AKX', problem: 'unknown tag' }] },
    sentence: 'ARM 01 Jo Evans finished stock check 2: 30 items scanned, 1 missing (AKT70009), 1 unexpected (AKX)',
  },
  'site.seeded-demo-rooms': {
    actor: 'system',
    subject: 'bank:1',
    details: { assets: 28, staged: 2, historyDays: 30 },
    sentence: "The terminal set up the demo's smart-locker rooms: 28 items in the stores doors, 2 bookings staged, one exhibit, and 30 days of history",
  },
  'site.seeded-demo': {
    actor: 'system',
    subject: 'site:1',
    details: { officers: 50, assets: 34, rules: 4 },
    sentence: 'The terminal set up the demo site: 50 officers, 34 items, 4 release rules',
  },
  'bank.added': { actor: 'system', subject: 'bank:1', details: { name: 'Locker bank A' }, sentence: 'The terminal added the locker bank "Locker bank A"' },
  'bank.doors-added': { actor: 'system', subject: 'bank:1', details: { doors: [1, 2, 3, 4, 7, 9, 10] }, sentence: 'The terminal added doors 1–4, 7, 9–10 to locker bank 1' },
  'bank.doors-changed': {
    actor: 'system',
    subject: 'bank:1',
    details: { changes: ['door 3: M, any → L, equipment', 'door 4: M, any → M, weapons'] },
    sentence: 'The terminal changed what doors of locker bank 1 take: door 3: M, any → L, equipment; door 4: M, any → M, weapons',
  },
  'swap.order-created': {
    actor: nadia,
    subject: 'swap-order:3',
    details: { order: 3, officer: ALEX, asset: OLD_LAPTOP, newAsset: null, newAssetType: 6, expiresOn: '2026-12-08' },
    sentence: 'IT 01 Nadia Hussain ordered swap 3: PC 1234 Alex Morgan to exchange Laptop (2019 build) LT19-0001 for any Laptop (2026 build) by 8 Dec 2026',
  },
  'swap.order-cancelled': { actor: nadia, subject: 'swap-order:3', details: { order: 3, reason: 'officer left' }, sentence: 'IT 01 Nadia Hussain cancelled swap order 3: officer left' },
  'swap.order-expired': { actor: 'system', subject: 'swap-order:3', details: { order: 3 }, sentence: 'The terminal closed swap order 3, unused by its last day' },
  'device.sanitised': {
    actor: nadia,
    subject: `asset:${OLD_LAPTOP}`,
    details: { asset: OLD_LAPTOP, method: 'Purge', tool: 'nwipe 0.35', operator: 'N. Hussain', verified: true, certificateId: 'SAN-0042' },
    sentence: 'IT 01 Nadia Hussain recorded that Laptop (2019 build) LT19-0001 was sanitised (Purge) with nwipe 0.35 by N. Hussain, verified, certificate SAN-0042',
  },
  'device.sanitisation-failed': {
    actor: nadia,
    subject: `asset:${OLD_LAPTOP}`,
    details: { asset: OLD_LAPTOP, method: 'Purge', tool: 'nwipe 0.35', operator: 'N. Hussain', verified: false, certificateId: 'SAN-0043' },
    sentence:
      'IT 01 Nadia Hussain recorded a sanitisation of Laptop (2019 build) LT19-0001 (Purge) with nwipe 0.35 by N. Hussain that did not verify (certificate SAN-0043), so it still awaits sanitisation',
  },
  'device.disposed': {
    actor: nadia,
    subject: `asset:${OLD_LAPTOP}`,
    details: { asset: OLD_LAPTOP, outcome: 'recycled', receivingOrganisation: 'GreenIT Ltd', certificate: 'WEEE-77' },
    sentence: 'IT 01 Nadia Hussain recorded that Laptop (2019 build) LT19-0001 was recycled to GreenIT Ltd, certificate WEEE-77',
  },

  'bank.walk-started': { actor: jo, subject: 'bank:1', details: { walk: 2 }, sentence: 'ARM 01 Jo Evans began commissioning walk 2 of locker bank 1, door by door' },
  'bank.walk-polarity': {
    actor: jo,
    subject: 'bank:1',
    details: { walk: 2, finding: 'board 1 reads locked doors as open', applied: ['board 1 lock sensor inverted'] },
    sentence: 'ARM 01 Jo Evans checked the lock-sensor polarity in commissioning walk 2: board 1 reads locked doors as open; applied: board 1 lock sensor inverted',
  },
  'bank.walk-door': {
    actor: jo,
    subject: 'door:5',
    details: { walk: 2, answer: 'other', otherDoor: 6, sensor: 'open' },
    sentence: 'ARM 01 Jo Evans unlocked door 5 in commissioning walk 2 and said door 6 opened instead: the sensor read open',
  },
  'bank.walk-remap': {
    actor: jo,
    subject: 'door:5',
    details: { walk: 2, otherDoor: 6, changes: ['door 5 is now board 1 channel 6'] },
    sentence: 'ARM 01 Jo Evans swapped the wiring of door 5 and door 6 in commissioning walk 2: door 5 is now board 1 channel 6',
  },
  'bank.walk-finished': {
    actor: jo,
    subject: 'bank:1',
    details: { walk: 2, outcome: 'passed', confirmed: [1, 2, 3, 4], doors: 4 },
    sentence: 'Commissioning walk 2, ended by ARM 01 Jo Evans, passed: 4 of 4 doors confirmed (1–4)',
  },
  'setup.code-issued': { actor: 'system', subject: 'terminal', details: {}, sentence: 'The terminal issued a one-time setup code for the first site admin' },
  'setup.code-refused': { actor: 'system', subject: 'terminal', details: { triesLeft: 2 }, sentence: 'The terminal refused a wrong setup code (2 tries left)' },
  'setup.first-admin': {
    actor: 'system',
    subject: `officer:${JO}`,
    details: { collarNumber: 'ARM 01', name: 'Jo Evans' },
    sentence: 'The terminal created the first site admin, ARM 01 Jo Evans, with the setup code',
  },
  'card.enrolled': { actor: jo, subject: 'card:04A1B2C3D4', details: { officer: 'PC 1234' }, sentence: 'ARM 01 Jo Evans enrolled card 04A1B2C3D4 to PC 1234' },
  'card.enrolment-refused': {
    actor: jo,
    subject: 'card:04A1B2C3D4',
    details: { officer: 'PC 2345', holder: 'PC 1234' },
    sentence: 'ARM 01 Jo Evans tried to enrol card 04A1B2C3D4 to PC 2345, and the terminal refused because it is enrolled to PC 1234',
  },
  'card.revoked': { actor: jo, subject: 'card:04A1B2C3D4', details: { officer: 'PC 1234' }, sentence: 'ARM 01 Jo Evans revoked card 04A1B2C3D4, enrolled to PC 1234' },
  'auth.pin-chosen': { actor: alex, subject: alex, details: {}, sentence: 'PC 1234 Alex Morgan chose their PIN' },
  'auth.pin-reset': { actor: jo, subject: alex, details: { officer: 'PC 1234' }, sentence: 'ARM 01 Jo Evans reset the PIN of PC 1234 Alex Morgan' },
  'personnel.imported': {
    actor: jo,
    subject: 'personnel-import:1',
    details: { import: 1, fileName: 'hr.csv', rows: 50, changed: 3, added: 2, left: 1 },
    sentence: 'ARM 01 Jo Evans imported personnel from hr.csv: 50 rows, 3 changed, 2 added, 1 left',
  },
  'officer.added': {
    actor: jo,
    subject: 'officer:4',
    details: { collarNumber: 'PC 4321', name: 'Kim Lowe', roles: ['officer'], status: 'active' },
    sentence: 'ARM 01 Jo Evans added officer PC 4321 Kim Lowe (active; roles officer)',
  },
  'officer.changed': {
    actor: jo,
    subject: 'officer:4',
    details: { collarNumber: 'PC 4321', changes: ['unit: Response → Traffic'] },
    sentence: 'ARM 01 Jo Evans changed the record of officer PC 4321: unit: Response → Traffic',
  },
  'officer.left': {
    actor: jo,
    subject: 'officer:4',
    details: { collarNumber: 'PC 4321', cardsRevoked: 1 },
    sentence: 'ARM 01 Jo Evans recorded that officer PC 4321 left, revoking 1 card',
  },
  'register.imported': {
    actor: jo,
    subject: 'register-import:2',
    details: { import: 2, fileName: 'register.json', rows: 9, changed: 7, qualifications: 2, assetTypes: 2, assets: 3 },
    sentence: 'ARM 01 Jo Evans imported the site register from register.json: 2 qualifications, 2 asset types and 3 items added or changed',
  },
  'asset-type.added': {
    actor: jo,
    subject: 'asset-type:6',
    details: { code: 'TASER10', name: 'Taser 10', category: 'taser' },
    sentence: 'ARM 01 Jo Evans added asset type Taser 10 (TASER10, taser)',
  },
};

const sentenceOf = <A extends AuditAction>(action: A, c: Case<A>): string => auditSentence({ actor: c.actor, action, subject: c.subject }, c.details as Record<string, unknown>, NAMES);

describe('audit sentences', () => {
  it('every action the log knows has a sentence of its own, not the generic fallback', () => {
    for (const action of Object.keys(AUDIT_ACTIONS) as AuditAction[]) {
      expect(hasSentence(action), action).toBe(true);
      const c = CASES[action] as Case<typeof action> | undefined;
      expect(c, `a case for ${action}`).toBeDefined();
      if (!c) continue;
      const sentence = sentenceOf(action, c);
      expect(sentence, action).not.toContain(action);
      expect(sentence, action).not.toMatch(/undefined|null|NaN|\[object/);
    }
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(AUDIT_ACTIONS).sort());
  });

  for (const action of Object.keys(CASES) as AuditAction[]) {
    it(action, () => {
      const c = CASES[action] as Case<typeof action>;
      expect(sentenceOf(action, c)).toBe(c.sentence);
    });
  }

  it('says "the terminal" for what it did alone, and tells an idle sign-out from a chosen one', () => {
    expect(sentenceOf('auth.signed-out', { ...CASES['auth.signed-out'], details: { why: 'idle timeout' } })).toBe('The terminal signed PC 1234 Alex Morgan out after the screen was left idle');
    expect(sentenceOf('auth.signed-out', { ...CASES['auth.signed-out'], details: { why: 'draw complete' } })).toBe('The terminal signed PC 1234 Alex Morgan out once their draw was complete');
    expect(sentenceOf('auth.signed-out', { ...CASES['auth.signed-out'], details: { why: 'return complete, next card' } })).toBe(
      'The terminal signed PC 1234 Alex Morgan out once their return was complete, as the next card was tapped',
    );
    // Words it does not know read as the officer's own sign-out, never half a sentence.
    expect(sentenceOf('auth.signed-out', { ...CASES['auth.signed-out'], details: { why: 'draw complete!' } })).toBe('PC 1234 Alex Morgan signed out');
    expect(
      sentenceOf('return.completed', { ...CASES['return.completed'], actor: 'system', details: intent('return', TASER, 'left', { condition: 'not-recorded', quarantined: true }) }),
    ).toBe("The terminal completed PC 1234 Alex Morgan's return of Taser 7 T7-0001 to door 13 with no condition given, and it was quarantined");
    expect(sentenceOf('return.completed', { ...CASES['return.completed'], details: intent('return', TASER, 'condition given', { condition: 'ok', quarantined: false }) })).toBe(
      'PC 1234 Alex Morgan returned Taser 7 T7-0001 to door 13, reporting it in good order',
    );
  });

  it('puts "an" before a vowel, and says "an item" for a type it cannot name', () => {
    expect(sentenceOf('draw.refused', { ...CASES['draw.refused'], subject: 'asset-type:7', details: { reasons: [], ruleVersion: null, override: null } })).toBe(
      'PC 1234 Alex Morgan asked to draw an item of type 7 and was refused',
    );
    const names: TimelineNames = { ...NAMES, types: new Map([[8, 'Airwave radio']]) };
    expect(auditSentence({ actor: alex, action: 'draw.refused', subject: 'asset-type:8' }, { reasons: [] }, names)).toBe('PC 1234 Alex Morgan asked to draw an Airwave radio and was refused');
  });

  it('names an override on a draw, and a swap for a named device', () => {
    expect(sentenceOf('draw.intent', { ...CASES['draw.intent'], details: { intent: 7, door: 1, ruleVersion: null, override: 4 } })).toBe(
      "PC 1234 Alex Morgan was cleared to draw Taser 7 T7-0001 from door 1 under the type's requirements (no release rule saved), on armourer override 4",
    );
    expect(sentenceOf('swap.order-created', { ...CASES['swap.order-created'], details: { ...CASES['swap.order-created'].details, newAsset: NEW_LAPTOP } })).toMatch(
      /for Laptop \(2026 build\) LT26-0001 by 8 Dec 2026$/,
    );
  });

  it('reads a row whose details are missing or of the wrong type without crashing or saying "undefined"', () => {
    for (const action of Object.keys(CASES) as AuditAction[]) {
      const c = CASES[action] as Case<typeof action>;
      for (const details of [{}, { door: 'x', asset: 'y', officer: [], reasons: 'no', changes: {}, test: null, doors: [null] }]) {
        const sentence = auditSentence({ actor: c.actor, action, subject: c.subject }, details, NAMES);
        expect(sentence, action).not.toMatch(/undefined|NaN|\[object/);
        expect(sentence.length, action).toBeGreaterThan(10);
      }
    }
  });

  it('falls back to the action and subject, word for word, for an action this version does not write', () => {
    expect(auditSentence({ actor: 'system', action: 'door.teleported', subject: 'door:2' }, {}, NAMES)).toBe('The terminal: door.teleported (door:2)');
    expect(auditSentence({ actor: 'officer:99', action: 'auth.signed-in', subject: 'card:01' }, {}, NAMES)).toBe('Officer 99 signed in with card 01 and PIN');
  });

  it('asks for the names every sentence uses', () => {
    const rows = (Object.keys(CASES) as AuditAction[]).map((action) => {
      const c = CASES[action] as Case<typeof action>;
      return { row: { actor: c.actor, action, subject: c.subject }, details: c.details as Record<string, unknown> };
    });
    const needed = namesNeeded(rows);
    // Actors, officer subjects and details.officer; collars carried as text need no lookup.
    expect([...needed.officers]).toEqual(expect.arrayContaining([ALEX, JO, NADIA, KIM, LEE]));
    expect(needed.officers.has(99)).toBe(false);
    expect([...needed.assets].sort((a, b) => a - b)).toEqual([TASER, OLD_LAPTOP, NEW_LAPTOP, RADIO, EXHIBIT_ASSET, 20]);
    expect([...needed.types].sort((a, b) => a - b)).toEqual([5, 6, 8, 9]);
  });
});
