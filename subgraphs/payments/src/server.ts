import { createLogger, type Logger } from '@shopgraph/common';
import { serveSubgraph, subgraphFiles, type RunningServer } from '@shopgraph/common/subgraph';
import { createHttpPaymentProvider, type PaymentProvider } from '@shopgraph/payment-provider';
import { createContext, type Context } from './context.js';
import type { PaymentsConfig } from './env.js';
import { resolvers } from './resolvers/index.js';

export const { typeDefs, migrationsFolder } = subgraphFiles(import.meta.url);

/**
 * Builds the payments subgraph: migrates its schema, then serves it. Tests build the same thing.
 * `provider` tokenizes the cards of payOrder; by default the one at PAYMENT_PROVIDER_URL.
 */
export function createPaymentsServer(
  config: PaymentsConfig,
  logger: Logger = createLogger('payments', config.logLevel),
  provider: PaymentProvider = createHttpPaymentProvider(config.paymentProvider.url, config.paymentProvider),
): Promise<RunningServer> {
  return serveSubgraph<Context>({
    name: 'payments',
    config,
    logger,
    typeDefs,
    migrationsFolder,
    resolvers,
    context: (db, base) => createContext(db, provider, base, config.dataloaderBatch),
  });
}
