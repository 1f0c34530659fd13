import {
  adminEnv,
  baseEnv,
  dataloaderEnv,
  gatewaySecretEnv,
  jwtEnv,
  parseEnv,
  portSchema,
  postgresEnv,
  postgresUrlSchema,
  redisEnv,
  toAdminConfig,
  toBaseConfig,
} from '@shopgraph/common';
import { z } from 'zod';

// Requests the gateway signed, tokens it issues, the admin it ensures, a database of its own,
// Redis for the signatures' one-time ids.
const schema = z.object({
  ...baseEnv.shape,
  ...gatewaySecretEnv.shape,
  ...jwtEnv.shape,
  ...adminEnv.shape,
  ...postgresEnv.shape,
  ...redisEnv.shape,
  ...dataloaderEnv.shape,
  USERS_PORT: portSchema.default(4002),
  /** Lets accounts live in their own database; defaults to DATABASE_URL. */
  USERS_DATABASE_URL: postgresUrlSchema.optional(),
});

export type UsersConfig = ReturnType<typeof toUsersConfig>;

function toUsersConfig(env: z.output<typeof schema>) {
  return {
    ...toBaseConfig(env),
    gatewaySecret: env.GATEWAY_SECRET,
    jwtSecret: env.JWT_SECRET,
    admin: toAdminConfig(env),
    redisUrl: env.REDIS_URL,
    dataloaderBatch: env.DATALOADER_BATCH,
    port: env.USERS_PORT,
    databaseUrl: env.USERS_DATABASE_URL ?? env.DATABASE_URL,
  };
}

/** The users subgraph's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): UsersConfig {
  return toUsersConfig(parseEnv(schema, source));
}
