import { createDb, createLogger, prepareSubgraphDatabase } from '@shopgraph/common';
import { refuseDemoDataInProduction, type DemoOrder, type DemoOrderStatus, type DemoPayment, type DemoProduct } from '../../../scripts/demo-data.js';
import type { PaymentsConfig } from './env.js';
import { payableOrders, payments, type PayableOrderStatus } from './db/schema.js';
import { migrationsFolder } from './server.js';

/** What the demo order costs: the demo catalog's prices times the quantities. */
function orderTotal(order: DemoOrder, catalog: Map<string, DemoProduct>): { amount: number; currency: string } {
  const lines = order.items.map((item) => {
    const product = catalog.get(item.productId);
    if (!product) throw new Error(`Demo order ${order.id} holds product ${item.productId}, which is not in the demo catalog.`);
    return { amount: product.price.amount * item.quantity, currency: product.price.currency };
  });
  const currencies = new Set(lines.map((line) => line.currency));
  if (currencies.size !== 1) throw new Error(`Demo order ${order.id} must be priced in exactly one currency.`);
  return { amount: lines.reduce((sum, line) => sum + line.amount, 0), currency: lines[0]!.currency };
}

/**
 * What payments would know of a demo order had it gone through checkout: only orders that
 * reached AWAITING_PAYMENT were ever payable (PENDING and REJECTED ones were not).
 */
const payableStatusOf: Partial<Record<DemoOrderStatus, PayableOrderStatus>> = {
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
  demoOrders: DemoOrder[],
  demoProducts: DemoProduct[],
): Promise<void> {
  refuseDemoDataInProduction(config.nodeEnv);
  const logger = createLogger('payments-seed', config.logLevel);
  const db = createDb({ url: config.databaseUrl, subgraph: 'payments', logger, max: 1 });
  try {
    await prepareSubgraphDatabase(config.databaseUrl, db, 'payments', migrationsFolder);
    const catalog = new Map(demoProducts.map((product) => [product.id, product]));
    const payable = demoOrders.flatMap((order) => {
      const status = payableStatusOf[order.status];
      return status ? [{ orderId: order.id, userId: order.userId, ...orderTotal(order, catalog), version: 1, status }] : [];
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
        ...orderTotal(order, catalog),
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
