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
