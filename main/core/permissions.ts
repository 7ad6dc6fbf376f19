import type { ApiError, RequestName, Role } from '../../preload/contract.ts';
import type { JourneyKind } from './journeys/journey.ts';

/**
 * Where the session must be for a request:
 * - any: at any time, signed in or not;
 * - idle: nobody signed in and no PIN pad showing (setup of a live terminal);
 * - pin: a card was tapped and the PIN pad is showing;
 * - signed-in: someone is signed in, whatever they are doing;
 * - free: signed in, with no journey under way (no door open for them, no override running);
 * - a journey kind: signed in, with that journey under way.
 */
export type SessionNeed = 'any' | 'idle' | 'pin' | 'signed-in' | 'free' | { journey: JourneyKind };

export interface Permission {
  /** Roles any one of which allows the request; 'anyone' needs no role (but may need a session). */
  roles: readonly Role[] | 'anyone';
  state: SessionNeed;
  /** Simulator requests: refused on a live terminal. */
  demoOnly?: true;
  /** What a signed-in officer without the role is told. */
  refusal?: string;
}

const ARMOURERS: readonly Role[] = ['armourer', 'admin'];
const ADMINS: readonly Role[] = ['admin'];
const IT: readonly Role[] = ['it'];

const CONSOLE = { roles: ARMOURERS, state: 'free', refusal: 'Only an armourer can use the armourer console.' } as const;
const EXCEPTIONS = { roles: ARMOURERS, state: 'free', refusal: 'Only an armourer can work the exceptions queue.' } as const;
const HARDWARE = { roles: ADMINS, state: 'free', refusal: 'Only a site admin can use the hardware screen.' } as const;
const TRAINING = { roles: ADMINS, state: 'free', refusal: 'Only a site admin can import training records.' } as const;
const RULES = { roles: ADMINS, state: 'free', refusal: 'Only a site admin can edit release rules.' } as const;
const REFRESH = { roles: IT, state: 'free', refusal: 'Only IT can order device swaps and record sanitisation and disposal.' } as const;
const PEOPLE = { roles: ADMINS, state: 'free', refusal: 'Only a site admin can import personnel and enrol cards.' } as const;
const BOOKINGS = { roles: ['stores', ...ARMOURERS], state: 'free', refusal: 'Only stores staff or an armourer can book and stage kit.' } as const;
const PROPERTY = { roles: ['property'], state: 'free', refusal: 'Only the property store can open exhibit doors and see the exhibits held.' } as const;
const SIMULATOR = { roles: 'anyone', state: 'any', demoOnly: true } as const;

/**
 * Every request of the contract: who may make it and where the session must be. Checked once,
 * in main, before any handler runs (Kiosk.request); a test proves every request has an entry.
 * Handlers still check what only they can know (is this their item, is this override theirs).
 */
export const PERMISSIONS: Readonly<Record<RequestName, Permission>> = {
  getSnapshot: { roles: 'anyone', state: 'any' },
  stillHere: { roles: 'anyone', state: 'any' },
  keyboardScan: { roles: 'anyone', state: 'any' },
  submitPin: { roles: 'anyone', state: 'pin' },
  choosePin: { roles: 'anyone', state: 'pin' },
  submitSetupCode: { roles: 'anyone', state: 'idle' },
  cancelPin: { roles: 'anyone', state: 'pin' },
  signOut: { roles: 'anyone', state: 'signed-in' },
  dismiss: { roles: 'anyone', state: 'signed-in' },
  startDraw: { roles: 'anyone', state: 'free' },
  startReturn: { roles: 'anyone', state: 'free' },
  recordCondition: { roles: 'anyone', state: { journey: 'return' } },
  requestOverride: { roles: 'anyone', state: 'free' },
  submitOverridePin: { roles: 'anyone', state: { journey: 'override' } },
  confirmOverride: { roles: 'anyone', state: { journey: 'override' } },
  cancelOverride: { roles: 'anyone', state: { journey: 'override' } },
  startSwap: { roles: 'anyone', state: 'free' },

  openHardware: HARDWARE,
  getHardware: { ...HARDWARE, state: 'signed-in' },
  saveHardwareConfig: HARDWARE,
  hardwareTest: HARDWARE,
  hardwareFrames: { ...HARDWARE, state: 'signed-in' },
  startBankWalk: HARDWARE,
  bankWalkPolarity: HARDWARE,
  bankWalkOpenDoor: HARDWARE,
  bankWalkAnswer: HARDWARE,
  bankWalkRemap: HARDWARE,
  cancelBankWalk: HARDWARE,

  openExceptions: EXCEPTIONS,
  listExceptions: { ...EXCEPTIONS, state: 'signed-in' },
  acknowledgeException: EXCEPTIONS,
  resolveException: EXCEPTIONS,

  openTraining: TRAINING,
  importTraining: TRAINING,
  listTrainingImports: { ...TRAINING, state: 'signed-in' },
  openPeople: { ...PEOPLE, roles: ARMOURERS, refusal: 'Only an armourer or a site admin can manage people.' },
  listOfficers: { ...PEOPLE, roles: ARMOURERS, state: 'signed-in', refusal: 'Only an armourer or a site admin can manage people.' },
  resetPin: { ...PEOPLE, roles: ARMOURERS, refusal: 'Only an armourer or a site admin can reset a PIN.' },
  startCardEnrolment: PEOPLE,
  cancelCardEnrolment: { ...PEOPLE, state: 'signed-in' },
  revokeCard: PEOPLE,
  importPersonnel: PEOPLE,
  listPersonnelImports: { ...PEOPLE, state: 'signed-in' },
  importRegister: { ...RULES, refusal: 'Only a site admin can import the site register.' },
  listRegisterImports: { ...RULES, state: 'signed-in' },
  openRules: RULES,
  getRules: { ...RULES, state: 'signed-in' },
  saveRule: RULES,

  openConsole: CONSOLE,
  getBoard: { ...CONSOLE, state: 'signed-in' },
  getMobilisation: { ...CONSOLE, state: 'signed-in' },
  getEstateMobilisation: { ...CONSOLE, state: 'signed-in' },
  exportMobilisation: { ...CONSOLE, state: 'signed-in' },
  getTimeline: { ...CONSOLE, state: 'signed-in' },
  exportTimeline: { ...CONSOLE, state: 'signed-in' },
  getDashboard: { ...CONSOLE, state: 'signed-in' },
  getAuditAnchor: { ...CONSOLE, state: 'signed-in' },
  exportAuditPublicKey: { ...CONSOLE, state: 'signed-in' },
  assetAction: CONSOLE,
  registerAsset: CONSOLE,
  startStockCheck: CONSOLE,
  finishStockCheck: CONSOLE,
  getStockCheck: { ...CONSOLE, state: 'signed-in' },
  getRetiredDevices: { roles: [...ARMOURERS, ...IT], state: 'signed-in', refusal: 'Only an armourer or IT can see retired devices.' },

  openDeviceRefresh: REFRESH,
  getDeviceRefresh: { ...REFRESH, state: 'signed-in' },
  createSwapOrder: REFRESH,
  cancelSwapOrder: REFRESH,
  collectRetired: REFRESH,
  recordSanitisation: REFRESH,
  recordDisposal: REFRESH,

  openBookings: BOOKINGS,
  getBookings: { ...BOOKINGS, state: 'signed-in' },
  createBooking: BOOKINGS,
  cancelBooking: BOOKINGS,
  stageBooking: BOOKINGS,
  getAmmunition: { ...CONSOLE, state: 'signed-in' },
  addAmmoLot: CONSOLE,
  ammoMovement: CONSOLE,
  recallLot: CONSOLE,
  getLotHolders: { ...CONSOLE, state: 'signed-in' },
  exportLotHolders: { ...CONSOLE, state: 'signed-in' },
  receiveStock: BOOKINGS,
  countStock: BOOKINGS,
  // Any officer, for their own booking: the handler checks it is theirs, and the gate at collection.
  startCollection: { roles: 'anyone', state: 'free' },

  // Any officer deposits an exhibit; only the property store retrieves, reseals and exports.
  openExhibitDeposit: { roles: 'anyone', state: 'free' },
  depositExhibit: { roles: 'anyone', state: 'free' },
  openExhibits: PROPERTY,
  getExhibits: { ...PROPERTY, state: 'signed-in' },
  startExhibitRetrieval: PROPERTY,
  submitWitnessPin: { ...PROPERTY, state: { journey: 'exhibit-checks' } },
  checkSeal: { ...PROPERTY, state: { journey: 'exhibit-checks' } },
  cancelExhibitRetrieval: { ...PROPERTY, state: { journey: 'exhibit-checks' } },
  resealExhibit: PROPERTY,
  exportContinuity: { ...PROPERTY, state: 'signed-in' },

  demoTapCard: SIMULATOR,
  demoScanTag: SIMULATOR,
  demoDoor: SIMULATOR,
};

/** Where the session is now, as the permission check sees it. */
export interface SessionFacts {
  phase: 'idle' | 'pin' | 'signed-in';
  roles: readonly Role[];
  journey: JourneyKind | null;
  demo: boolean;
}

/** Null when the request may go ahead; otherwise the error, with a kind the UI can switch on. */
export function checkPermission(method: RequestName, facts: SessionFacts): ApiError | null {
  const permission = PERMISSIONS[method];
  if (permission.demoOnly && !facts.demo) return { kind: 'demo-only', message: 'The simulator is available in demo mode only.' };
  const need = permission.state;
  if (need === 'idle') {
    return facts.phase === 'idle' ? null : { kind: 'wrong-state', message: facts.phase === 'pin' ? 'Cancel the PIN pad first.' : 'Sign out first.' };
  }
  if (need === 'pin') {
    return facts.phase === 'pin' ? null : { kind: 'wrong-state', message: 'Tap your card first.' };
  }
  const needsSession = need !== 'any' || permission.roles !== 'anyone';
  if (needsSession && facts.phase !== 'signed-in') return { kind: 'not-signed-in', message: 'Sign in first.' };
  if (permission.roles !== 'anyone' && !permission.roles.some((role) => facts.roles.includes(role))) {
    return { kind: 'wrong-role', message: permission.refusal ?? 'You do not have the role this needs.' };
  }
  if (need === 'free' && facts.journey !== null) {
    return { kind: 'wrong-state', message: facts.journey === 'override' ? 'Finish or cancel the override first.' : 'Finish with the open door first.' };
  }
  if (typeof need === 'object' && facts.journey !== need.journey) {
    return { kind: 'wrong-state', message: WRONG_JOURNEY[need.journey] };
  }
  return null;
}

const WRONG_JOURNEY: Readonly<Record<JourneyKind, string>> = {
  draw: 'No draw is under way.',
  return: 'There is no return waiting for a condition.',
  override: 'No override is under way.',
  'service-opening': 'No service opening is under way.',
  swap: 'No swap is under way.',
  collect: 'No collection is under way.',
  stage: 'No door is open for staging.',
  'exhibit-deposit': 'No exhibit door is open.',
  'exhibit-retrieve': 'No exhibit door is open.',
  'exhibit-checks': 'No exhibit retrieval is under way.',
};
