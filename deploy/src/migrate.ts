import { assertDependencies, ConfigError, createDb, createLogger, prepareSubgraphDatabase, runMain, subgraphNames, type SubgraphName } from '@shopgraph/common';
import { loadMigrateConfig } from './env.js';

/** Each subgraph's committed migrations, from the subgraph itself (the folder its server migrates from). */
const migrationsFolders: Record<SubgraphName, () => Promise<string>> = {
  products: async () => (await import('@shopgraph/products')).migrationsFolder,
  users: async () => (await import('@shopgraph/users')).migrationsFolder,
  orders: async () => (await import('@shopgraph/orders')).migrationsFolder,
  payments: async () => (await import('@shopgraph/payments')).migrationsFolder,
};

const isSubgraph = (name: string | undefined): name is SubgraphName => subgraphNames.includes(name as SubgraphName);

/**
 * Creates the subgraph's schema and role if missing and applies its pending migrations, in a
 * database that must exist (it never creates one: a typo in the URL must not start a new shop) —
 * what the subgraph does at start, as a step of its own. Kubernetes runs it as the
 * init container of every subgraph pod: a long migration is not cut short by liveness probes,
 * and a failing one stops the rollout before any new pod serves (the old ones keep serving).
 */
export async function migrate(subgraph: SubgraphName, source: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadMigrateConfig(subgraph, source);
  const logger = createLogger(`${subgraph}-migrate`, config.logLevel);
  await assertDependencies({ postgres: config.databaseUrl });
  const db = createDb({ url: config.databaseUrl, subgraph, logger, max: 1 });
  try {
    // The advisory lock inside makes pods of one rollout migrate one after another.
    await prepareSubgraphDatabase(config.databaseUrl, db, subgraph, await migrationsFolders[subgraph]());
  } finally {
    await db.$client.end();
  }
  logger.info('migrations applied');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runMain(async () => {
    const subgraph = process.argv[2];
    if (!isSubgraph(subgraph)) throw new ConfigError(`usage: migrate.ts <${subgraphNames.join('|')}>`);
    await migrate(subgraph);
  });
}
