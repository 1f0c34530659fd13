import { randomUUID } from 'node:crypto';
import { createLogger, type RedisClient } from '@shopgraph/common';
import { startRedisSentinel, waitFor, type TestRedisSentinel } from '@shopgraph/testing';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIds } from './job-ids.js';
import { addJob, closeQueues, createQueues, type QueueSet } from './producer.js';
import { checkRedisForBullmq, createQueueConnection, createWorkerConnection } from './redis.js';
import { testQueuePrefix } from './testing.js';

const logger = createLogger('queues-sentinel-test', 'silent');
const prefix = testQueuePrefix();
let sentinel: TestRedisSentinel;
let producer: RedisClient;
let workerConnection: RedisClient;
let queues: QueueSet;
let worker: Worker;
const completed: string[] = [];
/** Runs of each order's job; the order `flaky` fails its first. */
const attempts = new Map<string, number>();
const flaky = randomUUID();

beforeAll(async () => {
  sentinel = await startRedisSentinel();
  producer = createQueueConnection(sentinel.url);
  workerConnection = createWorkerConnection(sentinel.url);
  // The failover drops every client of the old master: expected here, reconnected by ioredis.
  for (const connection of [producer, workerConnection]) connection.on('error', () => undefined);
  queues = createQueues(producer, prefix);
  worker = new Worker(
    'reservations',
    async (job: Job<{ orderId: string }>) => {
      const attempt = (attempts.get(job.data.orderId) ?? 0) + 1;
      attempts.set(job.data.orderId, attempt);
      if (job.data.orderId === flaky && attempt === 1) throw new Error('transient');
      return { reserved: job.data.orderId };
    },
    { connection: workerConnection, prefix },
  );
  worker.on('completed', (job: Job<{ orderId: string }>) => completed.push(job.data.orderId));
  worker.on('error', () => undefined);
});

afterAll(async () => {
  await worker?.close();
  if (queues) await closeQueues(queues);
  producer?.disconnect();
  workerConnection?.disconnect();
  await sentinel?.stop();
});

const reserve = (orderId: string, delayMs?: number) =>
  addJob(queues, {
    queue: 'reservations',
    name: 'reserve-stock',
    jobId: jobIds.reserveStock(orderId, 1),
    payload: { orderId, version: 1 },
    ...(delayMs === undefined ? {} : { delayMs }),
  });

const completedAll = (orderIds: string[]) =>
  waitFor(() => orderIds.every((orderId) => completed.includes(orderId)), { timeoutMs: 30_000, what: `jobs of ${orderIds.join(', ')} to complete` });

/** The port of the server a connection made through the sentinel is on. */
const serverPort = async (client: RedisClient) => Number(/tcp_port:(\d+)/.exec(await client.info('server'))?.[1]);

describe('BullMQ through Redis Sentinel', () => {
  it('runs jobs on the master the sentinel names, a retry included', async () => {
    expect(producer).toBeInstanceOf(Redis);
    expect(await checkRedisForBullmq(producer, logger)).toBe('noeviction');
    expect(await serverPort(producer)).toBe(sentinel.masterPort);
    const plain = randomUUID();
    await reserve(plain);
    await reserve(flaky);
    await completedAll([plain, flaky]);
    expect(attempts.get(flaky)).toBe(2);
    expect((await queues.reservations.getJob(jobIds.reserveStock(plain, 1)))?.returnvalue).toEqual({ reserved: plain });
  });

  it('keeps running jobs after SENTINEL FAILOVER promotes the replica, with the job run before still there', { timeout: 90_000 }, async () => {
    const before = randomUUID();
    await reserve(before);
    await completedAll([before]);
    // Replicated before the failover, so the promoted replica has every job so far.
    expect(await (producer as Redis).wait(1, 5000)).toBe(1);

    const admin = new Redis(sentinel.sentinelPort, '127.0.0.1');
    try {
      expect(await admin.call('SENTINEL', 'FAILOVER', sentinel.masterName)).toBe('OK');
    } finally {
      admin.disconnect();
    }
    expect(await sentinel.waitForFailover(45_000)).toBe(sentinel.replicaPort);
    // The failover ends once the sentinel has made the old master a replica of the new one, which
    // drops its clients; they ask the sentinel again and land on the new master. (Until then the
    // old master still takes writes, and what it takes is lost when it resyncs as a replica.)
    const oldMaster = new Redis(sentinel.masterPort, '127.0.0.1');
    try {
      await waitFor(async () => /^role:slave$/m.test(await oldMaster.info('replication')), {
        timeoutMs: 45_000,
        what: 'the sentinel to make the old master a replica',
      });
    } finally {
      oldMaster.disconnect();
    }

    const [plain, delayed] = [randomUUID(), randomUUID()];
    await reserve(plain);
    await reserve(delayed, 100);
    await completedAll([plain, delayed]);
    // The same connections now talk to the promoted replica.
    expect(await serverPort(producer)).toBe(sentinel.replicaPort);
    for (const orderId of [before, plain, delayed]) {
      const job = (await queues.reservations.getJob(jobIds.reserveStock(orderId, 1)))!;
      expect(job).toMatchObject({ name: 'reserve-stock', data: { orderId, version: 1 }, returnvalue: { reserved: orderId } });
      expect(await job.getState()).toBe('completed');
    }
  });
});
