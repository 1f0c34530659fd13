import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createDb,
  createLogger,
  prepareSubgraphDatabase,
  type Logger,
} from '@shopgraph/common';
import { createSubgraphServer, type GraphQLResolverMap, type RunningServer } from '@shopgraph/common/subgraph';
import { gql } from 'graphql-tag';
import { Registry } from 'prom-client';
import { createContext, type Context } from './context.js';
import type { OrdersConfig } from './env.js';
import { resolvers } from './resolvers/index.js';

export const typeDefs = gql(readFileSync(fileURLToPath(new URL('../schema.graphql', import.meta.url)), 'utf8'));
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Builds the orders subgraph: migrates its schema, then serves it. Tests build the same thing. */
export async function createOrdersServer(
  config: OrdersConfig,
  logger: Logger = createLogger('orders', config.logLevel),
): Promise<RunningServer> {
  const registry = new Registry();
  const db = createDb({ url: config.databaseUrl, subgraph: 'orders', logger, registry });
  await prepareSubgraphDatabase(config.databaseUrl, db, 'orders', migrationsFolder);
  return createSubgraphServer<Context>({
    name: 'orders',
    typeDefs,
    resolvers: resolvers as GraphQLResolverMap<Context>,
    logger,
    registry,
    gatewaySecret: config.gatewaySecret,
    production: config.nodeEnv === 'production',
    checks: { postgres: () => db.execute('select 1') },
    context: (base) => createContext(db, base, config.dataloaderBatch),
    onClose: () => db.$client.end(),
  });
}
