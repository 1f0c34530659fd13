import { Redis } from 'ioredis';
import type pg from 'pg';
import type { PeakConnections } from './connections.js';
import type { GatewayBalancer } from './load.js';
import type { Platform } from './platform.js';
import type { PrivatePostgres } from './postgres.js';

/** What the run started and must stop. */
interface Started {
  balancer: GatewayBalancer;
  connections: PeakConnections;
  sql: pg.Client;
  platform: Platform;
  database: PrivatePostgres;
  redisUrl: string;
  /** The prefix of every Redis key the platform wrote. */
  queuePrefix: string;
}

/**
 * The run's clean-up, for whether it ends, fails or is interrupted: no process, server or key is
 * left behind. It runs once however often it is called; SIGINT and SIGTERM run it, then exit 130.
 */
export function cleanUpWhenDone({ balancer, connections, sql, platform, database, redisUrl, queuePrefix }: Started): () => Promise<void> {
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      balancer.stopProbing();
      connections.stop();
      await sql.end().catch(() => undefined);
      await Promise.all(platform.replicas.map((replica) => replica.stop()));
      database.stop();
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${queuePrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`\n${signal}: stopping the processes and the Postgres server`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  return cleanUp;
}
