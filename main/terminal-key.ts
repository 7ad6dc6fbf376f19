import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { keyFingerprint } from './core/audit-checkpoint.ts';
import type { Signer } from './core/ports.ts';

/**
 * The terminal's Ed25519 key pair, which signs its audit checkpoints. Made once, at the first
 * start, in the data directory; only the kiosk user may read the private key (0600), and a key
 * file anyone else can read, or one owned by another user, stops the terminal at start-up.
 */

export const TERMINAL_KEY_FILE = 'terminal-signing-key.pem';

export class TerminalKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerminalKeyError';
  }
}

/** The data directory's signing key, made now if there is none. Throws TerminalKeyError when it may not be used. */
export function loadOrCreateTerminalKey(dataDir: string, log: (line: string) => void = () => {}): Signer {
  const path = join(dataDir, TERMINAL_KEY_FILE);
  let privateKey: KeyObject;
  if (exists(path)) {
    checkPrivate(path);
    try {
      privateKey = createPrivateKey(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new TerminalKeyError(`The terminal's signing key ${path} cannot be read as a private key (${error instanceof Error ? error.message : String(error)}). Restore it from the site's key backup; do not make a new one, or earlier checkpoints will no longer verify against the key on the console.`);
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new TerminalKeyError(`The terminal's signing key ${path} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519.`);
  } else {
    privateKey = generateKeyPairSync('ed25519').privateKey;
    writeNewPrivateFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    log(`made this terminal's audit signing key: ${path}`);
  }
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return {
    publicKeyPem,
    fingerprint: keyFingerprint(publicKeyPem),
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64'),
  };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Refuses a key file others can read or write, or that belongs to another user. */
function checkPrivate(path: string): void {
  const stat = statSync(path);
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new TerminalKeyError(
      `The terminal's signing key ${path} can be read by users other than the kiosk user (mode ${mode.toString(8).padStart(4, '0')}). ` +
        `Anyone who can read it can forge audit checkpoints. Run "chmod 600 ${path}", check who may have copied it, then start the terminal again.`,
    );
  }
  if (process.platform !== 'win32' && typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    throw new TerminalKeyError(`The terminal's signing key ${path} belongs to user ${stat.uid}, not to the kiosk user (${process.getuid()}). Run "chown" to give it to the kiosk user, then start the terminal again.`);
  }
}

/** Created exclusively with mode 0600 (never briefly readable by others), fsync'd, and its name made durable. */
function writeNewPrivateFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } catch {
    // Some file systems refuse a directory fsync; the key itself is on disk.
  } finally {
    closeSync(dir);
  }
}
