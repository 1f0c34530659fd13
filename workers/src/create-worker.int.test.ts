import { randomUUID } from 'node:crypto';
import { createLogger, type RedisClient } from '@shopgraph/common';
import { closeQueues, createQueueConnection, createQueues, createWorkerConnection, jobIds, type QueueSet } from '@shopgraph/queues';
import { removeQueueKeys, testQueuePrefix } from '@shopgraph/queues/testing';
import { testRedisUrl, waitFor } from '@shopgraph/testing';
import type { Job, Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWorker, type ExhaustedHooksOf, type ProcessorsOf } from './create-worker.js';
import { createJobMetrics, type JobMetrics } from './job-metrics.js';

const logger = createLogger('workers-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const prefix = testQueuePrefix();
const fastRetries = { attempts: 3, backoff: { type: 'fixed', delay: 10 } };

let producer: RedisClient;
let workerConnection: RedisClient;
let queues: QueueSet;
let registry: Registry;
let metrics: JobMetrics;
let worker: Worker | undefined;

function startReservationsWorker(processors: ProcessorsOf<'reservations'>, onExhausted?: ExhaustedHooksOf<'reservations'>, dependenciesDown?: () => Promise<boolean>) {
  worker = createWorker('reservations', processors, {
    connection: workerConnection,
    prefix,
    logger,
    deadLetters: queues['dead-letters'],
    metrics,
    concurrency: 2,
    ...(onExhausted ? { onExhausted } : {}),
    ...(dependenciesDown ? { dependenciesDown } : {}),
  });
  return worker;
}

async function settled(jobId: string): Promise<Job> {
  await waitFor(async () => ['completed', 'failed'].includes(await queues.reservations.getJobState(jobId)), { what: `job ${jobId} to settle` });
  // State first, then the job: read the other way round, the job could predate its result.
  return (await queues.reservations.getJob(jobId))!;
}

const attempts = async (outcome: string) =>
  (await registry.getSingleMetric('shopgraph_job_attempts_total')!.get()).values
    .filter((value) => value.labels.outcome === outcome)
    .reduce((sum, value) => sum + value.value, 0);

beforeAll(() => {
  producer = createQueueConnection(testRedisUrl);
  workerConnection = createWorkerConnection(testRedisUrl);
  queues = createQueues(producer, prefix);
});

afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

afterAll(async () => {
  await closeQueues(queues);
  await Promise.all([producer.quit(), workerConnection.quit()]);
  await removeQueueKeys(testRedisUrl, prefix);
});

describe('createWorker', () => {
  beforeAll(() => {
    registry = new Registry();
    metrics = createJobMetrics(registry);
  });

  it('runs each job with its named processor and its parsed payload', async () => {
    const seen: unknown[] = [];
    startReservationsWorker({
      'reserve-stock': async (payload) => {
        seen.push(['reserve', payload]);
        return { reserved: true };
      },
      'release-stock': async (payload) => {
        seen.push(['release', payload]);
      },
    });
    const orderId = randomUUID();
    await queues.reservations.add('reserve-stock', { orderId, version: 2 }, { jobId: jobIds.reserveStock(orderId, 2) });
    await queues.reservations.add('release-stock', { orderId, reason: 'cancelled' }, { jobId: jobIds.releaseStock(orderId) });
    expect((await settled(jobIds.reserveStock(orderId, 2))).returnvalue).toEqual({ reserved: true });
    await settled(jobIds.releaseStock(orderId));
    expect(seen).toContainEqual(['reserve', { orderId, version: 2 }]);
    expect(seen).toContainEqual(['release', { orderId, reason: 'cancelled' }]);
  });

  it('fails a malformed payload at once with UnrecoverableError: no retries, no processor call, a dead letter', async () => {
    let called = 0;
    let hooked = 0;
    startReservationsWorker(
      {
        'reserve-stock': async () => {
          called++;
        },
        'release-stock': async () => {},
      },
      {
        'reserve-stock': async () => {
          hooked++;
        },
      },
    );
    const jobId = `malformed-${randomUUID()}`;
    await queues.reservations.add('reserve-stock', { orderId: 'not-a-uuid', version: 0 }, { ...fastRetries, attempts: 5, jobId });
    const job = await settled(jobId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/malformed reserve-stock payload: orderId/);
    expect(called).toBe(0);
    // The hook is for payloads a processor could act on.
    expect(hooked).toBe(0);
    const deadLetter = await queues['dead-letters'].getJob(jobIds.deadLetter('reservations', jobId));
    expect(deadLetter?.data).toMatchObject({ queue: 'reservations', name: 'reserve-stock', jobId, attemptsMade: 1 });
  });

  it('dead-letters a job that always throws after its attempts, and tells onExhausted once', async () => {
    let runs = 0;
    const exhausted: unknown[] = [];
    startReservationsWorker(
      {
        'reserve-stock': async () => {},
        'release-stock': async () => {
          runs++;
          throw new Error('products database unavailable');
        },
      },
      {
        'release-stock': async (payload, job, error) => {
          exhausted.push({ payload, jobId: job.id, message: error.message });
        },
      },
    );
    const orderId = randomUUID();
    const jobId = jobIds.releaseStock(orderId);
    const before = await attempts('exhausted');
    await queues.reservations.add('release-stock', { orderId, reason: 'expired' }, { ...fastRetries, jobId });
    const job = await settled(jobId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(3);
    expect(runs).toBe(3);
    expect(exhausted).toEqual([{ payload: { orderId, reason: 'expired' }, jobId, message: 'products database unavailable' }]);
    const deadLetter = await queues['dead-letters'].getJob(jobIds.deadLetter('reservations', jobId));
    expect(deadLetter?.name).toBe('release-stock');
    expect(deadLetter?.data).toEqual({
      queue: 'reservations',
      name: 'release-stock',
      jobId,
      payload: { orderId, reason: 'expired' },
      failedReason: 'products database unavailable',
      attemptsMade: 3,
      failedAt: expect.any(String),
    });
    expect(await attempts('exhausted')).toBe(before + 1);
  });

  it('retries a failing attempt and dead-letters nothing once it succeeds', async () => {
    let runs = 0;
    let hooked = 0;
    startReservationsWorker(
      {
        'reserve-stock': async () => {
          runs++;
          if (runs === 1) throw new Error('transient');
          return 'ok';
        },
        'release-stock': async () => {},
      },
      {
        'reserve-stock': async () => {
          hooked++;
        },
      },
    );
    const orderId = randomUUID();
    const jobId = jobIds.reserveStock(orderId, 1);
    await queues.reservations.add('reserve-stock', { orderId, version: 1 }, { ...fastRetries, jobId });
    const job = await settled(jobId);
    expect(await job.getState()).toBe('completed');
    expect(runs).toBe(2);
    expect(hooked).toBe(0);
    expect(await queues['dead-letters'].getJob(jobIds.deadLetter('reservations', jobId))).toBeUndefined();
  });

  it('dead-letters a job name the queue does not have', async () => {
    startReservationsWorker({ 'reserve-stock': async () => {}, 'release-stock': async () => {} });
    const jobId = `unknown-${randomUUID()}`;
    const payload = { paymentId: randomUUID() };
    await queues.reservations.add('charge-payment', payload, { ...fastRetries, jobId });
    const job = await settled(jobId);
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe('queue reservations has no job named charge-payment');
    const deadLetter = await queues['dead-letters'].getJob(jobIds.deadLetter('reservations', jobId));
    expect(deadLetter).toMatchObject({
      name: 'charge-payment',
      data: { queue: 'reservations', name: 'charge-payment', jobId, payload, failedReason: 'queue reservations has no job named charge-payment', attemptsMade: 1 },
    });
    expect(await deadLetter!.getState()).toBe('waiting');
  });

  it('runs a job that fails while its dependencies are down again without spending an attempt, however long the outage', async () => {
    // Down for the first three runs, more than the job's one attempt allows; up from the fourth.
    const outageRuns = 3;
    let runs = 0;
    const exhausted: unknown[] = [];
    startReservationsWorker(
      {
        'reserve-stock': async () => {
          runs++;
          if (runs <= outageRuns) throw new Error('Connection terminated unexpectedly');
          return { reserved: true };
        },
        'release-stock': async () => undefined,
      },
      { 'reserve-stock': async (payload) => void exhausted.push(payload) },
      async () => runs <= outageRuns,
    );
    const orderId = randomUUID();
    const jobId = jobIds.reserveStock(orderId, 1);
    await queues.reservations.add('reserve-stock', { orderId, version: 1 }, { attempts: 1, jobId });
    const job = await settled(jobId);
    expect(await queues.reservations.getJobState(jobId)).toBe('completed');
    expect(job.returnvalue).toEqual({ reserved: true });
    expect(runs).toBe(outageRuns + 1);
    expect(exhausted).toEqual([]);
    expect(await queues['dead-letters'].getJob(jobIds.deadLetter('reservations', jobId))).toBeUndefined();
  });
});
