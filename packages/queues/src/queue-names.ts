/**
 * Every BullMQ queue of the platform (docs/checkout.md, "Queues"). Captures have a queue of
 * their own because BullMQ priorities only order jobs within one queue.
 */
export const queueNames = ['payments', 'reservations', 'refunds', 'expiries', 'dead-letters'] as const;
export type QueueName = (typeof queueNames)[number];

/** Holds a copy of every job that exhausted its attempts; nothing processes it. */
export const DEAD_LETTER_QUEUE = 'dead-letters' satisfies QueueName;

/** The queues that have workers. */
export type WorkQueueName = Exclude<QueueName, typeof DEAD_LETTER_QUEUE>;
export const workQueueNames = queueNames.filter((name): name is WorkQueueName => name !== DEAD_LETTER_QUEUE);

/**
 * BullMQ key prefix. The braces make it a Redis Cluster hash tag: every key of every queue
 * hashes to one slot, which BullMQ's multi-key Lua scripts need on a cluster.
 */
export const DEFAULT_QUEUE_PREFIX = '{shopgraph}';

/** Whether `prefix` is a usable hash-tagged prefix such as `{shopgraph}` or `{shopgraph}:staging`. */
export const isHashTaggedPrefix = (prefix: string) => /^\{[^{}:]+\}(?::[\w-]+)*$/.test(prefix);
