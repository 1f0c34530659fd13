import { createLogger, type Logger } from '@shopgraph/common';
import { serveSubgraph, subgraphFiles, type GraphQLResolverMap, type RunningServer } from '@shopgraph/common/subgraph';
import { createContext, type Context } from './context.js';
import type { UsersConfig } from './env.js';
import { resolvers } from './resolvers/index.js';
import { ensureAdmin } from './services/ensure-admin.js';

export const { typeDefs, migrationsFolder } = subgraphFiles(import.meta.url);

/** Builds the users subgraph: migrates its schema, ensures the admin, then serves it. Tests build the same thing. */
export function createUsersServer(
  config: UsersConfig,
  logger: Logger = createLogger('users', config.logLevel),
): Promise<RunningServer> {
  return serveSubgraph<Context>({
    name: 'users',
    config,
    logger,
    typeDefs,
    migrationsFolder,
    resolvers: resolvers as GraphQLResolverMap<Context>,
    prepare: async (db) => {
      const admin = await ensureAdmin(db, config.admin);
      logger.info({ admin: config.admin.email, outcome: admin }, 'admin account ensured');
    },
    context: (db, base) => createContext(db, config.jwtSecret, base, config.dataloaderBatch),
  });
}
