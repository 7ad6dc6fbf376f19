import { createPublicKey, hash, verify } from 'node:crypto';

/**
 * A signed checkpoint of the audit chain: "at this time, on this terminal, the log ended at row
 * `seq` with hash `headHash`", signed with the terminal's Ed25519 key. Copies leave the terminal
 * (a webhook, a JSON-lines file on another volume), so cutting rows off the end of the log, or
 * rewriting it and recomputing every hash, no longer verifies against them.
 * (Plain functions only: the worker thread and the command-line verifier load this file as it is.)
 */

/** Names the canonical form below; bumped if it ever changes, so old checkpoints still verify. */
export const CHECKPOINT_FORMAT = 'armoury-audit-checkpoint/1';

/** Why a checkpoint was signed: every N rows, every M minutes, at a sign-out, or after the start-up check. */
/** export: signed for a continuity record, so a court copy is anchored however recent its last event. */
export type CheckpointReason = 'rows' | 'interval' | 'sign-out' | 'start-up' | 'export';

/** What is signed. */
export interface CheckpointBody {
  terminalId: string;
  /** The last row the checkpoint covers. */
  seq: number;
  /** That row's hash. */
  headHash: string;
  /** ISO time it was signed. */
  at: string;
}

/** One checkpoint as stored and exported (one JSON line each). */
export interface SignedCheckpoint extends CheckpointBody {
  format: typeof CHECKPOINT_FORMAT;
  reason: CheckpointReason;
  /** SHA-256 of the signing public key (see keyFingerprint), so a reader can tell which key to use. */
  keyFingerprint: string;
  /** Ed25519 over checkpointMessage(), base64. */
  signature: string;
}

/** The exact bytes signed: fixed key order, so the same checkpoint always gives the same message. */
export function checkpointMessage(body: CheckpointBody): string {
  return JSON.stringify({ format: CHECKPOINT_FORMAT, terminalId: body.terminalId, seq: body.seq, headHash: body.headHash, at: body.at });
}

/** SHA-256 of the public key's DER (SPKI) form, hex in groups of four for reading aloud. */
export function keyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return hash('sha256', der, 'hex').match(/.{4}/g)?.join(' ') ?? '';
}

/** Whether the signature is the key's over this checkpoint's canonical form. */
export function checkpointSignatureValid(checkpoint: CheckpointBody & { signature: string }, publicKeyPem: string): boolean {
  try {
    return verify(null, Buffer.from(checkpointMessage(checkpoint), 'utf8'), publicKeyPem, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}

/** A checkpoint read from a JSON line (a file an investigator was given), or why it is not one. */
export function parseCheckpoint(line: string): SignedCheckpoint | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'not an object';
  const c = value as Record<string, unknown>;
  if (c.format !== CHECKPOINT_FORMAT) return `format is not ${CHECKPOINT_FORMAT}`;
  if (typeof c.seq !== 'number' || !Number.isSafeInteger(c.seq) || c.seq < 1) return 'seq is not a row number';
  for (const field of ['terminalId', 'headHash', 'at', 'keyFingerprint', 'signature', 'reason'] as const) {
    if (typeof c[field] !== 'string') return `${field} is missing`;
  }
  return c as unknown as SignedCheckpoint;
}
