import type { ExceptionKind } from './exceptions.ts';
import type { IntentKind } from './intent-table.ts';

/** What every door-intent transition records (the intent table's rows), with what its effect adds. */
export interface IntentDetails {
  intent: number;
  kind: IntentKind;
  asset: number;
  /** The item's serial and type name (rows from before the estate lack them). */
  serial?: string;
  type?: string;
  officer: number;
  outcome: string;
  loan?: number | null;
  /** When a loan that began here falls due (ISO time), or null for none. */
  due?: string | null;
  condition?: string;
  quarantined?: boolean;
  order?: number | null;
  booking?: number | null;
}

type Changes = { changes: string[] };
/** What every event in an exhibit's chain of custody records (exhibits.ts). */
export interface ExhibitDetails {
  exhibit: number;
  reference: string;
  occurrence: string;
  door: number | null;
  seals: string[];
  witness: number | null;
  detail: string | null;
  footage: string | null;
}
/** The armourer's moves of an asset (asset-admin.ts). */
export type AssetMoveAction = 'asset.quarantined' | 'asset.sent-to-maintenance' | 'asset.returned-to-service' | 'asset.retired';
type AssetMove = { from: string; to: string; reason: string; serial: string; door: number | null; doorFreed?: number | null };

/**
 * Every action the audit log records, with the details it carries: the one list the writers
 * are typed against and the console's timeline reads (see AUDIT_ACTIONS below for the words).
 * Each action also needs its sentence in audit-sentences.ts, which the timeline shows; the
 * compiler and test/main/core/audit-sentences.test.ts say when one is missing.
 */
export interface AuditDetails {
  'auth.signed-in': Record<string, never>;
  'auth.signed-out': { why: string };
  'auth.failed': { failures: number };
  'auth.locked': { failures: number; lockedUntil: string };
  'auth.refused-locked': { lockedUntil: string };

  'draw.intent': { intent: number; door: number; ruleVersion: number | null; override: number | null };
  'draw.refused': { reasons: { code: string; message: string }[]; ruleVersion: number | null; override: number | null };
  'draw.override-rejected': { override: number; why: string };
  'return.intent': { intent: number; door: number; loan: number };
  'swap.deposit-intent': { order: number; intent: number; door: number; asset: number };
  'swap.issue-intent': { order: number; intent: number; door: number; asset: number };
  'collect.intent': { intent: number; door: number; asset: number };

  'door.opened': IntentDetails;
  'draw.completed': IntentDetails;
  'draw.cancelled': IntentDetails;
  'draw.door-failed': IntentDetails;
  'return.item-in': IntentDetails;
  'return.cancelled': IntentDetails;
  'return.completed': IntentDetails;
  'return.door-failed': IntentDetails;
  'swap-deposit.item-in': IntentDetails;
  'swap-deposit.cancelled': IntentDetails;
  'swap-deposit.completed': IntentDetails;
  'swap-deposit.unverified': IntentDetails;
  'swap-deposit.door-failed': IntentDetails;
  'swap-issue.completed': IntentDetails;
  'swap-issue.cancelled': IntentDetails;
  'swap-issue.door-failed': IntentDetails;
  'collect.completed': IntentDetails;
  'collect.cancelled': IntentDetails;
  'collect.door-failed': IntentDetails;
  'stage.item-in': IntentDetails;
  'stage.completed': IntentDetails;
  'stage.cancelled': IntentDetails;
  'stage.door-failed': IntentDetails;
  'booking-collect.completed': IntentDetails;
  'booking-collect.cancelled': IntentDetails;
  'booking-collect.door-failed': IntentDetails;
  'exhibit-deposit.item-in': IntentDetails;
  'exhibit-deposit.completed': IntentDetails;
  'exhibit-deposit.cancelled': IntentDetails;
  'exhibit-deposit.door-failed': IntentDetails;
  'exhibit-retrieve.completed': IntentDetails;
  'exhibit-retrieve.cancelled': IntentDetails;
  'exhibit-retrieve.door-failed': IntentDetails;

  'service.open-intent': { opening: number; reason: string };
  'service.door-opened': { opening: number };
  'service.door-closed': { opening: number };
  'service.door-failed': { opening: number; reason: string };

  'exception.raised': { exception: number; kind: ExceptionKind; message: string } & Record<string, unknown>;
  'exception.acknowledged': { exception: number; kind: ExceptionKind };
  'exception.resolved': { exception: number; kind: ExceptionKind; note: string };

  'override.granted': { override: number; assetType: string; reasonCode: string; note: string; refusals: string[] };
  'override-reasons.changed': Changes;
  'rule.changed': { assetType: number; assetTypeName: string; fromVersion: number | null; toVersion: number; before: unknown; after: unknown };
  'training.imported': { source: string; file: string; rows: number; changed: number; status: string };
  'training.rejected': { source: string; file: string; rows: number; changed: number; status: string; problems: number };
  'config.changed': Changes;
  'hardware.test': { test: unknown; ok: boolean; message: string };
  'bank.walk-started': { walk: number };
  'bank.walk-polarity': { walk: number; finding: string; applied: string[] };
  'bank.walk-door': { walk: number; answer: 'yes' | 'no' | 'other'; otherDoor: number | null; sensor: string };
  'bank.walk-remap': { walk: number; otherDoor: number; changes: string[] };
  'bank.walk-finished': { walk: number; outcome: 'passed' | 'problems' | 'abandoned'; confirmed: number[]; doors: number };

  'asset.registered': { assetType: string; assetTypeId: number; serial: string; tag: string };
  'asset.quarantined': AssetMove;
  'asset.sent-to-maintenance': AssetMove;
  'asset.returned-to-service': AssetMove;
  'asset.retired': AssetMove;
  'stock.started': Record<string, never>;
  'stock.checked': { scanned: number; missing: number; unexpected: number; missingTags: string[]; unexpectedTags: { tag: string; problem: string }[] };

  'site.seeded-demo': { officers: number; assets: number; rules: number };
  'site.seeded-demo-rooms': { assets: number; staged: number; historyDays: number };
  'bank.added': { name: string };
  'bank.doors-added': { doors: number[] };
  'bank.doors-changed': { changes: string[] };

  'swap.order-created': { order: number; officer: number; asset: number; newAsset: number | null; newAssetType: number; expiresOn: string };
  'swap.order-cancelled': { order: number; reason: string };
  'swap.order-expired': { order: number };
  'device.sanitised': { asset: number; method: string; tool: string; operator: string; verified: boolean; certificateId: string };
  'device.sanitisation-failed': { asset: number; method: string; tool: string; operator: string; verified: boolean; certificateId: string };
  'device.disposed': { asset: number; outcome: string; receivingOrganisation: string | null; certificate: string | null };

  'booking.created': { booking: number; reference: string; source: string; officer: number; assetType: number; asset: number | null; priority: string; readyFrom: string; deadline: string };
  'booking.cancelled': { booking: number; reason: string };
  'booking.staged': { booking: number; asset: number; door: number };
  'booking.expired': { booking: number; staged: boolean; door: number | null };
  'booking.collect-refused': { booking: number; reasons: { code: string; message: string }[]; ruleVersion: number | null };
  'stage.intent': { booking: number; intent: number; door: number; asset: number };
  'booking-collect.intent': { booking: number; intent: number; door: number; ruleVersion: number | null };

  'ammo.recorded': { lot: number; lotNumber: string; calibre: string; kind: string; quantity: number; direction: number; holder: number | null; reason: string };
  'ammo.lot-recalled': { lot: number; lotNumber: string; calibre: string; reason: string; holders: number; rounds: number };
  'pool.received': { assetType: number; name: string; quantity: number; note: string };
  'pool.counted': { assetType: number; name: string; before: number; counted: number; reason: string };
  'pool.packed': { assetType: number; name: string; quantity: number; booking: number; asset: number };
  'exhibit.deposit-intent': { exhibit: number; intent: number; door: number; reference: string; occurrence: string; category: string };
  'exhibit.retrieve-intent': { exhibit: number; intent: number; door: number; witness: number | null; purpose: string };
  'exhibit.deposited': ExhibitDetails;
  'exhibit.retrieved': ExhibitDetails;
  'exhibit.resealed': ExhibitDetails;
  'exhibit.seal-mismatch': ExhibitDetails;
  'exhibit.dwell-alarm': ExhibitDetails;

  'setup.code-issued': Record<string, never>;
  'setup.code-refused': { triesLeft: number };
  'setup.first-admin': { collarNumber: string; name: string };
  'card.enrolled': { officer: string };
  'card.enrolment-refused': { officer: string; holder: string };
  'card.revoked': { officer: string };
  'auth.pin-chosen': Record<string, never>;
  'auth.pin-reset': { officer: string };
  'personnel.imported': { import: number; fileName: string; rows: number; changed: number; added: number; left: number };
  'officer.added': { collarNumber: string; name: string; roles: string[]; status: string };
  'officer.changed': { collarNumber: string; changes: string[] };
  'officer.left': { collarNumber: string; cardsRevoked: number };
  'register.imported': { import: number; fileName: string; rows: number; changed: number; qualifications: number; assetTypes: number; assets: number };
  'asset-type.added': { code: string; name: string; category: string };
}

export type AuditAction = keyof AuditDetails;
export type IntentAuditAction = { [A in AuditAction]: AuditDetails[A] extends IntentDetails ? A : never }[AuditAction];
export type ExhibitAuditAction = { [A in AuditAction]: AuditDetails[A] extends ExhibitDetails ? A : never }[AuditAction];

/**
 * Every action with what it means, in words: a runtime list of the same keys (the compiler
 * checks it has each, and only, the actions above), for the console and its tests.
 */
export const AUDIT_ACTIONS: Readonly<Record<AuditAction, string>> = {
  'auth.signed-in': 'an officer signed in with card and PIN',
  'auth.signed-out': 'an officer signed out, or was signed out when idle or once a draw, return or swap was complete',
  'auth.failed': 'a wrong PIN was entered for a card',
  'auth.locked': 'a card was locked after repeated wrong PINs',
  'auth.refused-locked': 'a PIN was entered for a locked card',
  'draw.intent': 'a draw was allowed and its door is about to open',
  'draw.refused': 'a draw was refused, with every reason',
  'draw.override-rejected': 'an override offered for a draw was not accepted',
  'return.intent': 'a return began and its door is about to open',
  'swap.deposit-intent': 'a device swap began: the deposit door is about to open',
  'swap.issue-intent': "a swap's old device is in: the new device's door is about to open",
  'collect.intent': 'IT is about to open the door of a retired device to collect it',
  'door.opened': 'a door read open for its intent',
  'draw.completed': 'a drawn item left its door: the loan began',
  'draw.cancelled': 'a draw door closed with the item still inside',
  'draw.door-failed': 'a draw door never opened',
  'return.item-in': 'a returned item is in its door',
  'return.cancelled': 'a return door closed without the item',
  'return.completed': 'a return was settled with its condition',
  'return.door-failed': 'a return door never opened',
  'swap-deposit.item-in': "a swap's old device is in the deposit door",
  'swap-deposit.cancelled': 'a deposit door closed empty',
  'swap-deposit.completed': "a swap's old device was verified and taken in",
  'swap-deposit.unverified': 'a deposit door closed with an item whose tag was not matched',
  'swap-deposit.door-failed': 'a deposit door never opened',
  'swap-issue.completed': "a swap's new device left its door: the loan began",
  'swap-issue.cancelled': "a swap's new device was left in its door",
  'swap-issue.door-failed': "a swap's new-device door never opened",
  'collect.completed': 'IT took a retired device from its door',
  'collect.cancelled': 'a collection door closed with the device still inside',
  'collect.door-failed': 'a collection door never opened',
  'stage.item-in': 'a booked item stores were loading is in its door',
  'stage.completed': 'a door loaded for a booking closed: it is held for the officer',
  'stage.cancelled': 'a door opened to load a booked item closed empty',
  'stage.door-failed': 'a door opened to load a booked item never opened',
  'booking-collect.completed': 'a booked item left its door with its officer: the loan began',
  'booking-collect.cancelled': 'a booked item was left in its door at collection',
  'booking-collect.door-failed': "a booked item's door never opened for collection",
  'exhibit-deposit.item-in': 'an exhibit is in its door',
  'exhibit-deposit.completed': 'an exhibit door closed on its exhibit',
  'exhibit-deposit.cancelled': 'an exhibit door closed without the exhibit',
  'exhibit-deposit.door-failed': 'an exhibit door never opened for a deposit',
  'exhibit-retrieve.completed': 'an exhibit left its door with the property store',
  'exhibit-retrieve.cancelled': 'an exhibit was left in its door at retrieval',
  'exhibit-retrieve.door-failed': 'an exhibit door never opened for retrieval',
  'service.open-intent': 'a site admin asked to open a door for service',
  'service.door-opened': 'a door opened for service',
  'service.door-closed': 'a door closed after service',
  'service.door-failed': 'a door did not open for service',
  'exception.raised': 'the terminal raised an exception for an armourer',
  'exception.acknowledged': 'an armourer acknowledged an exception',
  'exception.resolved': 'an armourer resolved an exception, saying what was done',
  'override.granted': 'an armourer overrode a refusal for one draw',
  'override-reasons.changed': 'the override reason codes changed',
  'rule.changed': 'a release rule got a new version',
  'training.imported': 'training records were imported',
  'training.rejected': 'a training import was rejected whole',
  'config.changed': 'the terminal configuration was saved',
  'hardware.test': 'a site admin ran a hardware test',
  'bank.walk-started': 'a site admin began commissioning the bank door by door',
  'bank.walk-polarity': "the commissioning walk checked the board's lock-sensor polarity",
  'bank.walk-door': 'a site admin said whether the unlocked door opened',
  'bank.walk-remap': "a site admin swapped two doors' wiring in the bank layout",
  'bank.walk-finished': 'the commissioning walk ended',
  'asset.registered': 'an item was registered',
  'asset.quarantined': 'an item was quarantined',
  'asset.sent-to-maintenance': 'an item was sent for maintenance',
  'asset.returned-to-service': 'an item was returned to service',
  'asset.retired': 'an item was retired',
  'stock.started': 'a stock check started',
  'stock.checked': 'a stock check finished, with its findings',
  'site.seeded-demo': 'the demo site was seeded',
  'site.seeded-demo-rooms': "the demo's smart-locker rooms were seeded: stores kit, staged bookings, an exhibit and a month of history",
  'bank.added': 'a locker bank was added',
  'bank.doors-added': 'doors were added to a locker bank',
  'bank.doors-changed': "doors' size class or what they may hold changed in the layout",
  'swap.order-created': 'IT ordered a device swap',
  'swap.order-cancelled': 'IT cancelled a swap order',
  'swap.order-expired': 'a swap order lapsed unused',
  'device.sanitised': "a retired device's sanitisation was recorded and verified",
  'device.sanitisation-failed': 'a sanitisation was recorded but did not verify',
  'device.disposed': "a sanitised device's disposal was recorded",
  'booking.created': 'kit was booked for an officer to collect',
  'booking.cancelled': 'a booking was cancelled',
  'booking.staged': 'a booked item was staged behind a door, held for its officer',
  'booking.expired': 'a booking passed its deadline: its item went back to the pool',
  'booking.collect-refused': 'an officer was refused the collection of a booked item',
  'stage.intent': 'stores began loading a booked item: its door is about to open',
  'booking-collect.intent': 'an officer began collecting a booked item: its door is about to open',
  'ammo.recorded': 'rounds of an ammunition lot moved: received, issued, returned, expended, transferred, destroyed or adjusted',
  'ammo.lot-recalled': 'an ammunition lot was recalled: it is not issued again',
  'pool.received': 'pooled stock was delivered to the store',
  'pool.counted': "the store's pooled stock was counted",
  'pool.packed': 'units of pooled stock were taken from the store as a pack for a booking',
  'exhibit.deposit-intent': 'an officer began depositing an exhibit: its door is about to open',
  'exhibit.retrieve-intent': 'the property store began retrieving an exhibit, its seal checked: its door is about to open',
  'exhibit.deposited': 'an exhibit was deposited (its CCTV footage asked to be kept)',
  'exhibit.retrieved': 'an exhibit was retrieved by the property store (its CCTV footage asked to be kept)',
  'exhibit.resealed': 'an exhibit was resealed: old seal, new seal, who and why',
  'exhibit.seal-mismatch': 'the seal read at retrieval was not the exhibit seal on record: nothing opened',
  'exhibit.dwell-alarm': 'an exhibit stayed in its door longer than the dwell time',
  'setup.code-issued': 'a one-time setup code was issued for the first site admin',
  'setup.code-refused': 'a wrong setup code was entered',
  'setup.first-admin': 'the first site admin was created with the setup code',
  'card.enrolled': 'a card was enrolled to an officer',
  'card.enrolment-refused': 'a card already enrolled to someone else was refused',
  'card.revoked': 'a card was revoked',
  'auth.pin-chosen': 'an officer chose their PIN',
  'auth.pin-reset': "an armourer reset an officer's PIN",
  'personnel.imported': 'a personnel file from HR was imported',
  'officer.added': 'an officer was added from a personnel import',
  'officer.changed': "an officer's details, roles, status or cards changed in a personnel import",
  'officer.left': 'an officer left: their cards were revoked and their PIN and roles removed',
  'register.imported': 'a site register (qualifications, asset types and their rules, items) was imported',
  'asset-type.added': 'an asset type was added from a site register import',
};
