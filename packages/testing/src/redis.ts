import { randomBytes } from 'node:crypto';
import { createRedisClient, createRedisNonceStore, type NonceStore } from '@shopgraph/common';
import { Cluster, type Redis } from 'ioredis';

/** The Redis tests run against; every test uses its own key prefix on it. */
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `text` matched literally by a Redis glob pattern (SCAN MATCH): `*`, `?`, `[`, `]` and `\` escaped. */
export const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Deletes every key that starts with `prefix`, leaving the rest of Redis alone: SCAN (never KEYS)
 * on the one server, or on every master of a cluster.
 */
export async function removeKeysWithPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = createRedisClient(redisUrl);
  try {
    const servers: Redis[] = redis instanceof Cluster ? await mastersOf(redis) : [redis];
    for (const server of servers) {
      for await (const keys of server.scanStream({ match: `${escapeGlob(prefix)}*`, count: 500 }) as AsyncIterable<string[]>) {
        // One UNLINK per key: a cluster refuses multi-key commands across slots.
        if (keys.length > 0) await server.pipeline(keys.map((key) => ['unlink', key])).exec();
      }
    }
  } finally {
    redis.disconnect();
  }
}

async function mastersOf(cluster: Cluster): Promise<Redis[]> {
  if (cluster.status !== 'ready') await new Promise((resolve, reject) => {
    cluster.once('ready', resolve);
    cluster.once('end', () => reject(new Error('the cluster did not answer')));
  });
  return cluster.nodes('master');
}

/**
 * A nonce store for a subgraph server a test builds itself (`createSubgraphServer`): real Redis,
 * under a prefix of its own that `close()` empties before it disconnects.
 */
export function createTestNonceStore(redisUrl = testRedisUrl): NonceStore & { prefix: string; close(): Promise<void> } {
  const prefix = `sg:test-nonce:${randomBytes(6).toString('hex')}:`;
  const redis = createRedisClient(redisUrl);
  return {
    ...createRedisNonceStore(redis, prefix),
    prefix,
    async close() {
      await removeKeysWithPrefix(redisUrl, prefix);
      redis.disconnect();
    },
  };
}
