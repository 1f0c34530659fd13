import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createDb,
  createLogger,
  prepareSubgraphDatabase,
  type Logger,
} from '@shopgraph/common';
import { createSubgraphServer, type GraphQLResolverMap, type RunningServer } from '@shopgraph/common/subgraph';
import { createHttpPaymentProvider, type PaymentProvider } from '@shopgraph/payment-provider';
import { gql } from 'graphql-tag';
import { Registry } from 'prom-client';
import { createContext, type Context } from './context.js';
import type { PaymentsConfig } from './env.js';
import { resolvers } from './resolvers/index.js';

export const typeDefs = gql(readFileSync(fileURLToPath(new URL('../schema.graphql', import.meta.url)), 'utf8'));
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * Builds the payments subgraph: migrates its schema, then serves it. Tests build the same thing.
 * `provider` tokenizes the cards of payOrder; by default the one at PAYMENT_PROVIDER_URL.
 */
export async function createPaymentsServer(
  config: PaymentsConfig,
  logger: Logger = createLogger('payments', config.logLevel),
  provider: PaymentProvider = createHttpPaymentProvider(config.paymentProvider.url, { timeoutMs: config.paymentProvider.timeoutMs }),
): Promise<RunningServer> {
  const registry = new Registry();
  const db = createDb({ url: config.databaseUrl, subgraph: 'payments', logger, registry });
  await prepareSubgraphDatabase(config.databaseUrl, db, 'payments', migrationsFolder);
  return createSubgraphServer<Context>({
    name: 'payments',
    typeDefs,
    resolvers: resolvers as GraphQLResolverMap<Context>,
    logger,
    registry,
    gatewaySecret: config.gatewaySecret,
    production: config.nodeEnv === 'production',
    checks: { postgres: () => db.execute('select 1') },
    context: (base) => createContext(db, provider, base, config.dataloaderBatch),
    onClose: () => db.$client.end(),
  });
}
