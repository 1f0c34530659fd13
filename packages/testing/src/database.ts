import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { removeKeysWithPrefix, testRedisUrl } from './redis.js';

/** The server tests run against; override with TEST_DATABASE_URL (any database on it works). */
export const testServerUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A name unique to this test run, so parallel runs and files never collide. */
export const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

export interface TestDatabase {
  /** Admin URL of the fresh database; subgraphs bootstrap their schema and role in it. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

/** Creates an empty database for one test file; `drop()` removes it even with open sessions. */
export async function createTestDatabase(prefix = 'sg_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: testServerUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(testServerUrl, name),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: testServerUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
      // The response cache of a platform on this database (`testEnv` names its namespace).
      await removeKeysWithPrefix(testRedisUrl, testCachePrefix(withDatabase(testServerUrl, name)));
    },
  };
}

/**
 * The response-cache namespace `testEnv` gives a platform on `databaseUrl` (`drop()` empties it):
 * a hash tag, as a Redis Cluster needs.
 */
export function testCachePrefix(databaseUrl: string): string {
  return `{sg:test-cache:${new URL(databaseUrl).pathname.slice(1)}}:`;
}
