import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type { Logger, RedisClient } from '@shopgraph/common';

/**
 * Apollo Server's `KeyValueCache` on Redis, shared by every gateway instance (the automatic
 * persisted queries one instance learns, all know). A cache must never fail a request: when
 * Redis does not answer, a read is a miss and a write is skipped, both logged.
 */
export class RedisKeyValueCache implements KeyValueCache<string> {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.prefix + key)) ?? undefined;
    } catch (error) {
      this.logger.warn({ err: error }, 'Redis key-value cache read failed; treated as a miss');
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    try {
      if (options?.ttl) await this.redis.set(this.prefix + key, value, 'EX', Math.ceil(options.ttl));
      else await this.redis.set(this.prefix + key, value);
    } catch (error) {
      this.logger.warn({ err: error }, 'Redis key-value cache write failed; skipped');
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.redis.del(this.prefix + key)) > 0;
    } catch (error) {
      this.logger.warn({ err: error }, 'Redis key-value cache delete failed');
      return false;
    }
  }
}
