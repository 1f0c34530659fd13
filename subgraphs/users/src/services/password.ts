import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost of new hashes. Stored hashes carry their own, so raising it later breaks no login. */
const COST = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 64;
/** The most memory (128·N·r bytes) a stored hash may ask for: a corrupt row must not exhaust the process. */
const MAX_SCRYPT_MEMORY = 128 * 1024 * 1024;

function deriveKey(password: string, salt: Buffer, keyLength: number, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // NFKC: the same password typed on another keyboard or OS (composed vs decomposed accents) still matches.
    // maxmem above the default 32 MiB lets hashes made with a higher cost than today's verify.
    scrypt(password.normalize('NFKC'), salt, keyLength, { ...cost, maxmem: 2 * MAX_SCRYPT_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** A self-describing hash, `scrypt$N$r$p$salt$hash` (salt and hash in base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, KEY_BYTES, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface StoredHash {
  cost: { N: number; r: number; p: number };
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): StoredHash | null {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || rest.length > 0 || !salt || !key) return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const positive = (value: number) => Number.isSafeInteger(value) && value >= 1;
  if (!positive(cost.N) || !positive(cost.r) || !positive(cost.p)) return null;
  if ((cost.N & (cost.N - 1)) !== 0 || cost.N < 2 || 128 * cost.N * cost.r > MAX_SCRYPT_MEMORY || cost.p > 16) return null;
  const parsed = { cost, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
  return parsed.salt.length > 0 && parsed.key.length > 0 ? parsed : null;
}

/** True when `password` matches `stored`; false for a wrong password and for a hash it cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await deriveKey(password, parsed.salt, parsed.key.length, parsed.cost);
  return timingSafeEqual(key, parsed.key);
}

/**
 * A hash, at today's cost, of a random password that was thrown away. Login verifies against it
 * when the email is unknown, so a miss costs the same scrypt as a wrong password.
 */
export const DUMMY_PASSWORD_HASH =
  'scrypt$16384$8$1$gUBr+qCCOeSWW02n/cDcZw==$MOhGQ6EPDQ01BLk54fQepLvnbUds569AI9h+KV8+Xn2dVEqYhEYOQFDaHejFZ/YqZxZRkv7TcCDwySXgIrVchA==';
