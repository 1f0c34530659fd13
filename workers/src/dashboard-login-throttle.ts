import { createHash } from 'node:crypto';
import type { RedisClient } from '@shopgraph/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface FailureLimit {
  /** Wrong passwords allowed … */
  failures: number;
  /** … per this many seconds (a fixed window from the first one). */
  durationS: number;
}

export interface LoginThrottleOptions {
  redis: RedisClient;
  /** Prefix of every key the throttle writes. */
  keyPrefix: string;
  /** Per client address: one address guessing. */
  perAddress: FailureLimit;
  /** Per account tried, across addresses: many addresses guessing one password. */
  perAccount: FailureLimit;
}

/** An attempt admitted for checking: report how it went. */
export interface LoginAttempt {
  /** A right password gives back what the attempt took; a wrong one keeps it counted. */
  settle(succeeded: boolean): Promise<void>;
}

export interface LoginThrottle {
  /**
   * Takes one attempt from the address's and the account's allowance, atomically in Redis, so
   * a burst of parallel guesses gets no more than the limit between them. Resolves with the
   * attempt to settle, or with the seconds to wait when either allowance is used up.
   */
  attempt(address: string, account: string): Promise<LoginAttempt | { retryAfterS: number }>;
}

function limiter(redis: RedisClient, keyPrefix: string, { failures, durationS }: FailureLimit) {
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points: failures,
    duration: durationS,
    rejectIfRedisNotReady: true,
    // While Redis is away each replica counts alone: the limit holds per replica rather than lifting.
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points: failures, duration: durationS }),
  });
}

type Limiter = ReturnType<typeof limiter>;

/** Seconds until `limiter` admits `key` again, or the attempt if it admitted it now. */
async function take(limiter: Limiter, key: string): Promise<{ retryAfterS: number } | undefined> {
  try {
    await limiter.consume(key);
    return undefined;
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    return { retryAfterS: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
  }
}

/**
 * Throttles failed logins by client address and by account, shared by every replica through
 * Redis: after the limit, attempts are refused without being checked until the window ends.
 */
export function createLoginThrottle({ redis, keyPrefix, perAddress, perAccount }: LoginThrottleOptions): LoginThrottle {
  const byAddress = limiter(redis, `${keyPrefix}address`, perAddress);
  const byAccount = limiter(redis, `${keyPrefix}account`, perAccount);
  return {
    async attempt(address, rawAccount) {
      // Whatever a client puts in the username becomes a key: hashed, it is short and inert.
      const account = createHash('sha256').update(rawAccount.toLowerCase()).digest('base64url');
      const addressRefusal = await take(byAddress, address);
      if (addressRefusal) return addressRefusal;
      const accountRefusal = await take(byAccount, account);
      if (accountRefusal) {
        // Not a guess, so it does not count against the address: one address alone cannot lock
        // itself out by knocking on an account others locked.
        await byAddress.reward(address);
        return accountRefusal;
      }
      return {
        async settle(succeeded) {
          if (succeeded) await Promise.all([byAddress.reward(address), byAccount.reward(account)]);
        },
      };
    },
  };
}
