import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDb, createLogger, prepareSubgraphDatabase, type Logger } from '@shopgraph/common';
import { createSubgraphServer, type GraphQLResolverMap, type RunningServer } from '@shopgraph/common/subgraph';
import { gql } from 'graphql-tag';
import { Registry } from 'prom-client';
import { createContext, type Context } from './context.js';
import type { UsersConfig } from './env.js';
import { resolvers } from './resolvers/index.js';
import { ensureAdmin } from './services/ensure-admin.js';

export const typeDefs = gql(readFileSync(fileURLToPath(new URL('../schema.graphql', import.meta.url)), 'utf8'));
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Builds the users subgraph: migrates its schema, ensures the admin, then serves it. Tests build the same thing. */
export async function createUsersServer(
  config: UsersConfig,
  logger: Logger = createLogger('users', config.logLevel),
): Promise<RunningServer> {
  const registry = new Registry();
  const db = createDb({ url: config.databaseUrl, subgraph: 'users', logger, registry });
  try {
    await prepareSubgraphDatabase(config.databaseUrl, db, 'users', migrationsFolder);
    const admin = await ensureAdmin(db, config.admin);
    logger.info({ admin: config.admin.email, outcome: admin }, 'admin account ensured');
  } catch (error) {
    await db.$client.end();
    throw error;
  }
  return createSubgraphServer<Context>({
    name: 'users',
    typeDefs,
    resolvers: resolvers as GraphQLResolverMap<Context>,
    logger,
    registry,
    gatewaySecret: config.gatewaySecret,
    production: config.nodeEnv === 'production',
    checks: { postgres: () => db.execute('select 1') },
    context: (base) => createContext(db, config.jwtSecret, base, config.dataloaderBatch),
    onClose: () => db.$client.end(),
  });
}
