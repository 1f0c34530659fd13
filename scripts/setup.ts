import { parseArgs } from 'node:util';
import { assertDatabaseExists, assertDependencies, createLogger, ensureDatabase, runMain, subgraphNames } from '@shopgraph/common';
import { loadConfig as loadOrdersConfig } from '@shopgraph/orders/env';
import { seedOrders } from '@shopgraph/orders/seed';
import { loadConfig as loadPaymentsConfig } from '@shopgraph/payments/env';
import { seedPayments } from '@shopgraph/payments/seed';
import { loadConfig as loadProductsConfig } from '@shopgraph/products/env';
import { seedProducts } from '@shopgraph/products/seed';
import { loadConfig as loadUsersConfig } from '@shopgraph/users/env';
import { seedUsers } from '@shopgraph/users/seed';
import { demoOrders, demoOrdersToPay, demoPayments, demoProducts, demoUsers } from './demo-data.js';
import { loadSetupConfig } from './setup-env.js';

export interface SetupOptions {
  /** Create a missing database even under NODE_ENV=production (`--create-database`). */
  createDatabase?: boolean;
}

/**
 * Prepares a platform to run: checks Postgres and Redis and the database(s). Outside production
 * it creates a missing database, migrates every subgraph and seeds the demo shop into an empty
 * one. Under NODE_ENV=production it creates a database only when told to (`--create-database`
 * or SETUP_CREATE_DATABASE=true), refuses a missing one in one line, and never seeds the demo
 * shop: each subgraph migrates its schema as it starts. (The users subgraph ensures the admin
 * each time it starts, so every way of running the platform gets one.)
 */
export async function setupPlatform(env: NodeJS.ProcessEnv = process.env, options: SetupOptions = {}): Promise<void> {
  const setup = loadSetupConfig(env);
  const configs = {
    products: loadProductsConfig(env),
    users: loadUsersConfig(env),
    orders: loadOrdersConfig(env),
    payments: loadPaymentsConfig(env),
  };
  const logger = createLogger('setup', setup.logLevel);
  // Each database once, with the variable that names it (a subgraph may have one of its own).
  const databases = new Map<string, string>();
  for (const name of subgraphNames) {
    const url = configs[name].databaseUrl;
    if (!databases.has(url)) databases.set(url, url === setup.databaseUrl ? 'DATABASE_URL' : `${name.toUpperCase()}_DATABASE_URL`);
  }
  for (const url of databases.keys()) await assertDependencies({ postgres: url });
  await assertDependencies({ redis: configs.products.redisUrl });

  const production = setup.nodeEnv === 'production';
  const createDatabase = !production || setup.createDatabase || options.createDatabase === true;
  for (const [url, variable] of databases) {
    if (createDatabase) await ensureDatabase(url);
    else await assertDatabaseExists(url, variable);
  }
  if (production) {
    logger.info('platform ready to start: database found; no demo shop under NODE_ENV=production');
    return;
  }

  const demoCatalog = await seedProducts(configs.products, demoProducts, demoOrders);
  if (!demoCatalog) {
    logger.info('the catalog holds products of its own: the demo shop is not seeded');
    return;
  }
  await seedUsers(configs.users, demoUsers);
  await seedOrders(configs.orders, demoOrders, demoProducts);
  await seedPayments(configs.payments, demoPayments, demoOrdersToPay);
  logger.info('platform ready to start: migrated, admin ensured, demo shop seeded');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runMain(async () => {
    const { values } = parseArgs({ options: { 'create-database': { type: 'boolean', default: false } } });
    await setupPlatform(process.env, { createDatabase: values['create-database'] });
  });
}
