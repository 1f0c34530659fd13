import { baseEnv, dataloaderEnv, gatewaySecretEnv, listenEnv, parseEnv, paymentProviderKeyEnv, portSchema, postgresEnv, postgresUrlSchema, redisEnv, toBaseConfig } from '@shopgraph/common';
import { z } from 'zod';

// Requests the gateway signed, a database of its own, Redis for the signatures' one-time ids, the
// payment provider's API key for tokenizing cards.
const schema = z.object({
  ...baseEnv.shape,
  ...gatewaySecretEnv.shape,
  ...postgresEnv.shape,
  ...redisEnv.shape,
  ...dataloaderEnv.shape,
  ...listenEnv.shape,
  ...paymentProviderKeyEnv.shape,
  PAYMENTS_PORT: portSchema.default(4004),
  /** Lets payments live in their own database; defaults to DATABASE_URL. */
  PAYMENTS_DATABASE_URL: postgresUrlSchema.optional(),
  /** Where cards are tokenized: the bundled simulator by default. */
  PAYMENT_PROVIDER_URL: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).default('http://127.0.0.1:4005'),
  /** Per provider request; a payOrder waits this long at most for its card token. */
  PAYMENT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
});

export type PaymentsConfig = ReturnType<typeof toPaymentsConfig>;

function toPaymentsConfig(env: z.output<typeof schema>) {
  return {
    ...toBaseConfig(env),
    gatewaySecret: env.GATEWAY_SECRET,
    redisUrl: env.REDIS_URL,
    dataloaderBatch: env.DATALOADER_BATCH,
    port: env.PAYMENTS_PORT,
    host: env.HOST,
    databaseUrl: env.PAYMENTS_DATABASE_URL ?? env.DATABASE_URL,
    paymentProvider: { url: env.PAYMENT_PROVIDER_URL, timeoutMs: env.PAYMENT_PROVIDER_TIMEOUT_MS, apiKey: env.PAYMENT_PROVIDER_KEY },
  };
}

/** The payments subgraph's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): PaymentsConfig {
  return toPaymentsConfig(parseEnv(schema, source));
}
