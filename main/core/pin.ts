import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost: N=2^15, r=8 (~32 MiB, tens of ms): slow for guessing, quick for one sign-in. */
const PARAMS = { N: 32768, r: 8, p: 1, keyLength: 32 } as const;

export interface PinHash {
  hash: string; // hex
  salt: string; // hex, per officer
  params: string; // "scrypt:N=32768,r=8,p=1,len=32"
}

function derive(pin: string, salt: Buffer, params: { N: number; r: number; p: number; keyLength: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * 2 };
  return new Promise((resolve, reject) => {
    scrypt(pin, salt, params.keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function parseParams(text: string): { N: number; r: number; p: number; keyLength: number } {
  const match = /^scrypt:N=(\d+),r=(\d+),p=(\d+),len=(\d+)$/.exec(text);
  if (!match) throw new Error(`unknown PIN hash parameters "${text}"`);
  return { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]), keyLength: Number(match[4]) };
}

export async function hashPin(pin: string): Promise<PinHash> {
  const salt = randomBytes(16);
  const key = await derive(pin, salt, PARAMS);
  return {
    hash: key.toString('hex'),
    salt: salt.toString('hex'),
    params: `scrypt:N=${PARAMS.N},r=${PARAMS.r},p=${PARAMS.p},len=${PARAMS.keyLength}`,
  };
}

export async function verifyPin(pin: string, stored: PinHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'hex');
  const key = await derive(pin, Buffer.from(stored.salt, 'hex'), parseParams(stored.params));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * Why a PIN someone is choosing is too easy to guess, or null if it will do: 4 to 8 digits,
 * not one digit repeated (1111), not a run up or down (1234, 9876, 8901), and not a shorter
 * pattern repeated (1212, 123123). These are the PINs tried first by anyone holding a card.
 */
export function pinWeakness(pin: string): string | null {
  if (!/^[0-9]{4,8}$/.test(pin)) return 'A PIN is 4 to 8 digits.';
  const digits = [...pin].map(Number);
  const steps = digits.slice(1).map((d, i) => (d - digits[i]! + 10) % 10);
  if (steps.every((s) => s === 0)) return 'Choose a PIN that is not one digit repeated.';
  if (steps.every((s) => s === 1) || steps.every((s) => s === 9)) return 'Choose a PIN that is not a run of digits like 1234 or 9876.';
  for (let size = 1; size <= pin.length / 2; size++) {
    if (pin.length % size === 0 && pin === pin.slice(0, size).repeat(pin.length / size)) return 'Choose a PIN that is not a short pattern repeated, like 1212.';
  }
  return null;
}
