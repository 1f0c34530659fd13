import { describe, expect, it } from 'vitest';
import { issueToken, verifyToken } from './jwt.js';

const secret = 'a-test-secret-of-at-least-thirty-two-chars';
const viewer = { id: 'user-1', role: 'CUSTOMER' as const };

describe('bearer tokens', () => {
  it('verify with the secret that issued them, again and again (the key is imported once)', async () => {
    const token = await issueToken(secret, viewer, { session: { id: 'sid-1', version: 3 } });
    for (let i = 0; i < 3; i++) {
      expect(await verifyToken(secret, token)).toMatchObject({ viewer, session: { id: 'sid-1', version: 3 } });
    }
  });

  it('do not verify with another secret, tampered, or expired', async () => {
    const token = await issueToken(secret, viewer);
    expect(await verifyToken(`${secret}-other`, token)).toBeNull();
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'ADMIN' })).toString('base64url');
    expect(await verifyToken(secret, `${header}.${forged}.${signature}`)).toBeNull();
    expect(await verifyToken(secret, await issueToken(secret, viewer, { ttlS: -10 }))).toBeNull();
  });

  it('once verified, stop verifying at their expiry, and a tampered copy or another secret still fails', async () => {
    const now = Date.now();
    const token = await issueToken(secret, viewer, { ttlS: 60 });
    expect(await verifyToken(secret, token, now)).toMatchObject({ viewer });
    // Remembered now: the second answer comes from memory, and must hold the same rules.
    expect(await verifyToken(secret, token, now)).toMatchObject({ viewer });
    expect(await verifyToken(secret, token, now + 61_000)).toBeNull();
    expect(await verifyToken(`${secret}-other`, token, now)).toBeNull();
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await verifyToken(secret, `${header}.${payload}.${flipped}`, now)).toBeNull();
  });
});

