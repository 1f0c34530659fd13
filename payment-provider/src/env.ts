import { baseEnv, listenEnv, parseEnv, paymentProviderKeyEnv, portSchema, toBaseConfig } from '@shopgraph/common';
import { z } from 'zod';

// The simulator keeps everything in memory: no database or Redis; its one secret is the API key
// its callers (payments, the workers) must present.
const schema = baseEnv.extend({
  ...listenEnv.shape,
  ...paymentProviderKeyEnv.shape,
  PAYMENT_PROVIDER_PORT: portSchema.default(4005),
  /** Added to every token, charge and refund request, as a real provider's round trip would. */
  PAYMENT_PROVIDER_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(30),
});

export interface PaymentProviderConfig {
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: string;
  /** Development defaults in use (the published API key), logged at start. */
  warnings: string[];
  port: number;
  /** The address it listens on: loopback unless HOST says otherwise. */
  host: string;
  /** The secret API key every `/v1` request must carry as `Authorization: Bearer <key>`. */
  apiKey: string;
  latencyMs: number;
}

/** The simulator's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): PaymentProviderConfig {
  const env = parseEnv(schema, source);
  return {
    ...toBaseConfig(env),
    port: env.PAYMENT_PROVIDER_PORT,
    host: env.HOST,
    apiKey: env.PAYMENT_PROVIDER_KEY,
    latencyMs: env.PAYMENT_PROVIDER_LATENCY_MS,
  };
}
