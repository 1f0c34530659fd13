import { baseEnv, parseEnv, postgresEnv, toBaseConfig } from '@shopgraph/common';
import { z } from 'zod';

const schema = z.object({
  ...baseEnv.shape,
  ...postgresEnv.shape,
  /**
   * Lets setup create a missing database under NODE_ENV=production, as `--create-database` does.
   * Outside production setup creates it anyway; in production nothing else ever does.
   */
  SETUP_CREATE_DATABASE: z.stringbool().default(false),
});

export type SetupConfig = ReturnType<typeof loadSetupConfig>;

/** Setup's own settings, from the environment (the only reader of them); each subgraph's come from its env.ts. */
export function loadSetupConfig(source: Record<string, string | undefined> = process.env) {
  const env = parseEnv(schema, source);
  return { ...toBaseConfig(env), databaseUrl: env.DATABASE_URL, createDatabase: env.SETUP_CREATE_DATABASE };
}
