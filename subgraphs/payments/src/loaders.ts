import DataLoader from 'dataloader';
import { desc, inArray, sql } from 'drizzle-orm';
import { inKeyOrder, type Db } from '@shopgraph/common';
import { payments, type Payment } from './db/schema.js';

/**
 * Per-request batch loaders: one SQL statement per loader per tick, whatever the fan-out.
 * `batch: false` (DATALOADER_BATCH=false) loads one key per statement, for the benchmark's baseline.
 */
export function createLoaders(db: Db, batch = true) {
  return {
    paymentById: new DataLoader<string, Payment | null>(
      async (ids) => inKeyOrder(ids, await db.select().from(payments).where(inArray(payments.id, [...ids])), (row) => row.id),
      { batch },
    ),
    /**
     * The newest attempt of each order: a lateral join reads (order_id, created_at desc, id desc)
     * once per order and stops at its first entry, however many attempts an order has and whether
     * or not the planner has statistics (a `distinct on` over every attempt of the orders needs
     * them to be planned on the index).
     */
    latestPaymentByOrderId: new DataLoader<string, Payment | null>(async (orderIds) => {
      const requested = sql`unnest(${sql.param([...new Set(orderIds)])}::uuid[]) as requested(order_id)`;
      const latest = db
        .select()
        .from(payments)
        .where(sql`${payments.orderId} = requested.order_id`)
        .orderBy(desc(payments.createdAt), desc(payments.id))
        .limit(1)
        .as('latest');
      const rows = await db.select(latest._.selectedFields).from(requested).crossJoinLateral(latest);
      return inKeyOrder(orderIds, rows, (row) => row.orderId);
    }, { batch }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
