import { baseEnv, dataloaderEnv, gatewaySecretEnv, listenEnv, parseEnv, portSchema, postgresEnv, postgresUrlSchema, redisEnv, toBaseConfig } from '@shopgraph/common';
import { z } from 'zod';

// Requests the gateway signed, a database of its own, Redis for the signatures' one-time ids.
const schema = z.object({
  ...baseEnv.shape,
  ...gatewaySecretEnv.shape,
  ...postgresEnv.shape,
  ...redisEnv.shape,
  ...dataloaderEnv.shape,
  ...listenEnv.shape,
  ORDERS_PORT: portSchema.default(4003),
  /** Lets orders live in their own database; defaults to DATABASE_URL. */
  ORDERS_DATABASE_URL: postgresUrlSchema.optional(),
});

export type OrdersConfig = ReturnType<typeof toOrdersConfig>;

function toOrdersConfig(env: z.output<typeof schema>) {
  return {
    ...toBaseConfig(env),
    gatewaySecret: env.GATEWAY_SECRET,
    redisUrl: env.REDIS_URL,
    dataloaderBatch: env.DATALOADER_BATCH,
    port: env.ORDERS_PORT,
    host: env.HOST,
    databaseUrl: env.ORDERS_DATABASE_URL ?? env.DATABASE_URL,
  };
}

/** The orders subgraph's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): OrdersConfig {
  return toOrdersConfig(parseEnv(schema, source));
}
