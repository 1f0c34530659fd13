import { defaultCacheKeyPrefix } from '@shopgraph/cache';
import { z } from 'zod';

/** The response cache's knobs. */
export const responseCacheEnvSchema = z.object({
  /** on/off (also true/false, 1/0). */
  RESPONSE_CACHE: z.stringbool().default(true),
  CACHE_L1_POLICY: z.enum(['lru', 'lfu']).default('lru'),
  CACHE_L1_MAX_ENTRIES: z.coerce.number().int().positive().default(10_000),
  /** off: nothing is kept in process, every hit is read from Redis (how the benchmark measures the second level). */
  CACHE_L1: z.stringbool().default(true),
  /** Unset: `{sg:cache:<hash of the DATABASE_URL's host, port and database>}:`, shared with the workers. */
  CACHE_KEY_PREFIX: z.string().min(1).optional(),
  CACHE_SWR_SECONDS: z.coerce.number().int().min(0).default(10),
});

type ResponseCacheEnv = z.output<typeof responseCacheEnvSchema> & { DATABASE_URL: string };

/** The cache's settings, or null when RESPONSE_CACHE is off. */
export function toResponseCacheConfig(env: ResponseCacheEnv) {
  if (!env.RESPONSE_CACHE) return null;
  return {
    l1Policy: env.CACHE_L1_POLICY,
    l1MaxEntries: env.CACHE_L1_MAX_ENTRIES,
    l1Enabled: env.CACHE_L1,
    keyPrefix: env.CACHE_KEY_PREFIX ?? defaultCacheKeyPrefix(env.DATABASE_URL),
    swrSeconds: env.CACHE_SWR_SECONDS,
  };
}
