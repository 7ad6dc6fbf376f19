import type { PersonnelImportView, RegisterImportView, TrainingImportView } from '../../preload/contract.ts';
import { AuditLog } from './audit.ts';
import type { Db } from './db/database.ts';
import type { Clock, ImportRunner } from './ports.ts';
import type { TrainingImportInput } from './training-import.ts';

/**
 * The three imports (training records, HR's personnel file, the site register) as one request
 * each, so they can run on a connection of their own in a worker thread: decoding, parsing,
 * checking and diffing a 100,000-row file takes seconds of CPU, which must not hold up the
 * thread that answers the touchscreen. The request carries what the core read for it (the
 * time, the policy, the bank), so the import decides exactly as it would have in process.
 */

export interface UploadInput {
  fileName: string;
  content: Uint8Array;
  source: string;
  /** The admin who imported it; null for the drop folder and the scheduled pull (training only). */
  officerId: number | null;
}

export type ImportRequest =
  | { kind: 'training'; input: TrainingImportInput<Uint8Array>; at: string; expiryHorizonYears: number }
  | { kind: 'personnel'; input: UploadInput; at: string; live: boolean }
  | { kind: 'register'; input: UploadInput & { officerId: number }; at: string; bankId: number };

export type ImportOutcome =
  | { kind: 'training'; view: TrainingImportView }
  | { kind: 'personnel'; view: PersonnelImportView }
  | { kind: 'register'; view: RegisterImportView };

/**
 * One import on `db`, with the core's own import code, all or nothing as that code is: in the
 * import worker on its connection, or in process on the kiosk's. Its audit rows join the one
 * chain whichever connection writes them: AuditLog reads the chain's head inside the writing
 * transaction, and the insert guard (migration 8) refuses a row that does not follow it.
 */
export async function runImport(db: Db, request: ImportRequest): Promise<ImportOutcome> {
  const at = new Date(request.at);
  const clock: Clock = { now: () => at };
  const audit = new AuditLog(db);
  // Each import's code is loaded when it is asked for: a worker thread starts with only what its one import needs.
  switch (request.kind) {
    case 'training': {
      const { TrainingImports } = await import('./training-import.ts');
      const { expiryHorizonYears } = request;
      return { kind: 'training', view: new TrainingImports(db, audit, clock, { expiryHorizonYears: () => expiryHorizonYears }).importBytes(request.input) };
    }
    case 'personnel': {
      const [{ PersonnelImports }, { Commissioning }] = await Promise.all([import('./personnel-import.ts'), import('./commissioning.ts')]);
      return { kind: 'personnel', view: new PersonnelImports(db, audit, clock, new Commissioning(db, audit, clock, request.live, null)).importBytes(request.input) };
    }
    case 'register': {
      const [{ RegisterImports }, { RuleStore }] = await Promise.all([import('./register-import.ts'), import('./rules.ts')]);
      return { kind: 'register', view: new RegisterImports(db, audit, clock, new RuleStore(db, audit, clock), request.bankId).importBytes(request.input) };
    }
  }
}

/** The imports run in process on the kiosk's own connection: where no worker is given (tests of the core). */
export function inProcessImports(db: Db): ImportRunner {
  return { run: (request) => runImport(db, request) };
}

/** What the kiosk's modules and the training sources call: each import made into its request and run where the runner runs it. */
export class Imports {
  constructor(
    private readonly runner: ImportRunner,
    private readonly clock: Clock,
    private readonly context: { expiryHorizonYears: () => number; live: boolean; bankId: number },
  ) {}

  async training(input: TrainingImportInput<Uint8Array>): Promise<TrainingImportView> {
    const outcome = await this.runner.run({ kind: 'training', input, at: this.at(), expiryHorizonYears: this.context.expiryHorizonYears() });
    return outcome.kind === 'training' ? outcome.view : mismatch('training', outcome.kind);
  }

  async personnel(input: UploadInput): Promise<PersonnelImportView> {
    const outcome = await this.runner.run({ kind: 'personnel', input, at: this.at(), live: this.context.live });
    return outcome.kind === 'personnel' ? outcome.view : mismatch('personnel', outcome.kind);
  }

  async register(input: UploadInput & { officerId: number }): Promise<RegisterImportView> {
    const outcome = await this.runner.run({ kind: 'register', input, at: this.at(), bankId: this.context.bankId });
    return outcome.kind === 'register' ? outcome.view : mismatch('register', outcome.kind);
  }

  private at(): string {
    return this.clock.now().toISOString();
  }
}

function mismatch(asked: string, got: string): never {
  throw new Error(`a ${asked} import was answered with a ${got} import's outcome`);
}
