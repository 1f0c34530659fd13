import { baseEnv, listenEnv, parseEnv, portSchema } from '@shopgraph/common';
import { z } from 'zod';

// The simulator keeps everything in memory: no database, Redis or secrets to configure.
const schema = baseEnv.extend({
  ...listenEnv.shape,
  PAYMENT_PROVIDER_PORT: portSchema.default(4005),
  /** Added to every token, charge and refund request, as a real provider's round trip would. */
  PAYMENT_PROVIDER_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(30),
});

export interface PaymentProviderConfig {
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: string;
  port: number;
  /** The address it listens on: loopback unless HOST says otherwise. */
  host: string;
  latencyMs: number;
}

/** The simulator's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): PaymentProviderConfig {
  const env = parseEnv(schema, source);
  return { nodeEnv: env.NODE_ENV, logLevel: env.LOG_LEVEL, port: env.PAYMENT_PROVIDER_PORT, host: env.HOST, latencyMs: env.PAYMENT_PROVIDER_LATENCY_MS };
}
