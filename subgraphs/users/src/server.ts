import { createLogger, createRedisClient, REQUEST_REDIS_COMMAND_TIMEOUT_MS, type Logger } from '@shopgraph/common';
import { serveSubgraph, subgraphFiles, type RunningServer } from '@shopgraph/common/subgraph';
import { createContext, type Context, type SessionServices } from './context.js';
import type { UsersConfig } from './env.js';
import { resolvers } from './resolvers/index.js';
import { demoteFormerAdmins, ensureAdmin } from './services/ensure-admin.js';
import { SessionPublisher } from './services/session-publisher.js';

export const { typeDefs, migrationsFolder } = subgraphFiles(import.meta.url);

/**
 * Builds the users subgraph: migrates its schema, starts publishing ended sessions to Redis,
 * ensures the admin (demoting the one an earlier ADMIN_EMAIL named), then serves it. Tests build
 * the same thing.
 */
export async function createUsersServer(
  config: UsersConfig,
  logger: Logger = createLogger('users', config.logLevel),
): Promise<RunningServer> {
  // Commands fail fast when Redis is away: logout then says so instead of hanging.
  const redis = createRedisClient(config.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: REQUEST_REDIS_COMMAND_TIMEOUT_MS });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis (ended sessions) unreachable'));
  const store = { redis, keyPrefix: config.sessions.redisPrefix, tokenTtlMs: config.sessions.tokenTtlS * 1000 };
  let sessions: SessionServices | undefined;
  const closeRedis = () => redis.quit().then(() => undefined, () => redis.disconnect());
  let server: RunningServer;
  try {
    server = await serveSubgraph<Context>({
      name: 'users',
      config,
      logger,
      typeDefs,
      migrationsFolder,
      resolvers,
      prepare: async (db) => {
        // Listening before ensureAdmin: the sessions of an admin it demotes or re-passwords end at once.
        const publisher = new SessionPublisher(db, store, logger);
        await publisher.start();
        try {
          const admin = await ensureAdmin(db, config.admin);
          logger.info({ admin: config.admin.email, outcome: admin }, 'admin account ensured');
          for (const email of await demoteFormerAdmins(db, config.admin.email)) {
            logger.warn({ email }, 'ADMIN_EMAIL names another account now: the former admin is a CUSTOMER, its sessions ended');
          }
        } catch (error) {
          // Its connection back in the pool, which the start-up then closes.
          await publisher.close();
          throw error;
        }
        sessions = { jwtSecret: config.jwtSecret, tokenTtlS: config.sessions.tokenTtlS, store, publisher };
      },
      context: (db, base) => createContext(db, sessions!, base, config.dataloaderBatch),
    });
  } catch (error) {
    await closeRedis();
    throw error;
  }
  return {
    ...server,
    async close() {
      await sessions?.publisher.close();
      await server.close();
      await closeRedis();
    },
  };
}
