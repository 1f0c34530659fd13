import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { validateEnqueueRequest, type EnqueueRequest } from './producer.js';

/**
 * The outbox table, for a subgraph's `src/db/schema.ts` (`export const outbox = outboxTable()`).
 * A mutation inserts its job here in the same transaction as its state change; the relay in
 * the workers moves unsent rows to BullMQ, so a crash can never leave one without the other.
 */
export function outboxTable(name = 'outbox') {
  return pgTable(
    name,
    {
      id: bigserial('id', { mode: 'number' }).primaryKey(),
      queue: text('queue').notNull(),
      jobName: text('job_name').notNull(),
      jobId: text('job_id').notNull().unique(),
      payload: jsonb('payload').notNull(),
      delayMs: integer('delay_ms').notNull().default(0),
      createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
      sentAt: timestamp('sent_at', { withTimezone: true, precision: 3 }),
    },
    // The relay only ever reads unsent rows in id order; sent ones are history.
    (t) => [index(`${name}_unsent_idx`).on(t.id).where(sql`${t.sentAt} is null`)],
  );
}

export type OutboxTable = ReturnType<typeof outboxTable>;

/** A drizzle database or transaction of any subgraph. */
export type Transaction = Pick<PgDatabase<PgQueryResultHKT>, 'insert' | 'execute'>;

/** The channel on which a commit that wrote outbox rows wakes the relay; the payload is the schema. */
export const OUTBOX_CHANNEL = 'shopgraph_outbox';

/**
 * Records a job in the outbox inside the caller's transaction. The payload is checked against
 * its schema first (a bad one is a bug, so it throws and the transaction rolls back). The same
 * `jobId` twice is the same work: the second insert does nothing.
 * `delayMs` counts from this insert, not from when the relay gets to the row.
 */
export async function enqueueInTransaction(tx: Transaction, outbox: OutboxTable, request: EnqueueRequest): Promise<void> {
  validateEnqueueRequest(request);
  await tx
    .insert(outbox)
    .values({
      queue: request.queue,
      jobName: request.name,
      jobId: request.jobId,
      payload: request.payload,
      delayMs: request.delayMs ?? 0,
    })
    .onConflictDoNothing({ target: outbox.jobId });
  // Delivered at commit (and dropped on rollback): this is what starts the relay, which does not
  // poll; its rare sweep (relay.ts) is only the safety net for a missed notification.
  await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, current_schema())`);
}
