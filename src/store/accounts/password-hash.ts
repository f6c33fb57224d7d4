import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing for the users file: scrypt (memory-hard, in node:crypto, no native add-on).
 * Encoded as `scrypt$N$r$p$saltB64$keyB64` so the cost travels with each hash and can be raised
 * later without invalidating existing lines.
 *
 * N=16384, r=8, p=1 is the interactive-login setting from the scrypt paper and RFC 7914: about
 * 16 MiB of memory and some tens of milliseconds per hash, cheap for one login, costly for a
 * guessing attack on a stolen file.
 */
export const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

/**
 * Bounds on hashes read from a file, so a hand-edited line cannot make a login allocate gigabytes
 * or run for minutes: N up to 2^20, and scrypt's working memory (128·N·r bytes) up to 256 MiB.
 */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const KEY_BYTES = { min: 16, max: 64 };
const SALT_BYTES = { min: 16, max: 64 };

/** A decoded `scrypt$...` hash. */
export interface ScryptHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

const DECIMAL = /^[1-9][0-9]{0,9}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Round-tripping rejects lax forms (missing padding, stray bits) that Buffer.from would accept.
  return bytes.toString('base64') === text ? bytes : null;
}

function costProblem(N: number, r: number, p: number): string | null {
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return `N must be a power of two from 2 to ${MAX_N}`;
  if (r > MAX_R) return `r must be from 1 to ${MAX_R}`;
  if (p > MAX_P) return `p must be from 1 to ${MAX_P}`;
  if (128 * N * r > MAX_SCRYPT_MEMORY) return 'N and r need more than 256 MiB of memory';
  return null;
}

/** Decodes `scrypt$N$r$p$salt$key`; returns a sentence saying what is wrong when it cannot. */
export function parseHash(encoded: string): ScryptHash | string {
  const parts = encoded.split('$');
  if (parts[0] !== 'scrypt') return 'only scrypt hashes are supported';
  if (parts.length !== 6) return 'expected scrypt$N$r$p$salt$hash';
  const [, nText, rText, pText, saltText, keyText] = parts as [string, string, string, string, string, string];
  if (!DECIMAL.test(nText) || !DECIMAL.test(rText) || !DECIMAL.test(pText)) return 'N, r and p must be positive whole numbers';
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  const cost = costProblem(N, r, p);
  if (cost !== null) return cost;
  const salt = decodeBase64(saltText);
  if (salt === null) return 'salt is not base64';
  if (salt.length < SALT_BYTES.min || salt.length > SALT_BYTES.max) return `salt must be ${SALT_BYTES.min} to ${SALT_BYTES.max} bytes`;
  const key = decodeBase64(keyText);
  if (key === null) return 'hash is not base64';
  if (key.length < KEY_BYTES.min || key.length > KEY_BYTES.max) return `hash must be ${KEY_BYTES.min} to ${KEY_BYTES.max} bytes`;
  return { N, r, p, salt, key };
}

export function encodeHash(h: ScryptHash): string {
  return `scrypt$${h.N}$${h.r}$${h.p}$${h.salt.toString('base64')}$${h.key.toString('base64')}`;
}

/**
 * The asynchronous scrypt runs on libuv's thread pool, so a login never blocks the event loop.
 * Passwords are NFC-normalised first (RFC 8265), so the same password typed on terminals that
 * compose accents differently gives the same bytes.
 */
function derive(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  const maxmem = 128 * N * r * (p + 1) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes `password` with a fresh random salt and the default cost. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keyLength, saltLength } = SCRYPT_DEFAULTS;
  const salt = randomBytes(saltLength);
  const key = await derive(password, salt, N, r, p, keyLength);
  return encodeHash({ N, r, p, salt, key });
}

/** Resolves true when `password` matches `hash`; the comparison takes the same time either way. */
export async function verifyParsed(password: string, hash: ScryptHash): Promise<boolean> {
  const key = await derive(password, hash.salt, hash.N, hash.r, hash.p, hash.key.length);
  return timingSafeEqual(key, hash.key);
}

/**
 * Resolves true when `password` matches the encoded hash. A malformed `encoded` is a caller's
 * error (the file parser rejects such lines) and throws rather than reading as a wrong password.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const hash = parseHash(encoded);
  if (typeof hash === 'string') throw new Error(`Bad password hash: ${hash}.`);
  return verifyParsed(password, hash);
}

/**
 * A hash no password matches (random salt and key) at the default cost, verified against for
 * unknown names so they take as long as known ones.
 */
export function dummyHash(): ScryptHash {
  const { N, r, p, keyLength, saltLength } = SCRYPT_DEFAULTS;
  return { N, r, p, salt: randomBytes(saltLength), key: randomBytes(keyLength) };
}
