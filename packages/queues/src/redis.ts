import { createRedisClient, type Logger, type RedisClient } from '@shopgraph/common';
import { Cluster } from 'ioredis';

// Reconnect forever, backing off to 2 s: a Redis restart is ridden out, never fatal.
const retryStrategy = (times: number) => Math.min(times * 100, 2000);

/**
 * For BullMQ workers: `maxRetriesPerRequest: null` keeps blocking commands waiting across a
 * reconnect instead of failing them (BullMQ refuses worker connections without it). `url` may name
 * one server, Sentinel or a Cluster (BullMQ takes a Cluster; its prefix must be a hash tag there).
 */
export function createWorkerConnection(url: string): RedisClient {
  return createRedisClient(url, { maxRetriesPerRequest: null, retryStrategy, connectionName: 'shopgraph:worker' });
}

/**
 * For producers (queues, the relay, the dashboard). The offline queue stays on, so commands
 * issued while Redis restarts are sent once it is back; a command still unsent after 20
 * reconnect attempts (about half a minute) fails, and the relay tries its batch again.
 */
export function createQueueConnection(url: string): RedisClient {
  return createRedisClient(url, { maxRetriesPerRequest: 20, retryStrategy, connectionName: 'shopgraph:queue' });
}

/**
 * Warns when Redis may evict keys: BullMQ keeps jobs and locks in keys, and an eviction loses
 * jobs silently. Returns the policy (on a cluster, the first master's that is not noeviction, if
 * any), or undefined where CONFIG is not allowed (managed Redis).
 */
export async function checkRedisForBullmq(redis: RedisClient, logger: Logger): Promise<string | undefined> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  let policies: (string | undefined)[];
  try {
    policies = await Promise.all(servers.map(async (server) => ((await server.config('GET', 'maxmemory-policy')) as string[])[1]));
  } catch (error) {
    logger.warn({ err: error }, 'could not read maxmemory-policy: make sure Redis runs with maxmemory-policy noeviction');
    return undefined;
  }
  const policy = policies.find((p) => p !== 'noeviction') ?? policies[0];
  if (policy !== 'noeviction') {
    logger.warn(
      { maxmemoryPolicy: policy },
      `Redis maxmemory-policy is "${policy}": BullMQ needs "noeviction" or jobs may vanish (redis-server --maxmemory-policy noeviction)`,
    );
  }
  return policy;
}
