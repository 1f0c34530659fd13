import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Db } from '@shopgraph/common';
import { freePort, removeKeysWithPrefix } from '@shopgraph/testing';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { Redis } from 'ioredis';
import type { OutboxTable } from './outbox.js';

/** A hash-tagged BullMQ prefix of its own for one test file. */
export const testQueuePrefix = () => `{sgtest_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}}`;

/** Deletes every key under `prefix` (a test's queues), leaving the rest of Redis alone. */
export async function removeQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  await removeKeysWithPrefix(redisUrl, `${prefix}:`);
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

/** A Redis of a test's own: one it may crash, restart or misconfigure without disturbing others. */
export interface PrivateRedis {
  url: string;
  /** Kills the server at once, as a crash would (SIGKILL); nothing is persisted. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers. */
  start(): Promise<void>;
}

/** Starts `redis-server` on a free port with `args` added (e.g. `--maxmemory-policy allkeys-lru`). */
export async function startPrivateRedis(args: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  let server: ChildProcess | undefined;
  const start = async () => {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], {
      stdio: 'ignore',
    });
    server = started;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch (error) {
        if (Date.now() > deadline || started.exitCode !== null) {
          started.kill('SIGKILL');
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        probe.disconnect();
      }
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    async kill() {
      const running = server;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
  };
}
