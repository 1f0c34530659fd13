import { createDb, createLogger, prepareSubgraphDatabase, refuseDemoDataInProduction } from '@shopgraph/common';
import type { OrderStatusValue } from '@shopgraph/queues';
import type { DemoOrderToPay, DemoPayment } from './demo-data.js';
import type { PaymentsConfig } from './env.js';
import { payableOrders, payments, type PayableOrderStatus } from './db/schema.js';
import { migrationsFolder } from './server.js';

export { demoPayments, type DemoOrderToPay, type DemoPayment } from './demo-data.js';

/**
 * What payments would know of a demo order had it gone through checkout: only orders that
 * reached AWAITING_PAYMENT were ever payable (PENDING and REJECTED ones were not).
 */
const payableStatusOf: Partial<Record<OrderStatusValue, PayableOrderStatus>> = {
  AWAITING_PAYMENT: 'AWAITING_PAYMENT',
  PAID: 'PAID',
  CANCELLED: 'CLOSED',
  EXPIRED: 'CLOSED',
};

/**
 * Seeds the demo payments and the payable orders the demo orders stand for (so a demo customer
 * can pay an order awaiting payment), each for its demo order's total. Ids are fixed, so
 * seeding again inserts nothing; payments and payable orders recorded since are left alone.
 */
export async function seedPayments(
  config: PaymentsConfig,
  demoPayments: DemoPayment[],
  demoOrders: DemoOrderToPay[],
): Promise<void> {
  refuseDemoDataInProduction(config.nodeEnv);
  const logger = createLogger('payments-seed', config.logLevel);
  const db = createDb({ url: config.databaseUrl, subgraph: 'payments', logger, max: 1 });
  try {
    await prepareSubgraphDatabase(config.databaseUrl, db, 'payments', migrationsFolder);
    const payable = demoOrders.flatMap((order) => {
      const status = payableStatusOf[order.status];
      return status ? [{ orderId: order.id, userId: order.userId, ...order.total, version: 1, status }] : [];
    });
    // An insert of no rows is an error in drizzle; a shop without demo data is still migrated.
    if (payable.length > 0) {
      const recorded = await db.insert(payableOrders).values(payable).onConflictDoNothing().returning({ id: payableOrders.orderId });
      logger.info({ payableOrders: recorded.length }, 'seeded the demo payable orders');
    }
    if (demoPayments.length === 0) return;
    const orders = new Map(demoOrders.map((order) => [order.id, order]));
    const now = Date.now();
    const rows = demoPayments.map((payment) => {
      const order = orders.get(payment.orderId);
      if (!order) throw new Error(`Demo payment ${payment.id} is for order ${payment.orderId}, which is not a demo order.`);
      const placedAt = new Date(now - payment.placedMinutesAgo * 60_000);
      return {
        id: payment.id,
        orderId: payment.orderId,
        userId: payment.userId,
        ...order.total,
        status: payment.status,
        failureReason: payment.failureReason,
        cardLast4: payment.cardLast4,
        createdAt: placedAt,
        updatedAt: placedAt,
      };
    });
    const inserted = await db.insert(payments).values(rows).onConflictDoNothing().returning({ id: payments.id });
    logger.info({ payments: inserted.length }, 'seeded the demo payments');
  } finally {
    await db.$client.end();
  }
}
