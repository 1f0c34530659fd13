import { randomUUID } from 'node:crypto';
import { createLogger, type RedisClient } from '@shopgraph/common';
import { closeQueues, createQueueConnection, createQueues, createWorkerConnection, jobIds, type QueueSet } from '@shopgraph/queues';
import { startPrivateRedis, testQueuePrefix, type PrivateRedis } from '@shopgraph/queues/testing';
import type { Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { waitFor } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorker } from './create-worker.js';
import { createJobMetrics } from './job-metrics.js';

const logger = createLogger('workers-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const prefix = testQueuePrefix();

// A Redis of this test's own: crashing the shared one would disturb every other test.
let redis: PrivateRedis;
let producer: RedisClient;
let workerConnection: RedisClient;
let queues: QueueSet;
let worker: Worker;
const expired: string[] = [];

const waitForCompleted = (jobId: string) =>
  waitFor(async () => (await queues.expiries.getJobState(jobId)) === 'completed', { timeoutMs: 25_000, what: `job ${jobId} to complete` });

const addExpiry = async () => {
  const orderId = randomUUID();
  const jobId = jobIds.expireOrder(orderId, 1);
  await queues.expiries.add('expire-order', { orderId, version: 1 }, { jobId });
  return { orderId, jobId };
};

beforeAll(async () => {
  redis = await startPrivateRedis();
  producer = createQueueConnection(redis.url);
  workerConnection = createWorkerConnection(redis.url);
  for (const connection of [producer, workerConnection]) connection.on('error', () => undefined);
  queues = createQueues(producer, prefix);
  worker = createWorker(
    'expiries',
    {
      'expire-order': async ({ orderId }) => {
        expired.push(orderId);
      },
    },
    { connection: workerConnection, prefix, logger, deadLetters: queues['dead-letters'], metrics: createJobMetrics(new Registry()), concurrency: 2 },
  );
  worker.on('error', () => undefined);
});

afterAll(async () => {
  await worker?.close();
  if (queues) await closeQueues(queues);
  producer?.disconnect();
  workerConnection?.disconnect();
  await redis?.kill();
});

describe('a Redis restart', () => {
  it('is ridden out: a job added while Redis is down is sent once it is back, and the same worker runs it', async () => {
    const before = await addExpiry();
    await waitForCompleted(before.jobId);

    await redis.kill();
    await waitFor(() => producer.status !== 'ready', { what: 'the producer to notice that Redis is gone' });
    // The producer keeps the command in its offline queue until Redis answers again.
    const during = addExpiry();
    await redis.start();
    const { orderId, jobId } = await during;
    await waitForCompleted(jobId);
    expect(expired).toEqual([before.orderId, orderId]);
  });
});
