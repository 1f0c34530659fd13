import { assertDependencies, createLogger, runMain } from '@shopgraph/common';
import { loadConfig as loadOrdersConfig } from '@shopgraph/orders/env';
import { seedOrders } from '@shopgraph/orders/seed';
import { loadConfig as loadPaymentsConfig } from '@shopgraph/payments/env';
import { seedPayments } from '@shopgraph/payments/seed';
import { loadConfig as loadProductsConfig } from '@shopgraph/products/env';
import { seedProducts } from '@shopgraph/products/seed';
import { loadConfig as loadUsersConfig } from '@shopgraph/users/env';
import { seedUsers } from '@shopgraph/users/seed';
import { demoOrders, demoPayments, demoProducts, demoUsers } from './demo-data.js';

/**
 * Prepares a platform to run: checks Postgres and Redis, creates the database(s), schemas and
 * roles, migrates every subgraph and seeds the demo shop into an empty one. (The users subgraph
 * ensures the admin each time it starts, so every way of running the platform gets one.)
 */
export async function setupPlatform(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const products = loadProductsConfig(env);
  const users = loadUsersConfig(env);
  const orders = loadOrdersConfig(env);
  const payments = loadPaymentsConfig(env);
  const logger = createLogger('setup', products.logLevel);
  const databases = new Set([products.databaseUrl, users.databaseUrl, orders.databaseUrl, payments.databaseUrl]);
  for (const url of databases) await assertDependencies({ postgres: url });
  await assertDependencies({ redis: products.redisUrl });

  const demoCatalog = await seedProducts(products, demoProducts, demoOrders);
  if (!demoCatalog) {
    logger.info('the catalog holds products of its own: the demo shop is not seeded');
    return;
  }
  await seedUsers(users, demoUsers);
  await seedOrders(orders, demoOrders, demoProducts);
  await seedPayments(payments, demoPayments, demoOrders, demoProducts);
  logger.info('platform ready to start: migrated, admin ensured, demo shop seeded');
}

if (import.meta.url === `file://${process.argv[1]}`) runMain(() => setupPlatform());
