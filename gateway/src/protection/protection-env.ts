import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();

/** Rate limits, persisted queries and the client address: the gateway's protection knobs. */
export const protectionEnvSchema = z.object({
  /** Unset: on, except under NODE_ENV=test (the suites and the benchmark send far more than a person). */
  RATE_LIMIT_ENABLED: z.stringbool().optional(),
  RATE_LIMIT_IP_POINTS: positiveInt.default(600),
  RATE_LIMIT_IP_DURATION_S: positiveInt.default(60),
  RATE_LIMIT_USER_POINTS: positiveInt.default(300),
  RATE_LIMIT_USER_DURATION_S: positiveInt.default(60),
  RATE_LIMIT_REDIS_PREFIX: z.string().min(1).default('shopgraph:rate-limit:'),
  /**
   * Share of a client's limit (percent) a gateway takes from Redis at once and spends in memory:
   * 1 % of 600 is one Redis round trip per 6 requests. 0 asks Redis on every request.
   */
  RATE_LIMIT_LEASE_PERCENT: z.coerce.number().min(0).max(10).default(1),
  APQ_TTL_S: positiveInt.default(86_400),
  APQ_REDIS_PREFIX: z.string().min(1).default('shopgraph:apq:'),
  PERSISTED_OPERATIONS_PATH: z.string().min(1).optional(),
  PERSISTED_ONLY: z.stringbool().default(false),
  /**
   * Express's `trust proxy`: `true`, `false`, a hop count, or addresses/subnets (`loopback`, `10.0.0.0/8` …).
   * `loopback` by default: the storefront's server proxies shoppers from the same machine, and
   * without its X-Forwarded-For every shopper would share one rate-limit bucket.
   */
  TRUST_PROXY: z.string().default('loopback'),
});

type ProtectionEnv = z.output<typeof protectionEnvSchema> & { NODE_ENV: string };

/** Express's `trust proxy` value from its env spelling. */
function trustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** Problems that no single variable shows. */
export function protectionProblems(env: ProtectionEnv): string[] {
  return env.PERSISTED_ONLY && !env.PERSISTED_OPERATIONS_PATH
    ? ['  - PERSISTED_ONLY: needs PERSISTED_OPERATIONS_PATH, the list of operations to allow']
    : [];
}

export function toProtectionConfig(env: ProtectionEnv) {
  return {
    rateLimit: {
      enabled: env.RATE_LIMIT_ENABLED ?? env.NODE_ENV !== 'test',
      perIp: { points: env.RATE_LIMIT_IP_POINTS, durationS: env.RATE_LIMIT_IP_DURATION_S },
      perUser: { points: env.RATE_LIMIT_USER_POINTS, durationS: env.RATE_LIMIT_USER_DURATION_S },
      redisPrefix: env.RATE_LIMIT_REDIS_PREFIX,
      leasePercent: env.RATE_LIMIT_LEASE_PERCENT,
    },
    apq: { ttlS: env.APQ_TTL_S, redisPrefix: env.APQ_REDIS_PREFIX },
    persistedOperations: env.PERSISTED_OPERATIONS_PATH ? { path: env.PERSISTED_OPERATIONS_PATH, only: env.PERSISTED_ONLY } : undefined,
    trustProxy: trustProxy(env.TRUST_PROXY),
  };
}
