import type { JobsOptions } from 'bullmq';
import type { JobName } from './payloads.js';
import type { WorkQueueName } from './queue-names.js';

const DAY_SECONDS = 24 * 60 * 60;

/** Completed jobs stay a day (their ids keep deduplicating re-adds); failed ones a week, for inspection. */
const retention = {
  removeOnComplete: { age: DAY_SECONDS },
  removeOnFail: { age: 7 * DAY_SECONDS },
} as const;

const retried = (attempts: number, firstDelayMs: number): JobsOptions => ({
  attempts,
  backoff: { type: 'exponential', delay: firstDelayMs },
  ...retention,
});

/**
 * Attempts and backoff of each job. Every processor is idempotent, so a retry is always safe;
 * the numbers only decide how long a job keeps trying before it is dead-lettered.
 * A charge's first retry comes quickly (transient provider errors such as the 0119 test
 * card clear within a second); refunds and releases keep trying longer because the money or
 * stock they give back must not be lost to a short outage.
 */
export const jobOptions = {
  'charge-payment': retried(6, 250), // 0.25 s, 0.5 s, 1 s, 2 s, 4 s
  'reserve-stock': retried(5, 250),
  'release-stock': retried(10, 1000),
  'refund-payment': retried(10, 1000),
  'expire-order': retried(5, 1000),
} as const satisfies Record<JobName, JobsOptions>;

/** Options for a job name read back from storage (the outbox); unknown names get one attempt. */
export function jobOptionsFor(name: string): JobsOptions {
  return Object.hasOwn(jobOptions, name) ? jobOptions[name as JobName] : { attempts: 1, ...retention };
}

/** How long a job waits before its first retry: its backoff's delay (0 without one). */
export function firstBackoffMs(name: string): number {
  const { backoff } = jobOptionsFor(name);
  return typeof backoff === 'object' ? (backoff.delay ?? 0) : (backoff ?? 0);
}

/** Dead letters wait for a person: kept until removed from the dashboard, never retried. */
export const deadLetterJobOptions: JobsOptions = { attempts: 1 };

/**
 * Priorities across queues, as concurrency (docs/checkout.md): BullMQ priorities only order
 * jobs within one queue, so captures get their own queue and the most slots, while refunds
 * and expiries get few — a burst of expiries can never hold up a capture. Within a queue jobs
 * run first-come first-served, so the first order placed is the first one reserved.
 * Defaults per workers replica; WORKER_CONCURRENCY_<QUEUE> overrides each.
 */
export const defaultConcurrency = {
  payments: 10,
  reservations: 10,
  refunds: 2,
  expiries: 2,
} as const satisfies Record<WorkQueueName, number>;
