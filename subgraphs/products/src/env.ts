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
  PRODUCTS_PORT: portSchema.default(4001),
  /** Lets the catalog live in its own database; defaults to DATABASE_URL. */
  PRODUCTS_DATABASE_URL: postgresUrlSchema.optional(),
});

export type ProductsConfig = ReturnType<typeof toProductsConfig>;

function toProductsConfig(env: z.output<typeof schema>) {
  return {
    ...toBaseConfig(env),
    gatewaySecret: env.GATEWAY_SECRET,
    redisUrl: env.REDIS_URL,
    dataloaderBatch: env.DATALOADER_BATCH,
    port: env.PRODUCTS_PORT,
    host: env.HOST,
    databaseUrl: env.PRODUCTS_DATABASE_URL ?? env.DATABASE_URL,
  };
}

/** The products subgraph's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): ProductsConfig {
  return toProductsConfig(parseEnv(schema, source));
}
