/**
 * The investigator's verifier: checks a copy of a terminal's database against the terminal's
 * public key and the checkpoints exported off the terminal, independently of the terminal.
 *
 *   npm run audit:verify -- --db COPY.db --public-key terminal.pem --checkpoints audit-checkpoints-terminal-1.jsonl
 *
 * It opens the database read-only, walks the whole chain (in worker threads, as the terminal does), checks every checkpoint's signature
 * (from the file and from the database) against the key, and checks that the chain reaches each
 * checkpoint with the hash that was signed. It prints a plain verdict and exits 0 when the trail
 * verifies, 1 when it does not, 2 when it could not check (a missing file, a bad argument).
 * Node runs it as it is (no build step), so it needs only a checkout's dependencies.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { keyFingerprint, parseCheckpoint, type SignedCheckpoint } from './core/audit-checkpoint.ts';
import { storedCheckpoints } from './core/audit-integrity.ts';
import { verifyDatabaseCopy } from './workers/audit-walker.ts';

const USAGE = 'usage: npm run audit:verify -- --db FILE --public-key FILE --checkpoints FILE';

function usage(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}\n`);
  process.exit(2);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    return usage(`cannot read the ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

let args: { db?: string; 'public-key'?: string; checkpoints?: string; help?: boolean };
try {
  args = parseArgs({ options: { db: { type: 'string' }, 'public-key': { type: 'string' }, checkpoints: { type: 'string' }, help: { type: 'boolean' } }, strict: true }).values;
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!args.db || !args['public-key'] || !args.checkpoints) usage('give --db, --public-key and --checkpoints');

const publicKeyPem = readText(args['public-key'], 'public key');
let fingerprint: string;
try {
  fingerprint = keyFingerprint(publicKeyPem);
} catch (error) {
  usage(`${args['public-key']} is not a public key (PEM): ${error instanceof Error ? error.message : String(error)}`);
}

const problems: string[] = [];
const exported: SignedCheckpoint[] = [];
readText(args.checkpoints, 'checkpoints file')
  .split('\n')
  .forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = parseCheckpoint(line);
    if (typeof parsed === 'string') problems.push(`line ${i + 1} of ${args.checkpoints} is not a checkpoint (${parsed})`);
    else exported.push(parsed);
  });

let db: Database.Database;
try {
  db = new Database(args.db, { readonly: true, fileMustExist: true });
} catch (error) {
  usage(`cannot open the database ${args.db} read-only: ${error instanceof Error ? error.message : String(error)}`);
}

let out: string[];
let ok: boolean;
try {
  // The terminal's own check, in the same worker threads (the chain walked in slices at once).
  const verdict = await verifyDatabaseCopy(args.db, publicKeyPem, exported);
  const stored = storedCheckpoints(db).length;
  problems.push(...verdict.problems);
  if (exported.length === 0) problems.push(`${args.checkpoints} holds no checkpoints: nothing outside the database anchors the trail`);
  ok = problems.length === 0;
  const latest = verdict.latestCheckpoint;
  out = [
    `Audit trail: ${ok ? 'VERIFIED' : 'FAILED'}`,
    `Database: ${args.db}: ${verdict.chain.rows} rows walked${verdict.chain.ok ? `, last row ${verdict.chain.lastSeq}` : ''}`,
    `Public key: ${fingerprint}`,
    `Checkpoints: ${exported.length} in the file, ${stored} in the database${latest ? `; the latest covers rows 1–${latest.seq}, signed ${latest.at}` : ''}`,
  ];
  if (verdict.shorterThan) out.push(`The chain is shorter than the signed checkpoint: it ends at row ${verdict.shorterThan.lastSeq}, the checkpoint covers up to row ${verdict.shorterThan.checkpointSeq}`);
  if (verdict.firstBrokenSeq !== null) out.push(`First broken row: ${verdict.firstBrokenSeq}`);
  for (const problem of problems) out.push(`- ${problem}`);
} finally {
  db.close();
}
process.stdout.write(`${out.join('\n')}\n`);
process.exit(ok ? 0 : 1);
