import { createLogger, type Logger } from '@shopgraph/common';
import { serveSubgraph, subgraphFiles, type RunningServer } from '@shopgraph/common/subgraph';
import { createContext, type Context } from './context.js';
import type { OrdersConfig } from './env.js';
import { resolvers } from './resolvers/index.js';

export const { typeDefs, migrationsFolder } = subgraphFiles(import.meta.url);

/** Builds the orders subgraph: migrates its schema, then serves it. Tests build the same thing. */
export function createOrdersServer(
  config: OrdersConfig,
  logger: Logger = createLogger('orders', config.logLevel),
): Promise<RunningServer> {
  return serveSubgraph<Context>({
    name: 'orders',
    config,
    logger,
    typeDefs,
    migrationsFolder,
    resolvers,
    context: (db, base) => createContext(db, base, config.dataloaderBatch),
  });
}
