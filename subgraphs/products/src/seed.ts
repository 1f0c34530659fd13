import { createDb, createLogger, prepareSubgraphDatabase, refuseDemoDataInProduction } from '@shopgraph/common';
import type { OrderStatusValue } from '@shopgraph/queues';
import { sql } from 'drizzle-orm';
import type { DemoProduct } from './demo-data.js';
import type { ProductsConfig } from './env.js';
import { products } from './db/schema.js';
import { migrationsFolder } from './server.js';
import { commitReservations, reserveStock } from './services/inventory-service.js';

export { demoProducts, type DemoProduct } from './demo-data.js';

/** What the products seed reads of a demo order (the orders subgraph's): the units it holds or bought. */
export interface DemoOrderHolding {
  id: string;
  status: OrderStatusValue;
  items: { productId: string; quantity: number }[];
}

/**
 * Seeds the demo catalog into an empty catalog (a shop with its own products is left alone).
 * Demo orders awaiting payment hold their units; paid ones have taken them off the shelf.
 * Resolves true when the demo catalog is in place, so the other seeds know they may refer to it.
 */
export async function seedProducts(config: ProductsConfig, catalog: DemoProduct[], orders: DemoOrderHolding[]): Promise<boolean> {
  refuseDemoDataInProduction(config.nodeEnv);
  const logger = createLogger('products-seed', config.logLevel);
  const db = createDb({ url: config.databaseUrl, subgraph: 'products', logger, max: 1 });
  try {
    await prepareSubgraphDatabase(config.databaseUrl, db, 'products', migrationsFolder);
    const demoCatalog = await db.transaction(async (tx) => {
      // Serializes concurrent seeders; the emptiness check below is then reliable.
      await tx.execute(sql`lock table ${products} in share row exclusive mode`);
      const [existing] = await tx.select({ id: products.id }).from(products).limit(1);
      if (!existing) {
        await tx.insert(products).values(
          catalog.map((p, index) => ({
            id: p.id,
            sku: p.sku,
            name: p.name,
            description: p.description,
            priceAmount: p.price.amount,
            priceCurrency: p.price.currency,
            onHand: p.onHand,
            // Spread creation times so "newest first" has a stable, meaningful order.
            createdAt: new Date(Date.now() - (catalog.length - index) * 60_000),
          })),
        );
        logger.info({ products: catalog.length }, 'seeded the demo catalog');
      }
      const [demo] = await tx
        .select({ id: products.id })
        .from(products)
        .where(sql`${products.id} = ${catalog[0]!.id}`);
      return demo !== undefined;
    });
    if (demoCatalog) {
      // Demo orders that hold or bought stock do so through the real inventory steps.
      for (const order of orders.filter((o) => o.status === 'AWAITING_PAYMENT' || o.status === 'PAID')) {
        await reserveStock(db, { orderId: order.id, version: 1, items: order.items });
      }
      await commitReservations(db, orders.filter((o) => o.status === 'PAID').map((o) => o.id));
    }
    return demoCatalog;
  } finally {
    await db.$client.end();
  }
}
