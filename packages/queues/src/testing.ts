import { randomBytes } from 'node:crypto';
import type { Db } from '@shopgraph/common';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { Redis } from 'ioredis';
import type { OutboxTable } from './outbox.js';

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


/**
 * Creates `outbox` in `db`'s schema with the DDL drizzle-kit generates for it: the statements a
 * subgraph's migration gets from `outboxTable()`.
 */
export async function createOutboxForTest(db: Db, outbox: OutboxTable): Promise<void> {
  for (const statement of await generateMigration(generateDrizzleJson({}), generateDrizzleJson({ outbox }))) {
    await db.$client.query(statement);
  }
}
