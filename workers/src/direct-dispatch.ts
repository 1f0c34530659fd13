import type { Logger } from '@shopgraph/common';
import { payloadSchemaOf, workQueueNames, type RelayedJob, type WorkQueueName } from '@shopgraph/queues';
import type { JobProcessor } from './create-worker.js';
import type { JobMetrics } from './job-metrics.js';
import type { QueueWirings } from './server.js';

export interface DirectDispatchOptions {
  logger: Logger;
  metrics: JobMetrics;
  /** Slots per queue: as many jobs of a queue run here at once, beside its BullMQ worker's. */
  concurrency: Record<WorkQueueName, number>;
}

/**
 * Direct dispatch (docs/checkout.md, "Principles"): the outbox relay's `dispatch`. Runs an outbox
 * row's job with the processor its BullMQ worker would use, in this process, while the queue has
 * a free slot here; answers `undefined` (BullMQ takes the job) when it has none, when this
 * replica does not work the queue, or when the job is one the worker would dead-letter at once
 * (an unknown name, a malformed payload), so that only BullMQ ever dead-letters. A run that
 * throws rejects: the relay then hands the job to BullMQ, whose attempts and backoff follow.
 */
export function createDirectDispatch(wirings: QueueWirings, options: DirectDispatchOptions): (job: RelayedJob) => Promise<unknown> | undefined {
  const { logger, metrics } = options;
  const free = new Map<string, number>(workQueueNames.filter((queue) => wirings[queue]).map((queue) => [queue, options.concurrency[queue]]));
  const processorOf = (queue: WorkQueueName, name: string) =>
    (wirings[queue]?.processors as Record<string, JobProcessor<WorkQueueName, never> | undefined> | undefined)?.[name];

  return ({ queue, name, jobId, payload }) => {
    const slots = free.get(queue);
    if (!slots) return undefined;
    const processor = processorOf(queue as WorkQueueName, name);
    const parsed = payloadSchemaOf(queue as WorkQueueName, name)?.safeParse(payload);
    if (!processor || !parsed?.success) return undefined;
    free.set(queue, slots - 1);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    return processor(parsed.data as never)
      .then(
        (result) => {
          metrics.attemptFinished(queue, name, 'completed', seconds());
          return result;
        },
        (error: unknown) => {
          metrics.attemptFinished(queue, name, 'retrying', seconds());
          logger.warn({ err: error, queue, job: name, jobId }, 'job run by the outbox relay failed: BullMQ retries it');
          throw error;
        },
      )
      .finally(() => free.set(queue, free.get(queue)! + 1));
  };
}
