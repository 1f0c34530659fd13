import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { roles, type Viewer } from './viewer.js';

const ISSUER = 'shopgraph';
const AUDIENCE = 'shopgraph';
const claimsSchema = z.object({ sub: z.string().min(1), role: z.enum(roles) });

const keyOf = (secret: string) => new TextEncoder().encode(secret);

/** Issues the bearer token clients send in `Authorization: Bearer …` (HS256, 12 hours). */
export async function issueToken(secret: string, viewer: Viewer, expiresIn = '12h'): Promise<string> {
  return new SignJWT({ role: viewer.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(viewer.id)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(keyOf(secret));
}

/** The viewer a token names, or null when it is invalid, expired or not ours. */
export async function verifyToken(secret: string, token: string): Promise<Viewer | null> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
    });
    const claims = claimsSchema.safeParse(payload);
    return claims.success ? { id: claims.data.sub, role: claims.data.role } : null;
  } catch {
    return null;
  }
}
