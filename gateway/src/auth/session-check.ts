import { LruCache } from '@shopgraph/cache';
import { readSessionState, sessionIsLive, type RedisClient, type SessionState, type VerifiedToken } from '@shopgraph/common';

export interface SessionCheckOptions {
  redis: RedisClient;
  /** The users subgraph's SESSION_REDIS_PREFIX. */
  keyPrefix: string;
  /**
   * How long an answer read from Redis is trusted in process: the longest an ended session's token
   * is still served by this gateway. 0 reads Redis for every request.
   */
  cacheMs: number;
  /** Users whose answers are kept at most. */
  maxUsers?: number;
}

interface Known {
  state: SessionState;
  /** When the read that gave it started (epoch ms): a write after that may not show in it. */
  readAt: number;
}

/**
 * Whether a valid token's session has not been ended (`logout`, `logoutEverywhere`, a change of
 * role or password, a deleted account — see packages/common/src/sessions.ts). Asks Redis once per
 * user per `cacheMs`, concurrent requests of one user sharing one read; no database is read.
 */
export class SessionCheck {
  private readonly known: LruCache<Known>;
  private readonly reading = new Map<string, Promise<SessionState>>();

  constructor(private readonly options: SessionCheckOptions) {
    this.known = new LruCache(options.maxUsers ?? 100_000);
  }

  /** The answer an in-process read still fresh at `now` gives; undefined when there is none. */
  liveNow(token: VerifiedToken, now: number): boolean | undefined {
    const known = this.known.get(token.viewer.id);
    if (!known || now - known.readAt >= this.options.cacheMs) return undefined;
    return sessionIsLive(known.state, token.session);
  }

  /** Whether the token's session is live; rejects when Redis does not answer, and callers refuse the token. */
  async isLive(token: VerifiedToken): Promise<boolean> {
    const known = this.liveNow(token, Date.now());
    if (known !== undefined) return known;
    return sessionIsLive(await this.stateOf(token.viewer.id), token.session);
  }

  private stateOf(userId: string): Promise<SessionState> {
    const pending = this.reading.get(userId);
    if (pending) return pending;
    const readAt = Date.now();
    const read = readSessionState(this.options.redis, this.options.keyPrefix, userId)
      .then((state) => {
        this.known.set(userId, { state, readAt });
        return state;
      })
      .finally(() => this.reading.delete(userId));
    this.reading.set(userId, read);
    return read;
  }
}
