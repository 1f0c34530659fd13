import { parseEnv, platformEnvSchema, portSchema, toPlatformConfig } from '@shopgraph/common';
import { z } from 'zod';

const schema = platformEnvSchema.extend({
  PAYMENTS_PORT: portSchema.default(4004),
  /** Lets payments live in their own database; defaults to DATABASE_URL. */
  PAYMENTS_DATABASE_URL: z.string().optional(),
});

export type PaymentsConfig = ReturnType<typeof toPaymentsConfig>;

function toPaymentsConfig(env: z.output<typeof schema>) {
  const platform = toPlatformConfig(env);
  return { ...platform, port: env.PAYMENTS_PORT, databaseUrl: env.PAYMENTS_DATABASE_URL ?? platform.databaseUrl };
}

/** The payments subgraph's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): PaymentsConfig {
  return toPaymentsConfig(parseEnv(schema, source));
}
