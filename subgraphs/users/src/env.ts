import {
  adminEnv,
  baseEnv,
  dataloaderEnv,
  DEFAULT_ACCESS_TOKEN_TTL_S,
  DEFAULT_SESSION_KEY_PREFIX,
  gatewaySecretEnv,
  jwtEnv,
  listenEnv,
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
// Redis for the signatures' one-time ids and for ended sessions.
const schema = z.object({
  ...baseEnv.shape,
  ...gatewaySecretEnv.shape,
  ...jwtEnv.shape,
  ...adminEnv.shape,
  ...postgresEnv.shape,
  ...redisEnv.shape,
  ...dataloaderEnv.shape,
  ...listenEnv.shape,
  USERS_PORT: portSchema.default(4002),
  /** Lets accounts live in their own database; defaults to DATABASE_URL. */
  USERS_DATABASE_URL: postgresUrlSchema.optional(),
  /** Lifetime of the bearer tokens register and login hand out; a token of an ended session is refused sooner. */
  ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(60).max(86_400).default(DEFAULT_ACCESS_TOKEN_TTL_S),
  /** Where ended sessions are published for the gateway: the gateway's SESSION_REDIS_PREFIX. */
  SESSION_REDIS_PREFIX: z.string().min(1).default(DEFAULT_SESSION_KEY_PREFIX),
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
    host: env.HOST,
    databaseUrl: env.USERS_DATABASE_URL ?? env.DATABASE_URL,
    sessions: { tokenTtlS: env.ACCESS_TOKEN_TTL_S, redisPrefix: env.SESSION_REDIS_PREFIX },
  };
}

/** The users subgraph's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): UsersConfig {
  return toUsersConfig(parseEnv(schema, source));
}
