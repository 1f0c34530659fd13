import { randomUUID } from 'node:crypto';
import { createLogger, type RedisClient } from '@shopgraph/common';
import { escapeGlob, startRedisCluster, type TestRedisCluster } from '@shopgraph/testing';
import { Worker, type Job } from 'bullmq';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { jobIds } from './job-ids.js';
import { addJob, closeQueues, createQueues, type QueueSet } from './producer.js';
import { checkRedisForBullmq, createQueueConnection, createWorkerConnection } from './redis.js';
import { testQueuePrefix } from './testing.js';

const logger = createLogger('queues-cluster-test', 'silent');
const prefix = testQueuePrefix();
let cluster: TestRedisCluster;
let producer: RedisClient;
let workerConnection: RedisClient;
let queues: QueueSet;
let worker: Worker | undefined;

beforeAll(async () => {
  cluster = await startRedisCluster();
  producer = createQueueConnection(cluster.url);
  workerConnection = createWorkerConnection(cluster.url);
  queues = createQueues(producer, prefix);
});

afterAll(async () => {
  await worker?.close();
  if (queues) await closeQueues(queues);
  producer?.disconnect();
  workerConnection?.disconnect();
  await cluster?.stop();
});

describe('BullMQ on a Redis Cluster', () => {
  it('runs jobs end to end through the platform\'s connections, a retry and a delay included, every key in one slot', async () => {
    expect(producer).toBeInstanceOf(Cluster);
    expect(await checkRedisForBullmq(producer, logger)).toBe('noeviction');
    const attempts = new Map<string, number>();
    const completed: string[] = [];
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

    const [plain, flaky, delayed] = [randomUUID(), randomUUID(), randomUUID()];
    for (const orderId of [plain, flaky]) {
      await addJob(queues, { queue: 'reservations', name: 'reserve-stock', jobId: jobIds.reserveStock(orderId, 1), payload: { orderId, version: 1 } });
    }
    await addJob(queues, {
      queue: 'reservations',
      name: 'reserve-stock',
      jobId: jobIds.reserveStock(delayed, 1),
      payload: { orderId: delayed, version: 1 },
      delayMs: 300,
    });

    await vi.waitFor(() => expect(completed.sort()).toEqual([plain, flaky, delayed].sort()), { timeout: 20_000, interval: 50 });
    expect(attempts.get(flaky)).toBe(2);
    const job = await queues.reservations.getJob(jobIds.reserveStock(plain, 1));
    expect(job?.returnvalue).toEqual({ reserved: plain });

    const keys = (await Promise.all((producer as Cluster).nodes('master').map((master) => master.keys(`${escapeGlob(prefix)}:*`)))).filter(
      (held) => held.length > 0,
    );
    expect(keys).toHaveLength(1);
    const slots = await Promise.all(keys[0]!.map((key) => producer.cluster('KEYSLOT', key)));
    expect(new Set(slots).size).toBe(1);
  });
});
