import type { Logger } from '@shopgraph/common';
import { Redis } from 'ioredis';

// Reconnect forever, backing off to 2 s: a Redis restart is ridden out, never fatal.
const retryStrategy = (times: number) => Math.min(times * 100, 2000);

/**
 * For BullMQ workers: `maxRetriesPerRequest: null` keeps blocking commands waiting across a
 * reconnect instead of failing them (BullMQ refuses worker connections without it).
 */
export function createWorkerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, retryStrategy, connectionName: 'shopgraph:worker' });
}

/**
 * For producers (queues, the relay, the dashboard). The offline queue stays on, so commands
 * issued while Redis restarts are sent once it is back; a command still unsent after 20
 * reconnect attempts (about half a minute) fails, and the relay tries its batch again.
 */
export function createQueueConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 20, retryStrategy, connectionName: 'shopgraph:queue' });
}

/**
 * Warns when Redis may evict keys: BullMQ keeps jobs and locks in keys, and an eviction loses
 * jobs silently. Returns the policy, or undefined where CONFIG is not allowed (managed Redis).
 */
export async function checkRedisForBullmq(redis: Redis, logger: Logger): Promise<string | undefined> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch (error) {
    logger.warn({ err: error }, 'could not read maxmemory-policy: make sure Redis runs with maxmemory-policy noeviction');
    return undefined;
  }
  if (policy !== 'noeviction') {
    logger.warn(
      { maxmemoryPolicy: policy },
      `Redis maxmemory-policy is "${policy}": BullMQ needs "noeviction" or jobs may vanish (redis-server --maxmemory-policy noeviction)`,
    );
  }
  return policy;
}
