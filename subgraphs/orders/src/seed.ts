import { createDb, createLogger, prepareSubgraphDatabase, refuseDemoDataInProduction } from '@shopgraph/common';
import type { OrdersConfig } from './env.js';
import { orderItems, orders, type OrderStatus } from './db/schema.js';
import type { CatalogEntry, DemoOrder } from './demo-data.js';
import { migrationsFolder } from './server.js';

export { demoOrders, type CatalogEntry, type DemoOrder } from './demo-data.js';

/** Prices the order's lines from the catalog, as the inventory worker does when it reserves stock. */
function priceLines(order: DemoOrder, catalog: Map<string, CatalogEntry>) {
  const lines = order.items.map((item) => {
    const product = catalog.get(item.productId);
    if (!product) throw new Error(`Demo order ${order.id} holds product ${item.productId}, which the demo catalog lacks.`);
    return { ...item, product };
  });
  const currency = lines[0]?.product.price.currency;
  if (!currency || lines.some((line) => line.product.price.currency !== currency)) {
    throw new Error(`Demo order ${order.id} must hold at least one line, all in one currency.`);
  }
  const amount = lines.reduce((sum, line) => sum + line.product.price.amount * line.quantity, 0);
  return { lines, total: { amount, currency } };
}

/** A demo order as priced from `catalog`: what the payments seed needs to know of it. */
export interface PricedDemoOrder {
  id: string;
  userId: string;
  status: OrderStatus;
  total: { amount: number; currency: string };
}

/** The demo orders with the totals their lines come to at the catalog's prices. */
export function priceDemoOrders(demoOrders: DemoOrder[], products: CatalogEntry[]): PricedDemoOrder[] {
  const catalog = new Map(products.map((product) => [product.id, product]));
  return demoOrders.map((order) => ({ id: order.id, userId: order.userId, status: order.status, total: priceLines(order, catalog).total }));
}

/**
 * Seeds the demo orders with their ids, so payments can refer to them. Every order but a PENDING
 * one is priced: its items carry name and unit price snapshots and it has a total. Orders that
 * already exist are left alone, so seeding again changes nothing.
 */
export async function seedOrders(config: OrdersConfig, demoOrders: DemoOrder[], products: CatalogEntry[]): Promise<void> {
  refuseDemoDataInProduction(config.nodeEnv);
  const logger = createLogger('orders-seed', config.logLevel);
  const db = createDb({ url: config.databaseUrl, subgraph: 'orders', logger, max: 1 });
  try {
    await prepareSubgraphDatabase(config.databaseUrl, db, 'orders', migrationsFolder);
    if (demoOrders.length === 0) return;
    const catalog = new Map(products.map((product) => [product.id, product]));
    const now = Date.now();
    const priced = demoOrders.map((order) => ({ order, ...priceLines(order, catalog) }));
    await db.transaction(async (tx) => {
      const inserted = await tx
        .insert(orders)
        .values(
          priced.map(({ order, total }) => {
            const placedAt = new Date(now - order.placedMinutesAgo * 60_000);
            const isPriced = order.status !== 'PENDING';
            return {
              id: order.id,
              userId: order.userId,
              status: order.status,
              statusReason: order.statusReason,
              totalAmount: isPriced ? total.amount : null,
              totalCurrency: isPriced ? total.currency : null,
              createdAt: placedAt,
              updatedAt: placedAt,
            };
          }),
        )
        .onConflictDoNothing()
        .returning({ id: orders.id });
      await tx
        .insert(orderItems)
        .values(
          priced.flatMap(({ order, lines }) =>
            lines.map((line) => {
              const isPriced = order.status !== 'PENDING';
              return {
                orderId: order.id,
                productId: line.productId,
                quantity: line.quantity,
                productName: isPriced ? line.product.name : null,
                unitPriceAmount: isPriced ? line.product.price.amount : null,
                unitPriceCurrency: isPriced ? line.product.price.currency : null,
              };
            }),
          ),
        )
        .onConflictDoNothing();
      logger.info({ orders: inserted.length }, 'seeded the demo orders');
    });
  } finally {
    await db.$client.end();
  }
}
