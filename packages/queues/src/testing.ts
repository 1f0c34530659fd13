import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** A hash-tagged BullMQ prefix of its own for one test file. */
export const testQueuePrefix = () => `{sgtest_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}}`;

/** Deletes every key under `prefix` (a test's queues), leaving the rest of Redis alone. */
export async function removeQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    // SCAN treats [ ] * ? as glob syntax; the prefixes made above contain none of them.
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

