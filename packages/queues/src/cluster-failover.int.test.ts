import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@shopgraph/common';
import { startRedisCluster, type TestRedisCluster } from '@shopgraph/testing';
import { Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { jobIds } from './job-ids.js';
import { addJob, closeQueues, createQueues, type QueueSet } from './producer.js';
import { createQueueConnection, createWorkerConnection } from './redis.js';
import { testQueuePrefix } from './testing.js';

const prefix = testQueuePrefix();
let cluster: TestRedisCluster;
let producer: RedisClient;
let workerConnection: RedisClient;
let queues: QueueSet;
let worker: Worker | undefined;

beforeAll(async () => {
  cluster = await startRedisCluster(3, { replicas: 1 });
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

const reserve = (orderId: string, delayMs?: number) =>
  addJob(queues, {
    queue: 'reservations',
    name: 'reserve-stock',
    jobId: jobIds.reserveStock(orderId, 1),
    payload: { orderId, version: 1 },
    ...(delayMs === undefined ? {} : { delayMs }),
  });

describe('BullMQ on a Redis Cluster whose master fails over', () => {
  it('keeps running jobs through the platform\'s connections, and keeps the results of those run before', async () => {
    const completed: string[] = [];
    worker = new Worker('reservations', async (job: Job<{ orderId: string }>) => ({ reserved: job.data.orderId }), {
      connection: workerConnection,
      prefix,
    });
    worker.on('completed', (job: Job<{ orderId: string }>) => completed.push(job.data.orderId));
    // The failover ends the worker's blocking wait on the old master (`UNBLOCKED … master ->
    // replica`); BullMQ reports it as an error event and waits again, on the new master.
    const reported: string[] = [];
    worker.on('error', (error) => reported.push(error.message));

    const before = randomUUID();
    await reserve(before);
    await vi.waitFor(() => expect(completed).toEqual([before]), { timeout: 20_000, interval: 50 });

    // Every key of the queues lives in the prefix's slot: fail over the master serving it, while
    // the worker waits on it for the next job.
    const slot = Number(await producer.cluster('KEYSLOT', `${prefix}:reservations:id`));
    const oldMaster = await cluster.masterOf(slot);
    const newMaster = await cluster.failOver(oldMaster);
    expect(await cluster.masterOf(slot)).toBe(newMaster);

    const [plain, delayed] = [randomUUID(), randomUUID()];
    await reserve(plain);
    await reserve(delayed, 300);
    await vi.waitFor(() => expect([...completed].sort()).toEqual([before, plain, delayed].sort()), { timeout: 30_000, interval: 50 });
    expect(reported.every((message) => /UNBLOCKED|MOVED/.test(message)), reported.join('; ')).toBe(true);
    for (const orderId of [before, plain, delayed]) {
      expect((await queues.reservations.getJob(jobIds.reserveStock(orderId, 1)))?.returnvalue).toEqual({ reserved: orderId });
    }
  });
});
