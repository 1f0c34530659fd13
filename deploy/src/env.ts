import { baseEnv, parseEnv, postgresEnv, postgresUrlSchema, type SubgraphName } from '@shopgraph/common';
import { z } from 'zod';

/** The env name of a subgraph's own database URL, as the subgraph itself reads it. */
export const databaseUrlEnv = (subgraph: SubgraphName) => `${subgraph.toUpperCase()}_DATABASE_URL`;

export interface MigrateConfig {
  logLevel: string;
  /** The URL the subgraph itself uses: its own database if it has one, else DATABASE_URL. */
  databaseUrl: string;
}

/**
 * The migration step's configuration, from the environment (the only reader of it in this
 * workspace). It needs the database and nothing else: no secrets for tokens or signatures, so
 * the Kubernetes init container that runs it gets only the database URLs.
 */
export function loadMigrateConfig(subgraph: SubgraphName, source: Record<string, string | undefined> = process.env): MigrateConfig {
  const ownUrl = databaseUrlEnv(subgraph);
  const schema = baseEnv.pick({ LOG_LEVEL: true }).extend({ ...postgresEnv.shape, [ownUrl]: postgresUrlSchema.optional() });
  const env = parseEnv(schema, source) as { LOG_LEVEL: string; DATABASE_URL: string } & Record<string, string | undefined>;
  return { logLevel: env.LOG_LEVEL, databaseUrl: env[ownUrl] ?? env.DATABASE_URL };
}
