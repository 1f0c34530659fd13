import type { RedisClient } from '@shopgraph/common';
import { Queue } from 'bullmq';
import { jobOptions } from './job-options.js';
import { isValidJobId } from './job-ids.js';
import { payloadSchemaOf, type JobSpec } from './payloads.js';
import { queueNames, type QueueName } from './queue-names.js';

export type QueueSet = Record<QueueName, Queue>;

/** One BullMQ `Queue` per queue name, all sharing `connection` (closed by its owner, not here). */
export function createQueues(connection: RedisClient, prefix: string): QueueSet {
  return Object.fromEntries(queueNames.map((name) => [name, new Queue(name, { connection, prefix })])) as QueueSet;
}

export async function closeQueues(queues: QueueSet): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}

/** A job to add: deterministic `jobId` (see `jobIds`), optional delay. */
export type EnqueueRequest = JobSpec & { jobId: string; delayMs?: number };

/** Checks the payload against its schema and the id against BullMQ's rules; throws otherwise. */
export function validateEnqueueRequest(request: EnqueueRequest): void {
  if (!isValidJobId(request.jobId)) throw new Error(`Invalid job id "${request.jobId}" (no ":" and not an integer).`);
  const schema = payloadSchemaOf(request.queue, request.name);
  if (!schema) throw new Error(`Queue ${request.queue} has no job ${request.name}.`);
  schema.parse(request.payload);
}

/**
 * Adds a job directly (processors adding follow-up jobs). A job born in a database
 * transaction goes through the outbox instead (`enqueueInTransaction`).
 */
export async function addJob(queues: QueueSet, request: EnqueueRequest): Promise<void> {
  validateEnqueueRequest(request);
  await queues[request.queue].add(request.name, request.payload, {
    ...jobOptions[request.name],
    jobId: request.jobId,
    delay: request.delayMs ?? 0,
  });
}
