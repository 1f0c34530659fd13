import { LruCache } from '@shopgraph/cache';
import { verifyToken, type VerifiedToken, type Viewer } from '@shopgraph/common';
import type { SessionCheck } from '../auth/session-check.js';

const viewerOf = (verified: VerifiedToken): Viewer => ({ ...verified.viewer, sessionId: verified.session.id });

/**
 * Bearer tokens already verified, each kept until its own expiry, so that a cache hit does not
 * pay for an HMAC check per request. Only valid tokens are kept: an invalid one is checked every
 * time and refused by `useAuth`. A kept token is good only while `sessions` has a fresh answer
 * that its session is live; otherwise `useAuth` decides, as for a token never seen.
 */
export class VerifiedTokens {
  private readonly tokens: LruCache<VerifiedToken>;

  constructor(
    private readonly jwtSecret: string,
    private readonly sessions: SessionCheck,
    maxEntries = 10_000,
  ) {
    this.tokens = new LruCache(maxEntries);
  }

  /** The viewer of a token verified before, not expired by `now`, whose session is known live at `now`. */
  known(token: string, now: number): Viewer | undefined {
    const verified = this.tokens.get(token);
    if (!verified) return undefined;
    if (verified.expiresAt <= now) {
      this.tokens.delete(token);
      return undefined;
    }
    return this.sessions.liveNow(verified, now) === true ? viewerOf(verified) : undefined;
  }

  /**
   * Verifies `token`, keeping it when valid; null when it is not a valid token of ours, its
   * session has ended or the session store does not answer (`useAuth` then answers).
   */
  async verify(token: string): Promise<Viewer | null> {
    const verified = await verifyToken(this.jwtSecret, token);
    if (!verified) return null;
    this.tokens.set(token, verified);
    const live = await this.sessions.isLive(verified).catch(() => false);
    return live ? viewerOf(verified) : null;
  }
}
