import type { IncomingMessage } from 'node:http';
import type { RedisClient, Viewer } from '@shopgraph/common';
import type { RequestHandler } from 'express';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { LeasedLimiter, type Verdict } from '../protection/leased-limiter.js';
import type { FrontDoor, FrontDoorRefusal, FrontDoorStep, GatewayPlugin } from './plugin.js';
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
  redis: RedisClient;
  /** Prefix of every key the limiter writes. */
  keyPrefix: string;
  /** Applies to every request, by client IP (`req.ip`, so mind `trust proxy`). */
  perIp: RateLimit;
  /** Applies to requests with a verified viewer, by viewer id: runs after `useAuth`. */
  perUser: RateLimit;
  /** Share of a limit (percent) one gateway takes from Redis at a time and spends in memory. */
  leasePercent: number;
  /**
   * The client address of a request read at the front door, as express's `req.ip` gives it through
   * the trusted proxies. Without it the limits are counted behind express only (no `atFrontDoor`).
   */
  clientIpOf?: (req: IncomingMessage) => string;
  /** Where `shopgraph_gateway_rate_limited_total{scope}` is counted. */
  registry: Registry;
  /** Called for each refused request (metrics). */
  onLimited?: (scope: RateLimitScope) => void;
}

/** A 429 answer, for express or the front door to send. */
export interface RateLimitRefusal extends FrontDoorRefusal {
  status: 429;
}

/**
 * The limits: `onRequest` behind express (after `useAuth`); `atFrontDoor` for the requests the
 * front door reads, which `onRequest` then lets through without counting them again.
 */
export type RateLimits = GatewayPlugin & Required<Pick<GatewayPlugin, 'onRequest' | 'close'>>;

/**
 * A limit shared by every gateway instance through Redis, falling back to a per-process limit
 * of the same size while Redis is unreachable: an outage of Redis neither stops the gateway nor
 * lifts the limits.
 */
function limiter(redis: RedisClient, keyPrefix: string, { points, durationS }: RateLimit, leasePercent: number): LeasedLimiter {
  const shared = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points,
    duration: durationS,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: durationS }),
  });
  return new LeasedLimiter(shared, points, Math.max(1, Math.floor((points * leasePercent) / 100)));
}

/**
 * Rate limits per client IP and per user, answering an over-limit request with HTTP 429, a
 * `retry-after` header (seconds) and a GraphQL error coded `RATE_LIMITED`. Runs before the body
 * is read; a request costs a Redis round trip only when its lease runs out.
 */
export function useRateLimit({ redis, keyPrefix, perIp, perUser, leasePercent, clientIpOf, registry, onLimited }: RateLimitOptions): RateLimits {
  const byIp = limiter(redis, `${keyPrefix}ip`, perIp, leasePercent);
  const byUser = limiter(redis, `${keyPrefix}user`, perUser, leasePercent);
  const limited = new Counter({
    name: 'shopgraph_gateway_rate_limited_total',
    help: 'Requests refused with 429 RATE_LIMITED, by the limit they exceeded (ip or user).',
    labelNames: ['scope'] as const,
    registers: [registry],
  });
  /** Requests the front door counted already. */
  const admitted = new WeakSet<IncomingMessage>();

  function refusal(scope: RateLimitScope, retryAfterMs: number): RateLimitRefusal {
    limited.inc({ scope });
    onLimited?.(scope);
    const retryAfterS = Math.max(1, Math.ceil(retryAfterMs / 1000));
    const body = JSON.stringify({
      errors: [{ message: `Too many requests: try again in ${retryAfterS} s.`, extensions: { code: RATE_LIMITED, retryAfter: retryAfterS } }],
    });
    return { status: 429, headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(retryAfterS) }, body };
  }

  function byUserToo(viewer: Viewer | null, ip: Verdict): RateLimitRefusal | undefined | Promise<RateLimitRefusal | undefined> {
    if (!ip.allowed) return refusal('ip', ip.retryAfterMs);
    if (!viewer) return undefined;
    const user = byUser.consume(viewer.id);
    const decide = (verdict: Verdict) => (verdict.allowed ? undefined : refusal('user', verdict.retryAfterMs));
    return user instanceof Promise ? user.then(decide) : decide(user);
  }

  function admit(req: IncomingMessage, clientIp: string, viewer: Viewer | null) {
    admitted.add(req);
    const ip = byIp.consume(clientIp || 'unknown');
    return ip instanceof Promise ? ip.then((verdict) => byUserToo(viewer, verdict)) : byUserToo(viewer, ip);
  }

  const onRequest: RequestHandler = (req, res, next) => {
    if (admitted.has(req)) {
      next();
      return;
    }
    const send = (refused: RateLimitRefusal | undefined) => {
      if (refused) res.status(refused.status).set(refused.headers).send(refused.body);
      else next();
    };
    const verdict = admit(req, req.ip ?? req.socket.remoteAddress ?? '', viewerOf(res));
    if (verdict instanceof Promise) verdict.then(send, next);
    else send(verdict);
  };

  /** Counts the request once its viewer is known, then lets it on to `next` or refuses it. */
  function atFrontDoor(clientIpOf: (req: IncomingMessage) => string) {
    return (next: FrontDoorStep, door: FrontDoor): FrontDoorStep =>
      (req, res, raw, startedAt, viewer) => {
        const refusal = admit(req, clientIpOf(req), viewer);
        if (refusal === undefined) next(req, res, raw, startedAt, viewer);
        else if (!(refusal instanceof Promise)) door.refuse(req, res, refusal, startedAt);
        else {
          refusal.then(
            (refused) => (refused ? door.refuse(req, res, refused, startedAt) : next(req, res, raw, startedAt, viewer)),
            (error: unknown) => door.fail(res, error, 'gate'),
          );
        }
      };
  }

  return {
    name: 'rate-limit',
    onRequest,
    atFrontDoor: clientIpOf && atFrontDoor(clientIpOf),
    close() {
      byIp.close();
      byUser.close();
    },
  };
}
