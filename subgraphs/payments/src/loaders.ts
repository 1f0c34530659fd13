import DataLoader from 'dataloader';
import { desc, sql } from 'drizzle-orm';
import { inKeyOrder, isAnyOf, prepared, type Db } from '@shopgraph/common';
import { payments, type Payment } from './db/schema.js';

/**
 * Per-request batch loaders: one SQL statement per loader per tick, whatever the fan-out.
 * `batch: false` (DATALOADER_BATCH=false) loads one key per statement, for the benchmark's baseline.
 */
export function createLoaders(db: Db, batch = true) {
  const paymentsByIds = prepared(db, 'payments_by_ids', (db) => db.select().from(payments).where(isAnyOf(payments.id, 'ids')));
  const latestPayments = prepared(db, 'latest_payments_by_order_ids', (db) => {
    const requested = sql`unnest(${sql.placeholder('orderIds')}::uuid[]) as requested(order_id)`;
    const latest = db
      .select()
      .from(payments)
      .where(sql`${payments.orderId} = requested.order_id`)
      .orderBy(desc(payments.createdAt), desc(payments.id))
      .limit(1)
      .as('latest');
    return db.select(latest._.selectedFields).from(requested).crossJoinLateral(latest);
  });
  return {
    paymentById: new DataLoader<string, Payment | null>(async (ids) => inKeyOrder(ids, await paymentsByIds.execute({ ids })), { batch }),
    /**
     * The newest attempt of each order: a lateral join reads (order_id, created_at desc, id desc)
     * once per order and stops at its first entry, however many attempts an order has and whether
     * or not the planner has statistics (a `distinct on` over every attempt of the orders needs
     * them to be planned on the index).
     */
    latestPaymentByOrderId: new DataLoader<string, Payment | null>(async (orderIds) => {
      const rows = await latestPayments.execute({ orderIds: [...new Set(orderIds)] });
      return inKeyOrder(orderIds, rows, (row) => row.orderId);
    }, { batch }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
