import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { viewerOf } from './useAuth.js';

export const RATE_LIMITED = 'RATE_LIMITED';

export interface RateLimit {
  /** Requests allowed … */
  points: number;
  /** … per this many seconds (a fixed window starting at the first request). */
  durationS: number;
}

export type RateLimitScope = 'ip' | 'user';

export interface RateLimitOptions {
  redis: Redis;
  /** Prefix of every key the limiter writes. */
  keyPrefix: string;
  /** Applies to every request, by client IP (`req.ip`, so mind `trust proxy`). */
  perIp: RateLimit;
  /** Applies to requests with a verified viewer, by viewer id: runs after `useAuth`. */
  perUser: RateLimit;
  /** Where `shopgraph_gateway_rate_limited_total{scope}` is counted. */
  registry: Registry;
  /** Called for each refused request (metrics). */
  onLimited?: (scope: RateLimitScope) => void;
}

/**
 * A limiter shared by every gateway instance through Redis, falling back to a per-process limit
 * of the same size while Redis is unreachable: an outage of Redis neither stops the gateway nor
 * lifts the limits.
 */
function limiter(redis: Redis, keyPrefix: string, { points, durationS }: RateLimit) {
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points,
    duration: durationS,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: durationS }),
  });
}

/**
 * Rate limits per client IP and per user, answering an over-limit request with HTTP 429, a
 * `retry-after` header (seconds) and a GraphQL error coded `RATE_LIMITED`. Runs before the body
 * is read, so a refused client costs one Redis round trip.
 */
export function useRateLimit({ redis, keyPrefix, perIp, perUser, registry, onLimited }: RateLimitOptions): RequestHandler {
  const byIp = limiter(redis, `${keyPrefix}ip`, perIp);
  const byUser = limiter(redis, `${keyPrefix}user`, perUser);
  const limited = new Counter({
    name: 'shopgraph_gateway_rate_limited_total',
    help: 'Requests refused with 429 RATE_LIMITED, by the limit they exceeded (ip or user).',
    labelNames: ['scope'] as const,
    registers: [registry],
  });
  return async (req, res, next) => {
    const viewer = viewerOf(res);
    let scope: RateLimitScope = 'ip';
    try {
      await byIp.consume(req.ip ?? req.socket.remoteAddress ?? 'unknown');
      if (viewer) {
        scope = 'user';
        await byUser.consume(viewer.id);
      }
    } catch (rejection) {
      // With an insurance limiter, consume rejects only with a RateLimiterRes: the limit is spent.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      limited.inc({ scope });
      onLimited?.(scope);
      const retryAfterS = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      res
        .status(429)
        .set('retry-after', String(retryAfterS))
        .json({
          errors: [
            {
              message: `Too many requests: try again in ${retryAfterS} s.`,
              extensions: { code: RATE_LIMITED, retryAfter: retryAfterS },
            },
          ],
        });
      return;
    }
    next();
  };
}
