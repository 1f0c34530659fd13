import DataLoader from 'dataloader';
import { desc, inArray } from 'drizzle-orm';
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
    /** The newest attempt of each order: one `distinct on` over the (order_id, created_at desc) index. */
    latestPaymentByOrderId: new DataLoader<string, Payment | null>(async (orderIds) =>
      inKeyOrder(
        orderIds,
        await db
          .selectDistinctOn([payments.orderId])
          .from(payments)
          .where(inArray(payments.orderId, [...orderIds]))
          .orderBy(payments.orderId, desc(payments.createdAt), desc(payments.id)),
        (row) => row.orderId,
      ),
      { batch },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
