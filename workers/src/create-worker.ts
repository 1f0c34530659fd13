import type { Logger, RedisClient } from '@shopgraph/common';
import {
  deadLetterJobOptions,
  jobIds,
  payloadSchemaOf,
  type DeadLetter,
  type JobNameOf,
  type PayloadOf,
  type WorkQueueName,
} from '@shopgraph/queues';
import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { z } from 'zod';
import type { JobMetrics } from './job-metrics.js';

/**
 * Runs one job: wiring that calls the owning subgraphs' service functions (docs/checkout.md). It
 * gets the payload only: the same job also runs outside BullMQ, in the outbox relay (direct-dispatch.ts).
 */
export type JobProcessor<Q extends WorkQueueName, N extends JobNameOf<Q>> = (payload: PayloadOf<Q, N>) => Promise<unknown>;

/** One processor for every job of the queue: a job name the worker cannot run would be a bug. */
export type ProcessorsOf<Q extends WorkQueueName> = { [N in JobNameOf<Q>]: JobProcessor<Q, N> };

/**
 * Told when a job failed for good (attempts exhausted, or `UnrecoverableError`) after its copy
 * went to `dead-letters`, so the owner can record why (e.g. `failOrder`). Must be idempotent:
 * a crash right after it makes it run again.
 */
export type ExhaustedHook<Q extends WorkQueueName, N extends JobNameOf<Q>> = (payload: PayloadOf<Q, N>, job: Job, error: Error) => Promise<void>;
export type ExhaustedHooksOf<Q extends WorkQueueName> = { [N in JobNameOf<Q>]?: ExhaustedHook<Q, N> };

export interface CreateWorkerOptions<Q extends WorkQueueName> {
  /** A worker connection (`createWorkerConnection`); closed by its owner. */
  connection: RedisClient;
  prefix: string;
  logger: Logger;
  deadLetters: Queue;
  metrics: JobMetrics;
  concurrency: number;
  stalledIntervalMs?: number;
  lockDurationMs?: number;
  onExhausted?: ExhaustedHooksOf<Q>;
  /**
   * Asked when a job fails: true when the process's own dependencies (Postgres, Redis) do not
   * answer. The job then waits `OUTAGE_RETRY_MS` and runs again without spending an attempt, so
   * an outage longer than the job's backoff never dead-letters it.
   */
  dependenciesDown?: () => Promise<boolean>;
}

/** How long a job that failed during an outage waits before it runs again. */
export const OUTAGE_RETRY_MS = 1000;

const describeIssues = (error: z.ZodError) => error.issues.map((issue) => `${issue.path.join('.') || 'payload'}: ${issue.message}`).join('; ');

const isLastAttempt = (job: Job, error: Error) =>
  error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/**
 * A BullMQ worker of named processors with typed payloads. Each payload is checked against its
 * schema first: a malformed one can never succeed, so it throws `UnrecoverableError` and is not
 * retried. On a job's last failed attempt — decided inside the processor, before BullMQ marks
 * it failed, so a crash in between repeats this step rather than skipping it — the job is
 * copied to `dead-letters` (id `<queue>-<jobId>`: once, however often) and `onExhausted` runs.
 */
export function createWorker<Q extends WorkQueueName>(queueName: Q, processors: ProcessorsOf<Q>, options: CreateWorkerOptions<Q>): Worker {
  const { connection, prefix, deadLetters, metrics } = options;
  const processorOf = (name: string) => (processors as Record<string, JobProcessor<Q, JobNameOf<Q>> | undefined>)[name];
  const hookOf = (name: string) => (options.onExhausted as Record<string, ExhaustedHook<Q, JobNameOf<Q>> | undefined> | undefined)?.[name];

  async function exhaust(job: Job, error: Error, payload: PayloadOf<Q, JobNameOf<Q>> | undefined, logger: Logger) {
    const deadLetter: DeadLetter = {
      queue: queueName,
      name: job.name,
      jobId: job.id!,
      payload: job.data,
      failedReason: error.message,
      attemptsMade: job.attemptsMade + 1,
      failedAt: new Date().toISOString(),
    };
    try {
      await deadLetters.add(job.name, deadLetter, { ...deadLetterJobOptions, jobId: jobIds.deadLetter(queueName, job.id!) });
      logger.error({ err: error }, 'job failed for good: copied to dead-letters');
    } catch (addError) {
      logger.error({ err: addError, cause: error.message }, 'job failed for good and could not be copied to dead-letters');
    }
    const hook = hookOf(job.name);
    // A malformed payload has nothing a hook could act on; its dead letter says what it was.
    if (!hook || payload === undefined) return;
    try {
      await hook(payload, job, error);
    } catch (hookError) {
      metrics.exhaustedHookFailed(queueName, job.name);
      logger.error({ err: hookError }, 'onExhausted hook failed: the dead letter stays for a person to act on');
    }
  }

  /** Puts the job back for later without spending an attempt; false when that fails too (Redis away: it stalls and runs again). */
  async function postpone(job: Job, token: string | undefined, logger: Logger, error: Error): Promise<boolean> {
    if (!token || error instanceof UnrecoverableError || !(await options.dependenciesDown?.())) return false;
    try {
      await job.moveToDelayed(Date.now() + OUTAGE_RETRY_MS, token);
    } catch {
      return false;
    }
    logger.debug({ err: error }, 'job failed while a dependency is away: it runs again without spending an attempt');
    return true;
  }

  async function run(job: Job, token?: string): Promise<unknown> {
    const logger = options.logger.child({ queue: queueName, job: job.name, jobId: job.id, attempt: job.attemptsMade + 1 });
    const started = performance.now();
    let payload: PayloadOf<Q, JobNameOf<Q>> | undefined;
    try {
      const schema = payloadSchemaOf(queueName, job.name);
      const processor = processorOf(job.name);
      if (!schema || !processor) throw new UnrecoverableError(`queue ${queueName} has no job named ${job.name}`);
      const parsed = schema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`malformed ${job.name} payload: ${describeIssues(parsed.error)}`);
      payload = parsed.data as PayloadOf<Q, JobNameOf<Q>>;
      logger.debug('job started');
      const result = await processor(payload);
      metrics.attemptFinished(queueName, job.name, 'completed', (performance.now() - started) / 1000);
      logger.debug('job completed');
      return result;
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      if (await postpone(job, token, logger, error)) {
        metrics.attemptFinished(queueName, job.name, 'retrying', (performance.now() - started) / 1000);
        throw new DelayedError();
      }
      const last = isLastAttempt(job, error);
      metrics.attemptFinished(queueName, job.name, last ? 'exhausted' : 'retrying', (performance.now() - started) / 1000);
      if (last) await exhaust(job, error, payload, logger);
      else logger.warn({ err: error }, 'job attempt failed: it will be retried');
      throw error;
    }
  }

  const worker = new Worker(queueName, run, {
    connection,
    prefix,
    concurrency: options.concurrency,
    ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
    ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
  });
  // Connection trouble while Redis restarts: logged, and the worker carries on once it is back.
  worker.on('error', (error) => options.logger.warn({ err: error, queue: queueName }, 'worker error'));
  return worker;
}
