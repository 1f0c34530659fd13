import { z } from 'zod';
import type { WorkQueueName } from './queue-names.js';

const id = z.uuid();

/** Payload schemas of every job, by queue then job name (docs/checkout.md, "Queues"). */
export const jobSchemas = {
  payments: {
    'charge-payment': z.object({ paymentId: id }),
  },
  reservations: {
    'reserve-stock': z.object({ orderId: id, version: z.int().positive() }),
    'release-stock': z.object({ orderId: id, reason: z.string().min(1).max(500) }),
  },
  refunds: {
    'refund-payment': z.object({ orderId: id, restoreStock: z.boolean() }),
  },
  expiries: {
    'expire-order': z.object({ orderId: id, version: z.int().positive() }),
  },
} as const satisfies Record<WorkQueueName, Record<string, z.ZodType>>;

export type JobNameOf<Q extends WorkQueueName> = keyof (typeof jobSchemas)[Q] & string;
export type JobName = { [Q in WorkQueueName]: JobNameOf<Q> }[WorkQueueName];
export type PayloadOf<Q extends WorkQueueName, N extends JobNameOf<Q>> = z.output<(typeof jobSchemas)[Q][N]>;

/** One job of the platform: the queue, its name and its payload, checked against each other. */
export type JobSpec = {
  [Q in WorkQueueName]: { [N in JobNameOf<Q>]: { queue: Q; name: N; payload: PayloadOf<Q, N> } }[JobNameOf<Q>];
}[WorkQueueName];

/** The schema of `name` on `queue`, or undefined for a job that queue does not have. */
export function payloadSchemaOf(queue: WorkQueueName, name: string): z.ZodType | undefined {
  const schemas: Record<string, z.ZodType> = jobSchemas[queue];
  return Object.hasOwn(schemas, name) ? schemas[name] : undefined;
}

/** What `dead-letters` holds: the exhausted job, as it was, and why it failed. */
export interface DeadLetter {
  queue: WorkQueueName;
  name: string;
  jobId: string;
  /** The payload as it was queued, malformed or not. */
  payload: unknown;
  failedReason: string;
  attemptsMade: number;
  /** ISO 8601. */
  failedAt: string;
}
