/**
 * The one contract between the renderer and main.
 *
 * Every request, response and pushed event is described here with zod, and every
 * transport (Electron IPC, the browser shell's WebSocket) validates against these
 * schemas on the main side. The renderer imports only this file.
 *
 * Main owns the kiosk's state: the renderer asks (a request) and shows (the
 * snapshot main pushes). Nothing the renderer says decides anything that matters
 * for safety; main re-checks the session and role on every call.
 */
import { z } from 'zod';

// Shared with the renderer: the keyboard-mode scanner fallback runs there (see the file).
export { ScanTimingDetector, type KeyInput } from './keyboard-scan-timing.ts';

// ---------------------------------------------------------------------------
// Results

export const ERROR_KINDS = [
  'invalid-request', // payload failed the schema
  'not-signed-in', // the request needs a signed-in officer and nobody is
  'wrong-role', // the signed-in officer lacks the role the request needs
  'wrong-state', // not possible at this point (no PIN pad showing, a door still open, ...)
  'demo-only', // a simulator request on a live terminal
  'forbidden', // refused for another reason the message gives (self-override, ...)
  'not-found',
  'refused', // the decision engine said no; message names the reason
  'conflict', // state changed underneath (asset already drawn, door busy)
  'device', // hardware did not answer or reported a fault
  'auth-failed', // card/PIN not accepted (same message for every cause)
  'internal',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface ApiError {
  kind: ErrorKind;
  message: string;
}
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export const apiErrorSchema = z.object({
  kind: z.enum(ERROR_KINDS),
  message: z.string(),
});

// ---------------------------------------------------------------------------
// Views pushed by main

export const ROLES = ['officer', 'armourer', 'admin', 'it', 'stores', 'property'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Where an asset stands: the one list every layer uses (the database holds the same values
 * in its asset_statuses table). Devices retired by a swap go awaiting-sanitisation ->
 * sanitised -> disposed (or back to available when redeployed).
 */
export const ASSET_STATUSES = [
  'available',
  'issuing',
  'on-loan',
  'quarantined',
  'maintenance',
  'retired',
  'awaiting-sanitisation',
  'sanitised',
  'disposed',
  /** Staged behind a door for a booking: held for the officer who booked it (bookings.ts). */
  'reserved',
  /** An exhibit's place in the lockers (exhibits.ts): behind its door, or out with the property store. */
  'evidence',
  'evidence-out',
] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

export const RETURN_CONDITIONS = ['ok', 'damaged', 'discharged'] as const;
export type ReturnCondition = (typeof RETURN_CONDITIONS)[number];

/** One asset the signed-in officer holds now. */
export interface HoldingView {
  loanId: number;
  assetId: number;
  assetTypeName: string;
  serial: string;
  tag: string;
  drawnAt: string; // ISO-8601
}

/** A qualification the officer holds, with its expiry and whether a warning is due. */
export interface QualificationView {
  code: string;
  name: string;
  expiresOn: string | null; // ISO date (yyyy-mm-dd); null = does not expire
  state: 'valid' | 'expiring' | 'expired';
  /** Human sentence, e.g. "Taser refresher expires 3 Dec 2026 (in 12 days)". */
  label: string;
}

/** Why a draw is refused: a machine code for tests and a sentence for people. */
export interface RefusalReason {
  code:
    | 'officer-suspended'
    | 'officer-restricted'
    | 'qualification-missing'
    | 'qualification-expired'
    | 'role-required'
    | 'unit-not-authorised'
    | 'limit-reached'
    | 'none-available'
    | 'reference-stale';
  message: string; // "Taser refresher expired 3 Oct 2026"
  /** What the officer should do next, e.g. "Book a refresher, or ask an armourer." */
  advice: string;
}

export interface DrawOptionView {
  assetTypeId: number;
  name: string; // "Taser 7"
  category: string; // "taser" | "firearm" | "radio" | "bwv" | ...
  availableCount: number;
  allowed: boolean;
  reasons: RefusalReason[]; // empty when allowed
  /** Refused, but every reason is one an armourer may override (policy). */
  overridable: boolean;
}

export interface SessionView {
  officerId: number;
  collarNumber: string;
  displayName: string;
  roles: Role[];
  holdings: HoldingView[];
  drawOptions: DrawOptionView[];
  qualifications: QualificationView[];
  /** Device swaps IT has ordered for this officer, ready to do at this terminal. */
  swapOrders: OfficerSwapView[];
  /** Kit booked for this officer: staged ones are collected here with a touch. */
  bookings: OfficerBookingView[];
}

/** A swap waiting for the officer: hand in the old device, get the new one. */
export interface OfficerSwapView {
  orderId: number;
  oldTypeName: string;
  oldSerial: string;
  newTypeName: string;
  /** The order's last day (yyyy-mm-dd). */
  expiresOn: string;
  /** The old device is already in; only the new one is still to collect. */
  deposited: boolean;
}

export interface IdleView {
  /** Seconds until auto-logout; present only while the warning is showing. */
  warningSecondsLeft: number | null;
  timeoutSeconds: number;
  /**
   * On the done screen of a completed draw, return or swap: seconds until main signs the officer
   * out, pushed by main each second from its own clock; null when no such countdown runs.
   */
  doneSecondsLeft: number | null;
}

/** The screen main wants shown. The renderer switches on `kind`. */
export type ScreenView =
  | { kind: 'idle' }
  /** `choosing`: the card's officer has no PIN yet and chooses one (first sign-in, or after a reset). */
  | { kind: 'pin'; message: string | null; attemptsLocked: boolean; choosing: boolean }
  | { kind: 'home'; message: string | null }
  /** `opened`: a status poll has seen the door open. Until then the screen says it is opening: the unlock alone proves nothing. */
  | {
      kind: 'draw-door-open';
      doorNumber: number;
      assetTypeName: string;
      serial: string;
      opened: boolean;
    }
  | { kind: 'draw-done'; assetTypeName: string; serial: string; doorNumber: number }
  | {
      kind: 'return-door-open';
      doorNumber: number;
      assetTypeName: string;
      serial: string;
      opened: boolean;
    }
  | { kind: 'return-condition'; doorNumber: number; assetTypeName: string; serial: string }
  | {
      kind: 'return-done';
      assetTypeName: string;
      serial: string;
      condition: ReturnCondition;
      quarantined: boolean;
    }
  | { kind: 'problem'; title: string; message: string }
  /** Site admins only: configure and test the room's hardware. */
  | { kind: 'hardware' }
  /** A second person, an armourer, authorises one refused draw at this terminal. */
  | {
      kind: 'override';
      step: 'armourer-card' | 'armourer-pin' | 'reason';
      assetTypeName: string;
      refusals: RefusalReason[];
      reasonCodes: { code: string; label: string }[];
      message: string | null;
    }
  /** Armourers: the exceptions queue. */
  | { kind: 'exceptions' }
  /** Site admins: training records imports. */
  | { kind: 'training' }
  /** Site admins and armourers: people, cards and PINs; personnel imports. */
  | { kind: 'people'; message: string | null }
  /** Site admins: release rules per asset type. */
  | { kind: 'rules' }
  /** Armourers: the live board, mobilisation, investigation, dashboard, assets and stock check. */
  | { kind: 'console' }
  /**
   * A one-for-one device swap: the old device goes into the deposit door first, and the new
   * device's door opens only once the deposit door reads closed with it inside and its tag matched.
   * "-opening" steps: the unlock is sent but no sensor has seen the door open yet.
   */
  | {
      kind: 'swap';
      step: 'deposit-opening' | 'deposit-open' | 'issue-opening' | 'issue-open';
      orderId: number;
      oldTypeName: string;
      oldSerial: string;
      newTypeName: string;
      newSerial: string | null;
      depositDoor: number | null;
      issueDoor: number | null;
      /** The old device's tag: not scanned yet, matched, or refused (a wrong tag: nothing new will be released). */
      tag: 'waiting' | 'matched' | 'refused';
      message: string | null;
    }
  | { kind: 'swap-done'; oldTypeName: string; oldSerial: string; newTypeName: string; newSerial: string; doorNumber: number }
  /** IT: swap orders, retired devices to collect, sanitisation and disposal. */
  | { kind: 'device-refresh'; message: string | null }
  /** IT collects a retired device from its door for sanitisation. */
  | { kind: 'collect-door'; doorNumber: number; assetTypeName: string; serial: string; opened: boolean }
  /** Stores and armourers: bookings, staging and no-shows. */
  | { kind: 'bookings'; message: string | null }
  /** Stores load a booked item into the door the terminal chose; the door is then held for the officer. */
  | { kind: 'stage-door'; doorNumber: number; assetTypeName: string; serial: string; reference: string; officer: string; opened: boolean }
  /** Any officer: deposit a sealed exhibit (the form), then its door. Deposit is one way. */
  /** `scanned`: a code a serial scanner read while the form showed, for the field being filled (a seal, a reference). */
  | { kind: 'exhibit-deposit'; message: string | null; scanned: string | null }
  | { kind: 'exhibit-door'; doorNumber: number; reference: string; occurrence: string; direction: 'in' | 'out'; opened: boolean }
  /** The property store: exhibits held, retrieval, reseal and continuity records. */
  | { kind: 'exhibits'; message: string | null }
  /**
   * Retrieving one exhibit: a second property officer taps their card and enters their PIN
   * (drugs, cash, firearms), then the seal number on the bag is checked before its door opens.
   */
  | { kind: 'exhibit-retrieve'; step: 'witness-card' | 'witness-pin' | 'seal'; reference: string; occurrence: string; category: ExhibitCategory; doorNumber: number; witness: string | null; message: string | null };

export type DeviceState = 'connecting' | 'online' | 'degraded' | 'offline';

export interface DeviceHealthView {
  id: string; // "locker-bank-1"
  label: string; // "Locker bank A (16 doors)"
  state: DeviceState;
  lastError: string | null;
  /** The name a site admin chose for officers to see ("Taser lockers"); never a port path or driver id. */
  name?: string;
}

/** The lockers as officers see them, before anyone touches a button. */
export interface LockerStatusView {
  /** The name a site admin chose ("Taser lockers"). */
  name: string;
  state: DeviceState;
  /** Whether a draw or return may be started. */
  inService: boolean;
  /** Why not, in words for an officer (no port paths, no driver errors); null while in service. */
  reason: string | null;
}

/** Demo-mode only: the simulated room, so a person can play the hardware's part. */
export interface DemoDoorView {
  number: number;
  open: boolean;
  itemPresent: boolean | null; // null: this door has no item sensor
  /** What the database says lives behind this door, for the label. */
  assetLabel: string | null;
}
export interface DemoCardView {
  uid: string;
  label: string; // "PC 1234 Alex Morgan (in date)"
  pin: string;
}
export interface DemoTagView {
  tag: string;
  label: string; // "Taser 7 T7-0003 (on loan to PC 1234)"
}
export interface DemoView {
  doors: DemoDoorView[];
  cards: DemoCardView[];
  tags: DemoTagView[];
}

/** One frame or event in the hardware screen's diagnostic log. */
export interface FrameLogEntryView {
  seq: number;
  at: string; // ISO
  device: string;
  direction: 'tx' | 'rx' | 'event';
  hex: string; // "02 00 30 03 35"
  note: string | null;
}

export interface ExceptionView {
  id: number;
  kind: string; // "forced-door", "door-left-open", "video-trigger-failed", "device-offline", "override-used", "overdue", ...
  subject: string;
  message: string;
  state: 'open' | 'acknowledged' | 'resolved';
  raisedAt: string;
  acknowledgedBy?: string | null;
  acknowledgedAt?: string | null;
  resolvedBy?: string | null;
  resolvedAt?: string | null;
  resolutionNote?: string | null;
}

export const BANK_WALK_ANSWERS = ['yes', 'no', 'other'] as const;
/** Did the door that was unlocked open: yes, no, or a different door. */
export type BankWalkAnswer = (typeof BANK_WALK_ANSWERS)[number];

export interface BankWalkDoorView {
  doorNumber: number;
  answer: BankWalkAnswer;
  /** The door that opened instead, for "other". */
  otherDoor: number | null;
  /** This door's wiring was swapped with otherDoor's after the answer. */
  remapped: boolean;
  answeredBy: string;
  answeredAt: string;
}

/** Commissioning the bank door by door, from the hardware screen (site admins). */
export interface BankWalkView {
  /** A walk has ended with every door confirmed (demo banks count as commissioned). */
  commissioned: boolean;
  demo: boolean;
  running: {
    walkId: number;
    /**
     * polarity: the probe proposes a lock-sensor setting to apply or skip; open: the next door is
     * ready to unlock; answer: it was unlocked, did it open?; remap: a different door opened, swap the two?
     */
    step: 'polarity' | 'open' | 'answer' | 'remap';
    finding: string | null;
    proposal: string | null;
    doorNumber: number;
    doorIndex: number;
    doorCount: number;
    /** What the unlock did, in words ("Door 5 read open after the unlock"). */
    unlocked: string | null;
    otherDoor: number | null;
  } | null;
  last: {
    walkId: number;
    startedBy: string;
    startedAt: string;
    finishedAt: string | null;
    outcome: 'passed' | 'problems' | 'abandoned' | null;
    finding: string | null;
    doors: BankWalkDoorView[];
  } | null;
}

export interface HardwareView {
  /** The bank as a whole: the name officers see, its state, and what its readings say that cannot be true. */
  bank: { name: string; state: DeviceState; problems: string[]; lastError: string | null };
  bankWalk: BankWalkView;
  /** The saved terminal configuration as JSON, secrets masked. */
  configJson: string;
  configLocation: string;
  /** Every device on its own (each bus, reader, scanner and video trigger). */
  devices: DeviceHealthView[];
  buses: { id: string; protocol: string; doorNumbers: number[] }[];
  doors: { number: number; open: boolean; itemPresent: boolean | null }[];
  triggers: { id: string; kind: string }[];
  videoPolicy: 'required' | 'best-effort' | 'off';
  exceptions: ExceptionView[];
}

export interface HardwareTestResult {
  ok: boolean;
  message: string;
}

export interface ConfigSaveResult {
  saved: boolean;
  /** Every problem found, for the admin to fix at once; empty when saved. */
  problems: string[];
  /** What changed, in words, when saved. */
  changes: string[];
}

/** One release rule for an asset type, as the rules screen edits it. */
export const ruleSchema = z
  .object({
    /** Every one of these qualifications is needed. */
    allOf: z.array(z.string().min(1).max(40)).max(20),
    /** At least one of these is needed (ignored when empty). */
    anyOf: z.array(z.string().min(1).max(40)).max(20),
    /** Days a qualification still counts after it expires (0: none). */
    graceDays: z.number().int().min(0).max(90),
    /** Roles the officer must hold (empty: no role needed). */
    roles: z.array(z.enum(ROLES)).max(ROLES.length),
    /** Units whose officers may draw it (empty: every unit). */
    units: z.array(z.string().min(1).max(60)).max(50),
    /** An item must come back within this many hours (null: no limit). */
    maxLoanHours: z.number().int().min(1).max(24 * 14).nullable(),
    /** ...or by this time of day (local "HH:MM", end of shift; null: none). */
    returnBy: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time such as 07:00')
      .nullable(),
  })
  .strict();
export type RuleView = z.infer<typeof ruleSchema>;

export interface AssetTypeRuleView {
  assetTypeId: number;
  assetTypeName: string;
  version: number;
  rule: RuleView;
  changedAt: string | null;
  changedBy: string | null;
}

export interface TrainingImportRowProblem {
  row: number; // 1-based data row (CSV: header is row 0)
  problem: 'unknown-officer' | 'unknown-qualification' | 'bad-date' | 'duplicate-row' | 'future-date' | 'missing-field' | 'malformed';
  message: string;
}

/** A live terminal until a site admin can sign in: where the first admin has got to. */
export interface SetupView {
  /** code: enter the setup code and who you are; card: tap your card; pin: tap your card to choose your PIN. */
  step: 'code' | 'card' | 'pin';
  /** "PC 1001 Sam Patel" once the code is accepted. */
  admin: string | null;
  /** Where the code is printed (never the code itself). */
  codeLocation: string;
}

/** One officer on the people screen. */
export interface OfficerAdminView {
  id: number;
  collarNumber: string;
  name: string;
  status: 'active' | 'suspended' | 'restricted' | 'left';
  unit: string | null;
  roles: string[];
  /** Enrolled, unrevoked card UIDs. */
  cards: string[];
  hasPin: boolean;
}

export interface PersonnelImportRowProblem {
  row: number; // 1-based data row (CSV: header is row 0)
  problem: 'missing-field' | 'malformed' | 'duplicate-row' | 'unknown-role' | 'bad-status' | 'card-conflict' | 'unknown-site' | 'last-admin';
  message: string;
}

/** What every import (training records, personnel, site register) reports about one file it took. */
export interface ImportReportView<P> {
  id: number;
  source: string; // "upload", "drop folder", "https://lms.example/export"
  fileName: string;
  format: 'csv' | 'json';
  status: 'applied' | 'rejected' | 'unchanged';
  rows: number;
  changed: number;
  problems: P[];
  importedAt: string;
}

export interface PersonnelImportView extends ImportReportView<PersonnelImportRowProblem> {
  /** Of the changed: officers added, and leavers applied. */
  added: number;
  left: number;
}

export interface RegisterImportRowProblem {
  row: number; // 1-based index in its list (qualifications, assetTypes or assets); 0 for the file as a whole
  problem: 'malformed' | 'duplicate-row' | 'unknown-code' | 'unknown-door' | 'conflict';
  message: string;
}

export interface RegisterImportView extends ImportReportView<RegisterImportRowProblem> {
  /** Added or changed, by list. */
  added: { qualifications: number; assetTypes: number; assets: number };
}

export type TrainingImportView = ImportReportView<TrainingImportRowProblem>;

// --- Armourer console -------------------------------------------------------

/** Who holds what now: one open loan. */
export interface BoardEntry {
  loanId: number;
  officerId: number;
  collarNumber: string;
  officerName: string;
  assetId: number;
  assetTypeName: string;
  category: string;
  serial: string;
  drawnAt: string;
  dueAt: string | null;
  overdue: boolean;
}

export interface MobilisationTypeView {
  assetTypeId: number;
  assetTypeName: string;
  category: string;
  /** Officers holding one now. */
  armed: { officerId: number; collarNumber: string; name: string; serial: string; since: string }[];
  /** Officers the rule would release one to now (qualified, not suspended or restricted) who hold none. */
  available: { officerId: number; collarNumber: string; name: string }[];
}

export interface MobilisationView {
  generatedAt: string;
  /** Firearm and Taser types (the ones a mobilisation counts). */
  types: MobilisationTypeView[];
}

/** The estate's mobilisation (estate/mobilisation.ts): a terminal's view with every person's estate site, and per-site counts. */
export interface EstateMobilisationTypeView {
  assetTypeId: number;
  assetTypeName: string;
  category: string;
  /** `site`: the estate site of the terminal that issued it. */
  armed: (MobilisationTypeView['armed'][number] & { site: string })[];
  /** `site`: the officer's home site as an estate site, or "(no estate site)". */
  available: (MobilisationTypeView['available'][number] & { site: string })[];
  /** Set when the type's stored rule cannot be read: nobody is counted as available for it. */
  problem: string | null;
}

export interface EstateSiteCountView {
  siteId: string;
  siteName: string;
  /** Per type, in the order of the view's types. */
  byType: { assetTypeName: string; armed: number; available: number }[];
  /** Distinct officers armed here with at least one counted item; distinct officers available here, armed with none. */
  armed: number;
  available: number;
}

export interface EstateMobilisationView {
  generatedAt: string;
  types: EstateMobilisationTypeView[];
  sites: EstateSiteCountView[];
  totals: { armed: number; available: number };
}

/** The console's estate scope: off (no estate configured), unavailable (configured, not answering), or the picture. */
export type EstateScopeView = { state: 'off' } | { state: 'unavailable'; message: string } | { state: 'connected'; picture: EstateMobilisationView };

export interface TimelineEntry {
  seq: number;
  at: string;
  actor: string; // "PC 1234 Alex Morgan" or "terminal"
  action: string; // "draw.completed"
  subject: string; // "door:3", "asset:5"
  summary: string; // one readable sentence
}

export interface ChainStatus {
  ok: boolean;
  rows: number;
  firstBrokenSeq: number | null;
  reason: string | null;
  checkedAt: string;
}

/** The audit trail's start-up check: until it passes, nothing is drawn or returned. */
export interface AuditTrailStatus {
  state: 'checking' | 'verified' | 'failed';
  /** What was found and what to do, in words; null once verified. */
  message: string | null;
  checkedAt: string | null;
}

/** The console's audit anchoring panel: the terminal's signing key and its latest checkpoint. */
export interface AuditAnchorView {
  terminalId: string;
  /** SHA-256 of the public key, in groups of four hex digits, to read out and compare. */
  publicKeyFingerprint: string;
  publicKeyPem: string;
  trail: AuditTrailStatus;
  latestCheckpoint: { seq: number; at: string; reason: string } | null;
  /** The last row of the log now. */
  headSeq: number;
  everyRows: number;
  everyMinutes: number;
}

export interface TimelineView {
  entries: TimelineEntry[];
  /** Verification of the whole audit chain the entries come from. */
  chain: ChainStatus;
  /** The query, in words ("Taser 7 T7-0003, 14 Nov 2026 00:00 to 21 Nov 2026 23:59"). */
  title: string;
}

export const timelineQuerySchema = z
  .object({
    by: z.enum(['asset', 'officer', 'door', 'window']),
    /** Asset serial or tag; officer collar number; door number. Ignored for 'window'. */
    value: z.string().max(64),
    from: z.iso.datetime().nullable(),
    to: z.iso.datetime().nullable(),
  })
  .strict();
export type TimelineQuery = z.infer<typeof timelineQuerySchema>;

/** A file made in main for the person to save (CSV, PDF). */
export interface ExportedFile {
  fileName: string;
  mimeType: string;
  base64: string;
}

export interface DashboardView {
  /** 7 days × 24 hours, oldest first. */
  issuesReturnsByHour: { hour: string; issues: number; returns: number }[];
  /** Median seconds from an officer signing in to their door reading open, last 7 days. */
  medianSignInToDoorSeconds: number | null;
  overdueCount: number;
  refusalsByReason: { code: string; count: number }[];
  utilisationByType: { assetTypeName: string; onLoan: number; total: number }[];
}

export interface StockCheckView {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  scanned: number;
  /** Expected in the armoury (not on loan, not retired) but not scanned. */
  missing: { assetId: number; assetTypeName: string; serial: string; tag: string; status: AssetStatus }[];
  /** Scanned, but on loan, retired, or unknown. */
  unexpected: { tag: string; assetTypeName: string | null; serial: string | null; why: string }[];
}

// --- Device refresh (PCD 977) -------------------------------------------------

export const SWAP_ORDER_STATES = ['open', 'deposited', 'completed', 'cancelled', 'expired'] as const;
export type SwapOrderState = (typeof SWAP_ORDER_STATES)[number];

export interface SwapOrderView {
  id: number;
  collarNumber: string;
  officerName: string;
  oldSerial: string;
  oldTypeName: string;
  /** The specific new device, when the order names one; otherwise any of the model. */
  newSerial: string | null;
  newTypeName: string;
  expiresOn: string;
  state: SwapOrderState;
  createdAt: string;
  createdBy: string;
  /** The last thing that happened to it, in words ("tag mismatch at door 13: nothing released"). */
  note: string | null;
}

/** NIST SP 800-88 sanitisation methods. */
export const SANITISATION_METHODS = ['clear', 'purge', 'destroy'] as const;
export const DISPOSAL_OUTCOMES = ['redeploy', 'recycle', 'destroy', 'donate'] as const;

export interface SanitisationView {
  method: (typeof SANITISATION_METHODS)[number];
  tool: string;
  operator: string;
  verified: boolean;
  certificateId: string;
  recordedAt: string;
  recordedBy: string;
}

export interface DisposalView {
  outcome: (typeof DISPOSAL_OUTCOMES)[number];
  receivingOrganisation: string | null;
  certificate: string | null;
  recordedAt: string;
  recordedBy: string;
}

/** A device retired by a swap, and how far it is on its path to disposal. */
export interface RetiredDeviceView {
  assetId: number;
  serial: string;
  tag: string;
  typeName: string;
  status: AssetStatus;
  /** When and by whom it was handed in. */
  depositedAt: string | null;
  depositedBy: string | null;
  /** The locker door it is still behind; null once IT has collected it. */
  door: number | null;
  collectedAt: string | null;
  collectedBy: string | null;
  /** The latest sanitisation record (a failed verification is kept and shown). */
  sanitisation: SanitisationView | null;
  disposal: DisposalView | null;
  /** What has to happen next, in words ("Collect it from door 13"). */
  nextStep: string;
}

export interface DeviceRefreshView {
  orders: SwapOrderView[];
  devices: RetiredDeviceView[];
  /** Models a swap order can name instead of a specific device. */
  models: { assetTypeId: number; name: string; inLockers: number }[];
}

// --- Bookings (PCD 1698) ---------------------------------------------------------

export const BOOKING_PRIORITIES = ['mobilisation', 'routine'] as const;
export type BookingPriority = (typeof BOOKING_PRIORITIES)[number];
export const BOOKING_STATES = ['booked', 'staged', 'collected', 'expired', 'cancelled'] as const;
export type BookingState = (typeof BOOKING_STATES)[number];
/** What the booking webhook is told: staged and ready, near its deadline, expired uncollected, collected. */
export type BookingNoticeEvent = 'ready' | 'expiring' | 'expired' | 'collected';

/** One booking as stores and armourers see it. */
export interface BookingView {
  id: number;
  reference: string;
  /** 'console', or 'endpoint:<system>' for one made through the HTTP endpoint. */
  source: string;
  requestId: string | null;
  priority: BookingPriority;
  state: BookingState;
  /** "PC 1234 Alex Morgan": who collects it. */
  officer: string;
  onBehalfOf: string | null;
  assetTypeId: number;
  assetTypeName: string;
  /** Units booked: more than 1 only for pooled stock. */
  quantity: number;
  /** The item, once one is named or staged; null for "any" until then. */
  serial: string | null;
  doorNumber: number | null;
  readyFrom: string;
  deadline: string;
  bookedBy: string;
  createdAt: string;
  stagedAt: string | null;
  collectedAt: string | null;
  note: string | null;
  /** What has to happen next, in words ("Stage a Radio", "Waiting for PC 1234 at door 14"). */
  nextStep: string;
}

/** A pooled type's stock: units in the store, in packs in the lockers, held for bookings, out on loan. */
export interface PoolLevelView {
  assetTypeId: number;
  name: string;
  inStore: number;
  inLockers: number;
  held: number;
  onLoan: number;
  /** Below this (store and lockers together) a low-stock exception is raised; null: no alert. */
  lowStockBelow: number | null;
  /** The low-stock exception is raised and the stock not yet back above the threshold. */
  low: boolean;
}

export interface BookingsView {
  /** Live bookings first (mobilisation before routine, then by deadline), then recent ended ones. */
  bookings: BookingView[];
  /** Every asset type, with how many are free in the lockers and in the store; pooled types are booked by quantity. */
  types: { assetTypeId: number; name: string; inLockers: number; inStore: number; pooled: boolean }[];
  pools: PoolLevelView[];
  /** Officers whose staged bookings expired uncollected, most first. */
  noShows: { officer: string; count: number }[];
}

/** A booking waiting for the signed-in officer. */
export interface OfficerBookingView {
  bookingId: number;
  reference: string;
  assetTypeName: string;
  serial: string | null;
  doorNumber: number | null;
  /** booked: stores have not staged it yet; staged: it is behind its door. */
  state: 'booked' | 'staged';
  readyFrom: string;
  deadline: string;
  /** Staged, and inside its collection window now. */
  collectable: boolean;
}

// --- Exhibits (PCD 1698) -----------------------------------------------------------

export const EXHIBIT_CATEGORIES = ['firearm', 'drugs', 'cash', 'biohazard', 'digital', 'other'] as const;
export type ExhibitCategory = (typeof EXHIBIT_CATEGORIES)[number];
/** Categories only two property officers together may retrieve. */
export const TWO_PERSON_CATEGORIES: readonly ExhibitCategory[] = ['firearm', 'drugs', 'cash'];
/** Evidence bags and containers, each with the smallest door size it needs. */
export const BAG_TYPES = ['small bag', 'large bag', 'box', 'firearm box', 'biohazard container'] as const;
export type BagType = (typeof BAG_TYPES)[number];
export const RETRIEVAL_PURPOSES = ['examination', 'court', 'transfer', 'return to owner', 'destruction'] as const;
export type RetrievalPurpose = (typeof RETRIEVAL_PURPOSES)[number];
/** Officer initials and number, with sub-exhibits: AP/1, AP/1/1. */
export const EXHIBIT_REFERENCE = /^[A-Z]{1,4}\/[0-9]{1,6}(\/[0-9]{1,4}){0,3}$/;
const sealNumber = z.string().trim().min(3).max(30).regex(/^[A-Za-z0-9-]+$/, 'a seal number is letters, digits and hyphens');

export interface ExhibitEventView {
  at: string;
  kind: 'deposited' | 'retrieved' | 'resealed' | 'seal-mismatch' | 'dwell-alarm';
  /** "PC 1234 Alex Morgan"; null for the terminal's own (a dwell alarm). */
  officer: string | null;
  witness: string | null;
  doorNumber: number | null;
  seals: string[];
  detail: string | null;
  footage: string | null;
  auditSeq: number;
}

export interface ExhibitView {
  id: number;
  reference: string;
  occurrence: string;
  category: ExhibitCategory;
  description: string;
  bagType: string;
  seals: string[];
  seizedBy: string;
  seizedAt: string;
  seizedWhere: string;
  photoRef: string | null;
  madeSafeBy: string | null;
  state: 'depositing' | 'stored' | 'retrieved' | 'not-deposited';
  doorNumber: number | null;
  depositedBy: string;
  storedAt: string | null;
  /** Needs two property officers to retrieve. */
  twoPerson: boolean;
  /** Stored longer than the dwell time: an exception is raised. */
  overdue: boolean;
  events: ExhibitEventView[];
}

// --- Ammunition (PCD 994) -----------------------------------------------------------

export const AMMO_MOVEMENT_KINDS = ['received', 'issued', 'returned', 'expended', 'transferred', 'destroyed', 'adjusted'] as const;
export type AmmoMovementKind = (typeof AMMO_MOVEMENT_KINDS)[number];

export interface AmmoLotView {
  id: number;
  calibre: string;
  kind: 'duty' | 'training';
  manufacturer: string;
  lotNumber: string;
  expiresOn: string | null;
  inStore: number;
  /** Rounds of it officers hold now. */
  held: number;
  recalledAt: string | null;
  recallReason: string | null;
}

export interface AmmoHolderView {
  collarNumber: string;
  name: string;
  quantity: number;
}

export interface KioskSnapshot {
  terminalName: string;
  mode: 'demo' | 'live';
  screen: ScreenView;
  session: SessionView | null;
  idle: IdleView;
  /** Officer-facing: each device by the name a site admin chose, with its state; raw errors only on the hardware screen. */
  devices: DeviceHealthView[];
  lockers: LockerStatusView;
  /** Where the terminal drives several named banks: which doors are in which, to name the bank beside a door. Empty for one bank. */
  doorBanks: { name: string; doors: number[] }[];
  demo: DemoView | null;
  /**
   * A keyboard-mode scanner types into this screen (no evdev access in main): the renderer
   * tells scans from typing by timing and sends them with `keyboardScan`.
   */
  keyboardScanFallback: boolean;
  /** A live terminal that no site admin can sign in to yet; null once commissioned (and always in demo mode). */
  setup: SetupView | null;
  /** A site admin armed the reader: the next card tapped is enrolled to this officer. */
  enrolling: { officerId: number; label: string; message: string | null } | null;
  /** Increases with every push so a client can ignore stale ones. */
  revision: number;
}

// ---------------------------------------------------------------------------
// Requests (renderer -> main). One entry per named method.

const empty = z.object({}).strict();
const id = z.number().int().positive().max(2 ** 31);
/** The longest upload (an import file as base64) a request may carry, in characters. */
export const MAX_TRAINING_IMPORT_CHARS = 24 * 1024 * 1024;

/** An import file's bytes: training exports and personnel files alike. */
const fileUpload = z
  .object({
    fileName: z.string().min(1).max(200),
    /**
     * The file's bytes, base64: main decodes them strictly as UTF-8, as it does the drop
     * folder's, so a file in another encoding is refused rather than read with U+FFFD in it.
     * Large exports fit: 100,000 rows is about 6 MB, 8 MB as base64.
     */
    base64: z
      .string()
      .max(MAX_TRAINING_IMPORT_CHARS)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64')
      .refine((text) => text.length % 4 === 0, 'base64'),
  })
  .strict();

export const requestSchemas = {
  /** Current snapshot (the same thing main pushes on every change). */
  getSnapshot: empty,
  /** PIN for the card that was just tapped. */
  submitPin: z.object({ pin: z.string().regex(/^[0-9]{4,8}$/, 'PIN is 4 to 8 digits') }).strict(),
  /** The first PIN for the tapped card's officer, typed twice. */
  choosePin: z
    .object({ pin: z.string().regex(/^[0-9]{4,8}$/, 'PIN is 4 to 8 digits'), confirm: z.string().regex(/^[0-9]{4,8}$/, 'PIN is 4 to 8 digits') })
    .strict(),
  /** Setup of a live terminal: the one-time code and the first site admin. */
  submitSetupCode: z
    .object({
      code: z.string().trim().regex(/^[0-9 -]{12,20}$/, 'the setup code is 12 digits'),
      collarNumber: z.string().trim().min(1).max(20),
      name: z.string().trim().min(2).max(80),
    })
    .strict(),
  /** Leave the PIN pad without signing in. */
  cancelPin: empty,
  signOut: empty,
  /** The person is still at the terminal (touch, key, "I'm still here"). */
  stillHere: empty,
  startDraw: z.object({ assetTypeId: id }).strict(),
  /** Return an item the officer holds, chosen on screen instead of scanned. */
  startReturn: z.object({ assetId: id }).strict(),
  recordCondition: z.object({ condition: z.enum(RETURN_CONDITIONS) }).strict(),
  /** Leave a done or problem screen. */
  dismiss: empty,
  // Site admins only (checked in main).
  openHardware: empty,
  getHardware: empty,
  saveHardwareConfig: z.object({ configJson: z.string().min(2).max(200_000) }).strict(),
  hardwareTest: z.discriminatedUnion('action', [
    z.object({ action: z.literal('open-door'), doorNumber: z.number().int().min(1).max(999) }).strict(),
    z.object({ action: z.literal('board-status'), busId: z.string().min(1).max(40) }).strict(),
    z.object({ action: z.literal('trigger-video'), triggerId: z.string().min(1).max(40) }).strict(),
    z.object({ action: z.literal('read-card') }).strict(),
    z.object({ action: z.literal('read-scan') }).strict(),
  ]),
  hardwareFrames: z.object({ since: z.number().int().min(0) }).strict(),
  /** Commissioning the bank door by door: read the bank at rest, probe one door, then each door in turn. */
  startBankWalk: empty,
  /** Apply (or skip) the lock-sensor polarity the probe proposes. */
  bankWalkPolarity: z.object({ apply: z.boolean() }).strict(),
  /** Unlock the walk's current door (again). */
  bankWalkOpenDoor: empty,
  bankWalkAnswer: z
    .object({ answer: z.enum(BANK_WALK_ANSWERS), otherDoor: z.number().int().min(1).max(999).nullable() })
    .strict()
    .refine((a) => (a.answer === 'other') === (a.otherDoor !== null), 'say which door opened, only when a different door opened'),
  /** Swap the current door's wiring with the door that opened instead (apply), or leave it as a finding (skip). */
  bankWalkRemap: z.object({ apply: z.boolean() }).strict(),
  cancelBankWalk: empty,
  // Override of a refused draw: the officer asks, an armourer authorises at this terminal.
  requestOverride: z.object({ assetTypeId: id }).strict(),
  submitOverridePin: z.object({ pin: z.string().regex(/^[0-9]{4,8}$/, 'PIN is 4 to 8 digits') }).strict(),
  confirmOverride: z.object({ reasonCode: z.string().min(1).max(40), note: z.string().trim().min(3, 'say why, in a few words').max(500) }).strict(),
  cancelOverride: empty,
  // Armourers (and admins): the exceptions queue.
  openExceptions: empty,
  listExceptions: z
    .object({
      state: z.enum(['open', 'acknowledged', 'resolved', 'unresolved', 'all']),
      kind: z.string().max(40).nullable(),
    })
    .strict(),
  acknowledgeException: z.object({ id }).strict(),
  resolveException: z.object({ id, note: z.string().trim().min(3, 'say what was done').max(1000) }).strict(),
  // Site admins: training imports and release rules.
  openTraining: empty,
  importTraining: fileUpload,
  listTrainingImports: empty,
  // People, cards and PINs: site admins import and enrol; armourers reset PINs.
  openPeople: empty,
  listOfficers: z.object({ query: z.string().max(80) }).strict(),
  startCardEnrolment: z.object({ officerId: id }).strict(),
  cancelCardEnrolment: empty,
  revokeCard: z.object({ uid: z.string().trim().regex(/^[0-9A-Fa-f:\s-]{8,40}$/, 'a card UID is hex') }).strict(),
  resetPin: z.object({ officerId: id }).strict(),
  importPersonnel: fileUpload,
  listPersonnelImports: empty,
  // Site admins: the site register (qualifications, asset types and their rules, items and doors).
  importRegister: fileUpload,
  listRegisterImports: empty,
  openRules: empty,
  getRules: empty,
  // Armourers (and admins): the console.
  openConsole: empty,
  getBoard: z.object({ category: z.string().max(40).nullable() }).strict(),
  getMobilisation: empty,
  getEstateMobilisation: empty,
  exportMobilisation: z.object({ format: z.enum(['csv']) }).strict(),
  getTimeline: timelineQuerySchema,
  exportTimeline: z.object({ query: timelineQuerySchema, format: z.enum(['csv', 'pdf']) }).strict(),
  getDashboard: empty,
  getAuditAnchor: empty,
  exportAuditPublicKey: empty,
  assetAction: z
    .object({
      /** The asset's serial number or tag, as printed or scanned. */
      asset: z.string().trim().min(1).max(64),
      action: z.enum(['quarantine', 'maintenance', 'return-to-service', 'retire']),
      reason: z.string().trim().min(3, 'say why').max(500),
    })
    .strict(),
  registerAsset: z
    .object({ assetTypeId: id, serial: z.string().trim().min(1).max(40), tag: z.string().trim().min(1).max(64).regex(/^[\x20-\x7e]+$/) })
    .strict(),
  /** Start a stock check: scans go to it until it is finished. */
  startStockCheck: empty,
  finishStockCheck: empty,
  getStockCheck: empty,
  saveRule: z.object({ assetTypeId: id, rule: ruleSchema }).strict(),
  // Device refresh (PCD 977): the officer swaps at the kiosk; IT orders, collects, sanitises and disposes.
  startSwap: z.object({ orderId: id }).strict(),
  openDeviceRefresh: empty,
  getDeviceRefresh: empty,
  createSwapOrder: z
    .object({
      /** The officer's collar number. */
      officer: z.string().trim().min(1).max(20),
      /** Serial or tag of the device on loan to them now. */
      oldAsset: z.string().trim().min(1).max(64),
      /** Serial or tag of a specific new device, or null to give any device of `newAssetTypeId`. */
      newAsset: z.string().trim().min(1).max(64).nullable(),
      newAssetTypeId: id.nullable(),
      /** Last day the order can be used (yyyy-mm-dd). */
      expiresOn: z.iso.date(),
    })
    .strict(),
  cancelSwapOrder: z.object({ orderId: id, reason: z.string().trim().min(3, 'say why').max(500) }).strict(),
  collectRetired: z.object({ assetId: id }).strict(),
  recordSanitisation: z
    .object({
      assetId: id,
      method: z.enum(SANITISATION_METHODS),
      tool: z.string().trim().min(1).max(120),
      operator: z.string().trim().min(1).max(120),
      verified: z.boolean(),
      certificateId: z.string().trim().min(1).max(120),
    })
    .strict(),
  recordDisposal: z
    .object({
      assetId: id,
      outcome: z.enum(DISPOSAL_OUTCOMES),
      receivingOrganisation: z.string().trim().min(1).max(200).nullable(),
      certificate: z.string().trim().min(1).max(120).nullable(),
    })
    .strict(),
  getRetiredDevices: empty,
  // Bookings (PCD 1698): stores and armourers book and stage kit; the officer collects it.
  openBookings: empty,
  getBookings: empty,
  createBooking: z
    .object({
      /** Who collects it: their collar number. */
      officer: z.string().trim().min(1).max(20),
      /** Who it is for, when collected on someone's behalf. */
      onBehalfOf: z.string().trim().min(1).max(120).nullable(),
      /** Serial or tag of a specific item, or null for any of `assetTypeId`. */
      item: z.string().trim().min(1).max(64).nullable(),
      assetTypeId: id.nullable(),
      priority: z.enum(BOOKING_PRIORITIES),
      /** Ready this many hours from now (0: at once), on the terminal's clock. */
      readyInHours: z.number().int().min(0).max(168),
      /** Then held this many hours for collection before it expires. */
      collectWithinHours: z.number().int().min(1).max(336),
      reference: z.string().trim().min(1).max(60),
      /** Units of a pooled type (PPE, uniform by size); 1 for a serialised item. */
      quantity: z.number().int().min(1).max(100).optional(),
    })
    .strict()
    .refine((b) => (b.item === null) !== (b.assetTypeId === null), 'name one item, or one kind of item'),
  cancelBooking: z.object({ bookingId: id, reason: z.string().trim().min(3, 'say why').max(500) }).strict(),
  /** Stage a booking: `item` (serial or tag) is the one being loaded, or null for the one it names or one already in a locker. */
  stageBooking: z.object({ bookingId: id, item: z.string().trim().min(1).max(64).nullable() }).strict(),
  /** The officer collects a staged booking from its door. */
  startCollection: z.object({ bookingId: id }).strict(),
  // Ammunition (PCD 994): armourers keep the lots and their ledger, and recall a lot.
  getAmmunition: empty,
  addAmmoLot: z
    .object({
      calibre: z.string().trim().min(1).max(40),
      kind: z.enum(['duty', 'training']),
      manufacturer: z.string().trim().min(1).max(80),
      lotNumber: z.string().trim().min(1).max(60),
      expiresOn: z.iso.date().nullable(),
      quantity: z.number().int().min(1).max(1_000_000),
    })
    .strict(),
  ammoMovement: z
    .object({
      lotId: id,
      kind: z.enum(AMMO_MOVEMENT_KINDS),
      quantity: z.number().int().min(1).max(1_000_000),
      /** The officer holding the rounds (issued, returned, expended): a collar number. */
      holder: z.string().trim().min(1).max(20).nullable(),
      reason: z.string().trim().min(3, 'say why').max(300),
      /** For an adjustment: the count in the store now. */
      countedInStore: z.number().int().min(0).max(1_000_000).nullable(),
    })
    .strict(),
  recallLot: z.object({ lotId: id, reason: z.string().trim().min(3, 'say why').max(300) }).strict(),
  getLotHolders: z.object({ lotId: id }).strict(),
  exportLotHolders: z.object({ lotId: id }).strict(),
  /** Pooled stock delivered to the store. */
  receiveStock: z.object({ assetTypeId: id, quantity: z.number().int().min(1).max(10_000), note: z.string().trim().min(1).max(200) }).strict(),
  /** A count of the store's pooled stock, and why it differs from the record. */
  countStock: z.object({ assetTypeId: id, counted: z.number().int().min(0).max(100_000), reason: z.string().trim().min(3, 'say why').max(300) }).strict(),
  // Exhibits (PCD 1698): any officer deposits; only the property store retrieves.
  openExhibitDeposit: empty,
  depositExhibit: z
    .object({
      reference: z.string().trim().toUpperCase().regex(EXHIBIT_REFERENCE, 'an exhibit reference is initials and a number, such as AP/1 or AP/1/2'),
      occurrence: z.string().trim().min(1).max(40).regex(/^[A-Za-z0-9/ -]+$/, 'a crime or occurrence number is letters, digits, / and -'),
      seizedBy: z.string().trim().min(1).max(20),
      /** When it was seized: ISO time. */
      seizedAt: z.iso.datetime({ offset: true }),
      seizedWhere: z.string().trim().min(2).max(200),
      description: z.string().trim().min(3).max(500),
      category: z.enum(EXHIBIT_CATEGORIES),
      bagType: z.enum(BAG_TYPES),
      seals: z.array(sealNumber).min(1).max(4),
      photoRef: z.string().trim().min(1).max(100).nullable(),
      /** A firearm: the depositor declares it made safe (they must be an armourer or authorised firearms officer). */
      madeSafe: z.boolean(),
    })
    .strict(),
  openExhibits: empty,
  getExhibits: z.object({ query: z.string().trim().max(40) }).strict(),
  startExhibitRetrieval: z.object({ exhibitId: id, purpose: z.enum(RETRIEVAL_PURPOSES) }).strict(),
  submitWitnessPin: z.object({ pin: z.string().regex(/^[0-9]{4,8}$/, 'PIN is 4 to 8 digits') }).strict(),
  checkSeal: z.object({ seal: sealNumber }).strict(),
  cancelExhibitRetrieval: empty,
  resealExhibit: z.object({ exhibitId: id, oldSeal: sealNumber, newSeal: sealNumber, reason: z.string().trim().min(3, 'say why').max(300) }).strict(),
  exportContinuity: z.object({ exhibitId: id }).strict(),
  /** A scan the renderer's timing heuristic picked out of key events (keyboard-fallback scanners only). */
  keyboardScan: z.object({ code: z.string().min(1).max(64).regex(/^[\x20-\x7e]+$/) }).strict(),
  // Demo mode only: play the part of the hardware. Refused in live mode.
  demoTapCard: z.object({ uid: z.string().regex(/^[0-9A-F]{8,20}$/) }).strict(),
  demoScanTag: z.object({ tag: z.string().min(1).max(64).regex(/^[\x20-\x7e]+$/) }).strict(),
  demoDoor: z
    .object({
      doorNumber: z.number().int().min(1).max(256),
      action: z.enum(['close', 'open', 'take-item', 'put-item']),
    })
    .strict(),
} as const;

export type RequestName = keyof typeof requestSchemas;
export type RequestInput<M extends RequestName> = z.infer<(typeof requestSchemas)[M]>;

/** What each method answers with when it succeeds. */
export interface ResponseValues {
  getSnapshot: KioskSnapshot;
  submitPin: KioskSnapshot;
  cancelPin: KioskSnapshot;
  signOut: KioskSnapshot;
  stillHere: KioskSnapshot;
  startDraw: KioskSnapshot;
  startReturn: KioskSnapshot;
  recordCondition: KioskSnapshot;
  dismiss: KioskSnapshot;
  demoTapCard: KioskSnapshot;
  demoScanTag: KioskSnapshot;
  demoDoor: KioskSnapshot;
  keyboardScan: KioskSnapshot;
  openHardware: KioskSnapshot;
  getHardware: HardwareView;
  saveHardwareConfig: ConfigSaveResult;
  hardwareTest: HardwareTestResult;
  hardwareFrames: FrameLogEntryView[];
  startBankWalk: BankWalkView;
  bankWalkPolarity: BankWalkView;
  bankWalkOpenDoor: BankWalkView;
  bankWalkAnswer: BankWalkView;
  bankWalkRemap: BankWalkView;
  cancelBankWalk: BankWalkView;
  requestOverride: KioskSnapshot;
  submitOverridePin: KioskSnapshot;
  confirmOverride: KioskSnapshot;
  cancelOverride: KioskSnapshot;
  openExceptions: KioskSnapshot;
  listExceptions: ExceptionView[];
  acknowledgeException: ExceptionView;
  resolveException: ExceptionView;
  openTraining: KioskSnapshot;
  importTraining: TrainingImportView;
  listTrainingImports: TrainingImportView[];
  choosePin: KioskSnapshot;
  submitSetupCode: KioskSnapshot;
  openPeople: KioskSnapshot;
  listOfficers: OfficerAdminView[];
  startCardEnrolment: KioskSnapshot;
  cancelCardEnrolment: KioskSnapshot;
  revokeCard: OfficerAdminView;
  resetPin: OfficerAdminView;
  importPersonnel: PersonnelImportView;
  listPersonnelImports: PersonnelImportView[];
  importRegister: RegisterImportView;
  listRegisterImports: RegisterImportView[];
  openRules: KioskSnapshot;
  getRules: AssetTypeRuleView[];
  openConsole: KioskSnapshot;
  getBoard: BoardEntry[];
  getMobilisation: MobilisationView;
  getEstateMobilisation: EstateScopeView;
  exportMobilisation: ExportedFile;
  getTimeline: TimelineView;
  exportTimeline: ExportedFile;
  getDashboard: DashboardView;
  getAuditAnchor: AuditAnchorView;
  exportAuditPublicKey: ExportedFile;
  assetAction: { assetId: number; status: AssetStatus };
  registerAsset: { assetId: number };
  startStockCheck: StockCheckView;
  finishStockCheck: StockCheckView;
  getStockCheck: StockCheckView | null;
  saveRule: AssetTypeRuleView;
  startSwap: KioskSnapshot;
  openDeviceRefresh: KioskSnapshot;
  getDeviceRefresh: DeviceRefreshView;
  createSwapOrder: SwapOrderView;
  cancelSwapOrder: SwapOrderView;
  collectRetired: KioskSnapshot;
  recordSanitisation: RetiredDeviceView;
  recordDisposal: RetiredDeviceView;
  getRetiredDevices: RetiredDeviceView[];
  openBookings: KioskSnapshot;
  getBookings: BookingsView;
  createBooking: BookingView;
  cancelBooking: BookingView;
  stageBooking: KioskSnapshot;
  startCollection: KioskSnapshot;
  getAmmunition: AmmoLotView[];
  addAmmoLot: AmmoLotView;
  ammoMovement: AmmoLotView;
  recallLot: { lot: AmmoLotView; holders: AmmoHolderView[] };
  getLotHolders: AmmoHolderView[];
  exportLotHolders: ExportedFile;
  receiveStock: PoolLevelView;
  countStock: PoolLevelView;
  openExhibitDeposit: KioskSnapshot;
  depositExhibit: KioskSnapshot;
  openExhibits: KioskSnapshot;
  getExhibits: ExhibitView[];
  startExhibitRetrieval: KioskSnapshot;
  submitWitnessPin: KioskSnapshot;
  checkSeal: KioskSnapshot;
  cancelExhibitRetrieval: KioskSnapshot;
  resealExhibit: ExhibitView;
  exportContinuity: ExportedFile;
}

export const REQUEST_NAMES = Object.keys(requestSchemas) as RequestName[];

/** Requests main answers with the new snapshot. */
export type SnapshotRequest = { [M in RequestName]: ResponseValues[M] extends KioskSnapshot ? M : never }[RequestName];

/** The same list at run time, checked against ResponseValues both ways by the compiler. */
export const SNAPSHOT_REQUESTS = [
  'getSnapshot',
  'submitPin',
  'cancelPin',
  'signOut',
  'stillHere',
  'startDraw',
  'startReturn',
  'recordCondition',
  'dismiss',
  'demoTapCard',
  'demoScanTag',
  'demoDoor',
  'keyboardScan',
  'openHardware',
  'requestOverride',
  'submitOverridePin',
  'confirmOverride',
  'cancelOverride',
  'openExceptions',
  'openTraining',
  'openRules',
  'openConsole',
  'startSwap',
  'openDeviceRefresh',
  'collectRetired',
  'choosePin',
  'submitSetupCode',
  'openPeople',
  'startCardEnrolment',
  'cancelCardEnrolment',
  'openBookings',
  'stageBooking',
  'startCollection',
  'openExhibitDeposit',
  'depositExhibit',
  'openExhibits',
  'startExhibitRetrieval',
  'submitWitnessPin',
  'checkSeal',
  'cancelExhibitRetrieval',
] as const satisfies readonly SnapshotRequest[];
type UnlistedSnapshotRequest = Exclude<SnapshotRequest, (typeof SNAPSHOT_REQUESTS)[number]>;
// Fails to compile when a snapshot request is missing from SNAPSHOT_REQUESTS.
const everySnapshotRequestListed: [UnlistedSnapshotRequest] extends [never] ? true : UnlistedSnapshotRequest = true;
void everySnapshotRequestListed;

export function answersWithSnapshot(method: RequestName): method is SnapshotRequest {
  return (SNAPSHOT_REQUESTS as readonly string[]).includes(method);
}

/** The API object the renderer sees, whichever shell it runs in. */
export type KioskApi = {
  [M in RequestName]: (input: RequestInput<M>) => Promise<Result<ResponseValues[M]>>;
} & {
  /** Subscribe to snapshots pushed by main; returns an unsubscribe function. */
  onSnapshot: (listener: (snapshot: KioskSnapshot) => void) => () => void;
};

/** Electron IPC channel for a method: the only place channel strings are made. */
export function ipcChannel(method: RequestName): string {
  return `armoury:${method}`;
}
export const SNAPSHOT_CHANNEL = 'armoury:snapshot';

// ---------------------------------------------------------------------------
// Browser-shell WebSocket framing (same requests, carried as JSON).

/**
 * The largest WebSocket message either side accepts: the largest upload the contract allows
 * (base64, so one byte a character), plus room for the envelope and the file name. Every other
 * request is far smaller.
 */
export const MAX_WS_MESSAGE_BYTES = MAX_TRAINING_IMPORT_CHARS + 64 * 1024;

export const wsRequestSchema = z
  .object({
    id: z.number().int().nonnegative(),
    method: z.string().max(64),
    input: z.unknown(),
  })
  .strict();
export type WsRequest = z.infer<typeof wsRequestSchema>;

export type WsServerMessage =
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'snapshot'; snapshot: KioskSnapshot };

export function isRequestName(name: string): name is RequestName {
  return Object.prototype.hasOwnProperty.call(requestSchemas, name);
}

/** Validate a raw payload for a method; the one check every transport uses. */
export function parseRequest<M extends RequestName>(
  method: M,
  payload: unknown,
): Result<RequestInput<M>> {
  const parsed = requestSchemas[method].safeParse(payload ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return {
      ok: false,
      error: { kind: 'invalid-request', message: `${where}${issue?.message ?? 'invalid payload'}` },
    };
  }
  return { ok: true, value: parsed.data as RequestInput<M> };
}
