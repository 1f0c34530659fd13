import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { roles, type Viewer } from './viewer.js';

const ISSUER = 'shopgraph';
const AUDIENCE = 'shopgraph';
const claimsSchema = z.object({
  sub: z.string().min(1),
  role: z.enum(roles),
  sid: z.string().min(1),
  ver: z.number().int().nonnegative(),
  exp: z.number(),
});

/** How long a bearer token lives unless the issuer says otherwise: short, so an ended session cannot outlive it by much. */
export const DEFAULT_ACCESS_TOKEN_TTL_S = 15 * 60;

/**
 * The session a token belongs to: `id` is one sign-in (ended by `logout`), `version` the user's
 * token version when it was issued (every session of the user ends when it is raised).
 */
export interface TokenSession {
  id: string;
  version: number;
}

export interface IssueTokenOptions {
  /** Seconds the token is valid; negative gives an expired token (tests). */
  ttlS?: number;
  /** A fresh session id at version 0 unless given. */
  session?: TokenSession;
}

/** What a valid token says. */
export interface VerifiedToken {
  viewer: Viewer;
  session: TokenSession;
  /** Epoch milliseconds: the token's `exp`. */
  expiresAt: number;
}

/**
 * The HMAC key of each secret, imported once: given the secret's bytes, jose imports a key on
 * every call, which cost 5 % of the gateway's CPU on an uncached read. A process knows one or two
 * secrets.
 */
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

/** Issues the bearer token clients send in `Authorization: Bearer …` (HS256, 15 minutes unless `ttlS` says otherwise). */
export async function issueToken(secret: string, viewer: Viewer, options: IssueTokenOptions = {}): Promise<string> {
  const { ttlS = DEFAULT_ACCESS_TOKEN_TTL_S, session = { id: randomUUID(), version: 0 } } = options;
  return new SignJWT({ role: viewer.role, sid: session.id, ver: session.version })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(viewer.id)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlS}s`)
    .sign(keyOf(secret));
}

/** Valid tokens a process remembers at most, per secret: a few MiB. */
const MAX_REMEMBERED_TOKENS = 10_000;

/**
 * Tokens verified before, per secret, each until its own expiry: a client sends the same token
 * with every request, and checking its HMAC again through WebCrypto was 8 % of the gateway's CPU
 * on an uncached deep read. Only valid tokens are kept, so tokens an attacker makes up cost a
 * check each and fill nothing; the oldest kept goes first when the bound is reached.
 */
const remembered = new Map<string, Map<string, VerifiedToken>>();

function remember(secret: string, token: string, verified: VerifiedToken): void {
  let tokens = remembered.get(secret);
  if (!tokens) {
    tokens = new Map();
    remembered.set(secret, tokens);
  }
  if (tokens.size >= MAX_REMEMBERED_TOKENS) tokens.delete(tokens.keys().next().value!);
  tokens.set(token, verified);
}

/**
 * The viewer and session a token names, or null when it is invalid, expired (at `now`, epoch
 * milliseconds) or not ours. A valid token may still belong to an ended session: the gateway
 * checks that against Redis.
 */
export async function verifyToken(secret: string, token: string, now = Date.now()): Promise<VerifiedToken | null> {
  const known = remembered.get(secret)?.get(token);
  // jose's rule, as below: valid while `exp` is still ahead.
  if (known) return known.expiresAt > now ? known : null;
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      currentDate: new Date(now),
    });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return null;
    const { sub, role, sid, ver, exp } = claims.data;
    const verified: VerifiedToken = Object.freeze({ viewer: Object.freeze({ id: sub, role }), session: Object.freeze({ id: sid, version: ver }), expiresAt: exp * 1000 });
    remember(secret, token, verified);
    return verified;
  } catch {
    return null;
  }
}
