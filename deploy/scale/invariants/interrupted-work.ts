import { closeQueues, createQueueConnection, createQueues, DEAD_LETTER_QUEUE, queueNames } from '@shopgraph/queues';
import type { Observed } from '../observed.js';
import { check } from './check.js';

/** A job of a work queue that failed for good. */
interface FailedJob {
  queue: string;
  name: string;
  reason: string;
  /** When its last attempt failed. */
  at: number;
  paymentId?: string;
}

/** Jobs that failed for good: each failed job of a work queue, and how many dead letters there are. */
async function jobsFailedForGood(redisUrl: string, prefix: string): Promise<{ failed: FailedJob[]; deadLetters: number }> {
  const connection = createQueueConnection(redisUrl);
  const queues = createQueues(connection, prefix);
  try {
    const failed = await Promise.all(
      queueNames
        .filter((name) => name !== DEAD_LETTER_QUEUE)
        .map(async (queue) =>
          (await queues[queue].getFailed()).map((job) => ({
            queue,
            name: job.name,
            reason: job.failedReason,
            at: job.finishedOn ?? 0,
            paymentId: (job.data as { paymentId?: string }).paymentId,
          })),
        ),
    );
    const deadLetters = Object.values(await queues[DEAD_LETTER_QUEUE].getJobCounts()).reduce((a, b) => a + b, 0);
    return { failed: failed.flat(), deadLetters };
  } finally {
    await closeQueues(queues);
    connection.disconnect();
  }
}

/**
 * The work the kill interrupted was finished: no job failed for good but charges that gave up
 * while the provider was down, everything settled, and every payment PROCESSING at the kill
 * went through or gave up so. The jobs are read from the platform's queues in Redis.
 */
export async function checkInterruptedWorkFinished({ outage, unsettled, state: { payments } }: Observed, redisUrl: string, queuePrefix: string): Promise<void> {
  const { killedAt, providerBackAt, processingAtKill } = outage;
  // A charge job gives up after about 8 s of retries (packages/queues/src/job-options.ts): one
  // whose every attempt found the provider away (a slow restart on a loaded machine) is
  // dead-lettered and its payment FAILED, as designed; its customer pays again (load.ts). Any
  // other job failing for good, or a charge failing for another reason, is a failure.
  const failedForGood = await jobsFailedForGood(redisUrl, queuePrefix);
  const gaveUpOnProvider = (job: FailedJob) =>
    job.queue === 'payments' && job.name === 'charge-payment' && /payment provider unreachable/.test(job.reason) && job.at >= killedAt && job.at <= providerBackAt;
  const unexplained = failedForGood.failed.filter((job) => !gaveUpOnProvider(job));
  check(
    unexplained.length === 0 && failedForGood.deadLetters === failedForGood.failed.length,
    `no job failed for good but charges that gave up while the provider was down (${failedForGood.failed.length - unexplained.length}; ` +
      `${unexplained.length} others${unexplained.length > 0 ? `: ${[...new Set(unexplained.map((job) => `${job.queue}/${job.name}: ${job.reason}`))].join('; ')}` : ''}, ` +
      `${failedForGood.deadLetters} dead letters)`,
  );
  check(
    Object.values(unsettled).every((n) => n === 0),
    `everything settled: ${Object.entries(unsettled).map(([what, n]) => `${n} ${what}`).join(', ')}`,
  );
  const gaveUp = new Set(failedForGood.failed.filter(gaveUpOnProvider).map((job) => job.paymentId));
  const inFlightPayments = payments.filter((p) => processingAtKill.includes(p.id));
  check(
    inFlightPayments.length === processingAtKill.length &&
      inFlightPayments.every((p) => ['SUCCEEDED', 'REFUNDED'].includes(p.status) || (p.status === 'FAILED' && gaveUp.has(p.id))),
    `every payment PROCESSING at the kill went through, or gave up while the provider was down (${inFlightPayments.map((p) => p.status).join(', ')})`,
  );
}
