import { AssetAdmin } from './asset-admin.ts';
import { AuditAnchor, DEFAULT_CHECKPOINT_POLICY, type AuditAnchorOptions } from './audit-anchor.ts';
import { Ammunition } from './ammunition.ts';
import { AuditLog } from './audit.ts';
import { Bookings } from './bookings.ts';
import { CONTINUITY_FORMAT, continuityPdf, type ContinuityRecord } from './continuity.ts';
import { Exhibits } from './exhibits.ts';
import { PoolStock } from './pool-stock.ts';
import { Authenticator } from './auth.ts';
import { Commissioning, type SetupCodeSink } from './commissioning.ts';
import { ArmourerConsole } from './console.ts';
import type { Db } from './db/database.ts';
import { DeviceRefresh } from './device-refresh.ts';
import { DoorIntents, NO_VIDEO, type VideoStage } from './door-intents.ts';
import { Eligibility } from './eligibility.ts';
import { Exceptions } from './exceptions.ts';
import { Ledger } from './ledger.ts';
import type { KioskPolicy } from './kiosk-deps.ts';
import type { ExportedFile } from '../../preload/contract.ts';
import { Imports, inProcessImports } from './imports.ts';
import { NO_BOOKING_NOTICES, type BookingNotices, type ChainWalker, type Clock, type ImportRunner, type Scheduler } from './ports.ts';
import { PersonnelImports } from './personnel-import.ts';
import { RegisterImports } from './register-import.ts';
import { Records } from './records.ts';
import { RuleStore } from './rules.ts';
import { ServiceOpenings } from './service-openings.ts';
import { StockChecks } from './stock-check.ts';
import { TrainingImports } from './training-import.ts';

/** The core's services over one database, built once and shared by every module. */
export interface CoreServices {
  db: Db;
  clock: Clock;
  scheduler: Scheduler;
  bankId: number;
  records: Records;
  audit: AuditLog;
  /** Signed checkpoints and the start-up check; null where no signing key was given (the door-core tests). */
  anchor: AuditAnchor | null;
  auth: Authenticator;
  rules: RuleStore;
  eligibility: Eligibility;
  intents: DoorIntents;
  ledger: Ledger;
  exceptions: Exceptions;
  serviceOpenings: ServiceOpenings;
  training: TrainingImports;
  console: ArmourerConsole;
  assets: AssetAdmin;
  stock: StockChecks;
  refresh: DeviceRefresh;
  commissioning: Commissioning;
  personnel: PersonnelImports;
  register: RegisterImports;
  /** Every import's run (in the import worker when the composition root gives one); the three above keep their logs. */
  imports: Imports;
  bookings: Bookings;
  pool: PoolStock;
  ammunition: Ammunition;
  exhibits: Exhibits;
  /** An exhibit's continuity record as a PDF, anchored by a checkpoint signed now; null for no such exhibit. */
  continuity(exhibitId: number): Promise<ExportedFile | null>;
}

export function createServices(input: { db: Db; clock: Clock; scheduler: Scheduler; policy: KioskPolicy; bankId: number; chainWalker?: ChainWalker; importRunner?: ImportRunner; demo?: unknown; setupCode?: SetupCodeSink | null; anchoring?: Omit<AuditAnchorOptions, 'policy'>; video?: VideoStage; bookingNotices?: BookingNotices; terminalName?: string }): CoreServices {
  const { db, clock, scheduler, policy, bankId } = input;
  const audit = new AuditLog(db);
  const records = new Records(db);
  const rules = new RuleStore(db, audit, clock);
  const exceptions = new Exceptions(db, audit, clock);
  const eligibility = new Eligibility(records, clock, policy.expiryWarningDays, { rules, overridableRefusals: () => policy.overridableRefusals, referenceMaxAgeHours: () => policy.referenceMaxAgeHours ?? null });
  const anchor = input.anchoring ? new AuditAnchor(db, audit, clock, scheduler, exceptions, { ...input.anchoring, policy: () => policy.auditCheckpoint ?? DEFAULT_CHECKPOINT_POLICY }) : null;
  const ledger = new Ledger(db, clock, rules);
  const pool = new PoolStock(db, audit, clock, exceptions);
  const exhibits = new Exhibits(db, audit, clock, records, exceptions, input.video ?? NO_VIDEO, () => ({ dwellHours: policy.exhibitDwellHours ?? 24 }));
  const commissioning = new Commissioning(db, audit, clock, !input.demo, input.setupCode ?? null);
  return {
    db,
    clock,
    scheduler,
    bankId,
    records,
    audit,
    anchor,
    auth: new Authenticator(db, audit, clock, policy.lockout),
    rules,
    eligibility,
    intents: new DoorIntents(db, audit, clock, bankId, input.video),
    ledger,
    exceptions,
    serviceOpenings: new ServiceOpenings(db, audit, clock, bankId, input.video),
    training: new TrainingImports(db, audit, clock, { expiryHorizonYears: () => policy.trainingExpiryHorizonYears }),
    console: new ArmourerConsole(db, clock, rules, input.chainWalker),
    assets: new AssetAdmin(db, audit, clock),
    stock: new StockChecks(db, audit, clock),
    refresh: new DeviceRefresh(db, audit, clock, records),
    commissioning,
    personnel: new PersonnelImports(db, audit, clock, commissioning),
    register: new RegisterImports(db, audit, clock, rules, bankId),
    bookings: new Bookings(db, audit, clock, records, ledger, exceptions, pool, input.bookingNotices ?? NO_BOOKING_NOTICES, () => ({ expiringNoticeMinutes: policy.bookingExpiringNoticeMinutes ?? 60 })),
    pool,
    ammunition: new Ammunition(db, audit, clock),
    exhibits,
    async continuity(exhibitId) {
      const view = exhibits.view(exhibitId);
      if (!view) return null;
      // Signed now (when rows were written since the last), so the copy is anchored however recent its last event.
      const signed = anchor?.checkpoint('export') ?? null;
      const keys = anchor?.view() ?? null;
      const { events: _events, ...exhibit } = view;
      const record: ContinuityRecord = {
        format: CONTINUITY_FORMAT,
        terminalName: input.terminalName ?? 'Armoury Kiosk',
        generatedAt: clock.now().toISOString(),
        exhibit,
        entries: exhibits.continuity(exhibitId),
        checkpoint: signed ?? anchor?.latestCheckpoint() ?? null,
        publicKeyPem: keys?.publicKeyPem ?? null,
        publicKeyFingerprint: keys?.publicKeyFingerprint ?? null,
      };
      const pdf = await continuityPdf(record);
      const name = `continuity-${view.reference.replaceAll('/', '-')}-${view.occurrence.replace(/[^A-Za-z0-9-]+/g, '-')}.pdf`;
      return { fileName: name, mimeType: 'application/pdf', base64: pdf.toString('base64') };
    },
    imports: new Imports(input.importRunner ?? inProcessImports(db), clock, { expiryHorizonYears: () => policy.trainingExpiryHorizonYears, live: !input.demo, bankId }),
  };
}
