import { describe, expect, it } from 'vitest';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.js';

describe('password hashing', () => {
  it('stores scrypt with its cost, a 16-byte salt and a 64-byte key', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const [scheme, n, r, p, salt, key, ...rest] = hash.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64')).toHaveLength(64);
    expect(rest).toEqual([]);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    await expect(verifyPassword('correct horse battery staple', hash)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapler', hash)).resolves.toBe(false);
    await expect(verifyPassword('', hash)).resolves.toBe(false);
  });

  it('salts every hash, so equal passwords do not give equal hashes', async () => {
    const [first, second] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(first).not.toBe(second);
    await expect(verifyPassword('same password', second)).resolves.toBe(true);
  });

  it('verifies hashes made with another cost, read from the stored string', async () => {
    const { scrypt } = await import('node:crypto');
    const salt = Buffer.from('0123456789abcdef');
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt('older password', salt, 32, { N: 1024, r: 4, p: 2 }, (error, derived) => (error ? reject(error) : resolve(derived))),
    );
    const stored = `scrypt$1024$4$2$${salt.toString('base64')}$${key.toString('base64')}`;
    await expect(verifyPassword('older password', stored)).resolves.toBe(true);
    await expect(verifyPassword('other password', stored)).resolves.toBe(false);
  });

  it('matches a password however its accents are encoded', async () => {
    const hash = await hashPassword('caf\u00e9-au-lait');
    await expect(verifyPassword('cafe\u0301-au-lait', hash)).resolves.toBe(true);
  });

  it.each([
    ['another scheme', 'bcrypt$16384$8$1$c2FsdA==$a2V5'],
    ['missing parts', 'scrypt$16384$8$1$c2FsdA=='],
    ['extra parts', 'scrypt$16384$8$1$c2FsdA==$a2V5$more'],
    ['an N that is not a power of two', 'scrypt$1000$8$1$c2FsdA==$a2V5'],
    ['a cost that would exhaust memory', `scrypt$${2 ** 24}$8$1$c2FsdA==$a2V5`],
    ['an empty key', 'scrypt$16384$8$1$c2FsdA==$'],
    ['garbage', 'not a hash'],
  ])('refuses a stored hash with %s instead of throwing', async (_, stored) => {
    await expect(verifyPassword('whatever password', stored)).resolves.toBe(false);
  });

  it('has a dummy hash of the same shape and cost as a real one, matching no likely password', async () => {
    // Same cost and key length: verifying against it takes as long as a wrong password for a real account.
    const shape = (hash: string) => {
      const [scheme, n, r, p, salt, key] = hash.split('$');
      return [scheme, n, r, p, Buffer.from(salt!, 'base64').length, Buffer.from(key!, 'base64').length];
    };
    expect(shape(DUMMY_PASSWORD_HASH)).toEqual(shape(await hashPassword('anything at all')));
    for (const guess of ['admin-password', 'demo-password', 'password', '']) {
      await expect(verifyPassword(guess, DUMMY_PASSWORD_HASH)).resolves.toBe(false);
    }
  });
});
