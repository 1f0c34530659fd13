import { LruCache } from '@shopgraph/cache';
import { verifyToken, type Viewer } from '@shopgraph/common';

interface Verified {
  viewer: Viewer;
  /** Epoch milliseconds: the token's own `exp`. */
  expiresAt: number;
}

/** The `exp` claim of a token already verified, in epoch milliseconds. */
function expiryOf(token: string): number | undefined {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    const exp = (payload as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Bearer tokens already verified, each kept until its own expiry, so that a cache hit does not
 * pay for an HMAC check per request. Only valid tokens are kept: an invalid one is checked every
 * time and refused by `useAuth`.
 */
export class VerifiedTokens {
  private readonly tokens: LruCache<Verified>;

  constructor(
    private readonly jwtSecret: string,
    maxEntries = 10_000,
  ) {
    this.tokens = new LruCache(maxEntries);
  }

  /** The viewer of a token verified before and not expired by `now`. */
  known(token: string, now: number): Viewer | undefined {
    const verified = this.tokens.get(token);
    if (!verified) return undefined;
    if (verified.expiresAt > now) return verified.viewer;
    this.tokens.delete(token);
    return undefined;
  }

  /** Verifies `token`, keeping it when valid; null when it is not a valid token of ours. */
  async verify(token: string): Promise<Viewer | null> {
    const viewer = await verifyToken(this.jwtSecret, token);
    const expiresAt = viewer ? expiryOf(token) : undefined;
    if (viewer && expiresAt !== undefined) this.tokens.set(token, { viewer, expiresAt });
    return viewer;
  }
}
