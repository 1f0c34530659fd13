import { parseEnv, platformEnvSchema, portSchema, toPlatformConfig } from '@shopgraph/common';
import { z } from 'zod';

const schema = platformEnvSchema.extend({
  PRODUCTS_PORT: portSchema.default(4001),
  /** Lets the catalog live in its own database; defaults to DATABASE_URL. */
  PRODUCTS_DATABASE_URL: z.string().optional(),
});

export type ProductsConfig = ReturnType<typeof toProductsConfig>;

function toProductsConfig(env: z.output<typeof schema>) {
  const platform = toPlatformConfig(env);
  return { ...platform, port: env.PRODUCTS_PORT, databaseUrl: env.PRODUCTS_DATABASE_URL ?? platform.databaseUrl };
}

/** The products subgraph's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): ProductsConfig {
  return toProductsConfig(parseEnv(schema, source));
}
