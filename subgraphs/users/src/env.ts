import { parseEnv, platformEnvSchema, portSchema, toPlatformConfig } from '@shopgraph/common';
import { z } from 'zod';

const schema = platformEnvSchema.extend({
  USERS_PORT: portSchema.default(4002),
  /** Lets accounts live in their own database; defaults to DATABASE_URL. */
  USERS_DATABASE_URL: z.string().optional(),
});

export type UsersConfig = ReturnType<typeof toUsersConfig>;

function toUsersConfig(env: z.output<typeof schema>) {
  const platform = toPlatformConfig(env);
  return { ...platform, port: env.USERS_PORT, databaseUrl: env.USERS_DATABASE_URL ?? platform.databaseUrl };
}

/** The users subgraph's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): UsersConfig {
  return toUsersConfig(parseEnv(schema, source));
}
