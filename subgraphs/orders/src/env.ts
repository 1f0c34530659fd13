import { parseEnv, platformEnvSchema, portSchema, toPlatformConfig } from '@shopgraph/common';
import { z } from 'zod';

const schema = platformEnvSchema.extend({
  ORDERS_PORT: portSchema.default(4003),
  /** Lets orders live in their own database; defaults to DATABASE_URL. */
  ORDERS_DATABASE_URL: z.string().optional(),
});

export type OrdersConfig = ReturnType<typeof toOrdersConfig>;

function toOrdersConfig(env: z.output<typeof schema>) {
  const platform = toPlatformConfig(env);
  return { ...platform, port: env.ORDERS_PORT, databaseUrl: env.ORDERS_DATABASE_URL ?? platform.databaseUrl };
}

/** The orders subgraph's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): OrdersConfig {
  return toOrdersConfig(parseEnv(schema, source));
}
