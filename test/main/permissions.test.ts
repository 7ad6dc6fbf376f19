import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_NAMES, requestSchemas, type RequestInput, type RequestName } from '../../preload/contract.ts';
import { openDatabase } from '../../main/core/db/database.ts';
import { PERMISSIONS } from '../../main/core/permissions.ts';
import { exhibitSample } from '../helpers/exhibit-sample.ts';
import { startHarness, type Harness } from '../helpers/kiosk-harness.ts';

const query = { by: 'window', value: '', from: null, to: null } as const;
const rule = { allOf: [], anyOf: [], graceDays: 0, roles: [], units: [], maxLoanHours: null, returnBy: null };

/** A well-formed payload for every request, so a refusal can only come from the permission check. */
const SAMPLES: { [M in RequestName]: RequestInput<M> } = {
  getSnapshot: {},
  submitPin: { pin: '1234' },
  choosePin: { pin: '2580', confirm: '2580' },
  submitSetupCode: { code: '123456789012', collarNumber: 'PC 1', name: 'Sam Patel' },
  cancelPin: {},
  signOut: {},
  stillHere: {},
  startDraw: { assetTypeId: 1 },
  startReturn: { assetId: 1 },
  recordCondition: { condition: 'ok' },
  dismiss: {},
  openHardware: {},
  getHardware: {},
  saveHardwareConfig: { configJson: '{}' },
  hardwareTest: { action: 'open-door', doorNumber: 3 },
  hardwareFrames: { since: 0 },
  startBankWalk: {},
  bankWalkPolarity: { apply: false },
  bankWalkOpenDoor: {},
  bankWalkAnswer: { answer: 'yes', otherDoor: null },
  bankWalkRemap: { apply: false },
  cancelBankWalk: {},
  requestOverride: { assetTypeId: 1 },
  submitOverridePin: { pin: '9001' },
  confirmOverride: { reasonCode: 'SPONTANEOUS-INCIDENT', note: 'urgent call' },
  cancelOverride: {},
  openExceptions: {},
  listExceptions: { state: 'all', kind: null },
  acknowledgeException: { id: 1 },
  resolveException: { id: 1, note: 'sorted it' },
  openTraining: {},
  importTraining: { fileName: 'x.csv', base64: Buffer.from('collar_number,qualification_code,awarded_on,expires_on\nPC 2345,TASER,2026-11-01,2027-10-31\n').toString('base64') },
  listTrainingImports: {},
  openPeople: {},
  listOfficers: { query: '' },
  startCardEnrolment: { officerId: 1 },
  cancelCardEnrolment: {},
  revokeCard: { uid: '04A1B2C3D4' },
  resetPin: { officerId: 1 },
  importPersonnel: { fileName: 'people.csv', base64: Buffer.from('collar_number,name\nPC 9999,New Officer\n').toString('base64') },
  listPersonnelImports: {},
  importRegister: { fileName: 'register.json', base64: Buffer.from('{"qualifications": []}').toString('base64') },
  listRegisterImports: {},
  openRules: {},
  getRules: {},
  openConsole: {},
  getBoard: { category: null },
  getMobilisation: {},
  getEstateMobilisation: {},
  exportMobilisation: { format: 'csv' },
  getTimeline: query,
  exportTimeline: { query, format: 'csv' },
  getDashboard: {},
  getAuditAnchor: {},
  exportAuditPublicKey: {},
  assetAction: { asset: 'T7-0001', action: 'retire', reason: 'just because' },
  registerAsset: { assetTypeId: 1, serial: 'X-1', tag: 'TAG-X-1' },
  startStockCheck: {},
  finishStockCheck: {},
  getStockCheck: {},
  saveRule: { assetTypeId: 1, rule },
  startSwap: { orderId: 1 },
  openDeviceRefresh: {},
  getDeviceRefresh: {},
  createSwapOrder: { officer: 'PC 6789', oldAsset: 'LT19-0002', newAsset: null, newAssetTypeId: 1, expiresOn: '2099-01-01' },
  cancelSwapOrder: { orderId: 1, reason: 'not needed' },
  collectRetired: { assetId: 1 },
  recordSanitisation: { assetId: 1, method: 'purge', tool: 'Blancco', operator: 'N Hussain', verified: true, certificateId: 'C-1' },
  recordDisposal: { assetId: 1, outcome: 'recycle', receivingOrganisation: 'ReTech', certificate: 'W-1' },
  getRetiredDevices: {},
  openBookings: {},
  getBookings: {},
  createBooking: { officer: 'PC 1151', onBehalfOf: null, item: null, assetTypeId: 1, priority: 'routine', readyInHours: 0, collectWithinHours: 12, reference: 'T-1' },
  cancelBooking: { bookingId: 1, reason: 'not needed' },
  stageBooking: { bookingId: 1, item: null },
  startCollection: { bookingId: 1 },
  getAmmunition: {},
  addAmmoLot: { calibre: '9mm', kind: 'duty', manufacturer: 'Lapua', lotNumber: 'L-1', expiresOn: '2030-01-31', quantity: 100 },
  ammoMovement: { lotId: 1, kind: 'issued', quantity: 10, holder: 'PC 6789', reason: 'kit issue', countedInStore: null },
  recallLot: { lotId: 1, reason: 'manufacturer recall' },
  getLotHolders: { lotId: 1 },
  exportLotHolders: { lotId: 1 },
  receiveStock: { assetTypeId: 1, quantity: 10, note: 'delivery' },
  countStock: { assetTypeId: 1, counted: 9, reason: 'counted' },
  openExhibitDeposit: {},
  depositExhibit: exhibitSample(),
  openExhibits: {},
  getExhibits: { query: '' },
  startExhibitRetrieval: { exhibitId: 1, purpose: 'court' },
  submitWitnessPin: { pin: '9007' },
  checkSeal: { seal: 'SEAL-1' },
  cancelExhibitRetrieval: {},
  resealExhibit: { exhibitId: 1, oldSeal: 'SEAL-1', newSeal: 'SEAL-2', reason: 'opened for imaging' },
  exportContinuity: { exhibitId: 1 },
  keyboardScan: { code: 'AKT70001' },
  demoTapCard: { uid: '04A1B2C3D4' },
  demoScanTag: { tag: 'AKT70001' },
  demoDoor: { doorNumber: 1, action: 'open' },
};

const ALEX = { card: '04A1B2C3D4', pin: '1234' };
const PEOPLE = {
  officer: ALEX,
  armourer: { card: '0418293A4B', pin: '9001' },
  admin: { card: '043A4B5C6D', pin: '9003' },
  it: { card: '044B5C6D7E', pin: '9004' },
  stores: { card: '045C6D7E8F', pin: '9005' },
  property: { card: '046D7E8F90', pin: '9006' },
} as const;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

function signIn(who: { card: string; pin: string }): Promise<void> {
  return h.signIn(who);
}

function auditRows(): number {
  const db = openDatabase(`${h.dataDir}/armoury.db`);
  try {
    return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_log').get()?.n ?? 0;
  } finally {
    db.close();
  }
}

/** Requests that change something even when allowed, or wait for hardware: not fired for real below. */
const NOT_FIRED_WHEN_ALLOWED: ReadonlySet<RequestName> = new Set(['signOut', 'hardwareTest', 'demoTapCard', 'demoScanTag', 'demoDoor', 'stageBooking', 'startCollection', 'depositExhibit']);

describe('permissions: one table, checked before any handler', () => {
  it('has an entry for every request of the contract, and every sample passes its schema', () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual([...REQUEST_NAMES].sort());
    for (const name of REQUEST_NAMES) expect(requestSchemas[name].safeParse(SAMPLES[name]).success, name).toBe(true);
  });

  it('refuses every request that needs a session with not-signed-in, changing nothing', async () => {
    await h.call('signOut', {});
    const before = auditRows();
    for (const name of REQUEST_NAMES) {
      const permission = PERMISSIONS[name];
      const needsSession = permission.state !== 'any' && permission.state !== 'pin' && permission.state !== 'idle';
      if (!needsSession && permission.roles === 'anyone') continue;
      expect(await h.call(name, SAMPLES[name] as never), name).toMatchObject({ ok: false, error: { kind: 'not-signed-in' } });
    }
    expect(auditRows()).toBe(before);
  });

  it.each(Object.entries(PEOPLE))('refuses a %s every request their roles do not allow, with wrong-role, before the handler', async (role, who) => {
    await signIn(who);
    const before = auditRows();
    const refused: RequestName[] = [];
    for (const name of REQUEST_NAMES) {
      const permission = PERMISSIONS[name];
      if (permission.roles === 'anyone') continue;
      const roles = h.latest()?.session?.roles ?? [];
      if (permission.roles.some((r) => roles.includes(r))) continue;
      refused.push(name);
      expect(await h.call(name, SAMPLES[name] as never), `${role} ${name}`).toMatchObject({ ok: false, error: { kind: 'wrong-role' } });
    }
    expect(refused.length).toBeGreaterThan(0);
    expect(auditRows()).toBe(before);
  });

  it('refuses what needs a free session while a journey is under way, with wrong-state', async () => {
    await signIn({ card: '04B2C3D4E5', pin: '2345' }); // PC 2345: Taser refresher expired, overridable
    const taser = h.latest()?.session?.drawOptions.find((o) => o.name === 'Taser 7');
    expect((await h.call('requestOverride', { assetTypeId: taser!.assetTypeId })).ok).toBe(true);
    for (const name of REQUEST_NAMES) {
      const permission = PERMISSIONS[name];
      if (permission.state !== 'free' || permission.roles !== 'anyone') continue;
      expect(await h.call(name, SAMPLES[name] as never), name).toMatchObject({ ok: false, error: { kind: 'wrong-state' } });
    }
    // And what belongs to another journey is the wrong state too.
    expect(await h.call('recordCondition', { condition: 'ok' })).toMatchObject({ ok: false, error: { kind: 'wrong-state' } });
    expect((await h.call('cancelOverride', {})).ok).toBe(true);
  });

  it('lets through what each table entry allows (the handler answers, refusing only on its own grounds)', async () => {
    await signIn(PEOPLE.admin);
    for (const name of REQUEST_NAMES) {
      if (NOT_FIRED_WHEN_ALLOWED.has(name)) continue;
      const permission = PERMISSIONS[name];
      const roles = h.latest()?.session?.roles ?? [];
      if (permission.roles !== 'anyone' && !permission.roles.some((r) => roles.includes(r))) continue;
      if (permission.state !== 'any' && permission.state !== 'signed-in' && permission.state !== 'free') continue;
      const result = await h.call(name, SAMPLES[name] as never);
      if (!result.ok) expect(['not-signed-in', 'wrong-role', 'wrong-state', 'demo-only'], `${name}: ${result.error.message}`).not.toContain(result.error.kind);
      if (h.latest()?.session === null) await signIn(PEOPLE.admin);
    }
  });
});
