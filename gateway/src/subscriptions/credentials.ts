import { ErrorCode, readSessionState, sessionIsLive, verifyToken, type RedisClient, type VerifiedToken, type Viewer } from '@shopgraph/common';
import type { GraphQLFormattedError } from 'graphql';
import type { SessionCheck } from '../auth/session-check.js';
import { bearerTokenOf } from '../plugins/useAuth.js';
import type { CredentialCheck } from './live-subscription.js';

export type Authentication = { viewer: Viewer | null; token: VerifiedToken | null } | { errors: readonly GraphQLFormattedError[] };

/**
 * The subscriptions' side of `useAuth`: the same bearer tokens and ended sessions, checked when a
 * subscription starts and again while it is open (a token expires, a session is ended).
 */
export class SubscriptionCredentials {
  constructor(
    private readonly jwtSecret: string,
    private readonly sessions: SessionCheck,
    private readonly redis: RedisClient,
    /** SESSION_REDIS_PREFIX, as `sessions` reads it. */
    private readonly sessionKeyPrefix: string,
  ) {}

  /** The viewer of an `Authorization` value (`Bearer <jwt>`); anonymous without one; errors for a token that does not hold. */
  async authenticate(authorization: unknown): Promise<Authentication> {
    if (authorization === undefined || authorization === null || authorization === '') return { viewer: null, token: null };
    const jwt = typeof authorization === 'string' ? bearerTokenOf(authorization) : undefined;
    const token = jwt ? await verifyToken(this.jwtSecret, jwt) : null;
    if (!token) return { errors: [{ message: 'The bearer token is invalid or has expired.', extensions: { code: ErrorCode.UNAUTHENTICATED } }] };
    const check = await this.check({ viewer: token.viewer, token, clientIp: '' });
    if (check === 'unavailable') return { errors: [{ message: 'Sessions cannot be checked right now; try again shortly.', extensions: { code: 'SESSIONS_UNAVAILABLE' } }] };
    if (check === 'ended') return { errors: [{ message: 'The session of this bearer token has ended.', extensions: { code: ErrorCode.UNAUTHENTICATED } }] };
    return { viewer: { ...token.viewer, sessionId: token.session.id }, token };
  }

  /**
   * The check of `userId`'s tokens after a write of their sessions was announced, read from Redis
   * now: a read already under way (which `check` would share) may have been answered before it.
   */
  async checkAfterWrite(userId: string): Promise<CredentialCheck> {
    let state: Awaited<ReturnType<typeof readSessionState>> | null = null;
    try {
      state = await readSessionState(this.redis, this.sessionKeyPrefix, userId);
    } catch {
      // Unreadable now: the subscription's next event or recheck asks again.
    }
    return async ({ token }) => {
      if (!token) return 'live';
      if (Date.now() >= token.expiresAt) return 'ended';
      if (!state) return 'unavailable';
      return sessionIsLive(state, token.session) ? 'live' : 'ended';
    };
  }

  readonly check: CredentialCheck = async ({ token }) => {
    if (!token) return 'live';
    if (Date.now() >= token.expiresAt) return 'ended';
    try {
      return (await this.sessions.isLive(token)) ? 'live' : 'ended';
    } catch {
      return 'unavailable';
    }
  };
}
